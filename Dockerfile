# Social Router, the production shape: one image for the `web` and `worker` roles (see compose.yaml).
# Slim base, dependencies installed from the lock file first (a cached layer), code last, non-root user.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LOCAL_MODEL_PATH=/app/.cache/local_model.joblib \
    ROUTING_RULES=/app/routing_rules.yaml

WORKDIR /app

# Reproducible installs: exact pins from the lock file, then the project itself without re-resolving.
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY routing_rules.yaml ./
RUN pip install --no-deps . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin social-router \
    && mkdir -p /app/.cache \
    # train the bundled local model at build time, so no container trains it on its first mention
    && python -c "from bot.classify.local import load_or_train; load_or_train('/app/.cache/local_model.joblib')" \
    && chown -R social-router /app/.cache

USER social-router
EXPOSE 3000

# Readiness (database, schema at head, worker threads alive); a web-only container checks the same URL.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/readyz', timeout=4).status == 200 else 1)"

CMD ["python", "-m", "bot", "serve", "--role", "web", "--port", "3000"]
