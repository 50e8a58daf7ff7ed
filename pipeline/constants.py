"""Redis keys, queue names and TTLs: every name two processes must agree on, in one place.

All keys start with ``inferq:`` so that an inferq deployment can share a Redis with other tools and
``redis-cli --scan --pattern 'inferq:*'`` shows everything we own.
"""

from __future__ import annotations

PREFIX = "inferq"

# --- queues -----------------------------------------------------------------------------------
# Producer tasks that cut documents into chunks and pack batches.
CHUNK_QUEUE = "chunk"
# One queue per service, so operators can scale each service's workers on their own.
EMBED_QUEUE_PREFIX = "embed."


def embed_queue(service: str) -> str:
    """The queue of a service's embedding workers (``embed.openai``)."""
    return f"{EMBED_QUEUE_PREFIX}{service}"


# --- endpoint registry --------------------------------------------------------------------------
# Hash inference_id -> endpoint JSON (public part: no secrets).
ENDPOINTS_KEY = f"{PREFIX}:endpoints"
# Hash inference_id -> Fernet token of the secrets JSON (api_key, ...). Never returned by any API.
ENDPOINT_SECRETS_KEY = f"{PREFIX}:endpoint-secrets"

# --- rate limiting ------------------------------------------------------------------------------
# Hash per rate-limit group: tokens, last refill time (Redis TIME, µs), cooldown-until (µs).
# The group part is a hash of the grouping key (reference §e.3), never the key itself, since
# the grouping key can contain an api key.
RATE_LIMIT_KEY = f"{PREFIX}:rl:{{group}}"
# Buckets of groups unused this long expire (Elasticsearch removes stale groups after 10 days).
RATE_LIMIT_TTL_S = 10 * 24 * 3600

# --- jobs -----------------------------------------------------------------------------------------
# Sorted set of job ids by creation time.
JOBS_INDEX_KEY = f"{PREFIX}:jobs"
# Hash: job metadata and counters (docs_*, chunks, requests, 429s, retries, ...).
JOB_KEY = f"{PREFIX}:job:{{job_id}}"
# Hash doc_id -> expected chunk count (set by the chunk task before embed tasks are sent).
JOB_EXPECTED_KEY = f"{PREFIX}:job:{{job_id}}:expected"
# Hash "doc_id\\x1fchunk_index" -> chunk result JSON (offsets, text, vector); written idempotently.
JOB_CHUNKS_KEY = f"{PREFIX}:job:{{job_id}}:chunks"
# Hash doc_id -> number of distinct chunk results received.
JOB_RECEIVED_KEY = f"{PREFIX}:job:{{job_id}}:received"
# Hash doc_id -> final state ("done" | "failed"); set once, which makes completion exactly-once.
JOB_STATE_KEY = f"{PREFIX}:job:{{job_id}}:state"
# Stream of finished documents (doc_id, state, reason) read by the sink writer.
JOB_DONE_STREAM = f"{PREFIX}:job:{{job_id}}:done"
# Hash doc_id -> content hash of every document submitted to the job (latest run wins).
JOB_DOCS_KEY = f"{PREFIX}:job:{{job_id}}:docs"
# Set of doc ids submitted in one run of the job (duplicate ids within a run are input errors).
JOB_RUN_IDS_KEY = f"{PREFIX}:job:{{job_id}}:run:{{run}}:ids"
# Hash doc_id -> content hash of documents written by this job (resume and skip-unchanged).
JOB_WRITTEN_KEY = f"{PREFIX}:job:{{job_id}}:written"
# Hash doc_id -> content hash for an endpoint: what the last job wrote (skip-unchanged).
CONTENT_HASHES_KEY = f"{PREFIX}:hashes:{{inference_id}}"
# Job keys live this long after the job's last activity (resume window).
JOB_TTL_S = 7 * 24 * 3600

# --- metrics --------------------------------------------------------------------------------------
# Hash of counters per service and rate-limit group (requests, 429s, retries, failures, wait_ms).
METRICS_KEY = f"{PREFIX}:metrics"


def key(template: str, **parts: str) -> str:
    """Fill a key template: ``key(JOB_KEY, job_id="j1")``."""
    return template.format(**parts)
