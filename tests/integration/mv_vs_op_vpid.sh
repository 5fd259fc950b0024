# mv_vs_op_vpid: from the root VM's kernel, the VP a VS belongs to: the guest's VP for a guest's
# VS, the PP's root VP (mv_vp_op_vpid) for each root VS; INVALID_INPUT_REG1 for an ID that names
# no VS. From user space PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
make_guest
kobj $ST_OK "its VP" $MV_VS_VPID "$vs"
expect_line "$reg0" "^$vp\$"
expect_kernel_only $MV_VS_VPID "$vs"
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
