# mv_vs_op_run, long mode: the 64-bit guest (vms/long_mode.S) builds its own page tables and IDT
# and enters long mode by itself from the real mode guest_probe starts it in (EFER.LME by WRMSR,
# which MicroV answers: no exit), and on cpu 0 and on the last CPU gives the exits of
# LONG_MODE_EXITS in order: EFER as MicroV shows it (LME, LMA); OUT and IN of 1, 2 and 4 bytes (the
# 4-byte IN zero-extends into RAX), OUTS and INS with 64-bit RSI, RDI and RCX; MMIO writes and
# reads of 1, 2, 4 and 8 bytes with REX (W, R, B, and one with no bits for SIL and DIL), SIB,
# disp32 and moffs64 forms (the VMM decodes them in 64-bit code); RDMSR and WRMSR of MSRs the guest
# does not hold, none for LSTAR and KERNEL_GS_BASE (SWAPGS then shows it as GS_BASE); #UD, #DE and
# a #PF at an address its page tables leave unmapped, each handled by its own IDT (reported on
# ports 0x30-0x32; an exception it does not expect would show on port 0x33); SSE; CPUID's XSAVE and
# AVX (the test bed's CPU has both; MicroV's CPUID does not mirror CR4.OSXSAVE, see testlib); with
# guest_probe --xcr0 7, AVX in YMM1 across exits; HLT (shutdown); then only interrupt exits while
# it spins with interrupts off. Its second entry triple-faults in long mode on a #PF with no IDT:
# its mark, then HLT with vm_crash. Run once more on cpu 0 without --xcr0, the guest's own XSETBV
# does not last past an exit in the test bed (LONG_MODE_EXITS_XSETBV_UNSEEN: QEMU 7.2's SVM does
# not intercept XSETBV, so MicroV never sees it). Neither the kernel log nor MicroV's debug ring
# shows a fault.
# timeout: 300
. /microv/tests/testlib.sh
with_objects
dump_mark
for pp in $(printf '0\n%s\n' "$(last_cpu)" | uniq); do
  guest_run "the long-mode guest on cpu $pp" --cpu "$pp" --guest "$LONG_MODE_GUEST" --xcr0 7 \
    --stop-after-interrupts 3 --max-exits 500
  expect_exits "$LONG_MODE_EXITS"
  for report in '0 0x6' '0 0x0' '0 0xe' '1 0x2' '2 0x40000000'; do
    set -- $report
    expect_line "$exits" "^exit io out port 0x3$1 size 4 data $2 reps 1\$"
  done
  expect_no_line "$exits" '^exit io out port 0x33 '
  n=$(interrupts_after_hlt)
  [ "$n" -ge 1 ] && ok "$n interrupt exit(s) while it spins" || fail "no interrupt exit after the HLT"
  expect_line "$(printf '%s\n' "$out" | grep '^exit ' | tail -n 1)" '^exit interrupt$'
  expect_no_line "$out" '^guest_probe: stopped after'
  guest_run "its triple fault on cpu $pp" --cpu "$pp" --guest "$LONG_MODE_GUEST" \
    --entry "$LONG_MODE_TRIPLE_FAULT" --max-exits 100
  expect_exits "$LONG_MODE_TRIPLE_FAULT_EXITS"
done
guest_run "the long-mode guest with its own XSETBV alone on cpu 0" --cpu 0 --guest "$LONG_MODE_GUEST" \
  --stop-after-interrupts 3 --max-exits 500
expect_exits "$LONG_MODE_EXITS_XSETBV_UNSEEN"
kobj $ST_OK "nothing left behind: a VM" $MV_CREATE_VM
expect_line "$reg0" '^0x1$'
kobj $ST_OK "destroy it" $MV_DESTROY_VM "$reg0"
expect_clean_dump
expect_clean_kernel_log
finish
