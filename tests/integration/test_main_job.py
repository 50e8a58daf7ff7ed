"""The README's main job: ``inferq ingest`` on the embedded default with the built-in model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.integration.conftest import run_inferq

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample.jsonl"

pytestmark = pytest.mark.integration


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFERQ_")}
    env["INFERQ_DATA_DIR"] = str(data_dir)
    return env


def test_embedded_ingest_embeds_the_sample_with_real_minilm_vectors(tmp_path: Path) -> None:
    """With nothing configured, ingest starts Redis and workers and writes real 384-d vectors."""
    out = tmp_path / "out.jsonl"
    env = _env(tmp_path / "data")
    try:
        done = run_inferq(["ingest", str(SAMPLE), "--out", str(out)], env, timeout_s=240)
        assert done.returncode == 0, done.stderr.decode()
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        sample = {d["id"]: d["text"] for d in map(json.loads, SAMPLE.read_text().splitlines())}
        assert sorted(d["id"] for d in lines) == sorted(sample)
        for doc in lines:
            assert doc["inference_id"] == ".all-minilm-l6-v2-elasticsearch"
            text = sample[doc["id"]]
            for c in doc["chunks"]:
                assert text[c["start_offset"] : c["end_offset"]] == c["text"]
                vector = np.asarray(c["embeddings"])
                assert vector.shape == (384,)
                assert abs(np.linalg.norm(vector) - 1.0) < 1e-3
        long_doc = next(d for d in lines if d["id"] == "long-1")
        assert len(long_doc["chunks"]) > 1
        by_id = {d["id"]: np.asarray(d["chunks"][0]["embeddings"]) for d in lines}
        # Real semantics: the two river texts are closer to each other than to bread.
        assert by_id["river-1"] @ by_id["river-2"] > by_id["river-1"] @ by_id["bread-1"]
        assert "embedded Redis" in done.stderr.decode()
        assert not (tmp_path / "out.failures.jsonl").read_text()
        again = run_inferq(
            ["ingest", str(SAMPLE), "--out", str(tmp_path / "again.jsonl")], env, timeout_s=240
        )
        assert again.returncode == 0, again.stderr.decode()
        assert "18 skipped" in again.stderr.decode()
    finally:
        subprocess.run(
            [
                sys.executable,
                "-c",
                "from pathlib import Path; "
                "from pipeline.embedded import ensure_embedded_redis as e; "
                f"e(Path({str(tmp_path / 'data')!r})).stop()",
            ],
            env=env,
            check=False,
            timeout=30,
        )
