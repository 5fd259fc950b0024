# mv_debug_op_out: both values appear on MicroV's console (debug ring); no handle needed.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "debug out" 0x764d000000020000 0x1122334455667788 0xcafe
expect_line "$(vmmctl dump)" '^mv_debug_op_out: 0x1122334455667788 0x000000000000cafe$'
hypercall 0xdead000000020001 "an index past the group" 0x764d000000020001 1 2
finish
