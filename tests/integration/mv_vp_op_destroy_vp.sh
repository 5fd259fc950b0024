# mv_vp_op_destroy_vp: from the root VM's kernel, a guest's VP without VSs goes (once); one with a
# VS is refused (FAILURE_UNKNOWN) until its VS is gone; the root VM's VPs and IDs that name no VP
# are INVALID_INPUT_REG1. From user space PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
kobj $ST_OK "a VP" $MV_CREATE_VP "$vm"; vp=$reg0
expect_kernel_only $MV_DESTROY_VP "$vp"
for pp in $(all_cpus); do
  kobj $ST_OK "the root VP of cpu $pp" $MV_VP_VPID 0 "$pp"
  kobj $ST_BAD_REG1 "destroy it" $MV_DESTROY_VP "$reg0" "$pp"
done
kobj $ST_BAD_REG1 "a VP that is not there" $MV_DESTROY_VP 0x3f
kobj $ST_BAD_REG1 "beyond every VP" $MV_DESTROY_VP 0x40
kobj $ST_OK "a VS of it" $MV_CREATE_VS "$vp"; vs=$reg0
kobj $ST_UNKNOWN "the VP while it has a VS" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VS" $MV_DESTROY_VS "$vs"
kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
kobj $ST_BAD_REG1 "again: gone" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
