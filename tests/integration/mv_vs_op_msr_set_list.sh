# mv_vs_op_msr_set_list: guest-held MSRs set from an RDL, all or none: a non-canonical CSTAR after
# STAR is FAILURE_UNKNOWN and STAR keeps its value. Made from the root VM's kernel on cpu 0 and on
# the last CPU (tests/integration/bin/vs_state_probe.c, scenario msrs).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state msrs \
  "msr_set_list refused" \
  "msr_set_list all or none" \
  "msr_set_list"
expect_clean_dump
expect_clean_kernel_log
finish
