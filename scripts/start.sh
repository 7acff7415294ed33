#!/usr/bin/env bash
# README command (a): Kafka and the schema registry on their default ports, then the ratings service.
# Stop everything with scripts/stop.sh. Ports: KAFKA_PORT (9092), REGISTRY_PORT (8081), PORT (service, 8080).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash "$ROOT/scripts/setup.sh"
export PATH="$ROOT/.cache/node/24/bin:$PATH"

bootstrap="$("$ROOT/infra/kafka.sh" start)"
registry="$("$ROOT/infra/registry.sh" start)"
export KAFKA_BOOTSTRAP="$bootstrap" SCHEMA_REGISTRY_URL="$registry"

echo
echo "Kafka:            $bootstrap   (log .data/kafka/broker.log)"
echo "Schema registry:  $registry   (log .data/registry/registry.log)"

server="$ROOT/packages/ratings-service/src/server.ts"
if [[ ! -f "$server" ]]; then
  echo "Ratings service:  not built yet ($server does not exist); Kafka and the registry are running."
  echo "Stop with: scripts/stop.sh"
  exit 0
fi

mkdir -p "$ROOT/.data/service"
pidfile="$ROOT/.data/service/service.pid"
if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "Ratings service:  already running (pid $(cat "$pidfile"))"
else
  setsid nohup node --conditions=source "$server" >>"$ROOT/.data/service/service.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
fi
port="${PORT:-8080}"
# The service prints nothing we could wait on reliably, so wait for its port (or its exit) with a deadline.
deadline=$((SECONDS + 60))
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "the ratings service exited; last lines of .data/service/service.log:" >&2
    tail -n 20 "$ROOT/.data/service/service.log" >&2
    exit 1
  fi
  if ((SECONDS > deadline)); then
    echo "the ratings service did not open port $port within 60 s (see .data/service/service.log)" >&2
    exit 1
  fi
  sleep 0.5
done
echo "Ratings service:  http://127.0.0.1:$port/   (log .data/service/service.log)"
echo "Stop with: scripts/stop.sh"
