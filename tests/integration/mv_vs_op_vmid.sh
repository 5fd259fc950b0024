# mv_vs_op_vmid: from the root VM's kernel, the VM a VS belongs to: the guest's VM for a guest's
# VS, 0 for each PP's root VS; INVALID_INPUT_REG1 for an ID that names no VS. From user space
# PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
make_guest
kobj $ST_OK "its VM" $MV_VS_VMID "$vs"
expect_line "$reg0" "^$vm\$"
expect_kernel_only $MV_VS_VMID "$vs"
for pp in $(all_cpus); do
  kobj $ST_OK "the root VS of cpu $pp" $MV_VS_VSID 0 "$pp"
  kobj $ST_OK "its VM" $MV_VS_VMID "$reg0" "$pp"
  expect_line "$reg0" '^0x0$'
done
kobj $ST_OK "destroy the VS" $MV_DESTROY_VS "$vs"
kobj $ST_BAD_REG1 "its VM now" $MV_VS_VMID "$vs"
kobj $ST_BAD_REG1 "beyond every VS" $MV_VS_VMID 0x40
kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
