"""End-to-end pipeline throughput: what inferq itself costs, against a provider that costs nothing.

``python -m bench.pipeline [--corpus ../shared/data/corpus.jsonl --limit N --services
hugging_face,openai --local-docs 300 --profile DIR]``

One throwaway embedded Redis; the mock provider in its own process with no rate limit and no
latency; one chunk worker (solo pool) and ``--embed-workers`` embed workers (threads pool, 32),
as ``inferq ingest``'s embedded mode plans them. For each service, ``inferq ingest`` of the first
``--limit`` documents of the corpus (read in place, fed on stdin) with the default chunking
(sentence 250/1) and the service's batch size (hugging_face 20, openai 2048); the endpoint's
``rate_limit`` is set to 10^9 requests/minute, so the token bucket still costs its Redis round
trip but never waits. Reported per run: documents/s and chunks/s over the job's lifetime (job
created → ``ingest`` exits), wall time including the CLI's start-up, the producer's peak RSS
(``ru_maxrss`` of the ``ingest`` process from ``wait4``), tasks/s (chunk + embed tasks), and
the CPU seconds each process spent (``/proc/<pid>/stat``), which says where the time goes on a
2-core machine. In the same run: a bare Celery no-op loop (:mod:`bench.celery_noop`) for the
per-task floor, and the built-in local model (all-MiniLM-L6-v2 on CPU, ``--local-docs``
documents through the preconfigured ``.all-minilm-l6-v2-elasticsearch`` endpoint).

``--profile DIR`` runs ``ingest`` and every worker under :class:`bench._harness.CpuSampler` (a
sampling profiler weighted by each thread's on-CPU time; py-spy is not installed and cProfile sees
one thread) and prints where each process spent its CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis

from bench import _harness as h
from bench import celery_noop

DEFAULT_CORPUS = h.REPO.parent / "shared" / "data" / "corpus.jsonl"
NO_LIMIT_RPM = 1_000_000_000
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def redis_pid(stack: h.Stack) -> int:
    """The embedded server's pid."""
    return int((stack.directory / "redis" / "redis.pid").read_text())


def _endpoint_body(service: str, url: str) -> dict[str, Any]:
    limit = {"requests_per_minute": NO_LIMIT_RPM}
    if service == "hugging_face":
        settings = {"api_key": "bench-key", "url": f"{url}/hf/embed", "rate_limit": limit}
    elif service == "openai":
        settings = {
            "api_key": "bench-key",
            "model_id": "text-embedding-3-small",
            "rate_limit": limit,
        }
    else:
        raise SystemExit(f"--services: no mock set-up for {service!r} (hugging_face, openai)")
    return {"service": service, "service_settings": settings}


def _feed(proc: subprocess.Popen[bytes], corpus: Path, limit: int | None) -> threading.Thread:
    """Write the first ``limit`` lines of the corpus to the process's stdin, in a thread."""

    def write() -> None:
        assert proc.stdin is not None
        with corpus.open("rb") as f, contextlib.suppress(BrokenPipeError):
            for line in itertools.islice(f, limit):
                proc.stdin.write(line)
            proc.stdin.close()

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def ingest(
    stack: h.Stack,
    inference_id: str,
    corpus: Path,
    limit: int | None,
    *,
    pids: dict[str, int],
    profile: Path | None = None,
    timeout_s: float = 1800,
) -> dict[str, Any]:
    """Run ``inferq ingest`` on stdin; measure it and the other processes' CPU."""
    out = stack.directory / f"out-{inference_id}.jsonl"
    cmd = [sys.executable]
    if profile is not None:
        cmd += ["-m", "bench._harness", str(profile / f"ingest-{inference_id}.txt")]
    cmd += ["-m", "pipeline.cli", "ingest", "-", "--endpoint", inference_id, "--out", str(out)]
    cmd += ["--quiet", "--no-skip-unchanged"]
    cpu_before = {name: cpu_s(pid) for name, pid in pids.items()}
    client = redis.Redis.from_url(stack.redis_url)
    client.config_resetstat()
    load = h.load_average()
    t0 = time.time()
    proc = subprocess.Popen(
        cmd,
        env=stack.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=h.REPO,
        start_new_session=True,
    )
    feeder = _feed(proc, corpus, limit)
    stderr = io.BytesIO()
    drain = threading.Thread(target=lambda: stderr.write(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"ingest of {inference_id} did not finish in {timeout_s} s")
            time.sleep(0.02)
    finally:
        if proc.returncode is None:
            h._stop([proc])
    t1 = time.time()
    feeder.join(5)
    drain.join(5)
    if proc.returncode != 0:
        raise RuntimeError(
            f"ingest failed ({proc.returncode}): {stderr.getvalue().decode()[-3000:]}"
        )
    cpu = {name: cpu_s(pid) - cpu_before[name] for name, pid in pids.items()}
    commands = {
        k.removeprefix("cmdstat_"): int(v["calls"])
        for k, v in client.info("commandstats").items()
        if k not in ("cmdstat_info", "cmdstat_config")
    }
    client.close()
    cpu["ingest (producer + sink)"] = usage.ru_utime + usage.ru_stime
    meta = _job_meta(stack, inference_id)
    job_s = t1 - float(meta["created_at"])
    docs = int(meta["docs_embedded"])
    chunks = int(meta["chunks"])
    tasks = int(meta["slices"]) + int(meta["batches"])
    return {
        "docs": docs,
        "docs_failed": int(meta.get("docs_failed", 0)),
        "chunks": chunks,
        "batches": int(meta["batches"]),
        "requests": int(meta.get("requests", 0)),
        "tasks": tasks,
        "wall_s": t1 - t0,
        "job_s": job_s,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "cpu": cpu,
        "load": load,
        "out_lines": sum(1 for _ in out.open("rb")),
        "redis_commands": commands,
    }


def _job_meta(stack: h.Stack, inference_id: str) -> dict[str, str]:
    from pipeline import constants as c
    from pipeline.jobs.store import JobStore

    client = redis.Redis.from_url(stack.redis_url)
    for job_id in reversed(client.zrange(c.JOBS_INDEX_KEY, 0, -1)):
        meta = JobStore(client, job_id.decode()).meta()
        if meta.get("inference_id") == inference_id:
            client.close()
            return meta
    raise RuntimeError(f"no job for {inference_id}")


def _row(label: str, r: dict[str, Any]) -> dict[str, Any]:
    total_cpu = sum(r["cpu"].values())
    return {
        "run": label,
        "docs": r["docs"],
        "chunks": r["chunks"],
        "requests": r["requests"],
        "job s": f"{r['job_s']:.1f}",
        "docs/s": f"{r['docs'] / r['job_s']:.1f}",
        "chunks/s": f"{r['chunks'] / r['job_s']:.1f}",
        "tasks/s (chunk+embed)": f"{r['tasks'] / r['job_s']:.0f}",
        "wall s (incl. CLI start)": f"{r['wall_s']:.1f}",
        "producer peak RSS MB": f"{r['peak_rss_mb']:.0f}",
        "CPU s by process": ", ".join(f"{k} {v:.1f}" for k, v in r["cpu"].items()),
        "CPU s total / job s": f"{total_cpu / r['job_s']:.2f}",
        "Redis cmds/doc (top 5)": _commands(r["redis_commands"], r["docs"]),
        "load avg at start": r["load"],
    }


def _commands(calls: dict[str, int], docs: int) -> str:
    """Redis commands per document, in total and for the five most frequent."""
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:5]
    per_doc = ", ".join(f"{name} {n / docs:.2f}" for name, n in top)
    return f"{sum(calls.values()) / docs:.1f} ({per_doc})"


@contextlib.contextmanager
def _workers(
    stack: h.Stack, url: str, queues: str, embed_workers: int, profile: Path | None
) -> Iterator[h.Workers]:
    chunk = ["--queues", "chunk", "--pool", "solo", "--concurrency", "1"]
    embed = ["--queues", queues, "--pool", "threads", "--concurrency", "32"]
    env = stack.env(INFERQ_PROVIDER_BASE_URL=url)
    logs = stack.directory / "logs"
    # Worker 0 chunks, the others embed; under --profile each writes worker-<i>.txt at exit.
    prefix = f"{sys.executable} -m bench._harness {profile}/worker-{{i}}.txt" if profile else ""
    with h.workers([chunk] + [embed] * embed_workers, env, logs, prefix=prefix) as group:
        yield group


def _print_profile(path: Path) -> None:
    print(f"### {path.name}\n\n```\n{path.read_text().strip()}\n```\n")


def _local_model(stack: h.Stack, corpus: Path, docs: int) -> dict[str, Any]:
    from pipeline.endpoints import LOCAL_ENDPOINT_ID

    argv = ["--queues", "embed.elasticsearch", "--pool", "threads", "--concurrency", "1"]
    chunk = ["--queues", "chunk", "--pool", "solo", "--concurrency", "1"]
    with h.workers([chunk, argv], stack.env(), stack.directory / "logs" / "local") as group:
        pids = {"chunk worker": group.procs[0].pid, "model worker": group.procs[1].pid}
        pids["redis"] = redis_pid(stack)
        # The first batch loads the model (seconds): a warm-up job keeps that out of the numbers.
        ingest(stack, LOCAL_ENDPOINT_ID, corpus, 2, pids=pids)
        return ingest(stack, LOCAL_ENDPOINT_ID, corpus, docs, pids=pids)


def _model_direct(corpus: Path, docs: int) -> dict[str, Any]:
    """The same chunks straight through ``SentenceTransformer.encode`` (batch 10): model alone."""
    import json

    from pipeline.chunking import chunk, parse_chunking_settings
    from workers.services.elasticsearch import ElasticsearchAdapter, load_model
    from workers.services.options import AdapterOptions

    settings = parse_chunking_settings(None)
    texts: list[str] = []
    with corpus.open("rb") as f:
        for line in itertools.islice(f, docs):
            text = json.loads(line)["text"]
            texts += [text[c.start : c.end] for c in chunk(text, settings)]
    model = load_model(ElasticsearchAdapter(AdapterOptions()).model_path(".all-minilm-l6-v2"))
    model.encode(texts[:10], batch_size=10)  # warm-up
    load = h.load_average()
    started = time.perf_counter()
    model.encode(texts, batch_size=10)
    took = time.perf_counter() - started
    return {
        "run": "all-MiniLM-L6-v2 encode() alone, same chunks (batch 10)",
        "docs": docs,
        "chunks": len(texts),
        "job s": f"{took:.1f}",
        "chunks/s": f"{len(texts) / took:.1f}",
        "load avg at start": load,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every part; print the environment, the command and the tables."""
    p = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL corpus (read only)")
    p.add_argument("--limit", type=int, default=None, help="first N documents (default: all)")
    p.add_argument("--services", default="hugging_face,openai", help="services to run")
    p.add_argument("--embed-workers", type=int, default=1, help="embed worker processes (1)")
    p.add_argument("--noop-tasks", type=int, default=20_000, help="no-op loop size (0: skip)")
    p.add_argument("--local-docs", type=int, default=300, help="local model docs (0: skip)")
    p.add_argument("--profile", type=Path, help="on-CPU sampling of each process, into DIR")
    args = p.parse_args(argv)
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    env = h.environment()
    rows: list[dict[str, Any]] = []
    noop_rows: list[dict[str, Any]] = []
    results: dict[str, dict[str, Any]] = {}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    with h.redis_stack("bench-pipeline-") as stack:
        logs = stack.directory / "logs"
        with h.mock_provider(logs, rpm=0, latency_ms=0) as mock:
            url = mock.url
            for service in services:
                h.put_endpoint(stack, f"bench-{service}", _endpoint_body(service, url))
            queues = ",".join(f"embed.{s}" for s in services)
            with _workers(stack, url, queues, args.embed_workers, args.profile) as group:
                pids = {"chunk worker": group.procs[0].pid}
                for i, proc in enumerate(group.procs[1:]):
                    pids[f"embed worker {i}"] = proc.pid
                pids["mock"] = mock.pid
                pids["redis"] = redis_pid(stack)
                for service in services:
                    r = ingest(stack, f"bench-{service}", args.corpus, args.limit, pids=pids,
                               profile=args.profile)  # fmt: skip
                    results[service] = r
                    rows.append(_row(f"{service} (batch {_batch(service)}) via mock", r))
        for profile in ("defaults", "inferq"):
            if args.noop_tasks:
                row = celery_noop.measure(
                    stack.redis_url, stack.broker_url, args.noop_tasks, profile
                )
                noop_rows.append({**row, "load avg at end": h.load_average()})
        if args.local_docs:
            r = _local_model(stack, args.corpus, args.local_docs)
            rows.append(_row("elasticsearch: all-MiniLM-L6-v2 on CPU (batch 10)", r))
            rows.append(_model_direct(args.corpus, args.local_docs))
    cmd = ["python", "-m", "bench.pipeline", *(argv if argv is not None else sys.argv[1:])]
    print(f"`{shlex.join(cmd)}`\n")
    print(h.kv_table(env))
    print()
    print(h.table(rows))
    print()
    if noop_rows:
        print(h.table(noop_rows))
        print()
    if args.profile:
        for path in sorted(args.profile.glob("*.txt")):
            _print_profile(path)
    return 0


def _batch(service: str) -> int:
    return {"hugging_face": 20, "openai": 2048}.get(service, 0)


if __name__ == "__main__":
    sys.exit(main())
