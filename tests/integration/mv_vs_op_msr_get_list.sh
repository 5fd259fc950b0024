# mv_vs_op_msr_get_list: guest-held MSRs by an RDL; an MSR the guest does not hold makes the list
# FAILURE_UNKNOWN. Made from the root VM's kernel on cpu 0 and on the last CPU
# (tests/integration/bin/vs_state_probe.c, scenario msrs).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state msrs \
  "msr_get_list" \
  "msr_get_list unsupported"
expect_clean_dump
expect_clean_kernel_log
finish
