# mv_vs_op_gva_to_gla: a segment's offset to a linear address from the VS's state: real mode with
# DS based at 0x12340 (and its limit), 64-bit mode (FS based, DS flat, a non-canonical result
# refused); an SSID above 5 INVALID_INPUT_REG1. Made from the root VM's kernel on cpu 0 and on the
# last CPU (tests/integration/bin/vs_state_probe.c, scenario translate).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state translate \
  "gva_to_gla real mode ds" \
  "gva_to_gla beyond the limit" \
  "gva_to_gla ssid 6" \
  "gva_to_gla 64-bit fs" \
  "gva_to_gla 64-bit ds flat" \
  "gva_to_gla 64-bit not canonical"
expect_clean_dump
expect_clean_kernel_log
finish
