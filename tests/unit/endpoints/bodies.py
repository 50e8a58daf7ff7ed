"""Minimal valid PUT bodies for every (service, task type) of the table, built from the table."""

from __future__ import annotations

from typing import Any

from pipeline.endpoints import SERVICES
from pipeline.endpoints.fields import Setting

SAMPLE = {"String": "x", "Integer": 1, "Long": 1, "Boolean": True, "Double": 0.5}

# Keys required by the cross-key rules (validation.py), which the table alone does not say.
EXTRA_REQUIRED: dict[str, dict[str, Any]] = {
    "elasticsearch": {"model_id": "m", "num_threads": 1, "num_allocations": 1},
    "elser": {"num_threads": 1, "num_allocations": 1},
    "azureopenai": {"api_key": "k"},
}

SERVICE_TASKS = sorted((s, t) for s, spec in SERVICES.items() for t in spec.task_types)


def sample(setting: Setting) -> Any:
    """A valid value for ``setting``."""
    return setting.choices[0] if setting.choices else SAMPLE[setting.type]


def required(table: dict[str, Setting], task_type: str) -> dict[str, Any]:
    """The required keys of ``table`` for ``task_type``, with valid values."""
    return {
        k: sample(s)
        for k, s in table.items()
        if s.applies_to(task_type) and s.is_required_for(task_type)
    }


def minimal_body(service: str, task_type: str) -> dict[str, Any]:
    """A body with only the required settings of ``service`` for ``task_type``."""
    spec = SERVICES[service]
    body: dict[str, Any] = {
        "service": service,
        "service_settings": {
            **required(dict(spec.service_settings), task_type),
            **EXTRA_REQUIRED.get(service, {}),
        },
    }
    task = required(dict(spec.task_settings), task_type)
    if task:
        body["task_settings"] = task
    return body
