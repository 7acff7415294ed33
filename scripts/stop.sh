#!/usr/bin/env bash
# Stops what scripts/start.sh started: the ratings service, the schema registry and Kafka (default ports).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pidfile="$ROOT/.data/service/service.pid"
if [[ -f "$pidfile" ]]; then
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$pidfile"
  echo "[service] stopped" >&2
fi
"$ROOT/infra/registry.sh" stop
"$ROOT/infra/kafka.sh" stop
