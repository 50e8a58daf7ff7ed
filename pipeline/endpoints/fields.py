"""Field specifications of the service table, and Elasticsearch's rendering of values in errors.

A :class:`Setting` says what one key of ``service_settings`` or ``task_settings`` accepts: its
Java type (which names it in Elasticsearch's type errors), whether it is required, a secret,
bounded or an enum, and which task types take it. :func:`java_str` renders a value as Java's
``toString`` does, because Elasticsearch's messages print values that way (``{k=v}``, ``[a, b]``,
``250.0``, ``true``); :func:`render_unknown` prints a leftover map with secret-looking values
redacted.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

JavaType = Literal["String", "Integer", "Long", "Boolean", "Double", "Map"]

REDACTED = "<redacted>"

# Names a secret could go by. A leftover key matching this is redacted in error messages even when
# no service knows it as a secret (an api key misplaced under task_settings, a typo like "apikey").
_SECRET_NAME = re.compile(r"key|secret|token|passw|credential|auth|json|entra", re.IGNORECASE)


@dataclass(frozen=True)
class Setting:
    """What one settings key accepts.

    Attributes:
        type: the Java type Elasticsearch converts the value to (names it in type errors).
        required: a missing value is an error (``True``), or only for these task types.
        secret: write-only: stored encrypted, never returned, redacted from messages.
        positive: integers must be > 0 (``must be a positive integer``).
        choices: allowed values of an enum (exact match).
        tasks: task types that take this key; ``None``: all the service supports.
        fields: the keys of a nested object (``type="Map"``: ``rate_limit``,
            ``adaptive_allocations``).
    """

    type: JavaType = "String"
    required: bool | frozenset[str] = False
    secret: bool = False
    positive: bool = False
    choices: tuple[str, ...] = ()
    tasks: frozenset[str] | None = None
    fields: Mapping[str, Setting] | None = None

    def applies_to(self, task_type: str) -> bool:
        """True when ``task_type`` takes this key."""
        return self.tasks is None or task_type in self.tasks

    def is_required_for(self, task_type: str) -> bool:
        """True when the key must be present for ``task_type``."""
        if isinstance(self.required, bool):
            return self.required
        return task_type in self.required


def only(*task_types: str) -> frozenset[str]:
    """A set of task types, for ``Setting.tasks`` and ``Setting.required``."""
    return frozenset(task_types)


def is_secret_name(name: str, secret_names: Collection[str] = ()) -> bool:
    """True when a key's value must never be printed: a known secret or a secret-looking name."""
    return name in secret_names or bool(_SECRET_NAME.search(name))


def java_str(value: Any) -> str:
    """``value`` as Java's ``toString`` prints the parsed JSON (Elasticsearch's error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e7:
            return f"{value:.1f}"
        return repr(value).replace("e+", "E").replace("e-", "E-")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    return str(value)


def redact(value: Any, secret_names: Collection[str], secret_values: Collection[str]) -> Any:
    """A copy of ``value`` with secret-named keys and known secret values replaced."""
    if isinstance(value, str) and value and value in secret_values:
        return REDACTED
    if isinstance(value, Mapping):
        return {
            k: REDACTED
            if is_secret_name(str(k), secret_names)
            else redact(v, secret_names, secret_values)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v, secret_names, secret_values) for v in value]
    return value


def render_unknown(
    leftovers: Mapping[str, Any],
    service: str,
    secret_names: Collection[str],
    secret_values: Collection[str],
) -> str:
    """Elasticsearch's unknown-settings message, with secret values redacted.

    Elasticsearch prints the leftover map with its values. A secret put under the wrong key (or
    under a service that has no such field) would be echoed in clear, so values under secret-looking
    names, and any value equal to a secret given elsewhere in the body, print as ``<redacted>``.
    """
    shown = redact(dict(leftovers), secret_names, secret_values)
    return f"Configuration contains settings [{java_str(shown)}] unknown to the [{service}] service"
