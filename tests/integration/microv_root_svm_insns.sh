# The root VM runs with EFER.SVME set (VMRUN needs it), so without intercepts its kernel could run
# VMLOAD/VMSAVE, whose RAX is a host physical address: VMSAVE would write the CPU's FS, GS, TR and
# SYSCALL state into any page of MicroV's, VMLOAD read one (the class of CVE-2021-3656). MicroV
# intercepts every SVM instruction and the root VM gets #UD, as on a CPU without SVM: from the
# root OS's kernel (the test module svm_probe) each one faults, on every CPU, also aimed at the
# pool; MicroV runs on and stops cleanly.
# timeout: 120
. /microv/tests/testlib.sh
probe=/microv/test-modules/svm_probe.ko

vmmctl start --pool 8; expect_status 0 $? "vmmctl start"
pool=$(vmmctl status | sed -n 's/^pool at: //p')
for c in $(all_cpus); do
  for insn in vmsave vmload invlpga stgi clgi; do
    taskset -c "$c" insmod $probe insn=$insn phys=$pool 2>/dev/null; rc=$?
    if [ $rc -ne 0 ]; then ok "$insn on cpu $c faulted"; else fail "$insn ran on cpu $c"; rmmod svm_probe; fi
  done
done
expect_line "$(kernel_log_since_start)" "svm_probe: vmsave at $pool: fault"
expect_no_line "$(kernel_log_since_start)" "svm_probe: .*: ran"
for c in $(all_cpus); do
  expect_line "$(cpuid_probe "$c")" '^signature MicroVMicroV$'
done
vmmctl stop; expect_status 0 $? "vmmctl stop"
expect_clean_kernel_log
finish
