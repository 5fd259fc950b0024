# mv_vm_op_mmio_unmap from another CPU: the unmap takes effect on a CPU other than the one that
# unmaps, while the guest runs there. The real-mode guest runs on the last CPU to its HLT and then
# spins in its code page (GPA 0x1000); from CPU 0, a thread of guest_probe unmaps that page. On
# hardware its translation stays cached while it spins, so MicroV brings the guest out before the
# unmap returns (kernel/src/guest_tlb.cpp, an NMI it swallows): its next fetch must be an MMIO
# exit for execution at a GPA in that page, and the root OS never sees the kick. (The test bed's
# emulator drops its TLB at every world switch: there a missing shootdown would still pass; a
# kick the root OS saw, or an unmap that hung or failed, does not.)
# timeout: 120
. /microv/tests/testlib.sh
last=$(last_cpu)
if [ "$last" -eq 0 ]; then
  ok "one CPU: no other CPU to unmap from"
  finish
fi
with_objects
guest_run "unmap the spinning guest's code from cpu 0" --cpu "$last" --guest "$REAL_MODE_GUEST" \
  --unmap-remote-from 0 --max-exits 2000
expect_line "$out" "^cpu $last\$"
expect_line "$out" '^remote unmap from cpu 0: status 0x0$'
echo "interrupt exits after the HLT: $(interrupts_after_hlt)"
expect_line "$(printf '%s\n' "$out" | grep '^exit ' | tail -n 1)" '^exit mmio execute gpa 0x1[0-9a-f]{3}$'
exits=$(printf '%s\n' "$exits" | sed '$d')
expect_exits "$REAL_MODE_EXITS"
kobj $ST_OK "nothing left behind: a VM" $MV_CREATE_VM
expect_line "$reg0" '^0x1$'
kobj $ST_OK "destroy it" $MV_DESTROY_VM "$reg0"
# The kick is MicroV's own NMI: the root OS must never see it.
expect_no_line "$(kernel_log_since_start)" 'NMI received for unknown reason|Dazed and confused'
expect_clean_kernel_log
finish
