# mv_handle_op_open_handle: the spec's version 1 ID gives the root VM's handle (the same for every
# opener; REG0[63:32] is ignored); any other version is refused with INVALID_INPUT_REG0.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "open with MV_SPEC_ID1_VAL" 0x764d000000010000 0x3123764d
handle=$reg0
[ "$handle" != "0xffffffffffffffff" ] && [ "$handle" != "0x0" ] && ok "a handle: $handle" || fail "no handle: $handle"
hypercall 0x0 "open again (upper half set: REVI)" 0x764d000000010000 0xffffffff3123764d
expect_line "$reg0" "^$handle\$"
hypercall 0xdead000000010003 "a wrong version" 0x764d000000010000 0x3123764e
hypercall 0xdead000000010003 "version 0" 0x764d000000010000 0x0
finish
