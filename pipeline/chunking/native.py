"""The optional C chunker (``_icuchunk.c``): the same chunks, one ICU pass per document in C.

The Python chunkers cross from Python into ICU once per boundary, which costs about as much as
ICU's segmentation itself. The C module runs the same algorithms over ICU's C API, asking ICU
for every boundary and rule status as the per-boundary port in ``tests/unit/chunking`` does,
and releases the GIL while it runs. It uses the very ICU library that ``import icu`` loaded
(found in ``/proc/self/maps``), so both paths share ICU's version, data and dictionaries.

When the module was not built (no compiler at install time) or ICU's library cannot be found,
``segmenter()`` returns None and callers use the Python path; ``AVAILABLE`` says which. Tests
run every chunking test on both paths (``tests/unit/chunking/conftest.py``) by switching
``enabled``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import icu

from pipeline.chunking.offsets import Chunk
from pipeline.chunking.segmentation import WARM_UP

try:
    from pipeline.chunking import _icuchunk
except ImportError:  # built optionally; see setup.py
    _icuchunk = None  # type: ignore[assignment]

INT32_MAX = 2**31 - 1
_local = threading.local()


def _icu_common_library() -> str | None:
    """Path of the libicuuc that PyICU loaded into this process (Linux), or None."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1]
        if os.path.basename(path).startswith("libicuuc"):
            return path
    return None


def _load() -> bool:
    """Point the C module at PyICU's ICU; False when the Python path must run."""
    if _icuchunk is None:
        return False
    path = _icu_common_library()
    if path is None:
        return False
    try:
        _icuchunk.load(path, "_" + icu.ICU_VERSION.split(".")[0])
        _icuchunk.set_chunk_type(Chunk)
    except (OSError, TypeError):
        return False
    return True


AVAILABLE = _load()
enabled = AVAILABLE  # tests switch this off to run the Python path


def segmenter() -> _icuchunk.Segmenter | None:
    """This thread's C segmenter, or None when the Python path must run."""
    if not enabled:
        return None
    seg: _icuchunk.Segmenter | None = getattr(_local, "segmenter", None)
    if seg is None:
        seg = _icuchunk.Segmenter(WARM_UP)
        _local.segmenter = seg
    return seg


def fits_int32(a: int, b: int) -> bool:
    """True when the parameters fit the C path's 32-bit arguments (else use Python's)."""
    return -INT32_MAX <= a <= INT32_MAX and -INT32_MAX <= b <= INT32_MAX
