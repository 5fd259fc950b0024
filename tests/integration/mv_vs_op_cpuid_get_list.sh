# mv_vs_op_cpuid_get_list: CPUID leaves by a CDL: leaf 0 gives the CPU's vendor. Made from the
# root VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario
# cpuid).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state cpuid \
  "cpuid_get_list vendor" \
  "cpuid_get_list after set"
expect_clean_dump
expect_clean_kernel_log
finish
