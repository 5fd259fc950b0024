#!/usr/bin/env bash
# A benchmark, not a test: the mean cost of a CPUID exit and of a hypercall (mv_pp_op_ppid from
# user space, through the extension's dispatcher) in the test bed, N of each on one CPU, with the
# cost of the same CPUID before MicroV starts, and the cost of a CPUID exit of a KVM guest
# (Debian's kvm_amd, kvm_exit_bench) in the same boot, before MicroV starts: the reference.
#   scripts/bench-exits.sh [BUILD_DIR] [N]
# Under QEMU/TCG absolute times say little; compare runs of the same build machine.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-20000}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<SCRIPT
# timeout: 600
before=\$(exit_bench $n) || exit 1
. /microv/tests/testlib.sh
with_kvm_amd || exit 1
kvm=\$(kvm_exit_bench $n) || exit 1
without_kvm_amd || exit 1
vmmctl start --pool 16 >/dev/null || exit 1
under=\$(exit_bench $n) || exit 1
vmmctl stop >/dev/null || exit 1
echo "bench: $n of each; without MicroV: \$(echo "\$before" | tr '\n' ' ')"
echo "bench: under MicroV: \$(echo "\$under" | tr '\n' ' ')"
echo "bench: KVM (kvm_amd) in the same boot, a guest's CPUID: \$kvm"
SCRIPT
testbed/run.sh --build "$build" --cpus 1 --stream --out "$build/bench-exits" "$script" | grep '^bench:'
