# mv_handle_op_close_handle: a handle closes once; afterwards it is refused (FAILURE_INVALID_HANDLE)
# for every call, while other handles go on. The guest VMs made under a handle are its own: another
# handle gets INVALID_INPUT_REG1 for them (as if they did not exist) and cannot destroy, inspect or
# run them; closing the handle destroys them (the VM ID is free again). Anything that is not an open
# handle is an invalid handle.
# timeout: 90
. /microv/tests/testlib.sh
with_microv
with_kprobe
hypercall 0x0 "open" --open
handle=$reg0
hypercall 0x0 "open a second" --open
other=$reg0
hypercall 0x0 "close" 0x764d000000010001 "$handle"
hypercall 0xdead000000040001 "close it again" 0x764d000000010001 "$handle"
hypercall 0xdead000000040001 "a PP call with it" 0x764d000000030000 "$handle"
hypercall 0x0 "the other handle works on" 0x764d000000030000 "$other"
hypercall 0xdead000000040001 "close a bad handle" 0x764d000000010001 0x1234
hypercall 0xdead000000040001 "close MV_INVALID_HANDLE" 0x764d000000010001 0xffffffffffffffff
hypercall 0xdead000000020001 "an index past the group" 0x764d000000010002 "$other"
# Guests belong to their handle.
hypercall 0x0 "a third handle" --open
mine=$reg0
handle=$mine
make_guest
kcall $ST_OK "its objects from its own handle" --no-page call $MV_VS_VMID "$vs" call $MV_VP_VMID "$vp"
expect_reg0s "$vm" "$vm"
kcall $ST_BAD_REG1 "from the other handle: none of them" --no-page --handle "$other" call $MV_VS_VMID "$vs" \
  call $MV_VP_VMID "$vp" call $MV_DESTROY_VS "$vs" call $MV_DESTROY_VP "$vp" call $MV_DESTROY_VM "$vm" \
  call 0x764d00000006000d "$vs" 0x11 call $MV_CREATE_VP "$vm"
expect_statuses $ST_BAD_REG1 $ST_BAD_REG1 $ST_BAD_REG1 $ST_BAD_REG1 $ST_BAD_REG1 $ST_BAD_REG1 $ST_BAD_REG1
kcall $ST_OK "the root VM's VP and VS: anyone's to ask about" --no-page --handle "$other" \
  call $MV_VS_VMID 0x0 call $MV_VP_VMID 0x0
expect_statuses 0x0 0x0
hypercall 0x0 "close the third: its VS, VP and VM go" 0x764d000000010001 "$mine"
handle=$other
kobj $ST_OK "a VM again" $MV_CREATE_VM
expect_line "$reg0" "^$vm\$"
kobj $ST_OK "destroy it" $MV_DESTROY_VM "$reg0"
handle=""
expect_clean_kernel_log
finish
