# mv_debug_op_out: both values appear on MicroV's console (debug ring); no handle needed. Lines
# are rate-limited per PP (32 at once, then about 20 a second: each holds GIF=0 on the serial
# port, and any process may ask; issue 9, finding 11): of 2,000 in a row at most a few dozen
# show, the hypercall succeeds for all, and the next line shown says how many were not.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "debug out" 0x764d000000020000 0x1122334455667788 0xcafe
expect_line "$(vmmctl dump)" '^mv_debug_op_out: 0x1122334455667788 0x000000000000cafe$'
hypercall 0xdead000000020001 "an index past the group" 0x764d000000020001 1 2

sleep 1  # a full bucket again
hypercall 0x0 "2,000 lines in a row from user space" 0x764d000000020000 0xf100d 0x1 --cpu 0 --repeat 2000
shown=$(vmmctl dump | grep -c '^mv_debug_op_out: 0x00000000000f100d 0x0000000000000001$')
echo "$shown of 2000 shown"
[ "$shown" -ge 32 ] && [ "$shown" -le 64 ] && ok "the burst, and not much more" || fail "$shown lines shown"
sleep 1
hypercall 0x0 "one more line later" 0x764d000000020000 0xaf7e5 0x2 --cpu 0
dump=$(vmmctl dump)
expect_line "$dump" '^mv_debug_op_out: 0x0000000000000[0-9a-f]{3} lines not shown on this PP \(rate limit\)$'
expect_line "$dump" '^mv_debug_op_out: 0x00000000000af7e5 0x0000000000000002$'
finish
