# mv_vs_op_run, protected mode: the 32-bit guest (vms/protected_mode.S) enters protected mode by
# itself from the real mode guest_probe starts it in, and on cpu 0 and on the last CPU gives the
# exits of PROTECTED_MODE_EXITS in order: OUT and IN of 1, 2 and 4 bytes (an IN's answer only in
# as many low bytes of EAX), OUTS and INS with and without REP (the VMM moves ESI, EDI and ECX);
# no exit for CPUID; MMIO writes and reads of 1, 2 and 4 bytes by disp32, base + disp8,
# register-indirect, SIB + disp32, AH and moffs forms (the VMM decodes them in 32-bit code); RDMSR
# and WRMSR of MSRs the guest does not hold, none for STAR, which it does (read back as written);
# #UD and #DE handled by the guest's own IDT, which reports each on port 0x30 and resumes (MicroV
# does not intercept them; an exception the guest does not expect would show on port 0x33); x87 and
# SSE results; HLT (shutdown); then, run again while it spins with interrupts off, only interrupt
# exits. Its second entry triple-faults in protected mode: its mark, then HLT with vm_crash.
# guest_probe destroys its VM each time, so the next VM made is 0x1 again; neither the kernel log
# nor MicroV's debug ring shows a fault.
# timeout: 240
. /microv/tests/testlib.sh
with_objects
dump_mark
for pp in $(printf '0\n%s\n' "$(last_cpu)" | uniq); do
  guest_run "the protected-mode guest on cpu $pp" --cpu "$pp" --guest "$PROTECTED_MODE_GUEST" \
    --stop-after-interrupts 3 --max-exits 500
  expect_exits "$PROTECTED_MODE_EXITS"
  for vector in 0x6 0x0; do
    expect_line "$exits" "^exit io out port 0x30 size 4 data $vector reps 1\$"
  done
  expect_no_line "$exits" '^exit io out port 0x33 '
  n=$(interrupts_after_hlt)
  [ "$n" -ge 1 ] && ok "$n interrupt exit(s) while it spins" || fail "no interrupt exit after the HLT"
  expect_line "$(printf '%s\n' "$out" | grep '^exit ' | tail -n 1)" '^exit interrupt$'
  expect_no_line "$out" '^guest_probe: stopped after'
  guest_run "its triple fault on cpu $pp" --cpu "$pp" --guest "$PROTECTED_MODE_GUEST" \
    --entry "$PROTECTED_MODE_TRIPLE_FAULT" --max-exits 100
  expect_exits "$PROTECTED_MODE_TRIPLE_FAULT_EXITS"
done
kobj $ST_OK "nothing left behind: a VM" $MV_CREATE_VM
expect_line "$reg0" '^0x1$'
kobj $ST_OK "destroy it" $MV_DESTROY_VM "$reg0"
expect_clean_dump
expect_clean_kernel_log
finish
