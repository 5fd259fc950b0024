# mv_pp_op_clr_shared_page_gpa: clears this PP's shared page (also when none is set); a bad
# handle is refused.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "open" --open
handle=$reg0
hypercall 0x0 "clear with none set" 0x764d000000030002 "$handle"
hypercall 0x0 "set" 0x764d000000030003 "$handle" self
hypercall 0x0 "clear" 0x764d000000030002 "$handle"
hypercall 0x0 "clear again" 0x764d000000030002 "$handle"
hypercall 0xdead000000040001 "a bad handle" 0x764d000000030002 0x1
finish
