"""EndpointRegistry against a real Redis: PUT/GET/list/DELETE semantics and secrets at rest."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import redis

from pipeline.constants import ENDPOINT_SECRETS_KEY, ENDPOINTS_KEY
from pipeline.endpoints import LOCAL_ENDPOINT_ID, EndpointRegistry, SecretCipher
from pipeline.errors import EndpointExistsError, EndpointNotFoundError, ValidationError

pytestmark = pytest.mark.integration

CANARY = "sk-CANARY-5f1d2c"
HF: dict[str, Any] = {
    "service": "hugging_face",
    "service_settings": {"api_key": CANARY, "url": "http://127.0.0.1:1/embed"},
}
COHERE_RERANK: dict[str, Any] = {
    "service": "cohere",
    "service_settings": {"model_id": "rerank-english-v3.0", "api_key": CANARY},
}


@pytest.fixture
def registry(redis_client: redis.Redis[bytes]) -> EndpointRegistry:
    """A registry on the flushed suite Redis."""
    return EndpointRegistry(redis_client, SecretCipher.from_passphrase("test key"))


def dump_redis(client: redis.Redis[bytes]) -> bytes:
    """Every key and value of the database, whatever the type, as one byte string."""
    parts: list[bytes] = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)  # type: ignore[no-untyped-call]
        parts.append(key + b" " + kind)
        if kind == b"string":
            parts.append(client.get(key) or b"")
        elif kind == b"hash":
            parts += [k + b"=" + v for k, v in client.hgetall(key).items()]
        elif kind == b"list":
            parts += client.lrange(key, 0, -1)
        elif kind == b"set":
            parts += list(client.smembers(key))
        elif kind == b"zset":
            parts += [m for m, _ in client.zrange(key, 0, -1, withscores=True)]
        elif kind == b"stream":
            parts += [
                json.dumps({k.decode(): v.decode() for k, v in f.items()}).encode()
                for _, f in client.xrange(key)
            ]
        else:
            pytest.fail(f"unexpected Redis type {kind!r}")
    return b"\n".join(parts)


def test_put_get_round_trip(registry: EndpointRegistry) -> None:
    """PUT returns the stored endpoint; GET returns the same to_es()."""
    created = registry.put("text_embedding", "hf", HF)
    assert registry.get("hf").to_es() == created.to_es()
    assert registry.get("hf", "text_embedding").requests_per_minute == 3000
    assert registry.get("hf").chunking_settings is not None


def test_put_existing_id_is_refused(registry: EndpointRegistry) -> None:
    """PUT is never an upsert: a second PUT of the id fails and leaves the first intact."""
    registry.put("text_embedding", "hf", HF)
    other = {**HF, "service_settings": {"api_key": "other", "url": "http://other"}}
    with pytest.raises(EndpointExistsError, match=r"Inference endpoint \[hf\] already exists"):
        registry.put("text_embedding", "hf", other)
    assert registry.secrets("hf") == {"api_key": CANARY}
    assert registry.get("hf").service_settings["url"] == HF["service_settings"]["url"]


def test_invalid_body_stores_nothing(
    registry: EndpointRegistry, redis_client: redis.Redis[bytes]
) -> None:
    """A refused PUT writes no key."""
    with pytest.raises(ValidationError):
        registry.put("text_embedding", "bad", {"service": "hugging_face", "service_settings": {}})
    assert redis_client.keys("*") == []


def test_get_unknown_id(registry: EndpointRegistry) -> None:
    """GET of an unknown id is EndpointNotFoundError with ES's text."""
    with pytest.raises(EndpointNotFoundError, match=r"Inference endpoint not found \[nope\]"):
        registry.get("nope")


def test_get_task_type_mismatch(registry: EndpointRegistry) -> None:
    """GET with another task type than the endpoint's is refused with ES's text."""
    registry.put("text_embedding", "hf", HF)
    with pytest.raises(ValidationError) as info:
        registry.get("hf", "rerank")
    assert info.value.messages == [
        "Requested task type [rerank] does not match the inference endpoint's task type "
        "[text_embedding]"
    ]


def test_list_includes_local_and_filters_by_task_type(registry: EndpointRegistry) -> None:
    """list() holds the preconfigured endpoint and the stored ones, sorted; a task type filters."""
    registry.put("text_embedding", "hf", HF)
    registry.put("rerank", "rr", COHERE_RERANK)
    assert [e.inference_id for e in registry.list()] == [LOCAL_ENDPOINT_ID, "hf", "rr"]
    assert [e.inference_id for e in registry.list("rerank")] == ["rr"]
    assert [e.inference_id for e in registry.list("text_embedding")] == [LOCAL_ENDPOINT_ID, "hf"]


def test_local_endpoint_exists_on_fresh_redis(registry: EndpointRegistry) -> None:
    """The preconfigured endpoint is there without being created, with sentence chunking."""
    local = registry.get(LOCAL_ENDPOINT_ID, "text_embedding")
    assert local.to_es() == {
        "inference_id": LOCAL_ENDPOINT_ID,
        "task_type": "text_embedding",
        "service": "elasticsearch",
        "service_settings": {
            "model_id": ".all-minilm-l6-v2",
            "num_allocations": 1,
            "num_threads": 1,
        },
        "chunking_settings": {"strategy": "sentence", "max_chunk_size": 250, "sentence_overlap": 1},
    }
    assert local.requests_per_minute is None
    assert registry.secrets(LOCAL_ENDPOINT_ID) == {}


def test_local_endpoint_cannot_be_deleted_or_created(registry: EndpointRegistry) -> None:
    """DELETE and PUT of the preconfigured id are refused; it stays."""
    with pytest.raises(ValidationError, match="reserved inference endpoint"):
        registry.delete(LOCAL_ENDPOINT_ID)
    with pytest.raises(ValidationError, match="reserved inference ID"):
        registry.put("text_embedding", LOCAL_ENDPOINT_ID, HF)
    assert registry.get(LOCAL_ENDPOINT_ID)


def test_delete_removes_endpoint_and_secrets(
    registry: EndpointRegistry, redis_client: redis.Redis[bytes]
) -> None:
    """DELETE removes both hashes' entries; a second DELETE is not found."""
    registry.put("text_embedding", "hf", HF)
    registry.delete("hf", "text_embedding")
    assert not redis_client.hexists(ENDPOINTS_KEY, "hf")
    assert not redis_client.hexists(ENDPOINT_SECRETS_KEY, "hf")
    with pytest.raises(EndpointNotFoundError):
        registry.delete("hf")
    with pytest.raises(EndpointNotFoundError):
        registry.secrets("hf")


def test_delete_task_type_mismatch_keeps_endpoint(registry: EndpointRegistry) -> None:
    """DELETE with the wrong task type is refused and deletes nothing."""
    registry.put("text_embedding", "hf", HF)
    with pytest.raises(ValidationError, match="does not match"):
        registry.delete("hf", "rerank")
    assert registry.get("hf")


def test_secrets_for_workers(registry: EndpointRegistry) -> None:
    """secrets() decrypts what PUT stored, per service field names."""
    registry.put("text_embedding", "hf", HF)
    bedrock = {
        "service": "amazonbedrock",
        "service_settings": {
            "access_key": "AK",
            "secret_key": CANARY,
            "region": "us-east-1",
            "provider": "amazontitan",
            "model": "amazon.titan-embed-text-v2:0",
        },
    }
    registry.put("text_embedding", "br", bedrock)
    assert registry.secrets("hf") == {"api_key": CANARY}
    assert registry.secrets("br") == {"access_key": "AK", "secret_key": CANARY}


def test_other_key_cannot_read_secrets(redis_client: redis.Redis[bytes]) -> None:
    """Secrets stored with one key cannot be read by a registry with another."""
    EndpointRegistry(redis_client, SecretCipher.from_passphrase("one")).put(
        "text_embedding", "hf", HF
    )
    other = EndpointRegistry(redis_client, SecretCipher.from_passphrase("two"))
    with pytest.raises(Exception, match="another secret key") as info:
        other.secrets("hf")
    assert CANARY not in str(info.value)


def test_canary_never_in_redis_logs_or_outputs(
    registry: EndpointRegistry, redis_client: redis.Redis[bytes], caplog: pytest.LogCaptureFixture
) -> None:
    """The canary api key is in no Redis key or value, no log line, no returned object or error."""
    caplog.set_level(logging.DEBUG)
    outputs: list[str] = []
    outputs.append(json.dumps(registry.put("text_embedding", "hf", HF).to_es()))
    outputs.append(json.dumps(registry.put("rerank", "rr", COHERE_RERANK).to_es()))
    vertex = {
        "service": "googlevertexai",
        "service_settings": {
            "service_account_json": CANARY,
            "model_id": "m",
            "project_id": "p",
            "location": "l",
        },
    }
    outputs.append(repr(registry.put("text_embedding", "gv", vertex)))
    misplaced = [
        {**HF, "task_settings": {"api_key": CANARY}},
        {
            "service": "hugging_face",
            "service_settings": {"api_key": 1, "url": CANARY, "apikey": CANARY},
        },
        {
            "service": "elser",
            "service_settings": {"num_threads": 1, "num_allocations": 1, "api_key": CANARY},
        },
    ]
    for body in misplaced:
        with pytest.raises(ValidationError) as info:
            registry.put(
                "sparse_embedding" if body["service"] == "elser" else "text_embedding", "x", body
            )
        outputs += [str(info.value), repr(info.value), json.dumps(info.value.to_es())]
    with pytest.raises(EndpointExistsError) as exists:
        registry.put("text_embedding", "hf", HF)
    outputs.append(str(exists.value))
    outputs += [repr(e) for e in registry.list()] + [json.dumps(e.to_es()) for e in registry.list()]
    outputs.append(repr(registry.get("hf")))
    assert registry.secrets("hf")["api_key"] == CANARY  # stored, just not in clear
    assert CANARY.encode() not in dump_redis(redis_client)
    assert caplog.records, "the registry logs its events"
    assert all(CANARY not in r.getMessage() for r in caplog.records)
    assert CANARY not in caplog.text
    for text in outputs:
        assert CANARY not in text


def test_unknown_task_type_on_read(registry: EndpointRegistry) -> None:
    """get/list/delete with an unknown task type give `Unknown task_type [x]`."""
    for call in (lambda: registry.list("embeddings"), lambda: registry.get("hf", "embeddings")):
        with pytest.raises(ValidationError, match=r"Unknown task_type \[embeddings\]"):
            call()
