"""The endpoint registry in Redis: PUT, GET, list and DELETE of ``_inference`` endpoints.

Two hashes (``pipeline.constants``): ``ENDPOINTS_KEY`` maps an inference id to the endpoint's public
JSON (reference §h.3 shape), ``ENDPOINT_SECRETS_KEY`` maps it to a Fernet token of its secrets. Both
are written by one Lua script, so PUT is atomic and never an upsert: of two concurrent PUTs of one
id, exactly one succeeds. The preconfigured local endpoint is synthesised on read, never stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import redis

from pipeline.constants import ENDPOINT_SECRETS_KEY, ENDPOINTS_KEY
from pipeline.endpoints.cipher import SecretCipher
from pipeline.endpoints.model import Endpoint
from pipeline.endpoints.parse import check_task_type, parse_endpoint
from pipeline.endpoints.preconfigured import LOCAL_ENDPOINT_ID, local_endpoint
from pipeline.errors import EndpointExistsError, EndpointNotFoundError, ValidationError

logger = logging.getLogger(__name__)

# KEYS: endpoints hash, secrets hash. ARGV: id, public JSON, secrets token. Returns 1 when stored.
_PUT_IF_ABSENT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
"""


class EndpointRegistry:
    """Endpoints stored in Redis, plus the preconfigured local endpoint.

    Args:
        client: a redis-py client (bytes values).
        cipher: encrypts secrets at rest (:meth:`SecretCipher.from_settings`).
    """

    def __init__(self, client: redis.Redis[bytes], cipher: SecretCipher) -> None:
        self._redis = client
        self._cipher = cipher
        self._put_script = client.register_script(_PUT_IF_ABSENT)

    def put(self, task_type: str, inference_id: str, body: Mapping[str, Any]) -> Endpoint:
        """Validate and store a new endpoint (``PUT _inference/{task_type}/{inference_id}``).

        Returns:
            The stored endpoint, defaults filled in.

        Raises:
            ValidationError: the body is refused (Elasticsearch's text).
            EndpointExistsError: the id is taken.
        """
        endpoint, secrets = parse_endpoint(task_type, inference_id, body)
        public = json.dumps(endpoint.to_es())
        token = self._cipher.encrypt(inference_id, dict(secrets))
        stored = self._put_script(
            keys=[ENDPOINTS_KEY, ENDPOINT_SECRETS_KEY], args=[inference_id, public, token]
        )
        if not stored:
            raise EndpointExistsError(inference_id)
        logger.info(
            "endpoints.created inference_id=%s task_type=%s service=%s",
            inference_id,
            task_type,
            endpoint.service,
        )
        return endpoint

    def get(self, inference_id: str, task_type: str | None = None) -> Endpoint:
        """One endpoint (``GET _inference[/{task_type}]/{inference_id}``).

        Raises:
            EndpointNotFoundError: no such id.
            ValidationError: ``task_type`` is unknown or not the endpoint's.
        """
        if task_type is not None:
            check_task_type(task_type)
        if inference_id == LOCAL_ENDPOINT_ID:
            endpoint = local_endpoint()
        else:
            raw = self._redis.hget(ENDPOINTS_KEY, inference_id)
            if raw is None:
                raise EndpointNotFoundError(inference_id)
            endpoint = Endpoint.from_es(json.loads(raw))
        if task_type is not None and task_type != endpoint.task_type:
            raise ValidationError(
                f"Requested task type [{task_type}] does not match the inference endpoint's "
                f"task type [{endpoint.task_type}]",
                es_type="status_exception",
            )
        return endpoint

    def list(self, task_type: str | None = None) -> list[Endpoint]:
        """Every endpoint, sorted by id, optionally of one task type (``GET _inference``)."""
        if task_type is not None:
            check_task_type(task_type)
        stored = self._redis.hgetall(ENDPOINTS_KEY)
        endpoints = [local_endpoint(), *(Endpoint.from_es(json.loads(v)) for v in stored.values())]
        endpoints.sort(key=lambda e: e.inference_id)
        return [e for e in endpoints if task_type is None or e.task_type == task_type]

    def delete(self, inference_id: str, task_type: str | None = None) -> None:
        """Remove an endpoint and its secrets (``DELETE _inference[/{task_type}]/{inference_id}``).

        Raises:
            EndpointNotFoundError: no such id.
            ValidationError: the preconfigured endpoint, or a task type that is not the endpoint's.
        """
        self.get(inference_id, task_type)
        if inference_id == LOCAL_ENDPOINT_ID:
            raise ValidationError(
                f"[{inference_id}] is a reserved inference endpoint. "
                "Cannot delete a reserved inference endpoint.",
                es_type="status_exception",
            )
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(ENDPOINTS_KEY, inference_id)
            pipe.hdel(ENDPOINT_SECRETS_KEY, inference_id)
            removed, _ = pipe.execute()
        if not removed:
            raise EndpointNotFoundError(inference_id)
        logger.info("endpoints.deleted inference_id=%s", inference_id)

    def secrets(self, inference_id: str) -> dict[str, str]:
        """The decrypted secrets of an endpoint, for the workers that call its service.

        Raises:
            EndpointNotFoundError: no such id.
            ConfigurationError: the secrets were encrypted with another key.
        """
        token = self._redis.hget(ENDPOINT_SECRETS_KEY, inference_id)
        if token is None:
            if inference_id == LOCAL_ENDPOINT_ID:
                return {}
            raise EndpointNotFoundError(inference_id)
        return self._cipher.decrypt(inference_id, token)
