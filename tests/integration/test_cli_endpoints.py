"""``inferq endpoints put|get|delete`` as a subprocess against the suite's Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from pipeline.endpoints import LOCAL_ENDPOINT_ID
from tests.integration.test_registry import CANARY, HF, dump_redis

pytestmark = pytest.mark.integration


class Cli:
    """Runs ``python -m pipeline.cli`` with the suite's Redis and a private data directory."""

    def __init__(self, redis_url: str, data_dir: Path) -> None:
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("INFERQ_") or k.startswith("INFERQ_TEST_")
            },
            "INFERQ_REDIS_URL": redis_url,
            "INFERQ_DATA_DIR": str(data_dir),
        }
        self.outputs: list[str] = []

    def __call__(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``inferq endpoints ARGS``; the outputs are kept for the canary check."""
        proc = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "endpoints", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )
        self.outputs += [proc.stdout, proc.stderr]
        return proc


@pytest.fixture
def cli(redis_url: str, tmp_path: Path) -> Cli:
    """The CLI on the flushed suite Redis."""
    return Cli(redis_url, tmp_path / "data")


def write(tmp_path: Path, body: Any) -> str:
    """``body`` as a JSON file; returns its path."""
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    return str(path)


def test_put_prints_stored_endpoint(cli: Cli, tmp_path: Path) -> None:
    """put prints ES's PUT response (no api_key) and exits 0."""
    proc = cli("put", "text_embedding", "hf", "--body", write(tmp_path, HF))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["inference_id"] == "hf"
    assert out["service_settings"]["rate_limit"] == {"requests_per_minute": 3000}
    assert "api_key" not in out["service_settings"]


def test_put_from_stdin(cli: Cli) -> None:
    """--body - reads the body from stdin."""
    proc = cli("put", "text_embedding", "hf", "--body", "-", stdin=json.dumps(HF))
    assert proc.returncode == 0, proc.stderr


def test_bad_body_prints_es_error_and_exits_1(cli: Cli, tmp_path: Path) -> None:
    """A refused body prints ES's error JSON on stderr, nothing on stdout, and exits 1."""
    body = {"service": "hugging_face", "service_settings": {"api_key": CANARY}}
    proc = cli("put", "text_embedding", "hf", "--body", write(tmp_path, body))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert json.loads(proc.stderr) == {
        "error": {
            "type": "validation_exception",
            "reason": "Validation Failed: 1: [service_settings] does not contain the required "
            "setting [url];",
        },
        "status": 400,
    }


def test_invalid_json_exits_1(cli: Cli) -> None:
    """A body that is not JSON is a parse_exception, exit 1."""
    proc = cli("put", "text_embedding", "hf", "--body", "-", stdin='{"api_key": "' + CANARY)
    assert proc.returncode == 1
    assert json.loads(proc.stderr)["error"]["type"] == "parse_exception"


def test_existing_id_exits_1(cli: Cli, tmp_path: Path) -> None:
    """A second put of one id prints resource_already_exists_exception and exits 1."""
    path = write(tmp_path, HF)
    assert cli("put", "text_embedding", "hf", "--body", path).returncode == 0
    proc = cli("put", "text_embedding", "hf", "--body", path)
    assert proc.returncode == 1
    assert json.loads(proc.stderr)["error"] == {
        "type": "resource_already_exists_exception",
        "reason": "Inference endpoint [hf] already exists",
    }


def test_get_lists_endpoints(cli: Cli, tmp_path: Path) -> None:
    """get prints {"endpoints": [...]} with the local endpoint; get ID prints that one."""
    cli("put", "text_embedding", "hf", "--body", write(tmp_path, HF))
    listed = json.loads(cli("get").stdout)["endpoints"]
    assert [e["inference_id"] for e in listed] == [LOCAL_ENDPOINT_ID, "hf"]
    one = json.loads(cli("get", "hf", "--task-type", "text_embedding").stdout)
    assert [e["inference_id"] for e in one["endpoints"]] == ["hf"]
    assert json.loads(cli("get", "--task-type", "rerank").stdout) == {"endpoints": []}


def test_get_unknown_id_exits_1(cli: Cli) -> None:
    """get of an unknown id prints ES's 404 error and exits 1."""
    proc = cli("get", "nope")
    assert proc.returncode == 1
    assert json.loads(proc.stderr) == {
        "error": {
            "type": "resource_not_found_exception",
            "reason": "Inference endpoint not found [nope]",
        },
        "status": 404,
    }


def test_delete(cli: Cli, tmp_path: Path) -> None:
    """delete prints ES's acknowledgement; deleting again or the local endpoint exits 1."""
    cli("put", "text_embedding", "hf", "--body", write(tmp_path, HF))
    proc = cli("delete", "hf")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"acknowledged": True, "pipelines": [], "indexes": []}
    assert cli("delete", "hf").returncode == 1
    local = cli("delete", LOCAL_ENDPOINT_ID)
    assert local.returncode == 1
    assert "reserved inference endpoint" in json.loads(local.stderr)["error"]["reason"]


def test_usage_errors_exit_2(cli: Cli, tmp_path: Path) -> None:
    """A missing --body or an unreadable body file is a usage error (exit 2)."""
    assert cli("put", "text_embedding", "hf").returncode == 2
    assert (
        cli("put", "text_embedding", "hf", "--body", str(tmp_path / "missing.json")).returncode == 2
    )


def test_canary_never_in_cli_output_or_redis(
    cli: Cli, tmp_path: Path, redis_client: redis.Redis[bytes]
) -> None:
    """Across put/get/delete runs, good and bad, the canary api key is never printed or stored."""
    cli("put", "text_embedding", "hf", "--body", write(tmp_path, HF))
    cli("put", "text_embedding", "hf", "--body", write(tmp_path, HF))
    cli(
        "put",
        "text_embedding",
        "bad",
        "--body",
        write(tmp_path, {**HF, "task_settings": {"api_key": CANARY}}),
    )
    cli(
        "put",
        "text_embedding",
        "bad",
        "--body",
        write(tmp_path, {**HF, "service_settings": CANARY}),
    )
    cli("get")
    cli("get", "hf")
    assert CANARY.encode() not in dump_redis(redis_client)
    cli("delete", "hf")
    assert len(cli.outputs) == 14  # stdout and stderr of 7 runs
    for text in cli.outputs:
        assert CANARY not in text
