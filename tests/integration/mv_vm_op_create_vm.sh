# mv_vm_op_create_vm: from the root VM's kernel, a new guest VM's ID each time (1 to 15, never the
# root VM's 0), until the microkernel has none left (FAILURE_UNKNOWN, nothing made); all of them
# destroyed, the IDs come back. From user space PERM_DENIED, a bad handle refused first.
# timeout: 120
. /microv/tests/testlib.sh
with_objects
hypercall $ST_PERM_DENIED "from user space" $MV_CREATE_VM "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $MV_CREATE_VM 0x1
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page handle 0x1 call $MV_CREATE_VM
made=""
for i in $(seq 1 15); do
  kobj $ST_OK "create VM $i" $MV_CREATE_VM 0 $((i % $(all_cpus | wc -l)))
  made="$made $reg0"
done
expect_line "$(echo $made)" '^0x1 0x2 0x3 0x4 0x5 0x6 0x7 0x8 0x9 0xa 0xb 0xc 0xd 0xe 0xf$'
kobj $ST_UNKNOWN "a 16th: none left" $MV_CREATE_VM
for vm in $made; do kobj $ST_OK "destroy $vm" $MV_DESTROY_VM "$vm"; done
kobj $ST_OK "one again after all were destroyed" $MV_CREATE_VM
expect_line "$reg0" '^0x1$'
kobj $ST_OK "destroy it" $MV_DESTROY_VM 0x1
expect_clean_kernel_log
finish
