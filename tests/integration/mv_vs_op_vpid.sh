# mv_vs_op_vpid: from the root VM's kernel, the VP a VS belongs to: the guest's VP for a guest's
# VS, the PP's root VP (mv_vp_op_vpid) for each root VS; INVALID_INPUT_REG1 for an ID that names
# no VS. From user space PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
kobj $ST_OK "a VP" $MV_CREATE_VP "$vm"; vp=$reg0
kobj $ST_OK "a VS" $MV_CREATE_VS "$vp"; vs=$reg0
kobj $ST_OK "its VP" $MV_VS_VPID "$vs"
expect_line "$reg0" "^$vp\$"
hypercall $ST_PERM_DENIED "from user space" $MV_VS_VPID "$handle" "$vs"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $MV_VS_VPID 0x1 "$vs"
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page handle 0x1 call $MV_VS_VPID "$vs"
for pp in $(all_cpus); do
  kobj $ST_OK "the root VP of cpu $pp" $MV_VP_VPID 0 "$pp"; rootvp=$reg0
  kobj $ST_OK "the root VS of cpu $pp" $MV_VS_VSID 0 "$pp"
  kobj $ST_OK "its VP" $MV_VS_VPID "$reg0" "$pp"
  expect_line "$reg0" "^$rootvp\$"
done
kobj $ST_OK "destroy the VS" $MV_DESTROY_VS "$vs"
kobj $ST_BAD_REG1 "its VP now" $MV_VS_VPID "$vs"
kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
