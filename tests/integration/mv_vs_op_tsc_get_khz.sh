# mv_vs_op_tsc_get_khz: the VS's TSC frequency (OP 0x3, IDX 0x27, as the spec heads it): the PP's,
# which MicroV does not scale; mv_vs_op_tsc_set_khz is reserved (FAILURE_UNSUPPORTED). Made from
# the root VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c,
# scenario tsc).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state tsc \
  'tsc_get_khz is the pp'\''s' \
  "tsc_set_khz reserved"
expect_clean_dump
expect_clean_kernel_log
finish
