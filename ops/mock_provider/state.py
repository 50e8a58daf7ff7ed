"""The mock provider's runtime state: configuration, the strict pacing limiter, faults, stats.

Pacing is Elasticsearch's own (reference §e.2, bucket size 1): a request is accepted only when at
least ``60/rpm`` seconds passed since the last accepted one, so no window of ``60/rpm`` seconds
ever holds two accepted requests. Everything else gets 429 with ``Retry-After`` (whole seconds,
rounded up) and ``retry-after-ms`` (exact). Faults are drawn from a seeded RNG *after* pacing, so
an injected failure still uses its slot, as a real provider counts failed requests.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

# How many (t, path, status) entries the request log keeps.
LOG_SIZE = 10_000


@dataclass(frozen=True)
class MockConfig:
    """Behaviour of the mock provider; every field can be changed at runtime (``POST /_config``).

    Attributes:
        rpm: accepted requests per minute, paced strictly; 0 disables the limit.
        latency_ms: added to every embedding answer.
        fail_429: share of accepted requests answered 429 (with ``Retry-After: retry_after_s``).
        retry_after_s: the ``Retry-After`` of injected 429s (seconds; 0 omits the header).
        fail_5xx: share answered with ``status_5xx``.
        status_5xx: the status of injected server errors (500 is retried by most services).
        fail_timeout: share that hang for ``hang_s`` and are then dropped without an answer.
        hang_s: how long a "timeout" request hangs.
        fail_413: share answered 413.
        max_input_chars: a text longer than this gets 413 (0: no limit).
        dims: vector length.
        seed: vector namespace and fault RNG seed.
    """

    rpm: float = 0.0
    latency_ms: float = 0.0
    fail_429: float = 0.0
    retry_after_s: float = 1.0
    fail_5xx: float = 0.0
    status_5xx: int = 500
    fail_timeout: float = 0.0
    hang_s: float = 60.0
    fail_413: float = 0.0
    max_input_chars: int = 0
    dims: int = 384
    seed: int = 0

    def updated(self, changes: dict[str, Any]) -> MockConfig:
        """A copy with ``changes`` applied (types coerced).

        Raises:
            ValueError: an unknown field or a bad value.
        """
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(changes) - set(known))
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        coerced: dict[str, Any] = {
            k: (int if known[k] == "int" else float)(v) for k, v in changes.items()
        }
        return replace(self, **coerced)


def max_in_window(times: list[float], window_s: float) -> int:
    """The most entries of sorted ``times`` inside any half-open window ``[t, t + window_s)``."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


class MockState:
    """Limiter, fault RNG and request log of one server (used from its event loop only)."""

    def __init__(self, config: MockConfig, now: float) -> None:
        self.config = config
        self.reset(now)

    def reset(self, now: float) -> None:
        """Forget every request and the limiter's history; reseed the RNG."""
        self.started = now
        self.last_accept: float | None = None
        self.rng = random.Random(self.config.seed)
        self.seen: list[float] = []
        self.accepted: list[float] = []
        self.by_status: Counter[str] = Counter()
        self.by_path: Counter[str] = Counter()
        self.by_outcome: Counter[str] = Counter()
        self.texts = 0
        self.log: deque[tuple[float, str, int]] = deque(maxlen=LOG_SIZE)

    def admit(self, now: float) -> float | None:
        """Pace one embedding request: ``None`` if accepted, else the seconds until it would be."""
        self.seen.append(now - self.started)
        rpm = self.config.rpm
        if rpm > 0 and self.last_accept is not None:
            wait = self.last_accept + 60.0 / rpm - now
            if wait > 0:
                return wait
        self.last_accept = now
        self.accepted.append(now - self.started)
        return None

    def fault(self) -> str | None:
        """The injected fault of an accepted request: ``timeout``, ``429``, ``5xx``, ``413``."""
        c, roll = self.config, self.rng.random()
        for name, share in (
            ("timeout", c.fail_timeout),
            ("429", c.fail_429),
            ("5xx", c.fail_5xx),
            ("413", c.fail_413),
        ):
            if roll < share:
                return name
            roll -= share
        return None

    def record(self, now: float, path: str, status: int, outcome: str) -> None:
        """Count one answered (or dropped: status 0) request."""
        self.by_status[str(status)] += 1
        self.by_path[path] += 1
        self.by_outcome[outcome] += 1
        self.log.append((round(now - self.started, 6), path, status))

    def stats(self, *, limit_rpm: float | None, timestamps: bool, log: int) -> dict[str, Any]:
        """The ``GET /_stats`` document (see the package docstring)."""
        rpm = limit_rpm or self.config.rpm
        window = 60.0 / rpm if rpm else None
        doc: dict[str, Any] = {
            "requests": sum(self.by_status.values()),
            "embedding_requests": len(self.seen),
            "accepted": len(self.accepted),
            "texts_embedded": self.texts,
            "by_status": dict(self.by_status),
            "by_path": dict(self.by_path),
            "by_outcome": dict(self.by_outcome),
            "window_s": window,
            "max_seen_in_window": max_in_window(self.seen, window) if window else None,
            "max_accepted_in_window": max_in_window(self.accepted, window) if window else None,
            "config": asdict(self.config),
            "log": list(self.log)[-log:] if log > 0 else [],
        }
        if timestamps:
            doc["accepted_timestamps"] = [round(t, 6) for t in self.accepted]
        return doc
