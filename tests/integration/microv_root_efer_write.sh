# microv_root_efer_write: the root VM's EFER writes that a CPU refuses get #GP under MicroV, and
# the CPU goes on (issue 9, finding 6: MicroV put a reserved bit into the VMCB, the next VMRUN
# failed and the PP halted). Per CPU: a reserved bit (63) and clearing LME with paging on are
# refused with EIO (#GP), rewriting EFER's own value is taken, and EFER reads back unchanged.
# timeout: 90
. /microv/tests/testlib.sh
with_microv
efer=0xC0000080
for cpu in $(all_cpus); do
  before=$(msr_probe rdmsr "$cpu" $efer) || fail "rdmsr on cpu $cpu"
  echo "cpu $cpu: efer $before"
  # EFER's top digit is 0: bit 63 set is that digit made 8 (the shell's arithmetic is signed)
  out=$(msr_probe wrmsr "$cpu" $efer "$(echo "$before" | sed 's/^0x0/8/')")
  echo "cpu $cpu, reserved bit 63: $out"
  expect_line "$out" '^wrmsr refused: (I/O|Input/output) error$'
  out=$(msr_probe wrmsr "$cpu" $efer "$(printf '%x' $((before & ~0x100)))")
  echo "cpu $cpu, LME cleared with paging on: $out"
  expect_line "$out" '^wrmsr refused: (I/O|Input/output) error$'
  out=$(msr_probe wrmsr "$cpu" $efer "$(printf '%x' $before)")
  echo "cpu $cpu, its own value: $out"
  expect_line "$out" '^wrmsr ok$'
  expect_line "$(msr_probe rdmsr "$cpu" $efer)" "^$before\$"
  # The CPU still runs under MicroV: an exit on it is answered.
  expect_line "$(cpuid_probe "$cpu")" '^signature MicroV'
done
expect_clean_kernel_log
finish
