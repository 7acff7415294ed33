#!/usr/bin/env bash
# Broker-failure suite (issue 6; results in docs/reliability.md): the ratings service under exactly_once_v2 while
# brokers die. A: 3-node KRaft cluster, kill -9 a broker and the active controller, each restarted. B: a single
# broker stopped and started again. Every acknowledged rating must be in the ratings topic and counted exactly once.
#
#   scripts/reliability.sh [--short|--long] [--scenario a|b|all]     (--short, about 3 min, is the CI variant)
#
# Starts what it needs on its own ports and stops it on exit: a registry (unless SCHEMA_REGISTRY_URL is set), the
# 3-node cluster and the single broker. Environment (defaults): KAFKA_CLUSTER_PORT_BASE (39090),
# KAFKA_CLUSTER_CONTROLLER_PORT_BASE (39190), KAFKA_CLUSTER_DIR (.data/kafka-cluster-reliability), KAFKA_PORT (39096),
# KAFKA_CONTROLLER_PORT (39097), KAFKA_DATA_DIR (.data/kafka-reliability), REGISTRY_PORT (38081),
# RELIABILITY_SERVICE_PORT_A (38080), RELIABILITY_SERVICE_PORT_B (38083), KAFKA_HEAP_OPTS (-Xms128m -Xmx384m).
# Logs and JSON results: test-artifacts/reliability/.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/.cache/node/24/bin:$PATH"

export KAFKA_CLUSTER_PORT_BASE="${KAFKA_CLUSTER_PORT_BASE:-39090}"
export KAFKA_CLUSTER_CONTROLLER_PORT_BASE="${KAFKA_CLUSTER_CONTROLLER_PORT_BASE:-39190}"
export KAFKA_CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$ROOT/.data/kafka-cluster-reliability}"
export KAFKA_PORT="${KAFKA_PORT:-39096}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-39097}"
export KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$ROOT/.data/kafka-reliability}"
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx384m}"
REGISTRY_PORT="${REGISTRY_PORT:-38081}"
registry_env=(REGISTRY_PORT="$REGISTRY_PORT" REGISTRY_MANAGEMENT_PORT="${REGISTRY_MANAGEMENT_PORT:-$((REGISTRY_PORT + 1))}"
  REGISTRY_DATA_DIR="${REGISTRY_DATA_DIR:-$ROOT/.data/registry-reliability}")

own_registry=0
cleanup() {
  "$ROOT/infra/kafka.sh" cluster stop >/dev/null 2>&1 || true
  "$ROOT/infra/kafka.sh" stop >/dev/null 2>&1 || true
  if ((own_registry)); then env "${registry_env[@]}" "$ROOT/infra/registry.sh" stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${SCHEMA_REGISTRY_URL:-}" ]]; then
  own_registry=1
  SCHEMA_REGISTRY_URL="$(env "${registry_env[@]}" "$ROOT/infra/registry.sh" start | tail -n 1)" || exit 1
  export SCHEMA_REGISTRY_URL
fi
# A fresh cluster: the faults must hit a cluster that only this run uses.
"$ROOT/infra/kafka.sh" cluster stop >/dev/null 2>&1 || true
rm -rf "$KAFKA_CLUSTER_DIR"

node --conditions=source reliability/run.ts "$@"
