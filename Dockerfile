# Image of the enrichment workers: `docker build -t news-enrich:0.1.0 .` (the package's version, the tag deploy/k8s runs)
# Runs `python -m workers worker` by default; `topics` (and any other CLI subcommand) as the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# No build dependencies: every pinned dependency ships a manylinux wheel for x86_64. On arm64,
# faust-streaming has no wheel; its sdist then installs without its optional Cython speedups.

RUN groupadd --system --gid 10001 enrich \
    && useradd --system --uid 10001 --gid enrich --create-home --home-dir /home/enrich \
        --shell /usr/sbin/nologin enrich \
    && mkdir -p /app /var/lib/enrich \
    && chown enrich:enrich /app /var/lib/enrich

# Dependencies first, in their own layer: editing workers/ does not reinstall spaCy and friends.
COPY pyproject.toml README.md /src/
COPY requirements/model.txt /src/requirements/model.txt
RUN pip install --no-cache-dir --require-hashes --no-deps -r /src/requirements/model.txt \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The package, installed editable from /app: the worker reads the JSON Schemas from /app/schemas at run time.
COPY pyproject.toml README.md /app/
COPY schemas/ /app/schemas/
COPY workers/ /app/workers/
RUN pip install --no-cache-dir --no-deps -e /app && rm -rf /src

# Only the settings whose container value differs from the local default (see workers/settings.py).
ENV ENRICH_DATA_DIR=/var/lib/enrich

WORKDIR /app
USER 10001:10001

# ENRICH_METRICS_PORT (Prometheus /metrics) and ENRICH_WEB_PORT (Faust web, health).
EXPOSE 9100 6066

ENTRYPOINT ["python", "-m", "workers"]
CMD ["worker"]
