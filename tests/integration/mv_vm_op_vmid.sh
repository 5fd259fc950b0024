# mv_vm_op_vmid: the caller's VM, which is the root VM (0) on every PP, from user space and from
# the kernel alike; a bad handle is refused.
# timeout: 60
. /microv/tests/testlib.sh
with_objects
for pp in $(all_cpus); do
  hypercall $ST_OK "from user space on cpu $pp" $MV_VM_VMID "$handle" --cpu "$pp"
  expect_line "$reg0" '^0x0$'
  kobj $ST_OK "from the kernel on cpu $pp" $MV_VM_VMID 0 "$pp"
  expect_line "$reg0" '^0x0$'
done
hypercall $ST_BAD_HANDLE "a bad handle" $MV_VM_VMID 0x1
expect_clean_kernel_log
finish
