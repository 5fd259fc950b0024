# mv_vp_op_vmid: from the root VM's kernel, the VM a VP belongs to: the guest VM for a guest's VP,
# 0 for each PP's root VP; INVALID_INPUT_REG1 for an ID that names no VP (one destroyed, one
# beyond). From user space PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
kobj $ST_OK "create a VM" $MV_CREATE_VM
kobj $ST_OK "create another" $MV_CREATE_VM; vm=$reg0
kobj $ST_OK "a VP in the second" $MV_CREATE_VP "$vm"; vp=$reg0
kobj $ST_OK "its VM" $MV_VP_VMID "$vp"
expect_line "$reg0" "^$vm\$"
expect_kernel_only $MV_VP_VMID "$vp"
for pp in $(all_cpus); do
  kobj $ST_OK "the root VP of cpu $pp" $MV_VP_VPID 0 "$pp"
  kobj $ST_OK "its VM" $MV_VP_VMID "$reg0" "$pp"
  expect_line "$reg0" '^0x0$'
done
kobj $ST_OK "destroy the VP" $MV_DESTROY_VP "$vp"
kobj $ST_BAD_REG1 "its VM now" $MV_VP_VMID "$vp"
kobj $ST_BAD_REG1 "beyond every VP" $MV_VP_VMID 0xffff
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
kobj $ST_OK "the first VM" $MV_DESTROY_VM 0x1
expect_clean_kernel_log
finish
