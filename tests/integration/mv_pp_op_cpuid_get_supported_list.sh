# mv_pp_op_cpuid_get_supported_list: from the root VM's kernel (the test module hypercall_kprobe),
# on every PP, every entry of the mv_cdl_t in the PP's shared page gets what
# mv_pp_op_cpuid_get_supported gives for its leaf; an empty list and a full one (125 entries)
# work. Refused, leaving the page as it was byte for byte: from user space (PERM_DENIED), a bad
# handle (checked first, from user space too), another signature (UNSUPPORTED), no shared page on
# the PP, more than 125 entries, reg0 or reg1 set (REVZ), flags or reserved set in any entry, even
# after valid ones (UNKNOWN).
# timeout: 180
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030005

hypercall $ST_PERM_DENIED "from user space" $rax "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1

for pp in $(all_cpus); do
  kcall $ST_OK "leaf 1 alone on cpu $pp" --cpu "$pp" cpuid 4 1
  single1=$(printf '%s\n' "$out" | grep '^entry ')
  kcall $ST_OK "leaf 0x80000001 alone on cpu $pp" --cpu "$pp" cpuid 4 0x80000001
  single8=$(printf '%s\n' "$out" | grep '^entry ')

  kcall $ST_OK "six leaves on cpu $pp" --cpu "$pp" cdl 5 1 0x80000001 0 7:0 0xd:1 0x40000000
  expect_page_changed
  expect_line "$out" '^list reg0 0x0 reg1 0x0 num 6$'
  expect_line "$out" "^$single1\$"
  expect_line "$out" "^$single8\$"
  expect_line "$out" '^entry 0x0 0x0 0x0 0x0 0x0 0x0$'
  expect_line "$out" '^entry 0x40000000 0x0 0x0 0x0 0x0 0x0$'
  expect_bits "$(entry_reg 0x1 0x0 4)" 0x1 0x1 "leaf 1 EDX: FPU"
  expect_bits "$(entry_reg 0x1 0x0 3)" 0x80200000 0 "leaf 1 ECX: neither hypervisor bit nor x2APIC"
  expect_bits "$(entry_reg 0x80000001 0x0 3)" 0x4 0 "leaf 0x80000001 ECX: no SVM"
  expect_bits "$(entry_reg 0x80000001 0x0 4)" 0x20000000 0x20000000 "leaf 0x80000001 EDX: LM"
  expect_within_root

  kcall $ST_UNKNOWN "no shared page on cpu $pp" --cpu "$pp" --no-page cdl 5 1
  expect_page_unchanged
done

kcall $ST_OK "an empty list" cdl 5
expect_line "$out" '^list reg0 0x0 reg1 0x0 num 0$'
expect_page_unchanged
full=$(for i in $(seq 1 125); do echo 0x80000001; done)
kcall $ST_OK "a full list: 125 entries" cdl 5 $full
n=$(printf '%s\n' "$out" | grep -c "^$single8\$")
[ "$n" -eq 125 ] && ok "125 answers" || fail "$n answers of 125"

kcall $ST_UNKNOWN "126 entries" cdl 5 --num 126 $full
expect_page_unchanged
kcall $ST_UNKNOWN "2^64-1 entries" cdl 5 --num 18446744073709551615 1
expect_page_unchanged
kcall $ST_UNKNOWN "reg0 set" cdl 5 --reg0 1 1
expect_page_unchanged
kcall $ST_UNKNOWN "reg0's top bit set" cdl 5 --reg0 0x8000000000000000 1
expect_page_unchanged
kcall $ST_UNKNOWN "reg1 set" cdl 5 --reg1 1 1
expect_page_unchanged
kcall $ST_UNKNOWN "flags set in the third entry" cdl 5 1 0x80000001 7:0:1 0
expect_page_unchanged
kcall $ST_UNKNOWN "reserved set in the last entry" cdl 5 1 0x80000001 7:0 0:0:0:0x10
expect_page_unchanged
kcall $ST_UNKNOWN "flags set in the 125th entry" cdl 5 $(for i in $(seq 1 124); do echo 1; done) 1:0:0x2
expect_page_unchanged

kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 cdl 5 1
expect_page_unchanged
kcall $ST_UNSUPPORTED "another signature" --rax 0x764e000000030005 cdl 5 1
expect_page_unchanged

expect_clean_dump
expect_clean_kernel_log
finish
