# syntax=docker/dockerfile:1
# Alignment: one image for web (gunicorn), worker and beat (celery). See docs/deploy.md.

# --- build: locked dependencies into /app/.venv, static files collected ------------------------
FROM python:3.11-slim AS build
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The same uv as the Makefile, so the image resolves exactly what `make run` does.
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /app
# Dependencies first: this layer is reused until pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# A throwaway key only for this step; the real one comes from the environment at run time.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret \
    /app/.venv/bin/python manage.py collectstatic --noinput --verbosity 0

# --- runtime: no build tools, a non-root user ----------------------------------------------------
FROM python:3.11-slim
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DEBUG=false \
    WEB_CONCURRENCY=3
# xmlsec1: pysaml2 verifies SAML signatures with it (docs/sso.md).
RUN apt-get update && apt-get install -y --no-install-recommends xmlsec1 \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 alignment \
    && useradd --system --uid 10001 --gid alignment --home-dir /app --shell /usr/sbin/nologin alignment
WORKDIR /app
COPY --from=build --chown=root:root /app /app
USER alignment
EXPOSE 8000
# gunicorn reads its worker count from WEB_CONCURRENCY (about 2 per core). Only a proxy you run
# may reach port 8000: forwarded headers are trusted (docs/deploy.md).
CMD ["gunicorn", "alignment.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "30", \
     "--access-logfile", "-", "--forwarded-allow-ips", "*"]
