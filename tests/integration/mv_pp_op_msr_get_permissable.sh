# mv_pp_op_msr_get_permissable: REG0 is what the root VM may do with the MSR in REG1[31:0]
# (REG1[63:32] ignored): read and write (3) in the three ranges of the MSR permission map (0-0x1FFF,
# 0xC0000000-0xC0001FFF, 0xC0010000-0xC0011FFF), EFER included; read only (1) for VM_CR and
# VM_HSAVE_PA, which MicroV keeps, and for the memory-type MSRs (MTRRs, SYSCFG, TOP_MEM, TOP_MEM2),
# whose writes it ignores; nothing (0) outside the ranges. Served from user space and from
# the root VM's kernel (the test module hypercall_kprobe), on every PP, with no shared page.
# Refused: a bad handle (from user space and from the kernel), another signature, a flag in RAX.
# timeout: 150
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030012
# MSR:PERMISSIONS
cases="0x0:0x3 0x10:0x3 0x1b:0x3 0x174:0x3 0x1fff:0x3 0x2000:0x0 0x40000000:0x0 0xbfffffff:0x0 0xc0000000:0x3
  0xc0000080:0x3 0xc0000102:0x3 0xc0001fff:0x3 0xc0002000:0x0 0xc000ffff:0x0 0xc0010000:0x3 0xc0010113:0x3
  0xc0010114:0x1 0xc0010115:0x3 0xc0010117:0x1 0xc0011fff:0x3 0xc0012000:0x0 0xffffffff:0x0
  0xffffffffc0010114:0x1 0x100002000:0x0 0x1c0000080:0x3 0x1ff:0x3 0x200:0x1 0x20f:0x1 0x210:0x3
  0x250:0x1 0x277:0x3 0x2ff:0x1 0xc0010010:0x1 0xc001001a:0x1 0xc001001d:0x1 0xc0010015:0x3"

for c in $cases; do
  hypercall $ST_OK "MSR ${c%:*} from user space" $rax "$handle" "${c%:*}"
  expect_line "$reg0" "^${c#*:}\$"
done

for pp in $(all_cpus); do
  steps=""
  wants=""
  for c in $cases; do steps="$steps call $rax ${c%:*}"; wants="$wants ${c#*:}"; done
  kcall $ST_OK "every MSR from the kernel, no shared page, on cpu $pp" --cpu "$pp" --no-page $steps
  expect_reg0s $wants
  hypercall $ST_OK "VM_CR from user space on cpu $pp" $rax "$handle" 0xc0010114 --cpu "$pp"
  expect_line "$reg0" '^0x1$'
done

hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1 0x174
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --no-page --handle 0x1 call $rax 0x174
hypercall $ST_UNSUPPORTED "another signature from user space" 0x764e000000030012 "$handle" 0x174
kcall $ST_UNSUPPORTED "another signature from the kernel" --no-page call 0x764e000000030012 0x174
hypercall $ST_UNSUPPORTED "a flag in RAX" 0x764d000100030012 "$handle" 0x174

expect_clean_dump
expect_clean_kernel_log
finish
