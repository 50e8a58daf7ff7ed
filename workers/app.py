"""The Celery app: one queue for the chunking producer tasks, one per embedding service.

Results never go through a Celery result backend: embed tasks write their vectors to the job's
store in Redis, idempotently. Tasks are acknowledged late (after they ran), so a worker that dies
mid-task leaves its message to be redelivered; redelivery is harmless because every write is
idempotent (see :mod:`pipeline.jobs.store`).
"""

from __future__ import annotations

from celery import Celery
from kombu.entity import Queue

from pipeline.connections import Connections
from pipeline.constants import CHUNK_QUEUE, embed_queue
from pipeline.contract import CHUNK_TASK
from pipeline.settings import CommonSettings

app = Celery("inferq", include=["workers.tasks"])


def embedding_services() -> list[str]:
    """Every service with an adapter (each gets an ``embed.<service>`` queue)."""
    from workers.services import ADAPTERS

    return sorted(ADAPTERS)


def restore_interval_s(visibility_timeout_s: float) -> float:
    """How often workers put abandoned messages back: a quarter of the timeout, 1 to 10 s."""
    return min(10.0, max(1.0, visibility_timeout_s / 4))


def configure(celery_app: Celery, settings: CommonSettings, connections: Connections) -> Celery:
    """Point the app at the broker and set the delivery semantics.

    Args:
        celery_app: the app to configure (the module's ``app``, or a test's own).
        settings: the process's settings.
        connections: resolved Redis/broker URLs.
    """
    names = [CHUNK_QUEUE] + [embed_queue(s) for s in embedding_services()]
    queues = [Queue(name) for name in names]  # type: ignore[no-untyped-call]
    celery_app.conf.update(
        broker_url=connections.broker_url,
        result_backend=None,
        task_ignore_result=True,
        task_acks_late=True,
        # A pool child killed mid-task (OOM, SIGKILL) puts its message back at once.
        task_reject_on_worker_lost=True,
        task_queues=queues,
        task_default_queue=CHUNK_QUEUE,
        task_routes={CHUNK_TASK: {"queue": CHUNK_QUEUE}},
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        # Celery gives up publishing after ~0.6 s by default, shorter than a Redis restart: the
        # chunk task (sending embed batches) or the producer would fail and the slice be lost.
        # Ride out about 20 s, like the Redis clients (pipeline.connections).
        task_publish_retry_policy={
            "max_retries": 12,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 2.0,
        },
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout_s,
            # kombu sweeps the unacked hash only every interval * throttle seconds (10 * 10 by
            # default), so a killed worker's messages came back up to 100 s after the visibility
            # timeout; sweep every call, at a quarter of the timeout (1 to 10 s).
            "unacked_restore_interval": restore_interval_s(settings.visibility_timeout_s),
            "unacked_restore_throttle": 1,
            # Redis broker: queues are polled in order, so a busy chunk queue cannot starve
            # embedding (priority steps off keeps it simple and fair).
            "socket_timeout": 30,
            "socket_connect_timeout": 5,
        },
        broker_heartbeat=30,
    )
    return celery_app
