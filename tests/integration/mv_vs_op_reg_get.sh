# mv_vs_op_reg_get: from the root VM's kernel, a guest's VS's registers by mv_reg_t, from any PP: a
# new VS holds the CPU's RESET state (CS F000 based at FFFF0000, RIP FFF0, RFLAGS 2, CR0 60000010,
# DR6 FFFF0FF0, DR7 400, the data segments' limit FFFF); what mv_vs_op_reg_set wrote reads back.
# XCR0 is 1 (x87) and DR0-DR3 0 after RESET. An mv_reg_t that is not one (0, 71) is
# INVALID_INPUT_REG2; CR8 is not held yet (FAILURE_UNSUPPORTED); the root VM's VSs and IDs that name no VS are INVALID_INPUT_REG1. From
# user space PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
get=0x764d00000006000d
set=0x764d00000006000e
make_guest
for pp in $(all_cpus); do
  kcall $ST_OK "the RESET state from cpu $pp" --cpu "$pp" --no-page \
    call $get "$vs" 0x17 call $get "$vs" 0x1a call $get "$vs" 0x11 call $get "$vs" 0x12 call $get "$vs" 0x41 \
    call $get "$vs" 0x3f call $get "$vs" 0x40 call $get "$vs" 0x21 call $get "$vs" 0x1 call $get "$vs" 0x43
  expect_statuses 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0
  expect_reg0s 0xf000 0xffff0000 0xfff0 0x2 0x60000010 0xffff0ff0 0x400 0xffff 0x0 0x0
done
kcall $ST_OK "RAX and RIP set" --no-page call $set "$vs" 0x1 0x1234 call $set "$vs" 0x11 0x7c00 \
  call $get "$vs" 0x1 call $get "$vs" 0x11
expect_reg0s "$handle" "$handle" 0x1234 0x7c00
expect_kernel_only $get "$vs" 0x11
kcall $ST_OK "XCR0 and DR0-DR3 after RESET" --no-page call $get "$vs" 0x46 call $get "$vs" 0x3b \
  call $get "$vs" 0x3c call $get "$vs" 0x3d call $get "$vs" 0x3e
expect_reg0s 0x1 0x0 0x0 0x0 0x0
kcall $ST_OK "refused" --no-page call $get "$vs" 0x0 call $get "$vs" 0x47 call $get "$vs" 0x45 \
  call $get 0x0 0x11 call $get 0x3f 0x11 call $get "$vs" 0x11
expect_statuses $ST_BAD_REG2 $ST_BAD_REG2 $ST_UNSUPPORTED $ST_BAD_REG1 $ST_BAD_REG1 0x0
kobj $ST_OK "destroy the VS" $MV_DESTROY_VS "$vs"
kobj $ST_BAD_REG1 "a VS that is gone" $get "$vs"
kobj $ST_OK "the VP" $MV_DESTROY_VP "$vp"
kobj $ST_OK "the VM" $MV_DESTROY_VM "$vm"
expect_clean_kernel_log
finish
