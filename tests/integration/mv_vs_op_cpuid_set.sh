# mv_vs_op_cpuid_set: features of one leaf turned off for the VS: leaf 1 without the hypervisor
# bit, which the guest's own CPUID (answered by MicroV, no exit) no longer shows. Made from the
# root VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario
# cpuid).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state cpuid \
  "cpuid_set leaf 1 without it" \
  "cpuid_get after set" \
  "guest cpuid leaf 1 hypervisor bit"
expect_clean_dump
expect_clean_kernel_log
finish
