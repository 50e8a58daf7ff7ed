"""Every chunking test runs twice: on the C chunker (``_icuchunk``) and on the Python path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipeline.chunking import native


# Module scope, not function scope: hypothesis refuses function-scoped fixtures in @given tests.
@pytest.fixture(autouse=True, scope="module", params=["c", "python"])
def chunker_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Switch ``pipeline.chunking`` to one implementation for the tests of a module."""
    if request.param == "c" and not native.AVAILABLE:
        pytest.skip("pipeline.chunking._icuchunk is not built (no compiler at install time)")
    saved = native.enabled
    native.enabled = request.param == "c"
    yield request.param
    native.enabled = saved
