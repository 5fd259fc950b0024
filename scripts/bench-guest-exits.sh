#!/usr/bin/env bash
# A benchmark, not a test: a guest's exits under MicroV and under KVM (Debian's kvm_amd) in the same
# boot of the test bed, with the same 16-bit guest code: a CPUID the hypervisor answers itself, and
# an OUT's round trip to the VMM process (MicroV: through the root VM's kernel, hypercall_kprobe;
# KVM: KVM_EXIT_IO). N of each on one CPU (vs_state_probe bench, kvm_exit_bench).
#   scripts/bench-guest-exits.sh [BUILD_DIR] [N]
# Under QEMU/TCG absolute times say little; the ratio in the same boot is the figure.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-20000}
script=$(mktemp)
trap 'rm -f "$script"' EXIT
cat >"$script" <<SCRIPT
# timeout: 900
. /microv/tests/testlib.sh
with_kvm_amd || exit 1
kvm=\$(kvm_exit_bench $n) || exit 1
without_kvm_amd || exit 1
vmmctl start --pool 16 >/dev/null || exit 1
insmod /microv/test-modules/hypercall_kprobe.ko || exit 1
mv=\$(vs_state_probe --cpu 0 bench $n) || exit 1
rmmod hypercall_kprobe
vmmctl stop >/dev/null || exit 1
echo "bench: $n of each; KVM (kvm_amd): \$(echo "\$kvm" | tr '\n' ' ')"
echo "bench: MicroV: \$(echo "\$mv" | tr '\n' ' ')"
SCRIPT
testbed/run.sh --build "$build" --cpus 1 --stream --out "$build/bench-guest-exits" "$script" | grep '^bench:'
