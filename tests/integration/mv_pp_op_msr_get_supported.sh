# mv_pp_op_msr_get_supported: REG0 is 1 for the MSRs a guest VS of MicroV holds (SYSENTER_CS/ESP/EIP,
# DEBUGCTL, PAT, EFER, STAR, LSTAR, CSTAR, SFMASK, FS/GS/KERNEL_GS_BASE) and 0 for any other,
# REG1[63:32] ignored; served from user space and from the root VM's kernel (the test module
# hypercall_kprobe), on every PP, with no shared page. Refused: a bad handle (from user space and
# from the kernel), another signature, a flag in RAX (UNSUPPORTED).
# timeout: 150
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030010
held="0x174 0x175 0x176 0x1d9 0x277 0xc0000080 0xc0000081 0xc0000082 0xc0000083 0xc0000084 0xc0000100 0xc0000101
  0xc0000102 0xffffffff00000174 0x1c0000080"
others="0x0 0x10 0x1b 0x173 0x177 0x1d8 0x1da 0x276 0x278 0xc000007f 0xc0000085 0xc00000ff 0xc0000103 0xc0010114
  0x40000000 0xffffffff 0x17400000000"

for msr in $held; do
  hypercall $ST_OK "MSR $msr from user space" $rax "$handle" $msr
  expect_line "$reg0" '^0x1$'
done
for msr in $others; do
  hypercall $ST_OK "MSR $msr from user space" $rax "$handle" $msr
  expect_line "$reg0" '^0x0$'
done

for pp in $(all_cpus); do
  steps=""
  wants=""
  for msr in $held; do steps="$steps call $rax $msr"; wants="$wants 0x1"; done
  for msr in $others; do steps="$steps call $rax $msr"; wants="$wants 0x0"; done
  kcall $ST_OK "every MSR from the kernel, no shared page, on cpu $pp" --cpu "$pp" --no-page $steps
  expect_reg0s $wants
  hypercall $ST_OK "EFER from user space on cpu $pp" $rax "$handle" 0xc0000080 --cpu "$pp"
  expect_line "$reg0" '^0x1$'
done

hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1 0x174
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page --handle 0x1 call $rax 0x174
hypercall $ST_UNSUPPORTED "another signature from user space" 0x764e000000030010 "$handle" 0x174
kcall $ST_UNSUPPORTED "another signature from the kernel" --no-page call 0x764e000000030010 0x174
hypercall $ST_UNSUPPORTED "a flag in RAX" 0x764d000100030010 "$handle" 0x174

expect_clean_dump
expect_clean_kernel_log
finish
