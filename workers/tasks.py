"""The two Celery tasks. Thin: validate the payload, call a plain function, classify failures.

Both are acknowledged late and safe to run twice (idempotent writes keyed by job, document and
chunk). Neither carries a secret: the embed task reads the endpoint's secrets from the registry.
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.contract import CHUNK_TASK, EMBED_TASK, ChunkSlice, EmbedBatch
from workers.app import app
from workers.chunk_slice import batch_repr, chunk_and_dispatch
from workers.embedding import embed_and_record
from workers.ratelimit import TokenWaitTooLongError
from workers.runtime import runtime

# A requeued batch comes back at most this much later (s), then asks for a token again.
REQUEUE_MAX_COUNTDOWN_S = 60.0

log = logging.getLogger(__name__)


@app.task(  # type: ignore[untyped-decorator]  # Celery ships no type hints
    name=CHUNK_TASK, acks_late=True, ignore_result=True
)
def chunk_slice(payload: dict[str, Any]) -> None:
    """Chunk a slice of documents and send its embed batches."""
    chunk_and_dispatch(runtime(), app, ChunkSlice.model_validate(payload))


@app.task(  # type: ignore[untyped-decorator]  # Celery ships no type hints
    name=EMBED_TASK, bind=True, acks_late=True, ignore_result=True, max_retries=None
)
def embed_batch(self: Any, payload: dict[str, Any]) -> None:
    """Embed one batch through the rate limiter and record the vectors."""
    batch = EmbedBatch.model_validate(payload)
    try:
        embed_and_record(runtime(), batch)
    except TokenWaitTooLongError as exc:
        # The group's queue of reservations is longer than we are willing to sleep: give the
        # slot back to the pool and come back when the token is near.
        log.info("embed.requeued wait_s=%.1f", exc.wait_s)
        # kwargsrepr again, or the requeued message would show its chunk texts in Flower.
        raise self.retry(
            countdown=min(exc.wait_s, REQUEUE_MAX_COUNTDOWN_S),
            kwargsrepr=batch_repr(batch),
        ) from exc
