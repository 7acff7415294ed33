#!/usr/bin/env bash
# End-to-end benchmark of the tutorial's running average on a real broker, side by side in one run: kstreams-ts
# (at-least-once / exactly-once, cache off / on), Kafka Streams 4.3.1 (Java) with the same settings, @kafkats/flow
# and a raw consume/produce loop on our client. Prints a markdown table and the ratios (see docs/benchmarks.md).
#
#   bash bench/e2e.sh [--records N] [--reps R] [--only name,name] [--flow-records M] [--commit-ms MS]
#
# Uses the broker at $KAFKA_BOOTSTRAP; without it, starts a private one on 59092 (data in /tmp/kafka-bench) and
# stops it afterwards. E2E_CPU_PROF=<dir> writes V8 CPU profiles of our child processes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.cache/node/24/bin:$PATH"

mvn -q -B -f bench/java/pom.xml compile dependency:copy-dependencies -DoutputDirectory=target/lib -DincludeScope=runtime 2>&1 |
  sed -e 's/\x1b\[[0-9;]*m//g'
if [[ ! -d bench/peers/node_modules/@kafkats/flow ]]; then
  npm ci --prefix bench/peers --no-audit --no-fund >/dev/null
fi

if [[ -z "${KAFKA_BOOTSTRAP:-}" ]]; then
  export KAFKA_PORT=59092 KAFKA_CONTROLLER_PORT=59093 KAFKA_DATA_DIR=/tmp/kafka-bench
  bash infra/kafka.sh start
  trap 'bash infra/kafka.sh stop' EXIT
  export KAFKA_BOOTSTRAP=127.0.0.1:59092
fi
# The broker's CPU time is read from /proc during each run: on 2 cores it competes with the client being measured.
if [[ -z "${BROKER_PID:-}" && -f "${KAFKA_DATA_DIR:-/tmp/kafka-bench}/kafka.pid" ]]; then
  BROKER_PID="$(cat "${KAFKA_DATA_DIR:-/tmp/kafka-bench}/kafka.pid")"
  export BROKER_PID
fi
node --conditions=source bench/e2e/run.ts "$@"
