"""``inferq flower``: the Flower dashboard on the pipeline's broker.

Flower shows each task by its stable name (``inferq.chunk_slice``, ``inferq.embed_batch``) with the
``kwargsrepr`` the producer sends (job, slice or batch ids and counts, never texts or secrets) in
the tasks page's kwargs column, so every row names its job.
Tasks store no results (``task_ignore_result``) and their errors carry no secrets.

Access follows :func:`pipeline.exporter.auth.ops_credentials`: basic auth from
``INFERQ_FLOWER_BASIC_AUTH``, required on a shared Redis unless ``INFERQ_FLOWER_INSECURE=1``;
the embedded mode binds loopback only. The credential reaches Flower through its
``FLOWER_BASIC_AUTH`` environment variable, never through argv, so ``ps`` does not show it.
"""

from __future__ import annotations

import argparse
import os

from pipeline.settings import OpsSettings, load

# Flower reads its options from FLOWER_<OPTION> environment variables too.
FLOWER_AUTH_ENV = "FLOWER_BASIC_AUTH"
# The tasks page's columns: kwargs holds the kwargsrepr, i.e. the job id of every task.
TASKS_COLUMNS = "name,uuid,state,kwargs,received,started,runtime,worker"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``flower`` command."""
    p = sub.add_parser("flower", help="run the Flower dashboard")
    p.add_argument("--port", type=int, help="HTTP port (default INFERQ_FLOWER_PORT, 5555)")
    p.add_argument("--address", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run Flower until stopped.

    Raises:
        ConfigurationError: no auth outside the embedded mode (see module docstring), or the
            embedded mode asked to bind a non-loopback address.
    """
    from pipeline.connections import resolve
    from pipeline.exporter import ops_credentials
    from workers.app import app, configure

    settings = load(OpsSettings)
    connections = resolve(settings)
    credentials = ops_credentials(settings, connections, args.address)
    configure(app, settings, connections)
    # Only our credential reaches Flower: a stray FLOWER_BASIC_AUTH must not loosen or replace it.
    os.environ.pop(FLOWER_AUTH_ENV, None)
    if credentials:
        os.environ[FLOWER_AUTH_ENV] = ",".join(f"{u}:{p}" for u, p in credentials)
    port = settings.flower_port if args.port is None else args.port
    app.start(["flower", f"--port={port}", f"--address={args.address}",
               f"--tasks_columns={TASKS_COLUMNS}"])  # fmt: skip
    return 0
