# mv_vs_op_destroy_vs: from the root VM's kernel, a guest's VS goes (once), from the PP it was made
# on or from any other (the root OS moves threads); the root VM's VSs, the caller's own included,
# and IDs that name no VS are INVALID_INPUT_REG1. From user space PERM_DENIED, a bad handle
# refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
last=$(all_cpus | tail -n 1)
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
kobj $ST_OK "a VP" $MV_CREATE_VP "$vm"; vp=$reg0
kobj $ST_OK "a VS made on cpu 0" $MV_CREATE_VS "$vp" 0; vs0=$reg0
kobj $ST_OK "a VS made on cpu $last" $MV_CREATE_VS "$vp" "$last"; vs1=$reg0
expect_kernel_only $MV_DESTROY_VS "$vs0"
for pp in $(all_cpus); do
  kobj $ST_OK "the root VS of cpu $pp" $MV_VS_VSID 0 "$pp"
  kobj $ST_BAD_REG1 "destroy it from its own cpu" $MV_DESTROY_VS "$reg0" "$pp"
done
kobj $ST_BAD_REG1 "a VS that is not there" $MV_DESTROY_VS 0x3f
kobj $ST_OK "the VS made on cpu 0, from cpu $last" $MV_DESTROY_VS "$vs0" "$last"
kobj $ST_OK "the VS made on cpu $last, from cpu 0" $MV_DESTROY_VS "$vs1" 0
kobj $ST_BAD_REG1 "again: gone" $MV_DESTROY_VS "$vs0"
kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
