"""The embed task's work: one batch through the global limiter, the adapter and the retry policy.

Every HTTP attempt, retries included, first takes a token of the endpoint's rate-limit group. A
429 with ``Retry-After`` pauses the whole group (every worker, every host) through Redis. A 413
splits the batch in halves (a single input is truncated, as Elasticsearch does, and marked). When
the policy gives up, every document with a chunk in the batch fails with the provider's message
(Elasticsearch's §d.6 semantics); other documents are unaffected.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pipeline import metrics
from pipeline.contract import BatchItem, EmbedBatch
from pipeline.endpoints import Endpoint
from pipeline.errors import RateLimitedError, ServiceError
from pipeline.jobs.codec import ChunkResult, encode
from workers.ratelimit import Reservation, group_id
from workers.retry import (
    GiveUp,
    RetryAfter,
    ShareCooldown,
    SplitBatch,
    TruncateInput,
    decide,
    truncate,
)
from workers.runtime import WorkerRuntime
from workers.services.base import EmbeddingCall, ServiceAdapter
from workers.work import Work, open_work

log = logging.getLogger(__name__)


@dataclass
class BatchOutcome:
    """What happened to a batch.

    Attributes:
        results: embedded chunks as ``(item, result)``.
        failures: ``(items, error)`` for each part of the batch the policy gave up on.
        counts: requests, responses_429, retries, splits, truncated, token_wait_ms.
    """

    results: list[tuple[BatchItem, ChunkResult]] = field(default_factory=list)
    failures: list[tuple[list[BatchItem], ServiceError]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Target:
    rt: WorkerRuntime
    endpoint: Endpoint
    secrets: dict[str, str]
    adapter: ServiceAdapter
    group: str
    rng: random.Random


@dataclass
class _Token:
    """A reserved rate-limit slot, confirmed through the adapter's gate as the request leaves.

    The long wait happens before the request is built; the confirmation (one
    round trip, rarely a short wait) right before its first byte, and the ``sent`` record right
    after its head, so what the provider sees is what the limiter confirmed.
    """

    t: _Target
    reservation: Reservation
    rpm: float
    out: BatchOutcome

    async def opening(self) -> None:
        confirmed = await self.t.rt.bucket.confirm(self.reservation, self.rpm)
        self.out.counts["token_wait_ms"] += int(confirmed.wait_s * 1000)

    async def sent(self) -> None:
        await self.t.rt.bucket.sent(self.t.group)


async def _attempts(
    t: _Target,
    items: Sequence[BatchItem],
    out: BatchOutcome,
    started: float,
    truncated: bool = False,
) -> None:
    # ``started`` is the first attempt of the original batch: halves of a split share its retry
    # budget, so a batch's total time stays bounded however often it splits.
    texts = [i.text for i in items]
    attempt = 0
    while True:
        attempt += 1
        gate = None
        if t.adapter.uses_http and (rpm := t.endpoint.requests_per_minute or 0) > 0:
            gate = _Token(t, await t.rt.bucket.wait_for_slot(t.group, rpm), rpm, out)
        call = EmbeddingCall(
            t.endpoint.inference_id,
            t.endpoint.task_type,
            t.endpoint.service_settings,
            t.endpoint.task_settings,
            t.secrets,
            texts,
        )
        out.counts["requests"] += 1
        try:
            vectors = await t.adapter.embed(call, t.rt.http, gate=gate)
        except ServiceError as exc:
            exc.inference_id = exc.inference_id or t.endpoint.inference_id
            if isinstance(exc, RateLimitedError):
                out.counts["responses_429"] += 1
            decision = decide(
                exc,
                attempt,
                time.monotonic() - started,
                t.rt.policy,
                t.rng,
                batch_size=len(items),
                truncates_on_413=t.adapter.truncates_on_413,
            )
            match decision:
                case SplitBatch():
                    out.counts["splits"] += 1
                    half = len(items) // 2
                    await asyncio.gather(
                        _attempts(t, items[:half], out, started, truncated),
                        _attempts(t, items[half:], out, started, truncated),
                    )
                    return
                case TruncateInput(ratio=ratio):
                    out.counts["truncated"] += 1
                    texts = [truncate(text, ratio) for text in texts]
                    truncated = True
                case ShareCooldown(cooldown_s=cooldown_s):
                    out.counts["retries"] += 1
                    _log_retry(t, items, attempt, cooldown_s, exc)
                    await t.rt.bucket.cooldown(t.group, cooldown_s)
                case RetryAfter(delay_s=delay_s):
                    out.counts["retries"] += 1
                    _log_retry(t, items, attempt, delay_s, exc)
                    await asyncio.sleep(delay_s)
                case GiveUp(reason=reason, cooldown_s=cooldown_s):
                    if cooldown_s:
                        await t.rt.bucket.cooldown(t.group, cooldown_s)
                    log.warning(
                        "embed.gave_up service=%s batch_size=%d attempt=%d status=%s "
                        "error=%s reason=%s",
                        t.endpoint.service,
                        len(items),
                        attempt,
                        exc.status_code,
                        exc.error_type,
                        reason,
                    )
                    out.failures.append((list(items), exc))
                    return
            continue
        for item, vector in zip(items, vectors, strict=True):
            result = ChunkResult(
                item.start, item.end, item.text, np.asarray(vector, dtype=np.float32), truncated
            )
            out.results.append((item, result))
        return


def _log_retry(
    t: _Target, items: Sequence[BatchItem], attempt: int, wait_s: float, exc: ServiceError
) -> None:
    log.info(
        "embed.retry_scheduled service=%s batch_size=%d attempt=%d wait_s=%.2f status=%s",
        t.endpoint.service,
        len(items),
        attempt,
        wait_s,
        exc.status_code,
    )


async def embed_items(
    rt: WorkerRuntime, work: Work, group: str, items: Sequence[BatchItem]
) -> BatchOutcome:
    """Embed ``items`` with limiter and retries; never raises a ServiceError."""
    outcome = BatchOutcome()
    target = _Target(rt, work.endpoint, work.secrets, work.adapter, group, random.Random())
    await _attempts(target, items, outcome, time.monotonic())
    return outcome


def embed_and_record(rt: WorkerRuntime, batch: EmbedBatch) -> None:
    """Embed a batch and write its results and failures to the job's store (idempotent)."""
    opened = open_work(rt, batch.job_id, batch.inference_id, [i.doc_id for i in batch.items])
    if opened is None:
        return
    store, endpoint = opened.store, opened.endpoint
    group = group_id(opened.adapter.rate_limit_group(endpoint.service_settings, opened.secrets))
    # TokenWaitTooLongError propagates: the task requeues itself rather than hold a slot.
    outcome = rt.loop.run(embed_items(rt, opened, group, batch.items))
    store.record_results([(i.doc_id, i.chunk_index, encode(r)) for i, r in outcome.results])
    for items, error in outcome.failures:
        store.finish_docs([i.doc_id for i in items], "failed", error.error_type, str(error))
    failures = sum(len(items) for items, _ in outcome.failures)
    store.incr(**outcome.counts, request_failures=len(outcome.failures))
    metrics.add(
        rt.redis,
        endpoint.service,
        group,
        {
            "requests": outcome.counts["requests"],
            "responses_429": outcome.counts["responses_429"],
            "retries": outcome.counts["retries"],
            "failures": len(outcome.failures),
            "token_wait_ms": outcome.counts["token_wait_ms"],
        },
    )
    log.info(
        "embed.batch_done job=%s batch=%s items=%d failed_items=%d requests=%d",
        batch.job_id,
        batch.batch_id,
        len(batch.items),
        failures,
        outcome.counts["requests"],
    )
