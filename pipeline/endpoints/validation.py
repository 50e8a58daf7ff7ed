"""Rules that tie several ``service_settings`` keys together (the table states single keys).

* ``elasticsearch``: ``deployment_id`` alone names an existing deployment (seed 003's
  ``use_existing_deployment`` example); otherwise ``model_id`` and ``num_threads`` are required, and
  ``num_allocations`` unless ``adaptive_allocations`` is enabled.
* ``elser``: ``num_threads``, and ``num_allocations`` unless ``adaptive_allocations`` is enabled.
* ``adaptive_allocations``: ``min_number_of_allocations`` ≥ 0 and ≤ ``max_number_of_allocations``.
* ``azureopenai``: exactly one of ``api_key`` and ``entra_id``.

Only rules whose inputs have the right types are checked: type errors are reported by the schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _missing(name: str) -> str:
    return f"[service_settings] does not contain the required setting [{name}]"


def _ml_node_errors(raw: Mapping[str, Any], *, allow_deployment_id: bool) -> list[str]:
    errors: list[str] = []
    if allow_deployment_id and raw.get("deployment_id") is not None:
        return errors
    if allow_deployment_id and raw.get("model_id") is None:
        errors.append(_missing("model_id"))
    if raw.get("num_threads") is None:
        errors.append(_missing("num_threads"))
    adaptive = raw.get("adaptive_allocations")
    enabled = isinstance(adaptive, Mapping) and adaptive.get("enabled") is True
    if raw.get("num_allocations") is None and not enabled:
        errors.append(_missing("num_allocations"))
    if isinstance(adaptive, Mapping):
        low, high = (
            adaptive.get("min_number_of_allocations"),
            adaptive.get("max_number_of_allocations"),
        )
        if isinstance(low, int) and not isinstance(low, bool) and low < 0:
            errors.append(
                f"[adaptive_allocations] Invalid value [{low}]. "
                "[min_number_of_allocations] must be greater than or equal to 0"
            )
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) and (
            low > high  # type: ignore[operator]
        ):
            errors.append(
                f"[adaptive_allocations] max_number_of_allocations [{high}] must be greater than "
                f"or equal to min_number_of_allocations [{low}]"
            )
    return errors


def extra_rule_errors(service: str, raw: Mapping[str, Any]) -> list[str]:
    """Elasticsearch-style messages for the cross-key rules of ``service`` (module docstring)."""
    if service == "elasticsearch":
        return _ml_node_errors(raw, allow_deployment_id=True)
    if service == "elser":
        return _ml_node_errors(raw, allow_deployment_id=False)
    if service == "azureopenai":
        given = [k for k in ("api_key", "entra_id") if raw.get(k) is not None]
        if not given:
            return ["[secret_settings] must have either the [api_key] or the [entra_id] key set"]
        if len(given) == 2:
            return [
                "[secret_settings] must have only one of the [api_key] or the [entra_id] key set"
            ]
    return []
