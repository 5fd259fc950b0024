# mv_vs_op_msr_set: a guest-held MSR set: canonical addresses only, PAT with memory types only,
# EFER with the guest's bits only (SVME INVALID_INPUT_REG3, NXE taken). Made from the root VM's
# kernel on cpu 0 and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario msrs).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state msrs \
  "msr_set star" \
  "msr_set lstar" \
  "msr_set lstar not canonical" \
  "msr_set pat bad type" \
  "msr_set efer svme" \
  "msr_set efer nxe" \
  "msr_get efer nxe"
expect_clean_dump
expect_clean_kernel_log
finish
