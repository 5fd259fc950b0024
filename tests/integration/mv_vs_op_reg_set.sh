# mv_vs_op_reg_set: from the root VM's kernel, a guest's VS's registers by mv_reg_t, from any PP, as
# mv_vs_op_reg_get reads them back: general registers, RIP, RSP, RFLAGS, a segment's four fields
# (the bits beyond a selector's 16 and a limit's 32 are REVI, ignored), the descriptor tables,
# control and debug registers, XCR0 (x87 and SSE), DR0-DR3. An mv_reg_t that is not one is
# INVALID_INPUT_REG2; CR8 is not held yet, and an XCR0 the CPU would refuse (AVX without SSE) or a
# DR0 that is not canonical is not taken (FAILURE_UNSUPPORTED); the root VM's VSs and IDs that name no VS are
# INVALID_INPUT_REG1. From user space PERM_DENIED, a bad handle refused first.
# timeout: 90
. /microv/tests/testlib.sh
with_objects
get=0x764d00000006000d
set=0x764d00000006000e
last=$(all_cpus | tail -n 1)
kobj $ST_OK "create a VM" $MV_CREATE_VM; vm=$reg0
kobj $ST_OK "a VP" $MV_CREATE_VP "$vm"; vp=$reg0
kobj $ST_OK "a VS on cpu 0" $MV_CREATE_VS "$vp" 0; vs=$reg0
kcall $ST_OK "set on cpu $last" --cpu "$last" --no-page \
  call $set "$vs" 0x1 0xffffffffffffffff call $set "$vs" 0xf 0x15 call $set "$vs" 0x10 0x8000 \
  call $set "$vs" 0x11 0x100000 call $set "$vs" 0x12 0x202 call $set "$vs" 0x17 0xabcd0008 \
  call $set "$vs" 0x18 0xa09b call $set "$vs" 0x19 0x1ffffffff call $set "$vs" 0x1a 0x0 \
  call $set "$vs" 0x35 0x27 call $set "$vs" 0x36 0x5000 call $set "$vs" 0x41 0x80000011 \
  call $set "$vs" 0x43 0x9000 call $set "$vs" 0x44 0x20 call $set "$vs" 0x40 0x401
expect_statuses 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0 0x0
kcall $ST_OK "read back on cpu 0" --cpu 0 --no-page \
  call $get "$vs" 0x1 call $get "$vs" 0xf call $get "$vs" 0x10 call $get "$vs" 0x11 call $get "$vs" 0x12 \
  call $get "$vs" 0x17 call $get "$vs" 0x18 call $get "$vs" 0x19 call $get "$vs" 0x1a call $get "$vs" 0x35 \
  call $get "$vs" 0x36 call $get "$vs" 0x41 call $get "$vs" 0x43 call $get "$vs" 0x44 call $get "$vs" 0x40
expect_reg0s 0xffffffffffffffff 0x15 0x8000 0x100000 0x202 0x8 0xa09b 0xffffffff 0x0 0x27 0x5000 \
  0x80000011 0x9000 0x20 0x401
hypercall $ST_PERM_DENIED "from user space" $set "$handle" "$vs" 0x11
hypercall $ST_BAD_HANDLE "a bad handle from user space" $set 0x1 "$vs" 0x11
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page handle 0x1 call $set "$vs" 0x11 0x1
for pp in $(all_cpus); do
  kobj $ST_OK "the root VS of cpu $pp" $MV_VS_VSID 0 "$pp"; root=$reg0
  kcall $ST_BAD_REG1 "its RIP" --cpu "$pp" --no-page call $set "$root" 0x11 0x0
done
kcall $ST_OK "XCR0: x87 and SSE" --no-page call $set "$vs" 0x46 0x3 call $get "$vs" 0x46
expect_line "$reg0" '^0x3$'
kcall $ST_OK "DR0 and DR3, from the last CPU" --cpu "$last" --no-page call $set "$vs" 0x3b 0xffff800000001000 \
  call $set "$vs" 0x3e 0x7c00 call $get "$vs" 0x3b call $get "$vs" 0x3e
expect_reg0s "$handle" "$handle" 0xffff800000001000 0x7c00
kcall $ST_OK "refused, and nothing changed" --no-page call $set "$vs" 0x0 0x1 call $set "$vs" 0x47 0x1 \
  call $set "$vs" 0x45 0x1 call $set "$vs" 0x46 0x5 call $set 0x3f 0x11 0x1 call $get "$vs" 0x11 \
  call $get "$vs" 0x46 call $set "$vs" 0x3b 0x0000800000000000 call $get "$vs" 0x3b
expect_statuses $ST_BAD_REG2 $ST_BAD_REG2 $ST_UNSUPPORTED $ST_UNSUPPORTED $ST_BAD_REG1 0x0 0x0 $ST_UNSUPPORTED 0x0
expect_line "$out" '^status 0x0 reg0 0x100000$'
expect_line "$reg0" '^0xffff800000001000$'
destroy_guest
expect_clean_kernel_log
finish
