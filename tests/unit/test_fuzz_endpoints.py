"""Fuzzed ``PUT _inference`` bodies: the parser refuses with a clear error, never crashes.

Two sources of bodies: arbitrary JSON trees (with the keys the parser looks for mixed into the key
alphabet, so the fuzzer reaches past the first checks), and valid bodies of every service and task
type of the table with one or more mutations (a key dropped, a value replaced by any JSON value, an
unknown key added). Either :func:`pipeline.endpoints.parse_endpoint` returns an endpoint, or it
raises a :class:`~pipeline.errors.ConfigurationError` with a non-empty message that does not echo a
secret value; any other exception is a bug.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.endpoints import TASK_TYPES, parse_endpoint
from pipeline.errors import ConfigurationError
from tests.unit.endpoints.bodies import SERVICE_TASKS, minimal_body

# Keys the parser and the services' tables look up, so random trees hit real branches.
KEYS = [
    "service",
    "service_settings",
    "task_settings",
    "chunking_settings",
    "task_type",
    "api_key",
    "model_id",
    "url",
    "rate_limit",
    "requests_per_minute",
    "strategy",
    "max_chunk_size",
    "overlap",
    "sentence_overlap",
    "dimensions",
    "similarity",
    "num_allocations",
    "num_threads",
    "secret_key",
    "access_key",
    "input_type",
    "hugging_face",
    "openai",
    "cohere",
    "elasticsearch",
    "word",
    "sentence",
    "none",
]

# The api key of every mutated body: no message may contain it (it is only under secret keys).
CANARY = "sk-FUZZ-CANARY-0d9e"

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(KEYS),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=5
        ),
    ),
    max_leaves=25,
)
task_types = st.one_of(st.sampled_from(sorted(TASK_TYPES)), st.text(max_size=12))
inference_ids = st.one_of(st.just("my-endpoint"), st.text(max_size=12))


def assert_refused_or_parsed(task_type: str, inference_id: str, body: Any) -> None:
    """Parse; the only acceptable failure is our configuration error with a clean message."""
    try:
        parsed = parse_endpoint(task_type, inference_id, body)
    except ConfigurationError as exc:
        refused: ConfigurationError | None = exc
    else:
        refused = None
        assert parsed.endpoint.inference_id == inference_id
        assert CANARY not in repr(parsed.endpoint.to_es())
    if refused is not None:
        assert str(refused).strip(), f"empty message from {type(refused).__name__}"
        assert CANARY not in str(refused), str(refused)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(task_type=task_types, inference_id=inference_ids, body=json_values)
def test_random_json_trees_never_crash_the_parser(
    task_type: str, inference_id: str, body: Any
) -> None:
    """Any JSON value as a body: an endpoint or a ConfigurationError with a message, no crash."""
    assert_refused_or_parsed(task_type, inference_id, body)


@st.composite
def mutated_bodies(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A valid body of a random service and task type, then 1-3 random mutations."""
    service, task_type = draw(st.sampled_from(SERVICE_TASKS))
    body = minimal_body(service, task_type)
    body["service_settings"]["api_key"] = CANARY
    for _ in range(draw(st.integers(1, 3))):
        section = draw(st.sampled_from([None, "service_settings", "task_settings",
                                        "chunking_settings"]))  # fmt: skip
        target = body if section is None else body.setdefault(section, {})
        if not isinstance(target, dict):
            continue
        action = draw(st.sampled_from(["drop", "replace", "add"]))
        if action == "drop" and target:
            target.pop(draw(st.sampled_from(sorted(target))))
        elif action == "replace" and target:
            target[draw(st.sampled_from(sorted(target)))] = draw(json_values)
        else:
            target[draw(st.sampled_from(KEYS))] = draw(json_values)
    return task_type, body


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_bodies())
def test_mutated_valid_bodies_of_every_service_never_crash_the_parser(
    case: tuple[str, dict[str, Any]],
) -> None:
    """Valid bodies with keys dropped, replaced or added: parsed or refused, never a crash."""
    task_type, body = case
    assert_refused_or_parsed(task_type, "fuzzed", body)


def test_every_unmutated_body_parses() -> None:
    """The mutation base is valid: each service/task type's minimal body parses as is."""
    for service, task_type in SERVICE_TASKS:
        parsed = parse_endpoint(task_type, "base", minimal_body(service, task_type))
        assert parsed.endpoint.service == service
