#!/usr/bin/env bash
# A benchmark, not a test: wall time of the root-OS workload (tests/integration/lib/workload.sh,
# ROUNDS rounds per CPU) in the test bed, without and with MicroV, in the same boot, and the ratio.
#   scripts/bench-root-workload.sh [BUILD_DIR] [CPUS] [ROUNDS]
# Under QEMU/TCG the absolute times say little; the ratio is the figure to watch.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cpus=${2:-2}
rounds=${3:-150}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<SCRIPT
# timeout: 900
. /microv/tests/workload.sh
now() { cut -d' ' -f1 /proc/uptime; }
measure() { t0=\$(now); workload_rounds $rounds || exit 1; t1=\$(now); echo "\$t0 \$t1" | awk '{printf "%.2f", \$2 - \$1}'; }
base=\$(measure)
vmmctl start --pool 16 >/dev/null || exit 1
under=\$(measure)
vmmctl stop >/dev/null || exit 1
again=\$(measure)
echo "bench: $rounds rounds x $cpus cpus: without MicroV \${base} s, under MicroV \${under} s, after stop \${again} s"
echo "\$base \$under" | awk '{printf "bench: ratio under/without = %.3f\n", \$2 / \$1}'
SCRIPT
testbed/run.sh --build "$build" --cpus "$cpus" --stream --out "$build/bench" "$script" | grep '^bench:'
