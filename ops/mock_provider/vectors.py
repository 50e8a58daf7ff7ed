"""Deterministic vectors: a text always gets the same unit vector, so tests can check pairing."""

from __future__ import annotations

import hashlib
import math
import struct


def vector_for(text: str, dims: int = 384, seed: int = 0) -> list[float]:
    """The mock provider's embedding of ``text``: ``dims`` floats of unit length (to 1e-6).

    Derived from SHAKE-256 of ``seed`` and the text (int16 components, normalised, rounded to 7
    decimals to keep responses small). Equal inputs give equal vectors in every process.

    Args:
        text: the input text.
        dims: the vector length.
        seed: a namespace: different seeds give unrelated vectors.
    """
    digest = hashlib.shake_256(f"{seed}\x00{text}".encode()).digest(2 * dims)
    raw = struct.unpack(f"<{dims}h", digest)
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [round(x / norm, 7) for x in raw]
