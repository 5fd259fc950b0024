# mv_vs_op_reg_get_list: a guest's registers by an RDL of mv_reg_t in the shared page, in the
# order asked; more than 250 entries is FAILURE_UNKNOWN, the root VM's VS INVALID_INPUT_REG1. Made
# from the root VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c,
# scenario regs).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state regs \
  "reg_get_list" \
  "reg_get_list too long" \
  "reg_get_list root vs"
expect_clean_dump
expect_clean_kernel_log
finish
