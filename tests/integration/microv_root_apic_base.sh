# microv_root_apic_base: while MicroV runs, the root VM may not move its local APIC's page (issue 9,
# finding 10: IA32_APIC_BASE was the root's to write; in xAPIC mode the page covers whatever RAM
# lies at its new address for that CPU, MicroV's pool included, and the microkernel sends its NMIs
# through the page where it was). Per CPU: a write that moves the page 1 MiB down is refused with
# EIO (#GP); rewriting the MSR's own value is taken; the MSR reads back unchanged. (Should a write
# go through, as before the fix, the old value is put back at once.)
# timeout: 90
. /microv/tests/testlib.sh
apic_base=0x1b
with_microv
for cpu in $(all_cpus); do
  before=$(msr_probe rdmsr "$cpu" $apic_base) || fail "rdmsr on cpu $cpu"
  out=$(msr_probe wrmsr "$cpu" $apic_base "$(printf '%x' $((before - 0x100000)))")
  echo "cpu $cpu, APIC base $before moved down 1 MiB: $out"
  expect_line "$out" '^wrmsr refused: (I/O|Input/output) error$'
  [ "$out" = "wrmsr ok" ] && msr_probe wrmsr "$cpu" $apic_base "$(printf '%x' $((before)))" >/dev/null
  out=$(msr_probe wrmsr "$cpu" $apic_base "$(printf '%x' $((before)))")
  echo "cpu $cpu, its own value: $out"
  expect_line "$out" '^wrmsr ok$'
  expect_line "$(msr_probe rdmsr "$cpu" $apic_base)" "^$before\$"
  expect_line "$(cpuid_probe "$cpu")" '^signature MicroV'
done
expect_clean_kernel_log
finish
