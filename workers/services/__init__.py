"""One adapter per embedding service, all listed in :data:`ADAPTERS`.

Build adapters with :func:`get_adapter`; :class:`~workers.services.options.AdapterOptions`
``base_url`` points every URL an adapter calls at another origin (the mock provider in tests, the
load test and the compose profile).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.errors import UnknownServiceError
from workers.services.alibabacloud import AlibabaCloudAdapter
from workers.services.amazonbedrock import AmazonBedrockAdapter
from workers.services.azureaistudio import AzureAiStudioAdapter
from workers.services.azureopenai import AzureOpenAiAdapter
from workers.services.base import EmbeddingCall, ServiceAdapter
from workers.services.cohere import CohereAdapter
from workers.services.elasticsearch import ElasticsearchAdapter
from workers.services.googleaistudio import GoogleAiStudioAdapter
from workers.services.googlevertexai import GoogleVertexAiAdapter
from workers.services.hugging_face import HuggingFaceAdapter
from workers.services.jinaai import JinaAiAdapter
from workers.services.mistral import MistralAdapter
from workers.services.openai import OpenAiAdapter
from workers.services.options import AdapterOptions
from workers.services.voyageai import VoyageAiAdapter
from workers.services.watsonxai import WatsonxAiAdapter

__all__ = ["ADAPTERS", "AdapterOptions", "EmbeddingCall", "ServiceAdapter", "get_adapter"]

# Service name (as in the PUT body) -> adapter class. Adding a service = one module + one line here
# (+ one entry in tests/unit/services/test_contract.py).
ADAPTERS: dict[str, Callable[[AdapterOptions], ServiceAdapter]] = {
    "alibabacloud-ai-search": AlibabaCloudAdapter,
    "amazonbedrock": AmazonBedrockAdapter,
    "azureaistudio": AzureAiStudioAdapter,
    "azureopenai": AzureOpenAiAdapter,
    "cohere": CohereAdapter,
    "elasticsearch": ElasticsearchAdapter,
    "googleaistudio": GoogleAiStudioAdapter,
    "googlevertexai": GoogleVertexAiAdapter,
    "hugging_face": HuggingFaceAdapter,
    "jinaai": JinaAiAdapter,
    "mistral": MistralAdapter,
    "openai": OpenAiAdapter,
    "voyageai": VoyageAiAdapter,
    "watsonxai": WatsonxAiAdapter,
}


def get_adapter(
    service: str, *, base_url: str | None = None, model_dir: Path | None = None
) -> ServiceAdapter:
    """A new adapter for ``service``; keep one per process (watsonx and vertex cache tokens).

    Args:
        service: the service name (``openai``, ``hugging_face``, ...).
        base_url: replaces the origin of every URL the adapter calls (``http://127.0.0.1:8088``
            for the mock provider); ``None`` calls the real provider.
        model_dir: local sentence-transformers models for the ``elasticsearch`` service.

    Raises:
        UnknownServiceError: no adapter has this name.
    """
    try:
        factory = ADAPTERS[service]
    except KeyError:
        raise UnknownServiceError(service) from None
    return factory(AdapterOptions(base_url=base_url, model_dir=model_dir))
