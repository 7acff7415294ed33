#!/usr/bin/env bash
# Runs the single-instance exactly-once crash test (packages/kstreams/test/integration/runtime-crash.test.ts) N times
# in a row and stops at the first failure. Prints per run: lost, duplicates, time; the full output of each run goes to
# test-artifacts/crash-loop/run-<i>.log.
#
#   scripts/crash-loop.sh [N]        N runs (default 20)
#
# Against KAFKA_BOOTSTRAP when it is set. Otherwise it starts its own fresh broker on CRASH_KAFKA_PORT (29592) and
# CRASH_KAFKA_CONTROLLER_PORT (29593), data in .data/kafka-crash-loop, and stops it on exit, whatever happens. Those
# ports are away from the demo (9092), scripts/test.sh (19092) and infra/kafka.sh's cluster (29091-29093, 29191-29193).
# CRASH_KILLS and CRASH_RATINGS pass through to the test. NODE: the Node binary (default .cache/node/24/bin/node).
set -uo pipefail

N="${1:-20}"
if ! [[ "$N" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/crash-loop.sh [N]   (N runs, default 20)" >&2
  exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
NODE="${NODE:-$ROOT/.cache/node/24/bin/node}"
[[ -x "$NODE" ]] || NODE="$(command -v node)"
TEST=packages/kstreams/test/integration/runtime-crash.test.ts
PATTERN='SIGKILLs while .*exactly_once_v2'
LOGS="$ROOT/test-artifacts/crash-loop"
mkdir -p "$LOGS"

kafka_env=(KAFKA_PORT="${CRASH_KAFKA_PORT:-29592}" KAFKA_CONTROLLER_PORT="${CRASH_KAFKA_CONTROLLER_PORT:-29593}"
  KAFKA_DATA_DIR="$ROOT/.data/kafka-crash-loop")
own_broker=0
stop_broker() {
  if ((own_broker)); then
    echo "[crash-loop] stopping the broker"
    env "${kafka_env[@]}" "$ROOT/infra/kafka.sh" stop || true
  fi
}
trap stop_broker EXIT
trap 'exit 130' INT TERM

if [[ -z "${KAFKA_BOOTSTRAP:-}" ]]; then
  own_broker=1
  env "${kafka_env[@]}" "$ROOT/infra/kafka.sh" stop >/dev/null 2>&1 || true
  # A fresh broker: topics of earlier loops would only slow it down.
  rm -rf "$ROOT/.data/kafka-crash-loop"
  echo "[crash-loop] starting a broker on 127.0.0.1:${CRASH_KAFKA_PORT:-29592}"
  KAFKA_BOOTSTRAP="$(env "${kafka_env[@]}" "$ROOT/infra/kafka.sh" start | tail -n 1)" || {
    echo "[crash-loop] the broker did not start" >&2
    exit 1
  }
fi
export KAFKA_BOOTSTRAP
echo "[crash-loop] $N runs of the exactly-once crash test against $KAFKA_BOOTSTRAP ($("$NODE" -v))"

# figure LOG FIELD: a field of the run's `[crash-test] {json}` line for the single-instance test, or '?'.
figure() {
  sed -n 's/^.*\[crash-test\] \({"guarantee":"exactly_once_v2","kills".*}\)$/\1/p' "$1" | tail -n 1 |
    "$NODE" -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      let v; try { v = JSON.parse(s)[process.argv[1]] } catch {} process.stdout.write(String(v ?? "?")) })' "$2"
}

t_all=$SECONDS
for ((i = 1; i <= N; i++)); do
  log="$LOGS/run-$i.log"
  t0=$SECONDS
  "$NODE" --conditions=source --test --test-reporter=spec --test-name-pattern="$PATTERN" "$TEST" >"$log" 2>&1
  rc=$?
  lost="$(figure "$log" lost)"
  dups="$(figure "$log" duplicates)"
  # The test's own figure (start to verdict); the wall time adds the runner's start-up.
  secs="$(figure "$log" seconds)"
  # A run passes only if node:test says so and it printed its figures with 0 lost and 0 duplicates.
  if ((rc == 0)) && ! grep -q '^ℹ pass 1$' "$log"; then rc=1; fi
  if ((rc == 0)) && [[ "$lost" != 0 || "$dups" != 0 ]]; then rc=1; fi
  printf '[crash-loop] run %d/%d: lost %s, duplicates %s, time %s s (wall %d s) %s\n' \
    "$i" "$N" "$lost" "$dups" "$secs" $((SECONDS - t0)) "$( ((rc == 0)) && echo ok || echo FAILED)"
  if ((rc != 0)); then
    echo "[crash-loop] run $i failed (exit $rc); log: $log" >&2
    sed -n '/^✖ failing tests:/,$p' "$log" | head -n 60 >&2
    [[ -s "$log" ]] && ! grep -q '^✖ failing tests:' "$log" && tail -n 40 "$log" >&2
    exit 1
  fi
done
echo "[crash-loop] $N of $N runs passed with 0 lost and 0 duplicates in $((SECONDS - t_all)) s"
