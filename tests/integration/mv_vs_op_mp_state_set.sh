# mv_vs_op_mp_state_set: a VS's mv_mp_state_t set: above 4 INVALID_INPUT_REG2; a VS waiting for
# INIT or SIPI does not run (mv_vs_op_run FAILURE_UNKNOWN) until set running. Made from the root
# VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario mp).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state mp \
  "mp_state_set 5" \
  "mp_state_set init" \
  "run refused in init" \
  "mp_state_set sipi" \
  "run refused in sipi" \
  "mp_state_set running" \
  "run to hlt"
expect_clean_dump
expect_clean_kernel_log
finish
