# mv_vp_op_create_vp: from the root VM's kernel, a VP in a guest VM, until the microkernel has
# none left (64 VPs, one per PP the root VM's: FAILURE_UNKNOWN); never in the root VM nor in a VM
# that is not there (INVALID_INPUT_REG1). From user space PERM_DENIED, a bad handle refused first.
# timeout: 180
. /microv/tests/testlib.sh
with_objects
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
expect_kernel_only $MV_CREATE_VP "$vm"
kobj $ST_BAD_REG1 "in the root VM" $MV_CREATE_VP 0x0
kobj $ST_BAD_REG1 "in a VM that is not there" $MV_CREATE_VP 0xf
cpus=$(all_cpus | wc -l)
made=""
for i in $(seq 1 $((64 - cpus))); do
  kobj $ST_OK "VP $i" $MV_CREATE_VP "$vm" $((i % cpus)) >/dev/null
  made="$made $reg0"
done
echo "made:$made"
expect_line "$(echo $made | wc -w)" "^$((64 - cpus))\$"
kobj $ST_UNKNOWN "one more: none left" $MV_CREATE_VP "$vm"
for vp in $made; do kobj $ST_OK "destroy $vp" $MV_DESTROY_VP "$vp" >/dev/null; done
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
