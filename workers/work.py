"""What both tasks do first: open the job, and give up on its documents if there is no work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.endpoints import Endpoint
from pipeline.errors import ConfigurationError
from pipeline.jobs.store import JobStore
from workers.runtime import WorkerRuntime
from workers.services import ServiceAdapter


@dataclass(frozen=True)
class Work:
    """A task's job, endpoint, secrets and adapter."""

    store: JobStore
    endpoint: Endpoint
    secrets: dict[str, str] = field(repr=False)
    adapter: ServiceAdapter


def open_work(
    rt: WorkerRuntime, job_id: str, inference_id: str, doc_ids: Sequence[str]
) -> Work | None:
    """Open the work of a task; None when it is to be dropped.

    The documents of a cancelled job fail with ``cancelled``; those of an endpoint that no
    longer exists (or whose service has no embedding adapter) with ``endpoint_error``.
    """
    store = JobStore(rt.redis, job_id)
    if store.is_cancelled():
        store.finish_docs(doc_ids, "failed", "cancelled", "the job was cancelled")
        return None
    try:
        endpoint, secrets = rt.endpoint(inference_id)
        adapter = rt.adapter(endpoint.service)
    except ConfigurationError as exc:
        store.finish_docs(doc_ids, "failed", "endpoint_error", str(exc))
        return None
    return Work(store, endpoint, secrets, adapter)
