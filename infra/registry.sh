#!/usr/bin/env bash
# Local Confluent-compatible schema registry: Apicurio Registry 3.3 from Maven Central, in-memory storage (a restart
# forgets every schema). The Confluent API is at http://127.0.0.1:<port>/apis/ccompat/v7.
#
#   infra/registry.sh fetch | start | stop | status | url
#
# Environment: REGISTRY_PORT (8081), REGISTRY_MANAGEMENT_PORT (port+1; Quarkus would otherwise listen on 0.0.0.0:9000),
# REGISTRY_DATA_DIR (.data/registry), REGISTRY_START_TIMEOUT seconds (120), REGISTRY_HEAP_OPTS (-Xms64m -Xmx512m),
# JAVA (a java >= 21; found automatically otherwise).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION=3.3.3
ARTIFACT="io.apicurio:apicurio-registry-app:$VERSION:tar.gz:all"
CACHE="$ROOT/.cache/registry"
HOME_DIR="$CACHE/apicurio-registry-$VERSION"
PORT="${REGISTRY_PORT:-8081}"
MPORT="${REGISTRY_MANAGEMENT_PORT:-$((PORT + 1))}"
DIR="$(realpath -m "${REGISTRY_DATA_DIR:-$ROOT/.data/registry}")"
START_TIMEOUT="${REGISTRY_START_TIMEOUT:-120}"
HEAP_OPTS="${REGISTRY_HEAP_OPTS:--Xms64m -Xmx512m}"
URL="http://127.0.0.1:$PORT/apis/ccompat/v7"

log() { printf '[registry] %s\n' "$*" >&2; }
die() {
  printf '[registry] error: %s\n' "$*" >&2
  exit 1
}

java_major() {
  # `java -version` prints e.g. 'openjdk version "25.0.1" ...' or '"1.8.0_392"' on stderr.
  local v
  v="$("$1" -version 2>&1 | head -n 1 | sed -E 's/.*version "([^"]+)".*/\1/')"
  v="${v#1.}"
  printf '%s' "${v%%[.+-]*}"
}

# The registry's classes need Java 21+ while the machine's default may be 17: take the first java >= 21 among
# $JAVA, $JAVA_HOME, PATH and /usr/lib/jvm/*.
find_java() {
  local c major
  for c in ${JAVA:-} ${JAVA_HOME:+$JAVA_HOME/bin/java} "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [[ -n "$c" && -x "$c" ]] || continue
    major="$(java_major "$c")"
    if [[ "$major" =~ ^[0-9]+$ ]] && ((major >= 21)); then
      printf '%s' "$c"
      return 0
    fi
  done
  die "Apicurio Registry $VERSION needs Java 21 or newer; none found in JAVA, JAVA_HOME, PATH or /usr/lib/jvm"
}

fetch() {
  [[ -f "$HOME_DIR/quarkus-run.jar" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (install maven)"
  mkdir -p "$CACHE"
  local tgz="$CACHE/apicurio-registry-app-$VERSION-all.tar.gz"
  if [[ ! -f "$tgz" ]]; then
    log "fetching $ARTIFACT"
    # `copy` rather than `unpack`: unpack leaves a marker and silently skips later, even if the folder is gone.
    mvn -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy -Dartifact="$ARTIFACT" \
      -DoutputDirectory="$CACHE" >"$CACHE/fetch.log" 2>&1 || die "maven could not fetch $ARTIFACT (see $CACHE/fetch.log)"
  fi
  rm -rf "$HOME_DIR.tmp"
  mkdir -p "$HOME_DIR.tmp"
  tar -xzf "$tgz" -C "$HOME_DIR.tmp"
  [[ -f "$HOME_DIR.tmp/quarkus-run.jar" ]] || die "quarkus-run.jar not found in $tgz"
  rm -rf "$HOME_DIR"
  mv "$HOME_DIR.tmp" "$HOME_DIR"
  rm -f "$tgz"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }
read_pid() { [[ -f "$DIR/registry.pid" ]] && cat "$DIR/registry.pid" || true; }

ready() { curl -fsS -o /dev/null --max-time 2 "$URL/subjects" 2>/dev/null; }

start() {
  local t0=$SECONDS java pid deadline
  mkdir -p "$DIR"
  pid="$(read_pid)"
  if pid_alive "$pid" && ready; then
    log "already running (pid $pid)"
    printf '%s\n' "$URL"
    return 0
  fi
  fetch
  java="$(find_java)"
  # shellcheck disable=SC2086
  setsid nohup "$java" $HEAP_OPTS \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$MPORT" \
    -Dvertx.cacheDirBase="$DIR/vertx-cache" -Dquarkus.log.level=WARN \
    -Dkstreams.registry.dir="$DIR" \
    -jar "$HOME_DIR/quarkus-run.jar" >>"$DIR/registry.log" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$DIR/registry.pid"
  deadline=$((SECONDS + START_TIMEOUT))
  until ready; do
    if ! pid_alive "$pid"; then
      log "registry exited during startup; last lines of $DIR/registry.log:"
      tail -n 15 "$DIR/registry.log" >&2 || true
      rm -f "$DIR/registry.pid"
      exit 1
    fi
    ((SECONDS < deadline)) || die "registry not ready after ${START_TIMEOUT}s (see $DIR/registry.log)"
    sleep 0.5
  done
  log "registry ready in $((SECONDS - t0)) s (pid $pid, $java, log $DIR/registry.log)"
  printf '%s\n' "$URL"
}

stop() {
  local pid pids deadline
  # The -D marker above names our data dir, so a registry started from this folder is found even without a pid file.
  pids="$(
    read_pid
    pgrep -f "kstreams.registry.dir=$DIR " || true
  )"
  pids="$(printf '%s\n' "$pids" | sort -u | grep -E '^[0-9]+$' || true)"
  for pid in $pids; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + 30))
  for pid in $pids; do
    while pid_alive "$pid"; do
      ((SECONDS < deadline)) || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    done
  done
  rm -f "$DIR/registry.pid"
  log "stopped (port $PORT)"
}

status() {
  local pid
  pid="$(read_pid)"
  if pid_alive "$pid" && ready; then
    printf 'running pid=%s url=%s\n' "$pid" "$URL"
  elif pid_alive "$pid"; then
    printf 'starting pid=%s\n' "$pid"
    return 1
  else
    printf 'stopped\n'
    return 3
  fi
}

case "${1:-}" in
fetch) fetch ;;
start) start ;;
stop) stop ;;
status) status ;;
url) printf '%s\n' "$URL" ;;
java) find_java && printf '\n' ;;
*) die "usage: infra/registry.sh fetch|start|stop|status|url|java" ;;
esac
