# mv_vs_op_gla_to_gpa: a linear address to the GPA of its page through the guest's own 4-level
# tables in its memory: a 4K page (RW, user), a 2M page (read-only, NX with EFER.NXE, supervisor),
# no paging (the GLA itself), not present and tables outside the guest's memory FAILURE_UNKNOWN,
# REG2[11:0] not 0 INVALID_INPUT_REG2. Made from the root VM's kernel on cpu 0 and on the last CPU
# (tests/integration/bin/vs_state_probe.c, scenario translate).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state translate \
  "gla_to_gpa no paging" \
  "gla_to_gpa 4k" \
  "gla_to_gpa 2m" \
  "gla_to_gpa not present" \
  "gla_to_gpa not canonical" \
  "gla_to_gpa unaligned" \
  "gla_to_gpa tables not mapped"
expect_clean_dump
expect_clean_kernel_log
finish
