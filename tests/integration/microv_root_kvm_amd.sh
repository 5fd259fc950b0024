# microv_root_kvm_amd: while MicroV runs, the root OS cannot run a hypervisor of its own: Debian's
# kvm_amd refuses to load (MicroV shows a CPU whose SVM is off and locked by firmware), and
# nothing of it is left behind. After stop, kvm_amd loads and runs a guest (kvm_exit_bench); once
# it is unloaded again, MicroV starts again.
# timeout: 120
. /microv/tests/testlib.sh
with_microv
insmod /microv/kvm-modules/irqbypass.ko && insmod /microv/kvm-modules/kvm.ko && insmod /microv/kvm-modules/ccp.ko
expect_status 0 $? "kvm's own modules load"
insmod /microv/kvm-modules/kvm-amd.ko 2>/tmp/err; rc=$?
cat /tmp/err
[ $rc -ne 0 ] && ok "kvm_amd refused under MicroV" || { fail "kvm_amd loaded under MicroV"; rmmod kvm_amd; }
expect_line "$(kernel_log_since_start)" "kvm: support for 'kvm_amd' disabled by bios"
[ -e /dev/kvm ] && [ "$(cat /proc/modules | grep -c '^kvm_amd ')" -gt 0 ] && fail "/dev/kvm with kvm_amd" || ok "no kvm_amd"
rmmod ccp kvm irqbypass; expect_status 0 $? "kvm's modules unload"
expect_line "$(cpuid_probe | grep signature)" '^signature MicroVMicroV$'
vmmctl stop >/dev/null; expect_status 0 $? "vmmctl stop"
_microv_started=0
with_kvm_amd; expect_status 0 $? "kvm_amd loads once MicroV has stopped"
out=$(kvm_exit_bench 2000); rc=$?; echo "$out"
expect_status 0 $rc "a KVM guest runs 2,000 CPUIDs to its HLT"
expect_line "$out" '^kvm-cpuid -?[0-9]+ ns$'  # a time, not checked: this is no benchmark
without_kvm_amd; expect_status 0 $? "kvm_amd unloads"
with_microv
expect_line "$(cpuid_probe | grep signature)" '^signature MicroVMicroV$'
expect_clean_kernel_log
finish
