# mv_vs_op_queue_interrupt: an interrupt the guest takes when it can (V_IRQ): its handler for
# vector 0x20 runs; one queued while another waits is FAILURE_UNKNOWN; vectors outside 31-255
# INVALID_INPUT_REG2; once taken another may be queued. Made from the root VM's kernel on cpu 0
# and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario events).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state events \
  "queue_interrupt 30" \
  "queue_interrupt 256" \
  "queue_interrupt 0x20" \
  "queue_interrupt while one waits" \
  'the guest'\''s interrupt handler ran' \
  "queue_interrupt again once taken" \
  "and ran again"
expect_clean_dump
expect_clean_kernel_log
finish
