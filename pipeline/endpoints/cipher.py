"""Encryption at rest of endpoint secrets (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from ``INFERQ_SECRET_KEY`` (any string, stretched with HKDF-SHA256), else from a key
file generated once under the data directory (mode 0600). Each token binds the secrets to their
inference id, so a token copied to another id's entry does not decrypt as that endpoint's.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from pipeline.errors import ConfigurationError
from pipeline.settings import CommonSettings

KEY_FILE_NAME = "endpoint-secrets.key"
_HKDF_SALT = b"inferq endpoint secrets v1"
_HKDF_INFO = b"fernet"


class SecretCipher:
    """Encrypts and decrypts the secrets of one endpoint at a time."""

    def __init__(self, key: bytes) -> None:
        """Build from a Fernet key (32 url-safe base64-encoded bytes)."""
        self._fernet = Fernet(key)

    def __repr__(self) -> str:
        return "SecretCipher(<key hidden>)"

    @classmethod
    def from_passphrase(cls, passphrase: str) -> SecretCipher:
        """A cipher whose key is derived from any string with HKDF-SHA256."""
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO)
        return cls(base64.urlsafe_b64encode(hkdf.derive(passphrase.encode("utf-8"))))

    @classmethod
    def from_key_file(cls, path: Path) -> SecretCipher:
        """A cipher keyed by ``path``, which is created (0600) with a fresh key when missing."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            # Written to a private temporary file, then linked into place: a concurrent process
            # sees either no file or a complete one, and the first link wins.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(Fernet.generate_key())
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, path)
            finally:
                os.unlink(tmp)
        try:
            return cls(path.read_bytes().strip())
        except (ValueError, OSError) as exc:
            raise ConfigurationError(
                f"unusable secret key file {path}: {type(exc).__name__}"
            ) from None

    @classmethod
    def from_settings(cls, settings: CommonSettings) -> SecretCipher:
        """The process's cipher: ``settings.secret_key``, else the key file in ``data_dir``."""
        if settings.secret_key is not None:
            return cls.from_passphrase(settings.secret_key.get_secret_value())
        return cls.from_key_file(settings.data_dir / KEY_FILE_NAME)

    def encrypt(self, inference_id: str, secrets: dict[str, str]) -> bytes:
        """A token holding ``secrets`` for ``inference_id``."""
        payload = json.dumps({"inference_id": inference_id, "secrets": secrets})
        return self._fernet.encrypt(payload.encode("utf-8"))

    def decrypt(self, inference_id: str, token: bytes) -> dict[str, str]:
        """The secrets in ``token``.

        Raises:
            ConfigurationError: the token was made with another key or for another endpoint.
        """
        try:
            payload = json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise ConfigurationError(
                f"cannot decrypt the secrets of inference endpoint [{inference_id}]: they were "
                "stored with another secret key (INFERQ_SECRET_KEY or the data directory's "
                "key file)"
            ) from None
        if payload.get("inference_id") != inference_id:
            raise ConfigurationError(
                f"the stored secrets of inference endpoint [{inference_id}] belong to "
                "another endpoint"
            )
        return {str(k): str(v) for k, v in payload["secrets"].items()}
