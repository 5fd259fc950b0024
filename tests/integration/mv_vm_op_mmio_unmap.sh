# mv_vm_op_mmio_unmap: from the root VM's kernel, a guest's mapping goes by an MDL of {dst, bytes}
# in the shared page, and the guest sees it at once: the real-mode guest runs to its HLT from its
# RAM, its code page (GPA 0x1000) is unmapped, and when run again its next instruction fetch is an
# MMIO exit for execution at a GPA in that page. The VM's other mappings go with it.
# timeout: 120
. /microv/tests/testlib.sh
with_objects
guest_run "unmap the guest's code after its HLT" --cpu 0 --guest "$REAL_MODE_GUEST" --unmap-after-hlt \
  --max-exits 500
expect_line "$out" '^unmap gpa 0x1000: status 0x0$'
expect_line "$(printf '%s\n' "$exits" | tail -n 1)" '^exit mmio execute gpa 0x1[0-9a-f]{3}$'
exits=$(printf '%s\n' "$exits" | sed '$d')
expect_exits "$REAL_MODE_EXITS"
kobj $ST_OK "nothing left behind: a VM" $MV_CREATE_VM
expect_line "$reg0" '^0x1$'
kobj $ST_OK "destroy it" $MV_DESTROY_VM "$reg0"
expect_clean_kernel_log
finish
