# mv_handle_op_open_handle: the spec's version 1 ID gives a handle, from user space as from the
# kernel, a fresh one each time (REG0[63:32] is ignored): a capability another process cannot
# guess. Any other version is refused with INVALID_INPUT_REG0. A handle works for the PP calls.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "open with MV_SPEC_ID1_VAL" 0x764d000000010000 0x3123764d
first=$reg0
[ "$first" != "0xffffffffffffffff" ] && [ "$first" != "0x0" ] && ok "a handle: $first" || fail "no handle: $first"
hypercall 0x0 "open again (upper half set: REVI)" 0x764d000000010000 0xffffffff3123764d
second=$reg0
[ "$second" != "$first" ] && ok "another handle: $second" || fail "the same handle twice: $second"
hypercall 0x0 "the first works" 0x764d000000030000 "$first"
hypercall 0x0 "the second works" 0x764d000000030000 "$second"
hypercall 0xdead000000010003 "a wrong version" 0x764d000000010000 0x3123764e
hypercall 0xdead000000010003 "version 0" 0x764d000000010000 0x0
finish
