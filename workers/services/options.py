"""How a worker points adapters somewhere else: :class:`AdapterOptions`.

Every adapter is built with one :class:`AdapterOptions`. ``base_url`` is the single override
mechanism for tests, the mock provider and air-gapped proxies: when set, it replaces the scheme,
host and port of *every* URL the adapter calls (provider endpoints, ``service_settings.url``
included, and the watsonx IAM and Google OAuth token endpoints) while the path and query stay the
service's own. ``ops.mock_provider`` serves every service at those paths, so one ``base_url``
points any adapter at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass(frozen=True)
class AdapterOptions:
    """Construction options shared by every adapter.

    Attributes:
        base_url: ``scheme://host[:port][/prefix]`` that replaces the origin of every URL the
            adapter calls; ``None`` (default) calls the real providers.
        model_dir: a folder of sentence-transformers models for the ``elasticsearch`` service
            (one sub-folder per model id); ``None`` means only the bundled all-MiniLM-L6-v2.
    """

    base_url: str | None = None
    model_dir: Path | None = None

    def rebase(self, url: str) -> str:
        """``url`` with its origin replaced by ``base_url`` (unchanged when no override is set).

        Args:
            url: an absolute provider URL.

        Returns:
            The URL to call.
        """
        if not self.base_url:
            return url
        base = urlsplit(self.base_url.rstrip("/"))
        target = urlsplit(url)
        return urlunsplit(
            (base.scheme, base.netloc, base.path + target.path, target.query, target.fragment)
        )
