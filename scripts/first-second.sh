#!/usr/bin/env bash
# The CPU backend's first second: `./engine train --data digits` in fresh JVMs with simd=false, the default
# (auto) and simd=true, interleaved, ROUNDS times (default 5). Prints per run the first epoch's and the last
# epoch's samples/s and the 30 epochs' training time, then the medians per mode, with the load average.
#   scripts/first-second.sh [ROUNDS] [extra train options, e.g. --epochs 100]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. "$root/.mvn/java-home.sh"
rounds=${1:-5}
shift || true
./engine train --data digits --epochs 1 --quiet >/dev/null 2>&1  # builds if needed
cp="examples/target/examples-0.1.0.jar:examples/target/lib/*"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for r in $(seq 1 "$rounds"); do
  for mode in false auto true; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    out=$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp "$cp" \
      dev.kengine.examples.cli.Main train --data digits --backend "cpu:simd=$mode" "$@" 2>&1)
    first=$(echo "$out" | grep -E '^epoch +1 ' | awk '{print $(NF-1)}' | tr -d ,)
    last=$(echo "$out" | grep -E '^epoch' | tail -1 | awk '{print $(NF-1)}' | tr -d ,)
    total=$(echo "$out" | grep -oE 'epochs in [0-9.]+ s' | awk '{print $3}')
    printf 'simd=%-5s load %5s  first epoch %8s/s  last epoch %8s/s  training %6s s\n' "$mode" "$load" "$first" "$last" "$total"
    echo "$mode $first $last $total" >> "$results"
  done
done
echo "medians over $rounds runs each:"
for mode in false auto true; do
  grep "^$mode " "$results" | python3 -c '
import sys, statistics as st
rows = [l.split() for l in sys.stdin]
f = st.median(float(r[1]) for r in rows); l = st.median(float(r[2]) for r in rows); t = st.median(float(r[3]) for r in rows)
print(f"  simd={rows[0][0]:<5}  first epoch {f:9,.0f}/s  last epoch {l:9,.0f}/s  training {t:5.2f} s")'
done
