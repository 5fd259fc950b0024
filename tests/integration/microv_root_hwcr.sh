# microv_root_hwcr: while MicroV runs, the root VM's HWCR writes may change only the bits Linux
# changes at run time (CpbDis, IRPerfEn, CpuidUserDis, where the CPU has them): the host runs
# with HWCR too (issue 9, finding 10). Per CPU: setting SmmLock (bit 0) or McStatusWrEn (bit 18)
# is refused with EIO (#GP); rewriting HWCR's own value is taken; HWCR reads back unchanged.
# Natively, before the start, the McStatusWrEn write is not refused (the emulator ignores it; the
# value is put back all the same).
# timeout: 90
. /microv/tests/testlib.sh
hwcr=0xC0010015
before=$(msr_probe rdmsr 0 $hwcr) || { fail "rdmsr of HWCR"; finish; }
out=$(msr_probe wrmsr 0 $hwcr "$(printf '%x' $((before ^ (1 << 18))))")
echo "natively, cpu 0, McStatusWrEn flipped in $before: $out"
expect_line "$out" '^wrmsr ok$'
msr_probe wrmsr 0 $hwcr "$(printf '%x' $((before)))" >/dev/null
with_microv
for cpu in $(all_cpus); do
  before=$(msr_probe rdmsr "$cpu" $hwcr) || fail "rdmsr on cpu $cpu"
  for bit in 0 18; do
    out=$(msr_probe wrmsr "$cpu" $hwcr "$(printf '%x' $((before ^ (1 << bit))))")
    echo "cpu $cpu, HWCR $before with bit $bit flipped: $out"
    expect_line "$out" '^wrmsr refused: (I/O|Input/output) error$'
  done
  out=$(msr_probe wrmsr "$cpu" $hwcr "$(printf '%x' $((before)))")
  echo "cpu $cpu, its own value: $out"
  expect_line "$out" '^wrmsr ok$'
  expect_line "$(msr_probe rdmsr "$cpu" $hwcr)" "^$before\$"
  expect_line "$(cpuid_probe "$cpu")" '^signature MicroV'
done
expect_clean_kernel_log
finish
