# mv_vs_op_reg_set_list: a guest's registers set from an RDL, all or none: a list whose XCR0 the
# microkernel refuses (no x87) is FAILURE_UNSUPPORTED and leaves RAX, set before it, as it was; an
# entry naming no register is FAILURE_UNKNOWN. Made from the root VM's kernel on cpu 0 and on the
# last CPU (tests/integration/bin/vs_state_probe.c, scenario regs).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state regs \
  "reg_set_list" \
  "reg_set_list refused" \
  "reg_set_list all or none" \
  "reg_set_list bad entry"
expect_clean_dump
expect_clean_kernel_log
finish
