# mv_vs_op_msr_get: the MSRs a guest holds itself, as it sees them: STAR and LSTAR as set, EFER
# without SVME, an MSR it does not hold (APIC base) FAILURE_UNSUPPORTED, the root VM's VS
# INVALID_INPUT_REG1; the guest's own RDMSR of STAR (which does not exit) sees the value set. Made
# from the root VM's kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c,
# scenario msrs).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state msrs \
  "msr_get star" \
  "msr_get lstar" \
  "msr_get efer no svme" \
  "msr_get apic base" \
  "msr_get root vs" \
  "guest rdmsr star high"
expect_clean_dump
expect_clean_kernel_log
finish
