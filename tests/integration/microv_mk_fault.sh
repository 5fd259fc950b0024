# A fault in the microkernel itself (a test build that faults in ring 0 on one private syscall)
# is reported with its registers; the CPU it happened on goes back to the OS, the others stay
# under MicroV, and stop still gives everything back and frees the pool.
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
expect_line "$dump" "^microv: microkernel fault on pp $(printf '0x%04x' "$last"): this CPU goes back to the OS\$"
expect_line "$dump" "^microv: root OS had been promoted on pp $(printf '0x%04x' "$last")\$"
expect_no_line "$(cpuid_probe "$last")" '^signature MicroVMicroV$'
if [ "$last" -gt 0 ]; then
  expect_line "$(cpuid_probe 0)" '^signature MicroVMicroV$'
fi

. /microv/tests/workload.sh
workload_run 5; expect_status 0 $? "the root OS runs a workload on every CPU"
vmmctl stop; expect_status 0 $? "vmmctl stop"
expect_machine_as_found "$found"   # the CPU given back by the fault too
expect_clean_kernel_log
finish
