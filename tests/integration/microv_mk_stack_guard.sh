# microv_mk_stack_guard: a ring-0 stack overflow faults instead of writing over what lies below
# (issue 9, finding 11: the microkernel's stacks had no guard pages; below the syscall stack is
# the PP's argument page). The microkernel's test build writes 8 bytes just below this PP's
# syscall stack on a private syscall: the guard page there is not mapped, so that is a #PF in
# ring 0 (error code 2: a write to a page not present), reported, and handled as any microkernel
# fault (this CPU goes back to the OS); stop gives every CPU back.
# timeout: 120
. /microv/tests/testlib.sh
lib=/microv/lib/microv
last=$(($(grep -c ^processor /proc/cpuinfo) - 1))
found=$(cpu_msrs)
vmmctl start --pool 8 --kernel $lib/microv_kernel_faulty.bin --ext $lib/microv_vmm_faulty.elf
expect_status 0 $? "start with the faulty test builds"
vmmcall_probe 0x764d0000fffb0000 "$last"; expect_status 0 $? "the hypercall that writes below the syscall stack"
dump=$(vmmctl dump)
echo "$dump" | tail -6
expect_line "$dump" '^microv: EXCEPTION vector 0x000000000000000e error 0x0000000000000002 ring 0x0000000000000000$'
expect_line "$dump" "^microv: microkernel fault on pp $(printf '0x%04x' "$last"): this CPU goes back to the OS\$"
vmmctl stop; expect_status 0 $? "vmmctl stop"
expect_machine_as_found "$found"
expect_clean_kernel_log
finish
