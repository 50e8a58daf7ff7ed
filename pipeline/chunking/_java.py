"""How Elasticsearch (Java) renders JSON values and orders map keys in its error texts.

Elasticsearch's chunking-settings errors print values with Java's ``toString`` (a JSON float
``250.0`` stays ``250.0``, ``1e7`` becomes ``1.0E7``, a string is printed bare) and list unknown
keys in ``java.util.HashMap`` iteration order. Both are reproduced here so our messages match
character for character.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal

JAVA_INT_MIN = -(2**31)
JAVA_INT_MAX = 2**31 - 1


def java_str(value: object) -> str:
    """Render a JSON-decoded value as Java's ``String.valueOf`` would print the parsed object.

    Args:
        value: a value produced by ``json.loads`` (None, bool, int, float, str, list, dict).

    Returns:
        The Java rendering: ``null``, ``true``, ``250``, ``250.0``, ``1.0E7``, ``[a, 1]``,
        ``{k=v}``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        keys = java_hashmap_order([str(k) for k in value])
        by_name = {str(k): v for k, v in value.items()}
        return "{" + ", ".join(f"{k}={java_str(by_name[k])}" for k in keys) + "}"
    if isinstance(value, Iterable):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    return str(value)


def java_double(x: float) -> str:
    """Render a float as Java's ``Double.toString`` (shortest round-trip digits, JDK 19+).

    Args:
        x: the value.

    Returns:
        ``250.0``, ``0.001``, ``1.0E7``, ``1.0E-4``, ``-0.0``, ``NaN``, ``Infinity`` ...
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return f"{sign}0.0"
    # repr holds the shortest digits that round-trip, which is what Java prints.
    exact = Decimal(repr(abs(x)))
    digits = "".join(map(str, exact.as_tuple().digits)).rstrip("0") or "0"
    exponent = exact.adjusted()
    if -3 <= exponent < 7:
        if exponent >= 0:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            return f"{sign}{whole}.{digits[exponent + 1 :] or '0'}"
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _java_string_hash(s: str) -> int:
    """Java's ``String.hashCode`` (UTF-16 units, 32-bit wrap-around), spread as HashMap does."""
    h = 0
    data = s.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] | data[i + 1] << 8)) & 0xFFFFFFFF
    return h ^ (h >> 16)


def _table_size(entries: int, initial: int) -> int:
    """Capacity a HashMap grows to after ``entries`` insertions (load factor 0.75)."""
    capacity = initial
    while entries > capacity * 3 // 4:
        capacity *= 2
    return capacity


def java_hashmap_order(keys: list[str]) -> list[str]:
    """Order ``keys`` as Elasticsearch iterates them: a ``new HashMap<>(parsed)`` copy.

    The parsed request map is a HashMap filled in JSON order; the copy is sized
    ``tableSizeFor(n / 0.75 + 1)``. Iteration visits buckets in index order, and keys sharing a
    bucket in the order they were inserted (the source map's iteration order).

    Args:
        keys: the keys in JSON document order.

    Returns:
        The same keys in Java iteration order.
    """
    source = sorted(keys, key=lambda k: _java_string_hash(k) & (_table_size(len(keys), 16) - 1))
    wanted = int(len(keys) / 0.75 + 1.0)
    capacity = 1
    while capacity < wanted:
        capacity *= 2
    return sorted(source, key=lambda k: _java_string_hash(k) & (capacity - 1))
