# mv_vs_op_mp_state_get: a VS's mv_mp_state_t: initial when made, what the VMM set, wait after the
# guest's HLT, running once it runs again; the root VM's VS INVALID_INPUT_REG1. Made from the root
# VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario mp).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state mp \
  "mp_state_get initial" \
  "mp_state_get init" \
  "mp_state_get after hlt" \
  "mp_state_get while it runs on" \
  "mp_state_get root vs"
expect_clean_dump
expect_clean_kernel_log
finish
