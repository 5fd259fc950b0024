# microv_root_mtrr: while MicroV runs, the root VM's writes to the MSRs that set memory types
# (MTRRs, SYSCFG, TOP_MEM/TOP_MEM2) complete but change nothing (issue 9, finding 10: SVM shares
# them with the host, so a write-combining or uncached range over MicroV's pool would reach the
# hypervisor); reads show the real values. Tried on every CPU with an unused variable MTRR
# (MTRRphysBase7, 0x20e: its mask's valid bit is clear, so the write is harmless natively too).
# After stop, the same write takes effect again (and is undone).
# timeout: 90
. /microv/tests/testlib.sh
base7=0x20e
mask7=0x20f
for cpu in $(all_cpus); do
  mask=$(msr_probe rdmsr "$cpu" $mask7)
  [ $((mask & 0x800)) -eq 0 ] && ok "cpu $cpu: MTRR 7 unused" || { fail "cpu $cpu: MTRR 7 in use ($mask)"; finish; }
done
with_microv
for cpu in $(all_cpus); do
  before=$(msr_probe rdmsr "$cpu" $base7)
  out=$(msr_probe wrmsr "$cpu" $base7 "$(printf '%x' $((before ^ 0x1000)))")
  echo "cpu $cpu: MTRRphysBase7 $before, write of base ^ 0x1000: $out"
  expect_line "$out" '^wrmsr ok$'
  expect_line "$(msr_probe rdmsr "$cpu" $base7)" "^$before\$"
done
vmmctl stop >/dev/null; expect_status 0 $? "vmmctl stop"
_microv_started=0
before=$(msr_probe rdmsr 0 $base7)
msr_probe wrmsr 0 $base7 "$(printf '%x' $((before ^ 0x1000)))" >/dev/null
expect_line "$(msr_probe rdmsr 0 $base7)" "^$(printf '0x%016x' $((before ^ 0x1000)))\$"
msr_probe wrmsr 0 $base7 "$(printf '%x' $((before)))" >/dev/null
expect_line "$(msr_probe rdmsr 0 $base7)" "^$before\$"
expect_clean_kernel_log
finish
