#!/usr/bin/env bash
# A soak, not part of `make test`: N start/stop cycles in one boot of the test bed, each with a
# root-OS workload on every CPU, the extension's and the microkernel's fault builds mixed in
# (tests/integration/lib/soak.sh); after every cycle the loader must hold nothing and every CPU
# must be back without MicroV's signature and with the MSRs MicroV touches as it found them.
# The short form (20 cycles) is the integration test microv_soak.
#   scripts/soak.sh [CYCLES] [CPUS] [SECONDS_OF_WORKLOAD_PER_CYCLE]    (default 200 4 1)
# Exit status 0 when every cycle passed. Builds first (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-200}
cpus=${2:-4}
secs=${3:-1}
[[ "$cycles" =~ ^[1-9][0-9]*$ && "$secs" =~ ^[1-9][0-9]*$ ]] || { echo "usage: scripts/soak.sh [CYCLES] [CPUS] [SECONDS]" >&2; exit 2; }
make --no-print-directory build >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A cycle takes a few seconds under TCG: allow 15 s each, plus the boot.
cat >"$dir/microv_soak_long.sh" <<SCRIPT
# timeout: $((60 + cycles * (15 + secs)))
. /microv/tests/testlib.sh
. /microv/tests/workload.sh
. /microv/tests/soak.sh
soak_cycles $cycles $secs
expect_clean_kernel_log
finish
SCRIPT
testbed/run.sh --cpus "$cpus" --stream --out build/soak "$dir/microv_soak_long.sh"
