"""SecretCipher: keys from INFERQ_SECRET_KEY or a generated 0600 key file; tokens bound to ids."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from pipeline.endpoints import SecretCipher
from pipeline.endpoints.cipher import KEY_FILE_NAME
from pipeline.errors import ConfigurationError
from pipeline.settings import ProducerSettings

CANARY = "sk-CANARY-5f1d2c"


def test_passphrase_round_trip_and_ciphertext_hides_secret() -> None:
    """A passphrase-derived key decrypts its own tokens; the token does not hold the secret."""
    cipher = SecretCipher.from_passphrase("any string at all")
    token = cipher.encrypt("ep", {"api_key": CANARY})
    assert CANARY.encode() not in token
    assert SecretCipher.from_passphrase("any string at all").decrypt("ep", token) == {
        "api_key": CANARY
    }


def test_wrong_key_is_a_clear_error_without_secret() -> None:
    """A token made with another key fails with ConfigurationError naming the endpoint only."""
    token = SecretCipher.from_passphrase("a").encrypt("ep", {"api_key": CANARY})
    with pytest.raises(ConfigurationError, match=r"\[ep\]") as info:
        SecretCipher.from_passphrase("b").decrypt("ep", token)
    assert CANARY not in str(info.value)


def test_token_is_bound_to_its_inference_id() -> None:
    """A token copied to another id's entry is refused."""
    cipher = SecretCipher.from_passphrase("k")
    with pytest.raises(ConfigurationError, match="another endpoint"):
        cipher.decrypt("other", cipher.encrypt("ep", {"api_key": CANARY}))


def test_key_file_generated_0600_and_reused(tmp_path: Path) -> None:
    """Without a secret key, a key file is created with mode 0600 and reused afterwards."""
    path = tmp_path / "data" / KEY_FILE_NAME
    token = SecretCipher.from_key_file(path).encrypt("ep", {"api_key": CANARY})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretCipher.from_key_file(path).decrypt("ep", token) == {"api_key": CANARY}
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE_NAME]


def test_from_settings_prefers_secret_key(tmp_path: Path) -> None:
    """settings.secret_key keys the cipher and no key file is written; else the data dir's file."""
    with_key = ProducerSettings(secret_key=SecretStr("passphrase"), data_dir=tmp_path / "a")
    token = SecretCipher.from_settings(with_key).encrypt("ep", {"api_key": CANARY})
    assert SecretCipher.from_passphrase("passphrase").decrypt("ep", token) == {"api_key": CANARY}
    assert not (tmp_path / "a").exists()
    SecretCipher.from_settings(ProducerSettings(data_dir=tmp_path / "b"))
    assert (tmp_path / "b" / KEY_FILE_NAME).exists()


def test_unusable_key_file(tmp_path: Path) -> None:
    """A corrupt key file is a ConfigurationError, not a crash."""
    path = tmp_path / KEY_FILE_NAME
    path.write_text("not a key")
    with pytest.raises(ConfigurationError, match="unusable secret key file"):
        SecretCipher.from_key_file(path)


def test_repr_hides_key() -> None:
    """The cipher's repr shows no key material."""
    assert repr(SecretCipher.from_passphrase("k")) == "SecretCipher(<key hidden>)"
