# mv_vs_op_fpu_set_all: the VS's x87/SSE state from the shared page: XMM0 and MXCSR as written; a
# reserved MXCSR bit is FAILURE_UNKNOWN (FXRSTOR would fault), nothing changed. Made from the root
# VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario fpu).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state fpu \
  "fpu_set_all" \
  "fpu_get_all after set" \
  "fpu_set_all reserved mxcsr bit" \
  "xsave_get_all"
expect_clean_dump
expect_clean_kernel_log
finish
