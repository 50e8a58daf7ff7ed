"""pydantic models of ``service_settings`` and ``task_settings``, built from the service table.

One model per (service, task type, scope), strict (``"250"`` is not an integer, ``250.0`` neither)
and closed (``extra="forbid"``). pydantic's errors are translated into Elasticsearch's texts:
missing keys, wrong types, bounds and enums become the accumulated messages of a
``validation_exception``; unknown keys are collected separately, because Elasticsearch reports them
after the value errors, one map at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    StrictInt,
    StrictStr,
    create_model,
)
from pydantic import ValidationError as PydanticValidationError

from pipeline.endpoints.fields import REDACTED, Setting, java_str
from pipeline.endpoints.services import get_service

_JAVA_INT_MAX = 2**31 - 1
_JAVA_LONG_MAX = 2**63 - 1
_CONFIG = ConfigDict(strict=True, extra="forbid", hide_input_in_errors=True)
# What rate_limit takes, for every service with an HTTP limiter (reference §e.2).
RATE_LIMIT = Setting("Map", fields={"requests_per_minute": Setting("Long", positive=True)})


@dataclass
class CheckedSettings:
    """The outcome of validating one settings map.

    Attributes:
        public: the accepted non-secret values (nested objects as dicts), ``None`` values dropped.
        secrets: the accepted secret values by key.
        errors: Elasticsearch's messages for missing keys, wrong types and bad values.
        unknown: leftover keys by the name of the map holding them (``service_settings``,
            ``rate_limit``, ...), values as given.
    """

    public: dict[str, Any] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unknown: dict[str, dict[str, Any]] = field(default_factory=dict)


def _annotation(setting: Setting, name: str) -> Any:
    if setting.secret:
        return SecretStr
    if setting.choices:
        return Literal[setting.choices]
    if setting.fields is not None:
        return _model(name, setting.fields)
    return {
        "String": StrictStr,
        "Integer": StrictInt,
        "Long": StrictInt,
        "Boolean": StrictBool,
        "Double": float,
        "Map": dict[str, Any],
    }[setting.type]


def _model(name: str, settings: Mapping[str, Setting]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for key, setting in settings.items():
        bounds: dict[str, int] = {}
        if setting.type in ("Integer", "Long"):
            bounds["le"] = _JAVA_INT_MAX if setting.type == "Integer" else _JAVA_LONG_MAX
            if setting.positive:
                bounds["gt"] = 0
        annotation = _annotation(setting, key)
        if setting.required is True:
            fields[key] = (annotation, Field(..., **bounds))  # type: ignore[call-overload]
        else:
            fields[key] = (annotation | None, Field(None, **bounds))  # type: ignore[call-overload]
    return create_model(name, __config__=_CONFIG, **fields)


@functools.cache
def settings_model(service: str, task_type: str, scope: str) -> type[BaseModel]:
    """The pydantic model of ``scope`` (``service_settings``/``task_settings``) for an endpoint."""
    spec = get_service(service)
    table = spec.service_settings if scope == "service_settings" else spec.task_settings
    settings = {
        key: Setting(**{**s.__dict__, "required": s.is_required_for(task_type)})
        for key, s in table.items()
        if s.applies_to(task_type)
    }
    if scope == "service_settings" and spec.default_rpm(task_type) is not None:
        settings["rate_limit"] = RATE_LIMIT
    return _model(f"{service}.{task_type}.{scope}", settings)


def _setting_at(loc: tuple[int | str, ...], table: Mapping[str, Setting]) -> Setting:
    setting = table.get(str(loc[0]), Setting())
    if len(loc) > 1 and setting.fields is not None:
        return setting.fields.get(str(loc[1]), Setting())
    return setting


def check_settings(
    service: str, task_type: str, scope: str, raw: Mapping[str, Any]
) -> CheckedSettings:
    """Validate one settings map against the table.

    Args:
        service: the service name (known).
        task_type: the endpoint's task type (supported by the service).
        scope: ``service_settings`` or ``task_settings``.
        raw: the map as given in the body.

    Returns:
        The accepted values, or the errors in Elasticsearch's words (secret values never shown).
    """
    spec = get_service(service)
    table = dict(spec.service_settings if scope == "service_settings" else spec.task_settings)
    table["rate_limit"] = RATE_LIMIT
    model = settings_model(service, task_type, scope)
    out = CheckedSettings()
    try:
        instance = model.model_validate(dict(raw))
    except PydanticValidationError as exc:
        for error in exc.errors():
            loc = error["loc"]
            setting = _setting_at(loc, table)
            where = scope if len(loc) == 1 else str(loc[0])
            name = str(loc[-1])
            if error["type"] == "extra_forbidden":
                out.unknown.setdefault(where, {})[name] = error["input"]
            else:
                out.errors.append(_message(error["type"], where, name, error["input"], setting))
        return out
    for key, value in instance:
        if isinstance(value, SecretStr):
            out.secrets[key] = value.get_secret_value()
        elif isinstance(value, BaseModel):
            out.public[key] = value.model_dump(exclude_none=True)
        elif value is not None:
            out.public[key] = value
    return out


def _message(kind: str, where: str, name: str, value: Any, setting: Setting) -> str:
    shown = REDACTED if setting.secret else java_str(value)
    if kind == "missing":
        return f"[{where}] does not contain the required setting [{name}]"
    if kind == "greater_than":
        unit = "long" if setting.type == "Long" else "integer"
        return f"[{where}] Invalid value [{shown}]. [{name}] must be a positive {unit}"
    if kind == "literal_error" and isinstance(value, str):
        allowed = ", ".join(setting.choices)
        return f"[{where}] Invalid value [{shown}] received. [{name}] must be one of [{allowed}]"
    java_type = "String" if setting.choices or setting.secret else setting.type
    return (
        f"field [{name}] is not of the expected type. "
        f"The value [{shown}] cannot be converted to a [{java_type}]"
    )
