# mv_vs_op_xsave_set_all: the VS's XSAVE area from the shared page: the compacted form (XCOMP_BV
# not 0) is FAILURE_UNKNOWN; the standard form is taken and the guest's own XMM0 (MOVD to EAX,
# OUT) shows it. Made from the root VM's kernel on cpu 0 and on the last CPU
# (tests/integration/bin/vs_state_probe.c, scenario fpu).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state fpu \
  "xsave_set_all compacted" \
  "xsave_set_all" \
  'the guest'\''s xmm0'
expect_clean_dump
expect_clean_kernel_log
finish
