# mv_vs_op_run: from the root VM's kernel, a guest's VS runs on the PP it was made on until an exit
# its VMM must see. The real-mode guest (vms/real_mode.S), on cpu 0 and on the last CPU, gives in
# order: OUT of 1, 2 and 4 bytes (RIP already past them); an IN whose answer the VMM gives back
# through mv_run_t's RAX on the next run; no exit for CPUID, which MicroV answers; REP OUTSB that the
# VMM emulates from guest memory, setting RSI and RCX; an MMIO write and read the VMM decodes and
# emulates, setting RIP and AL; HLT (shutdown); then, run again while it spins with interrupts off,
# only interrupt exits (the root OS's interrupts still reach it). The guest's second entry
# triple-faults: HLT with vm_crash. guest_probe destroys its VM each time, so the next VM made is 0x1
# again; neither the kernel log nor MicroV's debug ring shows a fault.
# timeout: 240
. /microv/tests/testlib.sh
with_objects
dump_mark
last=$(all_cpus | tail -n 1)
for pp in $(printf '0\n%s\n' "$last" | uniq); do
  guest_run "the real-mode guest on cpu $pp" --cpu "$pp" --guest "$REAL_MODE_GUEST" \
    --stop-after-interrupts 3 --max-exits 500
  expect_exits "$REAL_MODE_EXITS"
  n=$(interrupts_after_hlt)
  [ "$n" -ge 1 ] && ok "$n interrupt exit(s) while it spins" || fail "no interrupt exit after the HLT"
  expect_line "$(printf '%s\n' "$out" | grep '^exit ' | tail -n 1)" '^exit interrupt$'
  expect_no_line "$out" '^guest_probe: stopped after'
  guest_run "its triple fault on cpu $pp" --cpu "$pp" --guest "$REAL_MODE_GUEST" \
    --entry "$REAL_MODE_TRIPLE_FAULT" --max-exits 100
  expect_exits 'exit hlt vm_crash'
done
kobj $ST_OK "nothing left behind: a VM" $MV_CREATE_VM
expect_line "$reg0" '^0x1$'
kobj $ST_OK "destroy it" $MV_DESTROY_VM "$reg0"
expect_clean_dump
expect_clean_kernel_log
finish
