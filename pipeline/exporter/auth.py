"""Who may see Flower and the metrics endpoint: one policy for both ops processes.

* ``INFERQ_FLOWER_BASIC_AUTH=user:password`` (several pairs separated by commas, as Flower
  accepts) turns HTTP basic auth on, for Flower and for metrics alike.
* Without it, a process on a shared Redis (``INFERQ_REDIS_URL`` set) refuses to start, unless
  ``INFERQ_FLOWER_INSECURE=1`` says that this is a development box.
* The embedded mode (no ``INFERQ_REDIS_URL``) is one user's machine: it binds loopback only, and
  no auth is needed there.

Error messages never echo the credential.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

from pipeline.connections import Connections
from pipeline.errors import ConfigurationError
from pipeline.settings import OpsSettings

Credentials = tuple[tuple[str, str], ...]

_FORMAT_ERROR = (
    "INFERQ_FLOWER_BASIC_AUTH must be user:password (several pairs separated by commas); "
    "neither part may be empty"
)


def parse_basic_auth(value: str) -> Credentials:
    """Parse ``user:password[,user2:password2]``.

    Raises:
        ConfigurationError: a malformed value (the message does not contain it).
    """
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        user, sep, password = item.partition(":")
        if not sep or not user or not password:
            raise ConfigurationError(_FORMAT_ERROR)
        pairs.append((user, password))
    return tuple(pairs)


def is_loopback(address: str) -> bool:
    """True for ``localhost`` and loopback IP addresses."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def ops_credentials(settings: OpsSettings, connections: Connections, address: str) -> Credentials:
    """The credentials an ops HTTP server must demand (empty: none), or a refusal to start.

    Args:
        settings: the process's settings.
        connections: resolved connections (tells the embedded mode apart).
        address: the address the server will bind.

    Raises:
        ConfigurationError: embedded mode on a non-loopback address; or no auth configured on a
            shared Redis without ``INFERQ_FLOWER_INSECURE=1``.
    """
    if connections.is_embedded and not is_loopback(address):
        raise ConfigurationError(
            f"the embedded mode serves on loopback only, not on {address}; "
            "set INFERQ_REDIS_URL to run Flower/metrics for a shared deployment"
        )
    if settings.flower_basic_auth is not None:
        return parse_basic_auth(settings.flower_basic_auth.get_secret_value())
    if connections.is_embedded or settings.flower_insecure:
        return ()
    raise ConfigurationError(
        "refusing to serve without authentication: set INFERQ_FLOWER_BASIC_AUTH=user:password "
        "(or INFERQ_FLOWER_INSECURE=1 on a development machine)"
    )


def is_authorized(header: str | None, credentials: Credentials) -> bool:
    """True when the ``Authorization`` header holds one of ``credentials`` (constant-time)."""
    if not credentials:
        return True
    if not header or not header.startswith("Basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user, _, password = decoded.partition(":")
    ok = False
    for want_user, want_password in credentials:
        # Check every pair, so timing does not tell which user exists.
        ok |= hmac.compare_digest(user.encode(), want_user.encode()) & hmac.compare_digest(
            password.encode(), want_password.encode()
        )
    return ok
