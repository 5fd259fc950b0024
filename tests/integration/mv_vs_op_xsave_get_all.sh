# mv_vs_op_xsave_get_all: the VS's XSAVE area (standard form) into the shared page: x87 and SSE
# live after a set, XMM0 and MXCSR as set; page 1 INVALID_INPUT_REG2 (the area fits one page).
# Made from the root VM's kernel on cpu 0 and on the last CPU
# (tests/integration/bin/vs_state_probe.c, scenario fpu).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state fpu \
  "xsave_get_all" \
  "xsave_get_all page 1"
expect_clean_dump
expect_clean_kernel_log
finish
