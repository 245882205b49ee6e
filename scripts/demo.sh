#!/usr/bin/env bash
# Runs the demo: migrate, seed the demo story, then the web app with a Celery
# worker and beat beside it. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-1}"
export CONNECTOR_ALLOW_PRIVATE_NETWORKS="${CONNECTOR_ALLOW_PRIVATE_NETWORKS:-1}"
PORT="${PORT:-8000}"
SIMULATOR_PORT="${SIMULATOR_PORT:-8765}"
export SIMULATOR_URL="${SIMULATOR_URL:-http://127.0.0.1:${SIMULATOR_PORT}}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:${PORT}}"  # links in the demo's e-mails
PY=.venv/bin/python
mkdir -p var/log var/broker var/broker-processed var/broker-control

$PY manage.py migrate --no-input -v 0
$PY manage.py seed_demo

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

$PY manage.py simulate_itsm --port "${SIMULATOR_PORT}" >var/log/simulator.log 2>&1 &
pids+=($!)

.venv/bin/celery -A cataligent worker --beat --loglevel INFO --concurrency 2 \
  --schedule var/celerybeat-schedule >var/log/worker.log 2>&1 &
pids+=($!)

cat <<MSG

  Cataligent is running at http://127.0.0.1:${PORT}/

  Demo logins (password: demo):
    leader  - leadership: the map, bottlenecks, escalations
    lead    - team lead of the team that owns the lending app
    admin   - admin: connectors, users, teams

  API docs: http://127.0.0.1:${PORT}/api/v1/docs/
  Simulated ServiceNow and Jira: http://127.0.0.1:${SIMULATOR_PORT}/ (synced every 30 s)
  Logs: var/log/worker.log, var/log/simulator.log
  Stop with Ctrl-C.

MSG
$PY manage.py runserver "127.0.0.1:${PORT}"
