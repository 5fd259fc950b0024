# microv_mk_stack_guard: a ring-0 stack overflow faults instead of writing over what lies below
# (issue 9, finding 11: the microkernel's stacks had no guard pages; below the syscall stack is
# the PP's argument page, below an IST stack whatever pool page came before). The microkernel's
# test build writes 8 bytes just below this PP's syscall stack, or its NMI stack, on a private
# syscall each: the guard page there is not mapped, so that is a #PF in
# ring 0 (error code 2: a write to a page not present), reported, and handled as any microkernel
# fault (every CPU goes back to the OS, as microv_mk_fault checks); stop frees the pool.
# timeout: 120
. /microv/tests/testlib.sh
lib=/microv/lib/microv
last=$(($(grep -c ^processor /proc/cpuinfo) - 1))
found=$(cpu_msrs)
for case in "0x764d0000fffb0000 the syscall stack" "0x764d0000fffa0000 the NMI's IST stack"; do
  hypercall=${case%% *}
  dump_mark
  vmmctl start --pool 8 --kernel $lib/microv_kernel_faulty.bin --ext $lib/microv_vmm_faulty.elf
  expect_status 0 $? "start with the faulty test builds"
  vmmcall_probe "$hypercall" "$last"; expect_status 0 $? "the hypercall that writes below ${case#* }"
  dump=$(dump_since_mark)
  echo "$dump" | tail -6
  expect_line "$dump" '^microv: EXCEPTION vector 0x000000000000000e error 0x0000000000000002 ring 0x0000000000000000$'
  expect_line "$dump" "^microv: microkernel fault on pp $(printf '0x%04x' "$last"): every PP goes back to the OS\$"
  vmmctl stop; expect_status 0 $? "vmmctl stop"
  expect_machine_as_found "$found"
done
expect_clean_kernel_log
finish
