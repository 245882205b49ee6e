#!/usr/bin/env bash
# The demo's processes: the simulated ITSM tools, a Celery worker, Celery beat and the web
# app (scripts/demo.sh prepares the database first, then runs this).
#
# Each runs in its own process group, so stopping one reaches its children too (the
# worker's pool, runserver's reloader). Ctrl-C, TERM, or any one of them exiting stops
# them all: TERM to every group, up to STOP_SECONDS for them to finish, then KILL. Beat is
# its own process: embedded in the worker (-B) it could outlive a stopped demo, and the
# next `make demo` would then run two of each on one broker. A demo whose script was
# killed outright leaves its groups in $CATALIGENT_VAR_DIR/demo.pids; the next start
# stops them first.
#
# Written for bash 3.2 too (macOS): no `wait -n`, no empty arrays under `set -u`.
set -uo pipefail
set -m # job control: every background job gets a process group of its own
cd "$(dirname "$0")/.."

PORT="${PORT:-8000}"
SIMULATOR_PORT="${SIMULATOR_PORT:-8765}"
export SIMULATOR_URL="${SIMULATOR_URL:-http://127.0.0.1:${SIMULATOR_PORT}}"
export CATALIGENT_VAR_DIR="${CATALIGENT_VAR_DIR:-$PWD/var}"
STOP_SECONDS="${STOP_SECONDS:-8}"
PY=.venv/bin/python
LOGS="$CATALIGENT_VAR_DIR/log"
PIDS_FILE="$CATALIGENT_VAR_DIR/demo.pids"
mkdir -p "$LOGS"

names=""
groups=""

# stop_groups PGID...: TERM each group, wait up to STOP_SECONDS, then KILL what is left.
stop_groups() {
  local pgid alive deadline
  [ $# -gt 0 ] || return 0
  for pgid in "$@"; do kill -TERM -- "-$pgid" 2>/dev/null; done
  deadline=$((SECONDS + STOP_SECONDS))
  while :; do
    alive=""
    for pgid in "$@"; do
      if kill -0 -- "-$pgid" 2>/dev/null; then alive="$alive $pgid"; fi
    done
    [ -n "$alive" ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.2
  done
  echo "Still running after ${STOP_SECONDS} s, killed:$alive" >&2
  for pgid in $alive; do kill -KILL -- "-$pgid" 2>/dev/null; done
}

stop_all() {
  # shellcheck disable=SC2086 # one word per group id
  stop_groups $groups
  groups=""
  rm -f "$PIDS_FILE"
}

# Groups a demo killed outright left behind (only ours: their command names us).
stop_leftovers() {
  local pgid left=""
  [ -f "$PIDS_FILE" ] || return 0
  for pgid in $(cat "$PIDS_FILE"); do
    if kill -0 -- "-$pgid" 2>/dev/null &&
      ps -o args= -p "$pgid" 2>/dev/null | grep -qE 'cataligent|manage\.py'; then
      left="$left $pgid"
    fi
  done
  if [ -n "$left" ]; then
    echo "Stopping what an earlier demo left running:$left"
    # shellcheck disable=SC2086
    stop_groups $left
  fi
  rm -f "$PIDS_FILE"
}

# start NAME LOG COMMAND...: run COMMAND in the background, in its own process group.
start() {
  local name=$1 log=$2
  shift 2
  if [ "$log" = - ]; then
    "$@" </dev/null &
  else
    "$@" </dev/null >"$log" 2>&1 &
  fi
  names="$names $name:$!"
  groups="$groups $!" # with job control, a job's process group id is its first pid
  echo "$groups" >"$PIDS_FILE"
}

on_signal() {
  trap - INT TERM
  echo
  echo "Stopping the demo..."
  stop_all
  exit 130
}
trap on_signal INT TERM
trap stop_all EXIT

stop_leftovers

start simulator "$LOGS/simulator.log" $PY manage.py simulate_itsm --port "$SIMULATOR_PORT"
start worker "$LOGS/worker.log" \
  .venv/bin/celery -A cataligent worker --loglevel INFO --concurrency 2
start beat "$LOGS/beat.log" \
  .venv/bin/celery -A cataligent beat --loglevel INFO \
  --schedule "$CATALIGENT_VAR_DIR/celerybeat-schedule"
start web - $PY manage.py runserver "127.0.0.1:${PORT}"

cat <<MSG

  Cataligent is running at http://127.0.0.1:${PORT}/

  Demo logins (password: demo):
    leader  - leadership: the map, bottlenecks, escalations
    lead    - team lead of the team that owns the lending app
    admin   - admin: connectors, users, teams

  API docs: http://127.0.0.1:${PORT}/api/v1/docs/
  Simulated ServiceNow, Jira and PagerDuty: ${SIMULATOR_URL}/ (synced every 30 s)
  Logs: ${LOGS}/worker.log, beat.log, simulator.log
  Stop with Ctrl-C.

MSG

# Until a signal arrives or one of them stops. `wait` on a short sleep lets the trap run
# at once (bash runs traps only between commands).
while :; do
  for entry in $names; do
    if ! kill -0 "${entry#*:}" 2>/dev/null; then
      echo "The demo's ${entry%%:*} stopped (see ${LOGS}/${entry%%:*}.log); stopping the rest." >&2
      stop_all
      exit 1
    fi
  done
  sleep 1 &
  wait $! 2>/dev/null
done
