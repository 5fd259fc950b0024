# mv_pp_op_cpuid_get_emulated: from the root VM's kernel (the test module hypercall_kprobe), on every
# PP, the mv_cdl_entry_t at the start of the PP's shared page gets the features MicroV provides
# itself: for leaf 1 the hypervisor bit (ECX bit 31) alone, whatever the subleaf; for every other
# leaf nothing. Refused, leaving the page as it was: from user space (PERM_DENIED), a bad handle
# (checked first, from user space too), another signature or a flag in RAX (UNSUPPORTED), no
# shared page on the PP, flags or reserved set in the entry (UNKNOWN).
# timeout: 180
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030008

hypercall $ST_PERM_DENIED "from user space" $rax "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1

for pp in $(all_cpus); do
  kcall $ST_OK "leaf 1 on cpu $pp" --cpu "$pp" cpuid 8 1
  expect_page_changed
  expect_line "$out" '^entry 0x1 0x0 0x0 0x0 0x80000000 0x0$'
  expect_within_root
  kcall $ST_OK "leaf 0x80000001 on cpu $pp" --cpu "$pp" cpuid 8 0x80000001
  expect_line "$out" '^entry 0x80000001 0x0 0x0 0x0 0x0 0x0$'
  kcall $ST_UNKNOWN "no shared page on cpu $pp" --cpu "$pp" --no-page cpuid 8 1
  expect_page_unchanged
done

kcall $ST_OK "leaf 1, subleaf 3" cpuid 8 1:3
expect_line "$out" '^entry 0x1 0x3 0x0 0x0 0x80000000 0x0$'
for leaf in 0 2 7:0 0xd:1 0x40000000 0x40000001 0x80000000 0x80000008 0xffffffff; do
  kcall $ST_OK "leaf $leaf: nothing" cpuid 8 $leaf
  expect_line "$out" '^entry 0x[0-9a-f]* 0x[0-9a-f]* 0x0 0x0 0x0 0x0$'
  expect_page_changed
done

kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 cpuid 8 1
expect_page_unchanged
kcall $ST_UNSUPPORTED "another signature" --rax 0x764e000000030008 cpuid 8 1
expect_page_unchanged
kcall $ST_UNSUPPORTED "a flag in RAX" --rax 0x764d800000030008 cpuid 8 1
expect_page_unchanged
for e in 1:0:1 1:0:0:1 1:0:0x80000000:0x80000000; do
  kcall $ST_UNKNOWN "flags or reserved set: $e" cpuid 8 $e
  expect_page_unchanged
done

expect_clean_dump
expect_clean_kernel_log
finish
