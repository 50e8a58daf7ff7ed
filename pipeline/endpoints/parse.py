"""``PUT _inference/{task_type}/{inference_id}``: validate a body the way Elasticsearch does.

Order (reference §h.2, then the order of a service's ``parseRequestConfig``): reserved id; id
syntax; task type; ``service``; ``service_settings`` present; task type supported by the service;
``chunking_settings`` (:func:`pipeline.chunking.parse_chunking_settings`, the one parser); value
errors of ``service_settings`` and ``task_settings`` (accumulated into one
``validation_exception``); then unknown keys, one map at a time (top level, ``service_settings``
and its nested objects, ``task_settings``).

Reserved ids are checked before the id syntax: all of them start with a dot, so the syntax check
would otherwise make the reserved-id message unreachable.

Elasticsearch then makes a validation call to the provider (reference §g) to learn ``dimensions``;
inferq does not: PUT needs no network (the embedding workers learn the vector size on first use).
Empty strings are accepted, since the seeds' own examples carry them (``"api_key": ""``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from pipeline.chunking import parse_chunking_settings
from pipeline.endpoints.fields import REDACTED, is_secret_name, java_str, redact, render_unknown
from pipeline.endpoints.model import Endpoint, Secrets
from pipeline.endpoints.preconfigured import RESERVED_IDS
from pipeline.endpoints.schema import CheckedSettings, check_settings
from pipeline.endpoints.services import (
    ALL_SECRET_NAMES,
    CHUNKING_TASK_TYPES,
    TASK_TYPES,
    TEXT_EMBEDDING,
    get_service,
)
from pipeline.endpoints.validation import extra_rule_errors
from pipeline.errors import UnknownServiceError, ValidationError

_ID = re.compile(r"[a-z0-9](?:[a-z0-9_\-.]*[a-z0-9])?")


class ParsedEndpoint(NamedTuple):
    """A validated PUT body: the public endpoint and its write-only secrets."""

    endpoint: Endpoint
    secrets: Secrets


def _status(message: str) -> ValidationError:
    return ValidationError(message, es_type="status_exception")


def check_inference_id(inference_id: str) -> None:
    """Refuse reserved ids and ids Elasticsearch would not accept (reference §h.2, 1-2)."""
    if inference_id in RESERVED_IDS:
        raise _status(
            f"[{inference_id}] is a reserved inference ID. "
            "Cannot create a new inference endpoint with a reserved ID."
        )
    if inference_id == "_all" or not _ID.fullmatch(inference_id):
        raise ValidationError(
            f"Invalid inference_id; '{inference_id}' can contain lowercase alphanumeric (a-z and "
            "0-9), hyphens or underscores; must start and end with alphanumeric",
            es_type="action_request_validation_exception",
        )


def check_task_type(task_type: str) -> None:
    """Refuse a task type Elasticsearch does not know (``Unknown task_type [x]``)."""
    if task_type not in TASK_TYPES:
        raise _status(f"Unknown task_type [{task_type}]")


def _secret_values(value: Any) -> set[str]:
    """Every string under a secret-looking key anywhere in the body (for redaction)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(v, str) and v and is_secret_name(str(k), ALL_SECRET_NAMES):
                found.add(v)
            else:
                found |= _secret_values(v)
    elif isinstance(value, list):
        for v in value:
            found |= _secret_values(v)
    return found


def _as_map(config: dict[str, Any], key: str, secrets: set[str]) -> dict[str, Any]:
    value = config.pop(key, None)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        # A string where the settings object belongs may well be a bare api key: never echo it.
        shown = (
            REDACTED
            if isinstance(value, str)
            else java_str(redact(value, ALL_SECRET_NAMES, secrets))
        )
        raise ValidationError(
            f"field [{key}] is not of the expected type. "
            f"The value [{shown}] cannot be converted to a [Map]"
        )
    return dict(value)


def parse_endpoint(task_type: str, inference_id: str, body: Mapping[str, Any]) -> ParsedEndpoint:
    """Validate a PUT body and build the endpoint, with Elasticsearch's defaults and errors.

    Args:
        task_type: the task type of the URL.
        inference_id: the id of the URL.
        body: the parsed JSON body.

    Returns:
        The endpoint (public) and its secrets.

    Raises:
        ValidationError: the first failing rule's message(s), in Elasticsearch's words; secret
            values are never part of a message.
    """
    check_inference_id(inference_id)
    check_task_type(task_type)
    if not isinstance(body, Mapping):
        raise ValidationError("request body must be a JSON object", es_type="parse_exception")
    config = dict(body)
    secret_values = _secret_values(config)
    body_task = config.pop("task_type", None)
    if body_task is not None and body_task != task_type:
        raise _status(
            "Cannot resolve conflicting task_type parameter in the request URL "
            f"[{task_type}] and the request body [{java_str(body_task)}]"
        )
    service = config.pop("service", None)
    if service is None:
        raise _status("Inference endpoint configuration is missing the [service] setting")
    try:
        spec = get_service(str(service))
    except UnknownServiceError as exc:
        raise _status(str(exc)) from None
    if config.get("service_settings") is None:
        raise _status("Missing required field [service_settings]")
    raw_service = _as_map(config, "service_settings", secret_values)
    raw_task = _as_map(config, "task_settings", secret_values)
    if task_type not in spec.task_types:
        raise _status(f"The [{service}] service does not support task type [{task_type}]")
    chunking = None
    if task_type in CHUNKING_TASK_TYPES:
        chunking = parse_chunking_settings(config.pop("chunking_settings", None))
    if service == "openai" and "model_id" not in raw_service and "model" in raw_task:
        # Seed 002's (8.12) body names the model in task_settings; Elasticsearch moves it.
        raw_service["model_id"] = raw_task.pop("model")
    checked = check_settings(service, task_type, "service_settings", raw_service)
    task = check_settings(service, task_type, "task_settings", raw_task)
    errors = checked.errors + extra_rule_errors(service, raw_service) + task.errors
    if errors:
        raise ValidationError(errors)
    _raise_unknown(service, config, checked, task, secret_values)
    public = checked.public
    default_rpm = spec.default_rpm(task_type)
    if default_rpm is not None:
        public["rate_limit"] = {"requests_per_minute": default_rpm, **public.get("rate_limit", {})}
    if task_type == TEXT_EMBEDDING and spec.default_similarity and "similarity" not in public:
        public["similarity"] = spec.default_similarity
    endpoint = Endpoint(inference_id, task_type, service, public, task.public, chunking)
    return ParsedEndpoint(endpoint, Secrets(checked.secrets))


def _raise_unknown(
    service: str,
    config: Mapping[str, Any],
    checked: CheckedSettings,
    task: CheckedSettings,
    secret_values: set[str],
) -> None:
    """Raise Elasticsearch's unknown-settings error for the first map with leftover keys."""
    # Known top-level keys were popped; what is left (chunking_settings on a task type that takes
    # none included) is unknown.
    # A map's own keys before those of the objects nested in it (rate_limit, ...).
    nested = [v for k, v in checked.unknown.items() if k != "service_settings"]
    maps = [dict(config), checked.unknown.get("service_settings", {}), *nested]
    maps += task.unknown.values()
    for leftovers in maps:
        if leftovers:
            raise _status(render_unknown(leftovers, service, ALL_SECRET_NAMES, secret_values))
