# Shared by the scripts in this folder (sourced, not run). Expects ROOT to be set.
# shellcheck shell=bash

CLIENT=@confluentinc/kafka-javascript
KSTREAMS_CACHE="${KSTREAMS_CACHE:-$HOME/.cache/kstreams-ts}"

# lock_field PACKAGE FIELD: a field of node_modules/PACKAGE in package-lock.json.
lock_field() {
  node -e 'const l = require(process.argv[1]); const p = l.packages["node_modules/" + process.argv[2]];
    process.stdout.write(p ? p[process.argv[3]] ?? "" : "")' "$ROOT/package-lock.json" "$1" "$2"
}

# Cache key of the native Kafka client build: its exact tarball (integrity), the linking mode and the system.
client_key() {
  local v integrity
  v="$(lock_field "$CLIENT" version)"
  integrity="$(lock_field "$CLIENT" integrity)"
  [[ -n "$v" ]] || return 1
  printf '%s' "$v-$(printf '%s|%s|%s|%s' "$integrity" "${CKJS_LINKING:-dynamic}" "$(uname -m)" \
    "$(cat /etc/debian_version 2>/dev/null)" | sha256sum | cut -c1-12)"
}
