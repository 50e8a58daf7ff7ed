"""The preconfigured endpoint of the built-in local model, and the ids nobody may create.

Elasticsearch ships preconfigured endpoints (``.multilingual-e5-small-elasticsearch``,
``.elser-2-elasticsearch``) that exist without being created and whose ids are reserved. inferq
ships one for its built-in local model (all-MiniLM-L6-v2, run by the ``elasticsearch`` service's
workers). It is synthesised on read, never stored, so a fresh Redis has it.
"""

from __future__ import annotations

from pipeline.chunking import parse_chunking_settings
from pipeline.endpoints.model import Endpoint
from pipeline.endpoints.services import TEXT_EMBEDDING

LOCAL_ENDPOINT_ID = ".all-minilm-l6-v2-elasticsearch"
LOCAL_MODEL_ID = ".all-minilm-l6-v2"
# Elasticsearch's own preconfigured ids are reserved too (they do not exist here: GET says 404).
RESERVED_IDS = frozenset(
    {LOCAL_ENDPOINT_ID, ".multilingual-e5-small-elasticsearch", ".elser-2-elasticsearch"}
)


def local_endpoint() -> Endpoint:
    """The preconfigured endpoint: ``text_embedding`` with the local model, sentence chunking."""
    return Endpoint(
        inference_id=LOCAL_ENDPOINT_ID,
        task_type=TEXT_EMBEDDING,
        service="elasticsearch",
        service_settings={"model_id": LOCAL_MODEL_ID, "num_allocations": 1, "num_threads": 1},
        task_settings={},
        chunking_settings=parse_chunking_settings(None),
    )
