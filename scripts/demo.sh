#!/usr/bin/env bash
# Runs the demo: migrate, seed the demo story, then the web app with a Celery worker and
# beat beside it (scripts/demo_processes.sh). Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-1}"
export CONNECTOR_ALLOW_PRIVATE_NETWORKS="${CONNECTOR_ALLOW_PRIVATE_NETWORKS:-1}"
export SIMULATOR_PORT="${SIMULATOR_PORT:-8765}"
export SIMULATOR_URL="${SIMULATOR_URL:-http://127.0.0.1:${SIMULATOR_PORT}}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"  # links in the demo's e-mails
PY=.venv/bin/python

$PY manage.py migrate --no-input -v 0
$PY manage.py seed_demo

exec bash scripts/demo_processes.sh
