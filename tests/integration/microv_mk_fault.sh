# A fault in the microkernel itself (a test build that faults in ring 0 on one private syscall)
# is reported with its registers, and every CPU goes back to the OS, the one that faulted last
# (issue 9, finding 5: it went back alone, and natively could write the memory the others still
# ran MicroV with). The others are idle: an NMI from the microkernel brings them out. Then stop
# finds nothing left to stop and frees the pool.
# timeout: 120
. /microv/tests/testlib.sh
lib=/microv/lib/microv
last=$(($(grep -c ^processor /proc/cpuinfo) - 1))
found=$(cpu_msrs)

vmmctl start --pool 8 --kernel $lib/microv_kernel_faulty.bin --ext $lib/microv_vmm_faulty.elf
expect_status 0 $? "start with the faulty test builds"
vmmcall_probe 0x764d0000fffd0000 "$last"; expect_status 0 $? "the hypercall that makes the microkernel fault"
dump=$(vmmctl dump)
echo "$dump" | tail -8
expect_line "$dump" '^microv: EXCEPTION vector 0x000000000000000e error 0x0000000000000002 ring 0x0000000000000000$'
expect_line "$dump" "^microv: microkernel fault on pp $(printf '0x%04x' "$last"): every PP goes back to the OS\$"
for cpu in $(seq 0 "$last"); do
  expect_line "$dump" "^microv: root OS had been promoted on pp $(printf '0x%04x' "$cpu")\$"
  expect_no_line "$(cpuid_probe "$cpu")" '^signature MicroVMicroV$'
done
# The faulted PP leaves last: its promote line is the last one.
expect_line "$(echo "$dump" | grep 'promoted on pp' | tail -1)" "pp $(printf '0x%04x' "$last")\$"

. /microv/tests/workload.sh
workload_run 5; expect_status 0 $? "the root OS runs a workload on every CPU"
vmmctl stop; expect_status 0 $? "vmmctl stop"
expect_machine_as_found "$found"
expect_clean_kernel_log
finish
