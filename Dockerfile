# syntax=docker/dockerfile:1
# Cataligent's image: one image for the web app, the Celery workers and beat (deploy/).
# Everything is installed at build time from the lock files, with hashes; nothing at start.

# --- 1. The map's JavaScript (Cytoscape.js + dagre), from the committed package-lock.json.
FROM node:20-bookworm AS assets
WORKDIR /src
COPY Makefile package.json package-lock.json ./
RUN make assets

# --- 2. The Python environment, pinned with hashes, and the collected static files.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
# A C compiler for the impact engine's compiled loops (setup.py); the runtime has none.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock
COPY . .
COPY --from=assets /src/static/vendor/ static/vendor/
# Editable, so that the compiled loops are built next to their package in /app, which the
# runtime copies (a plain install would put them in site-packages, beside no package).
RUN pip install --no-deps -e . \
 && python -c "from dependencies.impact import kernel; assert kernel.compiled, 'no kernel'" \
 && rm -rf build *.egg-info dependencies/impact/_kernel.c \
 && DEBUG=0 SECRET_KEY=collectstatic-only DATABASE_URL=sqlite:////tmp/unused.sqlite3 \
    python manage.py collectstatic --no-input -v 0 \
 && python -m compileall -q cataligent dependencies objectives integrations

# --- 3. The runtime: no compilers, no node, not root.
FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=cataligent.settings \
    LOG_FORMAT=json
RUN groupadd --system --gid 10001 cataligent \
 && useradd --system --uid 10001 --gid cataligent --home-dir /app --shell /usr/sbin/nologin cataligent
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
USER cataligent
EXPOSE 8000
# No HEALTHCHECK here: the workers share the image; compose probes the web app's
# /health/live (deploy/docker-compose.yml).
# The web app; the workers and beat override the command (deploy/docker-compose.yml).
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "cataligent.wsgi"]
