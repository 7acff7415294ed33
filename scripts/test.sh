#!/usr/bin/env bash
# The whole test suite (README command (b); .ci/run calls it):
#   setup → lint → typecheck → unit + conformance tests on Node 22, 24 and 26 → golden-file staleness check (Java)
#   → native client check on every Node line → integration tests on Node 24 against a real broker and registry
#   → the broker-failure suite's short variant (its own 3-node cluster and single broker; docs/reliability.md).
# The broker and registry run on test ports (not the demo's 9092/8081) and are stopped on exit, whatever happens.
# Every stage runs even if an earlier one failed; the exit code is non-zero if any failed.
#
#   scripts/test.sh                 everything
#   scripts/test.sh --integration   setup, broker and registry, native client check and integration tests only
# Environment: TEST_KAFKA_PORT (19092), TEST_KAFKA_CONTROLLER_PORT (19093), TEST_REGISTRY_PORT (18081),
# TEST_NODE_MAJORS ("22 24 26"), SKIP_SETUP=1.
set -uo pipefail

ONLY_INTEGRATION=0
case "${1:-}" in
--integration) ONLY_INTEGRATION=1 ;;
'') ;;
*)
  echo "usage: scripts/test.sh [--integration]" >&2
  exit 2
  ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

KAFKA_PORT_T="${TEST_KAFKA_PORT:-19092}"
KAFKA_CPORT_T="${TEST_KAFKA_CONTROLLER_PORT:-19093}"
REGISTRY_PORT_T="${TEST_REGISTRY_PORT:-18081}"
NODE_MAJORS="${TEST_NODE_MAJORS:-22 24 26}"
ARTIFACTS="$ROOT/test-artifacts"
export KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT_T"
export SCHEMA_REGISTRY_URL="http://127.0.0.1:$REGISTRY_PORT_T/apis/ccompat/v7"

kafka_env=(KAFKA_PORT="$KAFKA_PORT_T" KAFKA_CONTROLLER_PORT="$KAFKA_CPORT_T" KAFKA_DATA_DIR="$ROOT/.data/kafka-test")
registry_env=(REGISTRY_PORT="$REGISTRY_PORT_T" REGISTRY_MANAGEMENT_PORT="$((REGISTRY_PORT_T + 1))"
  REGISTRY_DATA_DIR="$ROOT/.data/registry-test")

t_all=$SECONDS
declare -a RESULTS=()
FAILED=0
TOTAL_PASS=0
TOTAL_FAIL=0

say() { printf '\n=== %s\n' "$*"; }

# record NAME RC SECONDS [PASS FAIL]
record() {
  local status=ok
  [[ "$2" == 0 ]] || {
    status=FAILED
    FAILED=1
  }
  RESULTS+=("$(printf '%-34s %-6s %4ss %s' "$1" "$status" "$3" "${4:+$4 passed, $5 failed}")")
}

cleanup() {
  say "stopping the test broker and registry"
  env "${kafka_env[@]}" "$ROOT/infra/kafka.sh" stop || true
  env "${registry_env[@]}" "$ROOT/infra/registry.sh" stop || true
  # The broker-failure suite stops its brokers itself; this covers a run that was interrupted.
  env -u KAFKA_PORT -u KAFKA_CONTROLLER_PORT -u KAFKA_DATA_DIR KAFKA_CLUSTER_PORT_BASE=39090 \
    KAFKA_CLUSTER_CONTROLLER_PORT_BASE=39190 KAFKA_CLUSTER_DIR="$ROOT/.data/kafka-cluster-reliability" \
    "$ROOT/infra/kafka.sh" cluster stop >/dev/null 2>&1 || true
  env KAFKA_PORT=39096 KAFKA_CONTROLLER_PORT=39097 KAFKA_DATA_DIR="$ROOT/.data/kafka-reliability" \
    "$ROOT/infra/kafka.sh" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$ARTIFACTS"

# ---------- setup ----------
if [[ "${SKIP_SETUP:-}" != 1 ]]; then
  say "setup"
  t0=$SECONDS
  bash "$ROOT/scripts/setup.sh"
  rc=$?
  record setup $rc $((SECONDS - t0))
  if ((rc != 0)); then
    echo "setup failed; nothing else can run" >&2
    exit 1
  fi
fi
export PATH="$ROOT/.cache/node/24/bin:$PATH"

# ---------- infrastructure, started in the background while the static checks and unit tests run ----------
say "starting the test broker ($KAFKA_BOOTSTRAP) and registry ($SCHEMA_REGISTRY_URL) in the background"
env "${kafka_env[@]}" "$ROOT/infra/kafka.sh" stop >/dev/null 2>&1
env "${registry_env[@]}" "$ROOT/infra/registry.sh" stop >/dev/null 2>&1
# A fresh broker per run: topics of earlier runs would only slow it down.
rm -rf "$ROOT/.data/kafka-test"
t_infra=$SECONDS
(env "${kafka_env[@]}" "$ROOT/infra/kafka.sh" start >"$ARTIFACTS/kafka-start.log" 2>&1; echo $? >"$ARTIFACTS/kafka-start.rc") &
kafka_job=$!
(env "${registry_env[@]}" "$ROOT/infra/registry.sh" start >"$ARTIFACTS/registry-start.log" 2>&1; echo $? >"$ARTIFACTS/registry-start.rc") &
registry_job=$!

# ---------- node:test runs ----------
# run_tests NAME NODE_BIN FILES...: full spec output to test-artifacts/NAME.log; failures and the summary to stdout.
run_tests() {
  local name="$1" node_bin="$2" log="$ARTIFACTS/$1.log" t0=$SECONDS rc pass fail
  shift 2
  "$node_bin" --conditions=source --test --test-reporter=spec "$@" >"$log" 2>&1
  rc=$?
  sed -n '/^✖ failing tests:/,$p' "$log" | grep -v '^ℹ' | head -n 200
  grep -E '^ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' "$log"
  pass="$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
  fail="$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
  cancelled="$(sed -n 's/^ℹ cancelled \([0-9]*\)$/\1/p' "$log" | tail -n 1)"
  fail=$((${fail:-0} + ${cancelled:-0}))
  TOTAL_PASS=$((TOTAL_PASS + ${pass:-0}))
  TOTAL_FAIL=$((TOTAL_FAIL + fail))
  # A runner that crashed before its summary still counts as a failure.
  [[ -z "$pass" && $rc -ne 0 ]] && TOTAL_FAIL=$((TOTAL_FAIL + 1))
  record "$name" $rc $((SECONDS - t0)) "${pass:-0}" "$fail"
}

shopt -s globstar nullglob
# Tests under test/integration/ and test/e2e/ need the broker and registry; everything else must not.
unit_files=()
integration_files=()
for f in packages/*/test/**/*.test.ts; do
  if [[ "$f" == */test/integration/* || "$f" == */test/e2e/* ]]; then integration_files+=("$f"); else unit_files+=("$f"); fi
done
shopt -u globstar nullglob

if ((ONLY_INTEGRATION == 0)); then
  # ---------- static checks ----------
  say "lint"
  t0=$SECONDS
  npx eslint .
  record lint $? $((SECONDS - t0))

  say "format check (prettier)"
  t0=$SECONDS
  npx prettier --check . >"$ARTIFACTS/format.log" 2>&1
  rc=$?
  tail -n 3 "$ARTIFACTS/format.log"
  record format $rc $((SECONDS - t0))

  say "typecheck"
  t0=$SECONDS
  npm run --silent typecheck
  record typecheck $? $((SECONDS - t0))


  for major in $NODE_MAJORS; do
    node_bin="$ROOT/.cache/node/$major/bin/node"
    say "unit and conformance tests on Node $("$node_bin" -v) (${#unit_files[@]} files)"
    run_tests "unit-node$major" "$node_bin" "${unit_files[@]}"
  done

  if [[ -x "$ROOT/conformance/generate.sh" || -f "$ROOT/conformance/generate.sh" ]]; then
    say "conformance golden files up to date (Kafka Streams Java)"
    t0=$SECONDS
    bash "$ROOT/conformance/generate.sh" --check
    record golden-check $? $((SECONDS - t0))
  fi
fi

# ---------- infrastructure ready? ----------
say "waiting for the test broker and registry"
wait "$kafka_job" "$registry_job"
infra_rc=0
for what in kafka registry; do
  if [[ "$(cat "$ARTIFACTS/$what-start.rc" 2>/dev/null)" != 0 ]]; then
    infra_rc=1
    echo "$what did not start:" >&2
    cat "$ARTIFACTS/$what-start.log" >&2
  fi
done
grep -h 'ready in' "$ARTIFACTS/kafka-start.log" "$ARTIFACTS/registry-start.log"
record infra-start $infra_rc $((SECONDS - t_infra))

if ((infra_rc == 0)); then
  # The binding is per Node ABI: check that node_modules serves every line a binary that loads and talks to the broker.
  say "native Kafka client on every Node line"
  t0=$SECONDS
  client_rc=0
  for major in $NODE_MAJORS; do
    node_bin="$ROOT/.cache/node/$major/bin/node"
    "$node_bin" "$ROOT/scripts/check-client.cjs" "$ROOT/node_modules/$CLIENT" "$KAFKA_BOOTSTRAP" || client_rc=1
  done
  record native-client $client_rc $((SECONDS - t0))

  say "integration tests on Node 24 against $KAFKA_BOOTSTRAP and $SCHEMA_REGISTRY_URL (${#integration_files[@]} files)"
  run_tests integration-node24 "$ROOT/.cache/node/24/bin/node" "${integration_files[@]}"

  # Its own 3-node cluster and single broker (ports 39091-39097, .data/kafka-*-reliability), the test registry.
  say "broker-failure suite, short variant (docs/reliability.md)"
  # Those variables name the suite's single broker: a caller's own (e.g. the demo's 9092) must not leak into it.
  unset KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_DATA_DIR
  # Scenario B (single broker restarted) still stalls the exactly-once engine in about one run in five (open in issue
  # 13, docs/reliability.md): it runs in scripts/reliability.sh, not here, until that is fixed. RELIABILITY_SCENARIOS=a,b
  # puts it back.
  RELIABILITY_SCENARIOS="${RELIABILITY_SCENARIOS:-a}" \
    run_tests reliability-node24 "$ROOT/.cache/node/24/bin/node" reliability/reliability.test.ts
else
  record integration-node24 1 0
  TOTAL_FAIL=$((TOTAL_FAIL + 1))
fi

say "summary (logs in test-artifacts/)"
printf '%s\n' "${RESULTS[@]}"
printf 'total time %s s\n' $((SECONDS - t_all))
printf 'total: %s passed, %s failed\n' "$TOTAL_PASS" "$TOTAL_FAIL"
exit $FAILED
