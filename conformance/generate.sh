#!/usr/bin/env bash
# Regenerates conformance/golden/ by running every scenario on Kafka Streams' own TopologyTestDriver (Java).
#   conformance/generate.sh           rewrite golden/*.json
#   conformance/generate.sh --check   regenerate into a temp dir; exit 1 naming every stale, missing or extra file
# Needs Java 17+ and Maven; the first run fetches kafka-streams from Maven Central into ~/.m2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
java_dir=$here/java
check=0
case "${1:-}" in
  --check) check=1 ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

lib=$java_dir/target/lib
# -q still prints colour resets; strip them so the output stays readable
mvn -q -B -f "$java_dir/pom.xml" compile dependency:copy-dependencies \
  -DoutputDirectory="$lib" -DincludeScope=runtime 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g'

run() {
  java -Xmx512m -XX:+UseSerialGC -cp "$java_dir/target/classes:$lib/*" conformance.Oracle "$here/scenarios" "$1"
}

if [[ $check -eq 0 ]]; then
  rm -f "$here"/golden/*.json
  run "$here/golden"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run "$tmp"
stale=()
for f in "$tmp"/*.json; do
  name=$(basename "$f")
  if [[ ! -f $here/golden/$name ]]; then
    stale+=("golden/$name (missing)")
  elif ! cmp -s "$f" "$here/golden/$name"; then
    stale+=("golden/$name (differs)")
  fi
done
for f in "$here"/golden/*.json; do
  [[ -e $f ]] || continue
  name=$(basename "$f")
  [[ -f $tmp/$name ]] || stale+=("golden/$name (no scenario)")
done
if [[ ${#stale[@]} -gt 0 ]]; then
  echo "stale golden files (run conformance/generate.sh):" >&2
  printf '  %s\n' "${stale[@]}" >&2
  exit 1
fi
echo "golden files are up to date"
