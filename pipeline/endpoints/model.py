"""An inference endpoint as stored and returned: its public configuration, never its secrets."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline.chunking import ChunkingSettings, parse_chunking_settings
from pipeline.endpoints.services import CHUNKING_TASK_TYPES


@dataclass(frozen=True)
class Endpoint:
    """One inference endpoint (reference §h.3).

    Attributes:
        inference_id: the endpoint's id.
        task_type: ``text_embedding``, ``sparse_embedding``, ``rerank``, ``completion``,
            ``chat_completion``.
        service: the service name (a key of ``SERVICES``).
        service_settings: public service settings, ``rate_limit`` filled with the service's
            default where it has one. Never holds a secret.
        task_settings: task settings (``{}`` when none).
        chunking_settings: parsed chunking settings for embedding task types, else ``None``.
    """

    inference_id: str
    task_type: str
    service: str
    service_settings: dict[str, Any]
    task_settings: dict[str, Any] = field(default_factory=dict)
    chunking_settings: ChunkingSettings | None = None

    @property
    def requests_per_minute(self) -> int | None:
        """The endpoint's rate limit; ``None`` for services without an HTTP limiter."""
        rate_limit = self.service_settings.get("rate_limit")
        if isinstance(rate_limit, Mapping):
            value = rate_limit.get("requests_per_minute")
            return int(value) if value is not None else None
        return None

    def to_es(self) -> dict[str, Any]:
        """The endpoint as Elasticsearch's PUT and GET return it (no secrets, ever).

        ``task_settings`` is omitted when empty and ``chunking_settings`` when the task type takes
        none, as in the seeds' response examples.
        """
        out: dict[str, Any] = {
            "inference_id": self.inference_id,
            "task_type": self.task_type,
            "service": self.service,
            "service_settings": copy.deepcopy(self.service_settings),
        }
        if self.task_settings:
            out["task_settings"] = copy.deepcopy(self.task_settings)
        if self.chunking_settings is not None:
            out["chunking_settings"] = self.chunking_settings.to_dict()
        return out

    @classmethod
    def from_es(cls, data: Mapping[str, Any]) -> Endpoint:
        """Rebuild an endpoint from :meth:`to_es` output (as stored in the registry).

        An embedding endpoint stored without ``chunking_settings`` gets Elasticsearch's legacy
        default (word 250/100, reference §a.2); inferq itself always stores them.
        """
        task_type = str(data["task_type"])
        chunking = None
        if task_type in CHUNKING_TASK_TYPES:
            chunking = parse_chunking_settings(data.get("chunking_settings"), stored=True)
        return cls(
            inference_id=str(data["inference_id"]),
            task_type=task_type,
            service=str(data["service"]),
            service_settings=dict(data["service_settings"]),
            task_settings=dict(data.get("task_settings") or {}),
            chunking_settings=chunking,
        )


class Secrets(Mapping[str, str]):
    """An endpoint's write-only values (``api_key``, ...); printing it never shows them."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Secrets({', '.join(f'{k}=<redacted>' for k in self._values)})"

    __str__ = __repr__
