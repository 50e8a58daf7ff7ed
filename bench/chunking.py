"""Chunking throughput: inferq's Elasticsearch-exact chunkers against peers and a floor.

Run from the repository root::

    python -m bench.chunking                      # whole corpus (../shared/data/corpus.jsonl)
    python -m bench.chunking --limit 2000         # quick run on the first 2000 documents

Every candidate runs in a fresh child process (same corpus, same order) so that one library's
imports, caches and heap do not colour another's numbers. Per candidate:

* MB/s: UTF-8 bytes of all input texts / wall seconds of one pass over the documents, best
  of ``--repeat`` passes in each of ``--rounds`` rounds. Rounds visit every candidate in turn,
  so a burst of load from other processes on a shared machine hits them alike.
* peak MB (RSS): the child's ``ru_maxrss`` after the runs minus its resident size right before
  them. RSS sees C/C++ allocations (ICU's) that tracemalloc cannot; the corpus is loaded before
  the measurement starts, so it is not counted.
* peak MB (py): ``tracemalloc`` peak of Python allocations during one extra, untimed pass.

inferq's rows use the C chunker (``pipeline/chunking/_icuchunk.c``) unless labelled "Python
path"; the "2 threads" rows split the documents across two threads (the C chunker releases the
GIL) and are not comparable with the single-threaded rows.

Peers are configured as close to "250 words" as they allow (see ``CANDIDATES``); only inferq's
rows (and the plain port) reproduce Elasticsearch's chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

Chunker = Callable[[str], object]
REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "data" / "corpus.jsonl"


def _words(text: str) -> int:
    return len(text.split())


def _inferq(strategy: str, c_path: bool = True) -> Chunker:
    from pipeline.chunking import chunk, native, parse_chunking_settings

    if c_path and not native.AVAILABLE:
        raise SystemExit("pipeline.chunking._icuchunk is not built: run `make install`")
    native.enabled = c_path

    if strategy == "word":
        settings = parse_chunking_settings(
            {"strategy": "word", "max_chunk_size": 250, "overlap": 100}
        )
    else:
        settings = parse_chunking_settings({"strategy": "sentence", "max_chunk_size": 250})
    return lambda text: chunk(text, settings)


def _plain_port(strategy: str) -> Chunker:
    from tests.unit.chunking.reference import ref_sentence_chunks, ref_word_chunks

    if strategy == "word":
        return lambda text: ref_word_chunks(text, 250, 100)
    return lambda text: ref_sentence_chunks(text, 250, True)


def _langchain() -> Chunker:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=250, chunk_overlap=100, length_function=_words
    )
    return splitter.split_text


def _semchunk() -> Chunker:
    import semchunk

    return semchunk.chunkerify(_words, chunk_size=250)  # type: ignore[no-any-return]


def _chonkie_token() -> Chunker:
    from chonkie import TokenChunker

    return TokenChunker(tokenizer="word", chunk_size=250, chunk_overlap=100).chunk


def _chonkie_sentence() -> Chunker:
    from chonkie import SentenceChunker

    return SentenceChunker(tokenizer="word", chunk_size=250, chunk_overlap=0).chunk


def _icu_floor(strategy: str) -> Chunker:
    """ICU's boundaries alone through PyICU's Python iterator, no chunking: the ceiling of
    any chunker that walks ICU from Python (inferq's C chunker walks it from C)."""
    import icu

    root = icu.Locale.getRoot()
    words = icu.BreakIterator.createWordInstance(root)
    sentences = icu.BreakIterator.createSentenceInstance(root)

    def chunk(text: str) -> int:
        words.setText(text)
        n = len(list(words))
        if strategy == "sentence":
            sentences.setText(text)
            n += len(list(sentences))
        return n

    return chunk


def _split_floor() -> Chunker:
    def chunk(text: str) -> list[str]:
        words = text.split()
        return [" ".join(words[i : i + 250]) for i in range(0, max(len(words), 1), 150)]

    return chunk


CANDIDATES: dict[str, tuple[str, Callable[[], Chunker]]] = {
    "inferq-word": ("inferq word 250/100 (ICU, ES-exact)", lambda: _inferq("word")),
    "inferq-sentence": ("inferq sentence 250/1 (ICU, ES-exact)", lambda: _inferq("sentence")),
    "inferq-word-2t": ("inferq word 250/100, **2 threads**", lambda: _inferq("word")),
    "inferq-sentence-2t": ("inferq sentence 250/1, **2 threads**", lambda: _inferq("sentence")),
    "inferq-word-py": (
        "inferq word 250/100, Python path (no C module)",
        lambda: _inferq("word", c_path=False),
    ),
    "inferq-sentence-py": (
        "inferq sentence 250/1, Python path (no C module)",
        lambda: _inferq("sentence", c_path=False),
    ),
    "port-word": ("plain ICU port, word 250/100 (tests)", lambda: _plain_port("word")),
    "port-sentence": ("plain ICU port, sentence 250/1 (tests)", lambda: _plain_port("sentence")),
    "icu-word": (
        "ICU floor via PyICU: word boundaries only (no chunking)",
        lambda: _icu_floor("word"),
    ),
    "icu-sentence": (
        "ICU floor via PyICU: word + sentence boundaries (no chunking)",
        lambda: _icu_floor("sentence"),
    ),
    "langchain": ("langchain RecursiveCharacter 250/100 words", _langchain),
    "semchunk": ("semchunk 250 words", _semchunk),
    "chonkie-token": ("chonkie TokenChunker word 250/100", _chonkie_token),
    "chonkie-sentence": ("chonkie SentenceChunker word 250", _chonkie_sentence),
    "floor": ("floor: str.split() + join, 250/100", _split_floor),
}
# Candidates timed over the documents split across threads (one interleaved slice each);
# every other candidate runs single-threaded, and those are the headline figures.
THREADS = {"inferq-word-2t": 2, "inferq-sentence-2t": 2}
VERSIONS = ["PyICU-wheels", "langchain-text-splitters", "semchunk", "chonkie", "numpy"]


def load(path: Path, limit: int | None) -> list[str]:
    """The ``text`` field of the first ``limit`` JSONL documents of ``path``."""
    texts = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if limit is not None and len(texts) >= limit:
                break
            texts.append(json.loads(line)["text"])
    return texts


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _run_all(chunker: Chunker, texts: list[str]) -> None:
    for text in texts:
        chunker(text)


def measure(name: str, texts: list[str], repeat: int) -> dict[str, float]:
    """Time and memory of one candidate in this process (the child)."""
    chunker = CANDIDATES[name][1]()
    chunker(texts[0])  # warm-up: lazy imports, ICU data
    nbytes = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    rss_before = _rss_mb()
    best = float("inf")
    threads = THREADS.get(name, 1)
    with ThreadPoolExecutor(threads) as pool:
        for _ in range(repeat):
            t0 = time.perf_counter()
            if threads == 1:
                for text in texts:
                    chunker(text)
            else:
                slices = [texts[i::threads] for i in range(threads)]
                for future in [pool.submit(_run_all, chunker, part) for part in slices]:
                    future.result()
            best = min(best, time.perf_counter() - t0)
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    for text in texts:
        chunker(text)
    py_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "mb_s": nbytes / 1e6 / best,
        "seconds": best,
        "rss_mb": max(rss_peak - rss_before, 0.0),
        "py_mb": py_peak,
    }


def main(argv: list[str] | None = None) -> None:
    """Run every candidate in a child process and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="JSONL with 'text'")
    parser.add_argument("--limit", type=int, default=None, help="first N documents only")
    parser.add_argument("--repeat", type=int, default=1, help="timed passes per child")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all candidates")
    parser.add_argument("--only", nargs="*", choices=sorted(CANDIDATES), help="candidates")
    parser.add_argument("--child", choices=sorted(CANDIDATES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    texts = load(args.corpus, args.limit)
    if args.child:
        print(json.dumps(measure(args.child, texts, args.repeat)))
        return
    nbytes = sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)
    print(f"corpus: {args.corpus} ({len(texts)} documents, {nbytes / 1e6:.1f} MB UTF-8)")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    print(", ".join(f"{p} {_version(p)}" for p in VERSIONS))
    names = args.only or list(CANDIDATES)
    results: dict[str, dict[str, float]] = {}
    failures: dict[str, str] = {}
    for _ in range(args.rounds):
        for name in names:
            cmd = [sys.executable, "-m", "bench.chunking", "--corpus", str(args.corpus)]
            cmd += ["--repeat", str(args.repeat), "--child", name]
            if args.limit is not None:
                cmd += ["--limit", str(args.limit)]
            out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
            if out.returncode != 0:
                failures[name] = (out.stderr.strip().splitlines() or ["?"])[-1]
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            best = results.setdefault(name, r)
            if r["seconds"] < best["seconds"]:
                best.update(mb_s=r["mb_s"], seconds=r["seconds"])
            best["rss_mb"] = max(best["rss_mb"], r["rss_mb"])
            best["py_mb"] = max(best["py_mb"], r["py_mb"])
    print("\n| candidate | MB/s | seconds | peak MB (RSS) | peak MB (py) |")
    print("|---|---:|---:|---:|---:|")
    for name in names:
        if name in results:
            r = results[name]
            print(
                f"| {CANDIDATES[name][0]} | {r['mb_s']:.1f} | {r['seconds']:.2f} "
                f"| {r['rss_mb']:.0f} | {r['py_mb']:.0f} |"
            )
        else:
            print(f"| {CANDIDATES[name][0]} | failed: {failures.get(name)} | | | |")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "absent"


if __name__ == "__main__":
    main()
