# mv_vs_op_cpuid_set_list: features turned off by a CDL: every feature of leaf 7.0; an entry with
# flags is FAILURE_UNKNOWN. Made from the root VM's kernel on cpu 0 and on the last CPU
# (tests/integration/bin/vs_state_probe.c, scenario cpuid).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state cpuid \
  "cpuid_set_list leaf 7 off" \
  "cpuid_get_list after set" \
  "cpuid_set_list flags"
expect_clean_dump
expect_clean_kernel_log
finish
