# mv_pp_op_set_shared_page_gpa: a page of the caller's own RAM becomes this PP's shared page;
# refused (INVALID_INPUT_REG1): REVZ bits set, a GPA outside RAM (the local APIC, far beyond the
# end of memory) and MicroV's own memory (the pool); a bad handle is refused first.
# timeout: 60
. /microv/tests/testlib.sh
dump_mark=$(vmmctl dump | wc -l)
with_microv
hypercall 0x0 "open" --open
handle=$reg0
pool=$(vmmctl status | sed -n 's/^pool at: //p')
hypercall 0x0 "a page of my own" 0x764d000000030003 "$handle" self
hypercall 0x0 "another page of my own (replaces the first)" 0x764d000000030003 "$handle" self
hypercall 0xdead000000020003 "REVZ bits set" 0x764d000000030003 "$handle" 0x100008
hypercall 0xdead000000020003 "the local APIC" 0x764d000000030003 "$handle" 0xfee00000
hypercall 0xdead000000020003 "far beyond the end of RAM" 0x764d000000030003 "$handle" 0x100000000000
hypercall 0xdead000000020003 "MicroV's pool" 0x764d000000030003 "$handle" "$pool"
hypercall 0xdead000000040001 "a bad handle" 0x764d000000030003 0x1 self
for pp in $(seq 0 $(($(grep -c ^processor /proc/cpuinfo) - 1))); do
  hypercall 0x0 "a page on cpu $pp" 0x764d000000030003 "$handle" self --cpu "$pp"
done
expect_no_line "$(vmmctl dump | tail -n +$((dump_mark + 1)))" 'EXCEPTION|failed'
finish
