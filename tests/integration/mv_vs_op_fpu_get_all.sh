# mv_vs_op_fpu_get_all: the VS's x87/SSE state (FXSAVE's 512 bytes) into the shared page: FCW
# 0x37F and MXCSR 0x1F80 after RESET, then what fpu_set_all and xsave_set_all wrote; the root VM's
# VS INVALID_INPUT_REG1. Made from the root VM's kernel on cpu 0 and on the last CPU
# (tests/integration/bin/vs_state_probe.c, scenario fpu).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state fpu \
  "fpu_get_all after reset" \
  "fpu_get_all after set" \
  "fpu_get_all root vs"
expect_clean_dump
expect_clean_kernel_log
finish
