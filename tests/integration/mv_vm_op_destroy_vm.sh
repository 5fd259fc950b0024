# mv_vm_op_destroy_vm: from the root VM's kernel, a guest VM without VPs goes (once: then
# INVALID_INPUT_REG1); one with a VP is refused (FAILURE_UNKNOWN) until its VP is gone; the root
# VM (0) and IDs that name no VM are INVALID_INPUT_REG1; REG1[63:16] is ignored. From user space
# PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
expect_kernel_only $MV_DESTROY_VM "$vm"
kobj $ST_BAD_REG1 "the root VM" $MV_DESTROY_VM 0x0
kobj $ST_BAD_REG1 "a VM that is not there" $MV_DESTROY_VM 0xe
kobj $ST_BAD_REG1 "beyond every VM" $MV_DESTROY_VM 0xffff
kobj $ST_OK "a VP in it" $MV_CREATE_VP "$vm"; vp=$reg0
kobj $ST_UNKNOWN "the VM while it has a VP" $MV_DESTROY_VM "$vm"
kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VM, REG1[63:16] set (ignored), from the last CPU" $MV_DESTROY_VM \
  "$(printf '0x%x' $((0xabcd0000 | vm)))" "$(all_cpus | tail -n 1)"
kobj $ST_BAD_REG1 "again: gone" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
