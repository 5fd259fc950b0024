# mv_handle_op_close_handle: the root VM's handle closes; anything else is an invalid handle.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "open" --open
handle=$reg0
hypercall 0x0 "close" 0x764d000000010001 "$handle"
hypercall 0xdead000000040001 "close a bad handle" 0x764d000000010001 0x1234
hypercall 0xdead000000040001 "close MV_INVALID_HANDLE" 0x764d000000010001 0xffffffffffffffff
hypercall 0xdead000000020001 "an index past the group" 0x764d000000010002 "$handle"
finish
