"""Every service of the seeds' table (seed 004), in one literal dict keyed by the service name.

This module is longer than most because it is the table: one entry per service, each naming its
task types, its ``service_settings`` and ``task_settings`` keys (required, optional, secret) and its
default ``rate_limit.requests_per_minute`` (seed 000; where seed 000 is silent, reference §e.4). A
reader finds every service with one grep; :func:`get_service` fails loudly on an unknown name.

Fields follow the seeds and reference §g. Embedding-only keys (``similarity``, ``dimensions``,
``max_input_tokens``) are taken by ``text_embedding`` only. ``elasticsearch`` and ``elser`` run
without an HTTP limiter, so they have no ``rate_limit`` key and no default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pipeline.endpoints.fields import Setting, only
from pipeline.errors import UnknownServiceError

TEXT_EMBEDDING = "text_embedding"
SPARSE_EMBEDDING = "sparse_embedding"
RERANK = "rerank"
COMPLETION = "completion"
CHAT_COMPLETION = "chat_completion"
TASK_TYPES = (TEXT_EMBEDDING, SPARSE_EMBEDDING, RERANK, COMPLETION, CHAT_COMPLETION)
# Task types whose endpoints take chunking_settings (reference §a.2); others reject the key.
CHUNKING_TASK_TYPES = frozenset({TEXT_EMBEDDING, SPARSE_EMBEDDING})
SIMILARITIES = ("cosine", "dot_product", "l2_norm")


@dataclass(frozen=True)
class ServiceSpec:
    """One service of the table.

    Attributes:
        task_types: the task types it supports (seed 004).
        service_settings: its ``service_settings`` keys (``rate_limit`` added when ``rpm`` is set).
        task_settings: its ``task_settings`` keys.
        rpm: default requests per minute; ``None``: no HTTP limiter (built-in models).
        rpm_by_task: per-task-type defaults that differ from ``rpm``.
        default_similarity: ``similarity`` filled in for ``text_embedding`` when not given.
    """

    task_types: frozenset[str]
    service_settings: Mapping[str, Setting]
    task_settings: Mapping[str, Setting] = field(default_factory=dict)
    rpm: int | None = None
    rpm_by_task: Mapping[str, int] = field(default_factory=dict)
    default_similarity: str | None = None

    def default_rpm(self, task_type: str) -> int | None:
        """The default requests per minute of ``task_type`` endpoints (``None``: no limiter)."""
        return self.rpm_by_task.get(task_type, self.rpm)

    @property
    def secret_names(self) -> frozenset[str]:
        """The write-only keys of ``service_settings``."""
        return frozenset(k for k, s in self.service_settings.items() if s.secret)


_EMB = only(TEXT_EMBEDDING)
API_KEY = Setting(required=True, secret=True)
# Provider-side embedding properties; Elasticsearch fills dimensions from its validation call.
EMBEDDING_SETTINGS: Mapping[str, Setting] = {
    "similarity": Setting(choices=SIMILARITIES, tasks=_EMB),
    "dimensions": Setting("Integer", positive=True, tasks=_EMB),
    "max_input_tokens": Setting("Integer", positive=True, tasks=_EMB),
}
ADAPTIVE_ALLOCATIONS = Setting(
    "Map",
    fields={
        "enabled": Setting("Boolean"),
        "min_number_of_allocations": Setting("Integer"),
        "max_number_of_allocations": Setting("Integer", positive=True),
    },
)
# The built-in models (elasticsearch, elser): which of these are required depends on each other
# (deployment_id alone suffices; num_allocations or adaptive_allocations), see parse.py.
ML_NODE_SETTINGS: Mapping[str, Setting] = {
    "model_id": Setting(),
    "deployment_id": Setting(),
    "num_allocations": Setting("Integer", positive=True),
    "num_threads": Setting("Integer", positive=True),
    "adaptive_allocations": ADAPTIVE_ALLOCATIONS,
}

SERVICES: Mapping[str, ServiceSpec] = {
    "alibabacloud-ai-search": ServiceSpec(
        task_types=only(COMPLETION, RERANK, SPARSE_EMBEDDING, TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            "service_id": Setting(required=True),
            "host": Setting(required=True),
            "workspace": Setting(required=True),
            "http_schema": Setting(choices=("https", "http")),
            **EMBEDDING_SETTINGS,
        },
        task_settings={
            "input_type": Setting(
                choices=("ingest", "search"), tasks=only(TEXT_EMBEDDING, SPARSE_EMBEDDING)
            ),
            "return_token": Setting("Boolean", tasks=only(SPARSE_EMBEDDING)),
        },
        rpm=1000,
    ),
    "amazonbedrock": ServiceSpec(
        task_types=only(COMPLETION, TEXT_EMBEDDING),
        service_settings={
            "access_key": API_KEY,
            "secret_key": API_KEY,
            "region": Setting(required=True),
            "provider": Setting(
                required=True,
                choices=("amazontitan", "cohere", "ai21labs", "anthropic", "meta", "mistral"),
            ),
            "model": Setting(required=True),
            **EMBEDDING_SETTINGS,
        },
        task_settings={
            "max_new_tokens": Setting("Integer", positive=True, tasks=only(COMPLETION)),
            "temperature": Setting("Double", tasks=only(COMPLETION)),
            "top_p": Setting("Double", tasks=only(COMPLETION)),
            "top_k": Setting("Double", tasks=only(COMPLETION)),
        },
        rpm=240,  # reference §e.4; seed 000 does not list amazonbedrock
    ),
    "anthropic": ServiceSpec(
        task_types=only(COMPLETION),
        service_settings={"api_key": API_KEY, "model_id": Setting(required=True)},
        task_settings={
            "max_tokens": Setting("Integer", required=True, positive=True),
            "temperature": Setting("Double"),
            "top_k": Setting("Integer", positive=True),
            "top_p": Setting("Double"),
        },
        rpm=50,
    ),
    "azureaistudio": ServiceSpec(
        task_types=only(COMPLETION, TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            "target": Setting(required=True),
            "provider": Setting(
                required=True,
                choices=(
                    "openai",
                    "mistral",
                    "meta",
                    "microsoft_phi",
                    "cohere",
                    "snowflake",
                    "databricks",
                ),
            ),
            "endpoint_type": Setting(required=True, choices=("token", "realtime")),
            **EMBEDDING_SETTINGS,
        },
        task_settings={
            "user": Setting(tasks=_EMB),
            "do_sample": Setting("Double", tasks=only(COMPLETION)),
            "max_new_tokens": Setting("Integer", positive=True, tasks=only(COMPLETION)),
            "temperature": Setting("Double", tasks=only(COMPLETION)),
            "top_p": Setting("Double", tasks=only(COMPLETION)),
        },
        rpm=240,
    ),
    "azureopenai": ServiceSpec(
        task_types=only(COMPLETION, TEXT_EMBEDDING),
        service_settings={
            # Exactly one of api_key / entra_id: checked in parse.py.
            "api_key": Setting(secret=True),
            "entra_id": Setting(secret=True),
            "resource_name": Setting(required=True),
            "deployment_id": Setting(required=True),
            "api_version": Setting(required=True),
            **EMBEDDING_SETTINGS,
        },
        task_settings={"user": Setting()},
        rpm=1440,
        rpm_by_task={COMPLETION: 120},  # seed 000 (the reference says 1440 for both)
        default_similarity="dot_product",
    ),
    "cohere": ServiceSpec(
        task_types=only(COMPLETION, RERANK, TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            "model_id": Setting(),
            "embedding_type": Setting(
                choices=("byte", "float", "int8", "bit", "binary"), tasks=_EMB
            ),
            **EMBEDDING_SETTINGS,
        },
        task_settings={
            "input_type": Setting(
                choices=("classification", "clustering", "ingest", "search"), tasks=_EMB
            ),
            "truncate": Setting(choices=("END", "NONE", "START"), tasks=_EMB),
            "return_documents": Setting("Boolean", tasks=only(RERANK)),
            "top_n": Setting("Integer", positive=True, tasks=only(RERANK)),
            "max_chunks_per_doc": Setting("Integer", positive=True, tasks=only(RERANK)),
        },
        rpm=10000,
    ),
    "elasticsearch": ServiceSpec(
        task_types=only(RERANK, SPARSE_EMBEDDING, TEXT_EMBEDDING),
        service_settings=ML_NODE_SETTINGS,
        task_settings={"return_documents": Setting("Boolean", tasks=only(RERANK))},
    ),
    "elser": ServiceSpec(
        task_types=only(SPARSE_EMBEDDING),
        service_settings={k: v for k, v in ML_NODE_SETTINGS.items() if k != "deployment_id"},
    ),
    "googleaistudio": ServiceSpec(
        task_types=only(COMPLETION, TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            "model_id": Setting(required=True),
            **EMBEDDING_SETTINGS,
        },
        rpm=360,
    ),
    "googlevertexai": ServiceSpec(
        task_types=only(RERANK, TEXT_EMBEDDING),
        service_settings={
            "service_account_json": API_KEY,
            "model_id": Setting(required=True),
            "project_id": Setting(required=True),
            "location": Setting(required=True, tasks=_EMB),
            **EMBEDDING_SETTINGS,
        },
        task_settings={
            "auto_truncate": Setting("Boolean", tasks=_EMB),
            "top_n": Setting("Integer", positive=True, tasks=only(RERANK)),
        },
        rpm=30000,
    ),
    "hugging_face": ServiceSpec(
        task_types=only(CHAT_COMPLETION, COMPLETION, TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            "url": Setting(required=True),
            "model_id": Setting(tasks=only(CHAT_COMPLETION, COMPLETION)),
            **EMBEDDING_SETTINGS,
        },
        rpm=3000,
        default_similarity="cosine",
    ),
    "mistral": ServiceSpec(
        task_types=only(TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            "model": Setting(required=True),
            **EMBEDDING_SETTINGS,
        },
        rpm=240,
        default_similarity="dot_product",
    ),
    "openai": ServiceSpec(
        task_types=only(CHAT_COMPLETION, COMPLETION, TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            # Seed 002's legacy task_settings.model is moved here before validation (parse.py).
            "model_id": Setting(required=True),
            "organization_id": Setting(),
            "url": Setting(),
            **EMBEDDING_SETTINGS,
        },
        task_settings={"user": Setting()},
        rpm=3000,
        # Seed 000 gives completion 500; chat_completion is reference §e.4's 500.
        rpm_by_task={COMPLETION: 500, CHAT_COMPLETION: 500},
        default_similarity="dot_product",
    ),
    "voyageai": ServiceSpec(
        task_types=only(TEXT_EMBEDDING, RERANK),
        service_settings={
            "api_key": API_KEY,
            "model_id": Setting(required=True),
            "embedding_type": Setting(choices=("float", "int8", "bit"), tasks=_EMB),
            **EMBEDDING_SETTINGS,
        },
        task_settings={
            "input_type": Setting(choices=("ingest", "search"), tasks=_EMB),
            "truncation": Setting("Boolean"),
            "return_documents": Setting("Boolean", tasks=only(RERANK)),
            "top_k": Setting("Integer", positive=True, tasks=only(RERANK)),
        },
        rpm=2000,
    ),
    "watsonxai": ServiceSpec(
        task_types=only(TEXT_EMBEDDING),
        service_settings={
            "api_key": API_KEY,
            "api_version": Setting(required=True),
            "model_id": Setting(required=True),
            "project_id": Setting(required=True),
            "url": Setting(required=True),
            **EMBEDDING_SETTINGS,
        },
        rpm=120,
        default_similarity="dot_product",
    ),
    "jinaai": ServiceSpec(
        task_types=only(TEXT_EMBEDDING, RERANK),
        service_settings={
            "api_key": API_KEY,
            "model_id": Setting(required=True),
            "embedding_type": Setting(choices=("float", "bit", "binary"), tasks=_EMB),
            **EMBEDDING_SETTINGS,
        },
        task_settings={
            "task": Setting(
                choices=("classification", "clustering", "ingest", "search"), tasks=_EMB
            ),
            "late_chunking": Setting("Boolean", tasks=_EMB),
            "return_documents": Setting("Boolean", tasks=only(RERANK)),
            "top_n": Setting("Integer", positive=True, tasks=only(RERANK)),
        },
        rpm=2000,
    ),
}

# Every write-only key any service knows: redacted wherever a body's leftovers are printed.
ALL_SECRET_NAMES = frozenset().union(*(spec.secret_names for spec in SERVICES.values()))


def get_service(name: str) -> ServiceSpec:
    """The table entry of ``name``.

    Raises:
        UnknownServiceError: no service of that name.
    """
    try:
        return SERVICES[name]
    except KeyError:
        raise UnknownServiceError(name) from None
