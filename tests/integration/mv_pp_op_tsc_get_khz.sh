# mv_pp_op_tsc_get_khz: REG0 is this PP's TSC frequency in kHz as mv_pp_op_tsc_set_khz left it, and 0
# until it is set; served from user space and from the root VM's kernel (the test module
# hypercall_kprobe), per PP: setting it on one PP changes no other. A new start of MicroV begins at
# 0 again. Refused: a bad handle (from user space and from the kernel), another signature, a flag in
# RAX (UNSUPPORTED).
# timeout: 150
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
get=0x764d000000030016
set=0x764d000000030017
ncpus=$(all_cpus | wc -l)

for pp in $(all_cpus); do
  hypercall $ST_OK "0 before it is set, from user space, on cpu $pp" $get "$handle" --cpu "$pp"
  expect_line "$reg0" '^0x0$'
  kcall $ST_OK "0 before it is set, from the kernel, on cpu $pp" --cpu "$pp" --no-page call $get
  expect_line "$reg0" '^0x0$'
done

# Each PP its own value, set one PP after the other: the others keep theirs.
for pp in $(all_cpus); do
  khz=$(printf '0x%x' $((2000000 + pp * 1000)))
  kcall $ST_OK "set $khz on cpu $pp" --cpu "$pp" --no-page call $set "$khz" call $get
  expect_reg0s "$handle" "$khz"
  for other in $(all_cpus); do
    if [ "$other" -gt "$pp" ]; then other_khz=0x0; else other_khz=$(printf '0x%x' $((2000000 + other * 1000))); fi
    hypercall $ST_OK "cpu $other from user space after the set on cpu $pp" $get "$handle" 0x0 --cpu "$other"
    expect_line "$reg0" "^$other_khz\$"
  done
done
kcall $ST_OK "REG1 plays no part" --cpu 0 --no-page call $get 0xffffffffffffffff
expect_line "$reg0" '^0x1e8480$'

hypercall $ST_BAD_HANDLE "a bad handle from user space" $get 0x1
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page --handle 0x1 call $get
hypercall $ST_UNSUPPORTED "another signature from user space" 0x764e000000030016 "$handle"
kcall $ST_UNSUPPORTED "another signature from the kernel" --no-page call 0x764e000000030016
hypercall $ST_UNSUPPORTED "a flag in RAX" 0x764d000100030016 "$handle"

# A new start begins at 0 on every PP.
rmmod hypercall_kprobe; expect_status 0 $? "rmmod hypercall_kprobe"
vmmctl stop >/dev/null; expect_status 0 $? "vmmctl stop"
vmmctl start --pool 8 >/dev/null; expect_status 0 $? "vmmctl start again"
insmod /microv/test-modules/hypercall_kprobe.ko; expect_status 0 $? "insmod hypercall_kprobe"
hypercall $ST_OK "open after the new start" --open
handle=$reg0
for pp in $(all_cpus); do
  hypercall $ST_OK "0 after a new start on cpu $pp" $get "$handle" --cpu "$pp"
  expect_line "$reg0" '^0x0$'
done

expect_clean_dump
expect_clean_kernel_log
finish
