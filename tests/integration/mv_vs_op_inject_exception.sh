# mv_vs_op_inject_exception: an exception for the VS's next entry: a real-mode guest spinning with
# interrupts on runs its #UD handler (its IVT) when run again; a second one before the first was
# delivered is FAILURE_UNKNOWN, a vector above 31 INVALID_INPUT_REG2, the root VM's VS
# INVALID_INPUT_REG1. Made from the root VM's kernel on cpu 0 and on the last CPU
# (tests/integration/bin/vs_state_probe.c, scenario events).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state events \
  "the guest is ready" \
  "inject_exception 32" \
  "inject_exception root vs" \
  "inject_exception ud" \
  "inject_exception while one is pending" \
  'the guest'\''s #UD handler ran'
expect_clean_dump
expect_clean_kernel_log
finish
