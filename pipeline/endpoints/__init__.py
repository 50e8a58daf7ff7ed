"""Inference endpoints: Elasticsearch's PUT body model, its validation and the Redis registry.

::

    fields.py         a settings key's spec; Java-style rendering and redaction for messages
    services.py       SERVICES: every service, its task types, keys, secrets and default rpm
    schema.py         pydantic models built from the table; pydantic errors -> Elasticsearch texts
    validation.py     rules across keys (built-in model allocations, azureopenai credentials)
    parse.py          parse_endpoint: the PUT validation order of reference §h.2
    model.py          Endpoint (public, to_es) and Secrets (write-only values, redacted repr)
    preconfigured.py  the built-in local model's endpoint and the reserved ids
    cipher.py         SecretCipher: Fernet, key from INFERQ_SECRET_KEY or a key file
    registry.py       EndpointRegistry: put / get / list / delete / secrets in Redis
"""

from pipeline.chunking import ChunkingSettings
from pipeline.endpoints.cipher import SecretCipher
from pipeline.endpoints.model import Endpoint, Secrets
from pipeline.endpoints.parse import ParsedEndpoint, parse_endpoint
from pipeline.endpoints.preconfigured import LOCAL_ENDPOINT_ID, RESERVED_IDS, local_endpoint
from pipeline.endpoints.registry import EndpointRegistry
from pipeline.endpoints.services import SERVICES, TASK_TYPES, ServiceSpec, get_service

__all__ = [
    "LOCAL_ENDPOINT_ID",
    "RESERVED_IDS",
    "SERVICES",
    "TASK_TYPES",
    "ChunkingSettings",
    "Endpoint",
    "EndpointRegistry",
    "ParsedEndpoint",
    "SecretCipher",
    "Secrets",
    "ServiceSpec",
    "get_service",
    "local_endpoint",
    "parse_endpoint",
]
