"""How one chunk result is stored in Redis between the embed worker and the sink.

``<json header>\\x00<float32 little-endian vector>``: compact (a 384-dim vector is 1.5 KB
rather than ~7 KB of JSON) and exact. JSON escapes U+0000, so the first NUL byte always ends
the header.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import orjson

_SEP = b"\x00"


@dataclass(frozen=True)
class ChunkResult:
    """One embedded chunk.

    Attributes:
        start: code-point offset of the chunk in its document.
        end: code-point end offset (exclusive).
        text: the chunk text.
        vector: the embedding as float32.
        truncated: the provider only saw a truncated prefix of the text (413 handling).
    """

    start: int
    end: int
    text: str
    vector: npt.NDArray[np.float32]
    truncated: bool = False


def encode(result: ChunkResult) -> bytes:
    """Serialize a chunk result for Redis."""
    header = {"s": result.start, "e": result.end, "t": result.text}
    if result.truncated:
        header["x"] = 1
    return orjson.dumps(header) + _SEP + result.vector.astype("<f4").tobytes()


def decode(value: bytes) -> ChunkResult:
    """Inverse of :func:`encode`."""
    header_bytes, _, vector_bytes = value.partition(_SEP)
    header = orjson.loads(header_bytes)
    vector = np.frombuffer(vector_bytes, dtype="<f4").astype(np.float32)
    return ChunkResult(
        start=header["s"],
        end=header["e"],
        text=header["t"],
        vector=vector,
        truncated=bool(header.get("x", 0)),
    )
