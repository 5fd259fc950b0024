# mv_pp_op_cpuid_get_supported: from the root VM's kernel (the test module hypercall_kprobe), on
# every PP, the mv_cdl_entry_t at the start of the PP's shared page gets the CPU's features of its
# leaf that MicroV lets a guest use: leaf 1 has FPU but neither the hypervisor bit nor x2APIC, and
# no family or model; 0x80000001 has LM but not SVM; leaves MicroV names no feature of (0, 2,
# 0x40000000, 0x80000000, 7:2) are all 0; leaf 1 ignores the subleaf; every bit given is one the
# root VM sees in CPUID too. Refused, leaving the page as it was: from user space
# (PERM_DENIED), a bad handle (checked first, from user space too), another signature or a flag
# in RAX (UNSUPPORTED), no shared page on the PP, flags or reserved set in the entry (UNKNOWN).
# timeout: 180
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030004

hypercall $ST_PERM_DENIED "from user space" $rax "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1

for pp in $(all_cpus); do
  kcall $ST_OK "leaf 1 on cpu $pp" --cpu "$pp" cpuid 4 1
  expect_page_changed
  expect_line "$out" '^entry 0x1 0x0 0x0 0x0 '
  expect_bits "$(entry_reg 0x1 0x0 4)" 0x1 0x1 "leaf 1 EDX: FPU"
  expect_bits "$(entry_reg 0x1 0x0 3)" 0x80000000 0 "leaf 1 ECX: no hypervisor bit"
  expect_bits "$(entry_reg 0x1 0x0 3)" 0x200000 0 "leaf 1 ECX: no x2APIC"
  expect_within_root
  leaf1=$(entry_reg 0x1 0x0 1)-$(entry_reg 0x1 0x0 2)-$(entry_reg 0x1 0x0 3)-$(entry_reg 0x1 0x0 4)

  kcall $ST_OK "leaf 0x80000001 on cpu $pp" --cpu "$pp" cpuid 4 0x80000001
  expect_bits "$(entry_reg 0x80000001 0x0 3)" 0x4 0 "leaf 0x80000001 ECX: no SVM"
  expect_bits "$(entry_reg 0x80000001 0x0 4)" 0x20000000 0x20000000 "leaf 0x80000001 EDX: LM"
  expect_within_root

  kcall $ST_OK "leaf 0 on cpu $pp" --cpu "$pp" cpuid 4 0
  expect_line "$out" '^entry 0x0 0x0 0x0 0x0 0x0 0x0$'

  kcall $ST_UNKNOWN "no shared page on cpu $pp" --cpu "$pp" --no-page cpuid 4 1
  expect_page_unchanged
done

kcall $ST_OK "leaf 1, subleaf 5: the subleaf plays no part" cpuid 4 1:5
expect_line "$(entry_reg 0x1 0x5 1)-$(entry_reg 0x1 0x5 2)-$(entry_reg 0x1 0x5 3)-$(entry_reg 0x1 0x5 4)" "^$leaf1\$"
for leaf in 7:0 7:1 0xd:0 0xd:1 0x80000007 0x80000008; do
  kcall $ST_OK "leaf $leaf" cpuid 4 $leaf
  expect_page_changed
  expect_within_root
done
for leaf in 2 0x40000000 0x40000001 0x80000000 7:2 0xd:2 0xffffffff; do
  kcall $ST_OK "leaf $leaf: no feature MicroV names" cpuid 4 $leaf
  expect_line "$out" '^entry 0x[0-9a-f]* 0x[0-9a-f]* 0x0 0x0 0x0 0x0$'
done

kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 cpuid 4 1
expect_page_unchanged
kcall $ST_UNSUPPORTED "another signature" --rax 0x764e000000030004 cpuid 4 1
expect_page_unchanged
kcall $ST_UNSUPPORTED "a flag in RAX" --rax 0x764d000100030004 cpuid 4 1
expect_page_unchanged
for e in 1:0:1 1:0:0x80000000 1:0:0:1 1:0:0:0x80000000 0:0:0xffffffff:0xffffffff; do
  kcall $ST_UNKNOWN "flags or reserved set: $e" cpuid 4 $e
  expect_page_unchanged
done

expect_clean_dump
expect_clean_kernel_log
finish
