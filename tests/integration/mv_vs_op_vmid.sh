# mv_vs_op_vmid: from the root VM's kernel, the VM a VS belongs to: the guest's VM for a guest's
# VS, 0 for each PP's root VS; INVALID_INPUT_REG1 for an ID that names no VS. From user space
# PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
kobj $ST_OK "a VP" $MV_CREATE_VP "$vm"; vp=$reg0
kobj $ST_OK "a VS" $MV_CREATE_VS "$vp"; vs=$reg0
kobj $ST_OK "its VM" $MV_VS_VMID "$vs"
expect_line "$reg0" "^$vm\$"
hypercall $ST_PERM_DENIED "from user space" $MV_VS_VMID "$handle" "$vs"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $MV_VS_VMID 0x1 "$vs"
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page handle 0x1 call $MV_VS_VMID "$vs"
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
