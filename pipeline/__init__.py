"""inferq's producer side and shared model.

Settings, endpoint configurations and their registry, chunking, jobs, the producer API, the CLI and
the embedded mode. The Celery side lives in :mod:`workers`.
"""

__version__ = "0.1.0"
