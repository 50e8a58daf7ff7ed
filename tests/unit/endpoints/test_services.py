"""The service table: seed 004's services and task types, seed 000's default rates."""

from __future__ import annotations

import pytest

from pipeline.endpoints import SERVICES, get_service, parse_endpoint
from pipeline.errors import UnknownServiceError
from tests.unit.endpoints.bodies import SERVICE_TASKS, minimal_body

# Seed 004's integration list.
SEED_004 = {
    "alibabacloud-ai-search": {"completion", "rerank", "sparse_embedding", "text_embedding"},
    "amazonbedrock": {"completion", "text_embedding"},
    "anthropic": {"completion"},
    "azureaistudio": {"completion", "text_embedding"},
    "azureopenai": {"completion", "text_embedding"},
    "cohere": {"completion", "rerank", "text_embedding"},
    "elasticsearch": {"rerank", "sparse_embedding", "text_embedding"},
    "elser": {"sparse_embedding"},
    "googleaistudio": {"completion", "text_embedding"},
    "googlevertexai": {"rerank", "text_embedding"},
    "hugging_face": {"chat_completion", "completion", "text_embedding"},
    "mistral": {"text_embedding"},
    "openai": {"chat_completion", "completion", "text_embedding"},
    "voyageai": {"text_embedding", "rerank"},
    "watsonxai": {"text_embedding"},
    "jinaai": {"text_embedding", "rerank"},
}

# Seed 000's requests_per_minute list; amazonbedrock and openai chat_completion from reference §e.4.
DEFAULT_RPM = {
    ("alibabacloud-ai-search", "*"): 1000,
    ("amazonbedrock", "*"): 240,
    ("anthropic", "*"): 50,
    ("azureaistudio", "*"): 240,
    ("azureopenai", "text_embedding"): 1440,
    ("azureopenai", "completion"): 120,
    ("cohere", "*"): 10000,
    ("elasticsearch", "*"): None,
    ("elser", "*"): None,
    ("googleaistudio", "*"): 360,
    ("googlevertexai", "*"): 30000,
    ("hugging_face", "*"): 3000,
    ("jinaai", "*"): 2000,
    ("mistral", "*"): 240,
    ("openai", "text_embedding"): 3000,
    ("openai", "completion"): 500,
    ("openai", "chat_completion"): 500,
    ("voyageai", "*"): 2000,
    ("watsonxai", "*"): 120,
}


def expected_rpm(service: str, task_type: str) -> int | None:
    """Seed 000's default for (service, task type)."""
    return DEFAULT_RPM.get((service, task_type), DEFAULT_RPM.get((service, "*")))


def test_services_and_task_types_are_seed_004s() -> None:
    """SERVICES holds exactly seed 004's services, each with exactly its task types."""
    assert {name: set(spec.task_types) for name, spec in SERVICES.items()} == SEED_004


@pytest.mark.parametrize(("service", "task_type"), SERVICE_TASKS)
def test_default_rpm_is_seed_000s(service: str, task_type: str) -> None:
    """A new endpoint's rate_limit defaults to seed 000's value for its service and task type."""
    endpoint, _ = parse_endpoint(task_type, "ep", minimal_body(service, task_type))
    assert endpoint.requests_per_minute == expected_rpm(service, task_type)
    if expected_rpm(service, task_type) is None:
        assert "rate_limit" not in endpoint.service_settings


@pytest.mark.parametrize(("service", "task_type"), SERVICE_TASKS)
def test_minimal_body_is_accepted_without_secrets_in_output(service: str, task_type: str) -> None:
    """Every supported (service, task type) accepts its required keys; secrets stay out of to_es."""
    endpoint, secrets = parse_endpoint(task_type, "ep", minimal_body(service, task_type))
    assert set(secrets) == {k for k in SERVICES[service].secret_names if k != "entra_id"}
    assert not set(secrets) & set(endpoint.to_es()["service_settings"])


def test_unknown_service_name_raises_our_error() -> None:
    """get_service fails loudly with UnknownServiceError on a name the table lacks."""
    with pytest.raises(UnknownServiceError, match=r"Unknown service \[nope\]"):
        get_service("nope")


def test_custom_rate_limit_is_kept() -> None:
    """A rate_limit given in the body replaces the default."""
    body = minimal_body("openai", "text_embedding")
    body["service_settings"]["rate_limit"] = {"requests_per_minute": 42}
    endpoint, _ = parse_endpoint("text_embedding", "ep", body)
    assert endpoint.requests_per_minute == 42
    assert endpoint.to_es()["service_settings"]["rate_limit"] == {"requests_per_minute": 42}
