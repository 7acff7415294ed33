#!/usr/bin/env bash
# The running-average topology on our TopologyTestDriver and on Kafka Streams' own (Java), side by side.
# Usage: bench/ttd.sh [records]   (default 200000). Prints both results and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-200000}
source scripts/lib.sh 2>/dev/null || true
node_bin=${NODE_BIN:-.cache/node/24/bin/node}
mvn -q -B -f bench/java/pom.xml compile dependency:copy-dependencies -DoutputDirectory=target/lib -DincludeScope=runtime 2>&1 | sed -e 's/\x1b\[[0-9;]*m//g'
ours=$("$node_bin" --conditions=source bench/ttd-running-average.ts "$n")
java=$(java -Xmx1g -cp "bench/java/target/classes:bench/java/target/lib/*" bench.TtdRunningAverage "$n")
echo "$ours"
echo "$java"
node -e 'const a=JSON.parse(process.argv[1]), b=JSON.parse(process.argv[2]); console.log(`ratio kstreams-ts / kafka-streams-java = ${(a.recordsPerSecond / b.recordsPerSecond).toFixed(2)}`)' "$ours" "$java"
