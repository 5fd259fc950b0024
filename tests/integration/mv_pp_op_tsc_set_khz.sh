# mv_pp_op_tsc_set_khz: from the root VM's kernel (the test module hypercall_kprobe), on every PP,
# REG1 becomes this PP's TSC frequency in kHz (1 to 0xFFFFFFFF), as mv_pp_op_tsc_get_khz then says,
# on this PP only. Refused, leaving the frequency as it was: from user space (PERM_DENIED), REG1 0
# or above 32 bits (INVALID_INPUT_REG1), a bad handle (checked first, from user space too), another
# signature, a flag in RAX (UNSUPPORTED).
# timeout: 150
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
get=0x764d000000030016
set=0x764d000000030017

for pp in $(all_cpus); do
  hypercall $ST_PERM_DENIED "from user space on cpu $pp" $set "$handle" 0x1e8480 --cpu "$pp"
  hypercall $ST_OK "so it is still 0" $get "$handle" --cpu "$pp"
  expect_line "$reg0" '^0x0$'

  kcall $ST_OK "the lowest, the highest, then a usual value on cpu $pp" --cpu "$pp" --no-page \
    call $set 0x1 call $get call $set 0xffffffff call $get call $set 0x2625a0 call $get
  expect_statuses 0x0 0x0 0x0 0x0 0x0 0x0
  expect_reg0s "$handle" 0x1 "$handle" 0xffffffff "$handle" 0x2625a0

  kcall $ST_OK "refused: 0, 2^32, 2^64-1, a bad handle, another signature, a flag in RAX on cpu $pp" \
    --cpu "$pp" --no-page call $set 0x0 call $set 0x100000000 call $set 0xffffffffffffffff \
    handle 0x1 call $set 0x1234 handle "$handle" call 0x764e000000030017 0x1234 call 0x764d000100030017 0x1234 \
    call $get
  expect_statuses $ST_BAD_REG1 $ST_BAD_REG1 $ST_BAD_REG1 $ST_BAD_HANDLE $ST_UNSUPPORTED $ST_UNSUPPORTED 0x0
  expect_line "$reg0" '^0x2625a0$'
  hypercall $ST_OK "from user space the same on cpu $pp" $get "$handle" --cpu "$pp"
  expect_line "$reg0" '^0x2625a0$'
done

hypercall $ST_BAD_HANDLE "a bad handle from user space" $set 0x1 0x1234

# Per PP: a value set on the first PP is not the other PPs'.
if [ "$(all_cpus | wc -l)" -ge 2 ]; then
  kcall $ST_OK "cpu 0 and cpu 1 apart" --no-page cpu 0 call $set 0x1000 cpu 1 call $set 0x2000 call $get cpu 0 call $get
  expect_reg0s "$handle" "$handle" 0x2000 0x1000
fi

expect_clean_dump
expect_clean_kernel_log
finish
