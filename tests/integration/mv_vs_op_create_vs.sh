# mv_vs_op_create_vs: from the root VM's kernel, a VS for a guest's VP, on every PP, several per VP
# (mv_vs_op_vpid says whose); never for a root VP nor a VP that is not there (INVALID_INPUT_REG1).
# From user space PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
kobj $ST_OK "a VP" $MV_CREATE_VP "$vm"; vp=$reg0
expect_kernel_only $MV_CREATE_VS "$vp"
kobj $ST_OK "the root VP of cpu 0" $MV_VP_VPID
kobj $ST_BAD_REG1 "a VS for it" $MV_CREATE_VS "$reg0"
kobj $ST_BAD_REG1 "for a VP that is not there" $MV_CREATE_VS 0x3f
made=""
for pp in $(all_cpus); do
  kobj $ST_OK "a VS on cpu $pp" $MV_CREATE_VS "$vp" "$pp"
  vs=$reg0; made="$made $vs"
  kobj $ST_OK "whose" $MV_VS_VPID "$vs"
  expect_line "$reg0" "^$vp\$"
done
for vs in $made; do kobj $ST_OK "destroy $vs" $MV_DESTROY_VS "$vs"; done
kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
