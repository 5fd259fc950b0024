# A fault inside the extension (a test build that faults on one private hypercall) is reported in
# the dump, the hypercall fails, and the root OS runs on; stop still gives every CPU back.
# Also: a hypercall from user space never stops MicroV (only the root VM's kernel may).
# timeout: 120
. /microv/tests/testlib.sh
lib=/microv/lib/microv
found=$(cpu_msrs)

vmmctl start --pool 8 --ext $lib/microv_vmm_faulty.elf; expect_status 0 $? "start with the faulty extension"
out=$(vmmcall_probe 0x764d0000fffe0000); rc=$?
echo "$out"
expect_status 0 "$rc" "the faulting hypercall returns"
expect_line "$out" '^rax 0xdead000000010001$'
dump=$(vmmctl dump)
echo "$dump" | tail -12
expect_line "$dump" '^microv: EXCEPTION vector 0x000000000000000e error 0x0000000000000006 ring 0x0000000000000003$'
expect_line "$dump" 'the extension failed on pp 0x000[0-9]: exception in ring 3'
expect_line "$dump" 'the hypercall failed; the root VM goes on'

# The root OS is fine and MicroV still answers on every CPU.
for pp in $(seq 0 $(($(grep -c ^processor /proc/cpuinfo) - 1))); do
  expect_line "$(cpuid_probe "$pp")" '^signature MicroVMicroV$'
done
out=$(vmmcall_probe 0x764d0000ffff0000)
expect_line "$out" '^rax 0xdead000000010002$'   # the loader's stop from user space: denied
expect_line "$(vmmctl status)" '^microv: running$'

vmmctl stop; expect_status 0 $? "stop after the fault"
expect_machine_as_found "$found"
expect_clean_kernel_log
finish
