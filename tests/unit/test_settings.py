"""Settings: INFERQ_* variables, defaults, bounds and the unknown-variable guard."""

from __future__ import annotations

import pytest

from pipeline.errors import ConfigurationError
from pipeline.settings import ProducerSettings, WorkerSettings, load


def test_defaults_are_documented_values() -> None:
    """With nothing set, the documented defaults apply and Redis is embedded (no URL)."""
    settings = load(WorkerSettings)
    assert settings.redis_url is None
    assert settings.retry_max_attempts == 8
    assert settings.http_timeout_s == 30.0


def test_environment_overrides_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """INFERQ_SLICE_DOCS=8 reaches ProducerSettings.slice_docs as an int."""
    monkeypatch.setenv("INFERQ_SLICE_DOCS", "8")
    assert load(ProducerSettings).slice_docs == 8


def test_unknown_inferq_variable_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo like INFERQ_REDIS_ULR fails loudly instead of falling back to embedded Redis."""
    monkeypatch.setenv("INFERQ_REDIS_ULR", "redis://elsewhere")
    with pytest.raises(ConfigurationError, match="INFERQ_REDIS_ULR"):
        load(ProducerSettings)


def test_test_variables_are_exempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """INFERQ_TEST_* belongs to the suite and is not an unknown setting."""
    monkeypatch.setenv("INFERQ_TEST_SOMETHING", "1")
    load(ProducerSettings)


def test_another_process_kinds_variable_is_known(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker variable in the producer's environment is not a typo (workers inherit it)."""
    monkeypatch.setenv("INFERQ_HTTP_TIMEOUT_S", "5")
    load(ProducerSettings)


def test_out_of_bounds_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """INFERQ_RETRY_MAX_ATTEMPTS=0 is refused with the variable's name."""
    monkeypatch.setenv("INFERQ_RETRY_MAX_ATTEMPTS", "0")
    with pytest.raises(ConfigurationError, match="INFERQ_RETRY_MAX_ATTEMPTS"):
        load(WorkerSettings)


def test_secret_key_is_not_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    """INFERQ_SECRET_KEY never shows in the settings' repr."""
    monkeypatch.setenv("INFERQ_SECRET_KEY", "canary-secret-123")
    assert "canary-secret-123" not in repr(load(WorkerSettings))
