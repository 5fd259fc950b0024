# mv_pp_op_online_pps: the number of PPs MicroV runs on; a bad handle is refused.
# timeout: 60
. /microv/tests/testlib.sh
with_microv
hypercall 0x0 "open" --open
handle=$reg0
hypercall 0x0 "online pps" 0x764d000000030001 "$handle"
expect_line "$reg0" "^$(printf '0x%x' "$(grep -c ^processor /proc/cpuinfo)")\$"
hypercall 0xdead000000040001 "a bad handle" 0x764d000000030001 0xffffffffffffffff
finish
