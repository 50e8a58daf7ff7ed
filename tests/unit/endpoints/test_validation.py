"""PUT body validation: one test per rule, with Elasticsearch's text (reference §h.2, §e.2)."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.endpoints import LOCAL_ENDPOINT_ID, SERVICES, parse_endpoint
from pipeline.errors import ValidationError
from tests.unit.endpoints.bodies import SERVICE_TASKS, minimal_body, required

HF = {"service": "hugging_face", "service_settings": {"api_key": "k", "url": "u"}}


def refuse(
    body: Any, task_type: str = "text_embedding", inference_id: str = "ep"
) -> ValidationError:
    """The error parse_endpoint raises for ``body``."""
    with pytest.raises(ValidationError) as info:
        parse_endpoint(task_type, inference_id, body)
    return info.value


def hf(**service_settings: Any) -> dict[str, Any]:
    """The hugging_face body with service_settings keys added/replaced."""
    return {
        "service": "hugging_face",
        "service_settings": {"api_key": "k", "url": "u", **service_settings},
    }


# --- inference_id, task type, service -----------------------------------------------------------


@pytest.mark.parametrize("bad_id", ["My-Model", "-lead", "trail-", "trail.", "_all", "a b", "é"])
def test_invalid_inference_id(bad_id: str) -> None:
    """Ids outside [a-z0-9](...[a-z0-9])? and `_all` get the action_request_validation text."""
    err = refuse(HF, inference_id=bad_id)
    assert err.es_type == "action_request_validation_exception"
    assert err.messages == [
        f"Invalid inference_id; '{bad_id}' can contain lowercase alphanumeric (a-z and 0-9), "
        "hyphens or underscores; must start and end with alphanumeric"
    ]


@pytest.mark.parametrize("good_id", ["a", "my-model_1.v2", "0"])
def test_valid_inference_ids(good_id: str) -> None:
    """Lowercase ids with inner hyphens, underscores and dots are accepted."""
    assert parse_endpoint("text_embedding", good_id, HF).endpoint.inference_id == good_id


@pytest.mark.parametrize(
    "reserved",
    [LOCAL_ENDPOINT_ID, ".multilingual-e5-small-elasticsearch", ".elser-2-elasticsearch"],
)
def test_reserved_inference_id(reserved: str) -> None:
    """The preconfigured ids cannot be created."""
    assert refuse(HF, inference_id=reserved).messages == [
        f"[{reserved}] is a reserved inference ID. "
        "Cannot create a new inference endpoint with a reserved ID."
    ]


def test_unknown_task_type() -> None:
    """An unknown task type in the URL is refused."""
    assert refuse(HF, task_type="embeddings").messages == ["Unknown task_type [embeddings]"]


def test_body_task_type_conflict() -> None:
    """A task_type in the body that differs from the URL's is refused; an equal one is fine."""
    assert refuse({**HF, "task_type": "rerank"}).messages == [
        "Cannot resolve conflicting task_type parameter in the request URL [text_embedding] "
        "and the request body [rerank]"
    ]
    assert parse_endpoint("text_embedding", "ep", {**HF, "task_type": "text_embedding"})


def test_service_missing() -> None:
    """A body without service is refused."""
    assert refuse({"service_settings": {}}).messages == [
        "Inference endpoint configuration is missing the [service] setting"
    ]


def test_service_unknown() -> None:
    """An unknown service name is refused."""
    assert refuse({"service": "nope", "service_settings": {}}).messages == [
        "Unknown service [nope]"
    ]


def test_service_settings_missing() -> None:
    """A body without service_settings is refused."""
    assert refuse({"service": "hugging_face"}).messages == [
        "Missing required field [service_settings]"
    ]


def test_service_settings_not_an_object() -> None:
    """service_settings that is not an object is a type error."""
    assert refuse({"service": "hugging_face", "service_settings": [1]}).messages == [
        "field [service_settings] is not of the expected type. "
        "The value [[1]] cannot be converted to a [Map]"
    ]


def test_body_not_an_object() -> None:
    """A JSON body that is not an object is refused."""
    assert refuse([HF]).es_type == "parse_exception"


@pytest.mark.parametrize(
    ("service", "task_type"),
    [("hugging_face", "rerank"), ("anthropic", "text_embedding"), ("elser", "text_embedding")],
)
def test_unsupported_task_type(service: str, task_type: str) -> None:
    """A service asked for a task type it lacks is refused."""
    body = minimal_body(service, next(iter(SERVICES[service].task_types)))
    assert refuse(body, task_type=task_type).messages == [
        f"The [{service}] service does not support task type [{task_type}]"
    ]


# --- service_settings and task_settings values --------------------------------------------------


@pytest.mark.parametrize(("service", "task_type"), SERVICE_TASKS)
def test_every_required_setting_is_required(service: str, task_type: str) -> None:
    """Removing any required key of the table gives `does not contain the required setting`."""
    spec = SERVICES[service]
    for scope, table in (
        ("service_settings", spec.service_settings),
        ("task_settings", spec.task_settings),
    ):
        for key in required(dict(table), task_type):
            body = minimal_body(service, task_type)
            del body[scope][key]
            assert refuse(body, task_type=task_type).messages == [
                f"[{scope}] does not contain the required setting [{key}]"
            ]


def test_missing_errors_accumulate() -> None:
    """Several missing keys are reported together, numbered, as a validation_exception."""
    err = refuse({"service": "watsonxai", "service_settings": {"api_key": "k", "url": "u"}})
    assert err.es_type == "validation_exception"
    assert err.reason == (
        "Validation Failed: 1: [service_settings] does not contain the required setting "
        "[api_version];2: [service_settings] does not contain the required setting [model_id];"
        "3: [service_settings] does not contain the required setting [project_id];"
    )


@pytest.mark.parametrize(
    ("key", "value", "java_type", "shown"),
    [
        ("dimensions", "384", "Integer", "384"),
        ("dimensions", 384.0, "Integer", "384.0"),
        ("dimensions", True, "Integer", "true"),
        ("dimensions", 2**31, "Integer", "2147483648"),
        ("url", 5, "String", "5"),
        ("url", {"a": 1}, "String", "{a=1}"),
        ("similarity", 1, "String", "1"),
        ("rate_limit", "fast", "Map", "fast"),
    ],
)
def test_wrong_type(key: str, value: Any, java_type: str, shown: str) -> None:
    """A value of the wrong JSON type is refused with Elasticsearch's conversion text."""
    assert refuse(hf(**{key: value})).messages == [
        f"field [{key}] is not of the expected type. "
        f"The value [{shown}] cannot be converted to a [{java_type}]"
    ]


def test_wrong_type_of_secret_is_redacted() -> None:
    """A secret of the wrong type is reported without its value."""
    assert refuse(hf(api_key=["sk-123"])).messages == [
        "field [api_key] is not of the expected type. "
        "The value [<redacted>] cannot be converted to a [String]"
    ]


@pytest.mark.parametrize("value", [0, -3])
def test_positive_integer(value: int) -> None:
    """dimensions and max_input_tokens must be positive."""
    assert refuse(hf(max_input_tokens=value)).messages == [
        f"[service_settings] Invalid value [{value}]. [max_input_tokens] must be a positive integer"
    ]


def test_enum_value() -> None:
    """similarity must be one of cosine, dot_product, l2_norm."""
    assert refuse(hf(similarity="euclid")).messages == [
        "[service_settings] Invalid value [euclid] received. "
        "[similarity] must be one of [cosine, dot_product, l2_norm]"
    ]


def test_task_settings_enum_and_type() -> None:
    """task_settings values are validated with the [task_settings] scope."""
    body = minimal_body("cohere", "text_embedding")
    body["task_settings"] = {"input_type": "nope", "truncate": 1}
    assert refuse(body).messages == [
        "[task_settings] Invalid value [nope] received. "
        "[input_type] must be one of [classification, clustering, ingest, search]",
        "field [truncate] is not of the expected type. "
        "The value [1] cannot be converted to a [String]",
    ]


def test_task_settings_not_an_object() -> None:
    """task_settings that is not an object is a type error."""
    assert refuse({**HF, "task_settings": "x"}).messages == [
        "field [task_settings] is not of the expected type. "
        "The value [<redacted>] cannot be converted to a [Map]"
    ]


def test_empty_strings_are_accepted() -> None:
    """Empty strings pass, as the seeds' own examples carry them (seed 002)."""
    assert parse_endpoint("text_embedding", "ep", hf(api_key="", url=""))


# --- rate_limit -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1])
def test_rate_limit_must_be_positive(value: int) -> None:
    """requests_per_minute must be a positive long (reference §e.2)."""
    assert refuse(hf(rate_limit={"requests_per_minute": value})).messages == [
        f"[rate_limit] Invalid value [{value}]. [requests_per_minute] must be a positive long"
    ]


def test_rate_limit_wrong_type() -> None:
    """requests_per_minute must be an integer (Java Long)."""
    assert refuse(hf(rate_limit={"requests_per_minute": "5"})).messages == [
        "field [requests_per_minute] is not of the expected type. "
        "The value [5] cannot be converted to a [Long]"
    ]


def test_rate_limit_unknown_key() -> None:
    """Unknown keys inside rate_limit are refused."""
    assert refuse(hf(rate_limit={"rpm": 5})).messages == [
        "Configuration contains settings [{rpm=5}] unknown to the [hugging_face] service"
    ]


def test_rate_limit_on_service_without_limiter() -> None:
    """elasticsearch has no HTTP limiter: rate_limit is an unknown setting."""
    body = minimal_body("elasticsearch", "text_embedding")
    body["service_settings"]["rate_limit"] = {"requests_per_minute": 5}
    assert refuse(body).messages == [
        "Configuration contains settings [{rate_limit={requests_per_minute=5}}] "
        "unknown to the [elasticsearch] service"
    ]


# --- unknown settings ---------------------------------------------------------------------------


def test_unknown_top_level_key() -> None:
    """A top-level key the API does not know is an unknown setting."""
    assert refuse({**HF, "model": "m"}).messages == [
        "Configuration contains settings [{model=m}] unknown to the [hugging_face] service"
    ]


def test_unknown_service_settings_key() -> None:
    """A service_settings key the service does not know is an unknown setting."""
    assert refuse(hf(model_id="m", foo=True)).messages == [
        "Configuration contains settings [{model_id=m, foo=true}] "
        "unknown to the [hugging_face] service"
    ]


def test_unknown_task_settings_key() -> None:
    """A task_settings key of another task type is an unknown setting."""
    body = minimal_body("cohere", "text_embedding")
    body["task_settings"] = {"top_n": 3}
    assert refuse(body).messages == [
        "Configuration contains settings [{top_n=3}] unknown to the [cohere] service"
    ]


def test_value_errors_come_before_unknown_keys() -> None:
    """With both, the value errors are reported (Elasticsearch checks leftovers last)."""
    assert refuse(hf(foo=1, dimensions=0)).messages == [
        "[service_settings] Invalid value [0]. [dimensions] must be a positive integer"
    ]


def test_unknown_maps_are_reported_top_level_first() -> None:
    """Leftovers are reported one map at a time: top level, then service_settings, then task."""
    body = {**hf(foo=1), "bar": 2, "task_settings": {"baz": 3}}
    assert refuse(body).messages == [
        "Configuration contains settings [{bar=2}] unknown to the [hugging_face] service"
    ]
    body.pop("bar")
    assert refuse(body).messages == [
        "Configuration contains settings [{foo=1}] unknown to the [hugging_face] service"
    ]
    body["service_settings"].pop("foo")
    assert refuse(body).messages == [
        "Configuration contains settings [{baz=3}] unknown to the [hugging_face] service"
    ]


@pytest.mark.parametrize("task_type", ["rerank", "completion"])
def test_chunking_settings_on_non_embedding_task(task_type: str) -> None:
    """rerank/completion endpoints take no chunking_settings: the key is unknown."""
    body = {**minimal_body("cohere", task_type), "chunking_settings": {"strategy": "none"}}
    assert refuse(body, task_type=task_type).messages == [
        "Configuration contains settings [{chunking_settings={strategy=none}}] "
        "unknown to the [cohere] service"
    ]
    body.pop("chunking_settings")
    assert parse_endpoint(task_type, "ep", body).endpoint.chunking_settings is None


def test_openai_model_in_both_places() -> None:
    """With service_settings.model_id given, a legacy task_settings.model is left over."""
    body = minimal_body("openai", "text_embedding")
    body["task_settings"] = {"model": "m"}
    assert refuse(body).messages == [
        "Configuration contains settings [{model=m}] unknown to the [openai] service"
    ]


# --- defaults -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "similarity"),
    [("hugging_face", "cosine"), ("openai", "dot_product"), ("mistral", "dot_product")],
)
def test_default_similarity(service: str, similarity: str) -> None:
    """text_embedding endpoints get reference §g's default similarity; a given one is kept."""
    body = minimal_body(service, "text_embedding")
    assert (
        parse_endpoint("text_embedding", "ep", body).endpoint.service_settings["similarity"]
        == similarity
    )
    body["service_settings"]["similarity"] = "l2_norm"
    assert (
        parse_endpoint("text_embedding", "ep", body).endpoint.service_settings["similarity"]
        == "l2_norm"
    )


# --- cross-key rules ----------------------------------------------------------------------------


def test_elasticsearch_needs_model_threads_allocations() -> None:
    """Without deployment_id, elasticsearch needs model_id, num_threads and num_allocations."""
    assert refuse({"service": "elasticsearch", "service_settings": {}}).messages == [
        "[service_settings] does not contain the required setting [model_id]",
        "[service_settings] does not contain the required setting [num_threads]",
        "[service_settings] does not contain the required setting [num_allocations]",
    ]


def test_adaptive_allocations_replace_num_allocations() -> None:
    """Enabled adaptive_allocations stand in for num_allocations; disabled ones do not."""
    settings: dict[str, Any] = {
        "model_id": "m",
        "num_threads": 1,
        "adaptive_allocations": {"enabled": True},
    }
    assert parse_endpoint(
        "text_embedding", "ep", {"service": "elasticsearch", "service_settings": settings}
    )
    settings["adaptive_allocations"] = {"enabled": False}
    assert refuse(
        {"service": "elser", "service_settings": settings}, task_type="sparse_embedding"
    ).messages == ["[service_settings] does not contain the required setting [num_allocations]"]


def test_adaptive_allocations_bounds() -> None:
    """min_number_of_allocations must be >= 0 and <= max_number_of_allocations."""
    adaptive = {"enabled": True, "min_number_of_allocations": -1, "max_number_of_allocations": 2}
    body = {
        "service": "elasticsearch",
        "service_settings": {"model_id": "m", "num_threads": 1, "adaptive_allocations": adaptive},
    }
    assert refuse(body).messages == [
        "[adaptive_allocations] Invalid value [-1]. "
        "[min_number_of_allocations] must be greater than or equal to 0"
    ]
    adaptive["min_number_of_allocations"] = 3
    assert refuse(body).messages == [
        "[adaptive_allocations] max_number_of_allocations [2] must be greater than or equal to "
        "min_number_of_allocations [3]"
    ]


def test_adaptive_allocations_unknown_key() -> None:
    """Unknown keys inside adaptive_allocations are unknown settings."""
    body = minimal_body("elasticsearch", "text_embedding")
    body["service_settings"]["adaptive_allocations"] = {"enabled": True, "x": 1}
    assert refuse(body).messages == [
        "Configuration contains settings [{x=1}] unknown to the [elasticsearch] service"
    ]


@pytest.mark.parametrize(
    ("credentials", "message"),
    [
        ({}, "[secret_settings] must have either the [api_key] or the [entra_id] key set"),
        (
            {"api_key": "a", "entra_id": "b"},
            "[secret_settings] must have only one of the [api_key] or the [entra_id] key set",
        ),
    ],
)
def test_azureopenai_credentials(credentials: dict[str, str], message: str) -> None:
    """azureopenai needs exactly one of api_key and entra_id."""
    settings = {"resource_name": "r", "deployment_id": "d", "api_version": "v", **credentials}
    assert refuse({"service": "azureopenai", "service_settings": settings}).messages == [message]


def test_azureopenai_entra_id_is_a_secret() -> None:
    """entra_id alone is accepted, kept as a secret, absent from to_es."""
    settings = {"resource_name": "r", "deployment_id": "d", "api_version": "v", "entra_id": "tok"}
    endpoint, secrets = parse_endpoint(
        "text_embedding", "ep", {"service": "azureopenai", "service_settings": settings}
    )
    assert dict(secrets) == {"entra_id": "tok"}
    assert "tok" not in repr(endpoint.to_es())
