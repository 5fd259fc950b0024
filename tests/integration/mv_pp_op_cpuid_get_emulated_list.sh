# mv_pp_op_cpuid_get_emulated_list: from the root VM's kernel (the test module hypercall_kprobe), on
# every PP, every entry of the mv_cdl_t in the PP's shared page gets what
# mv_pp_op_cpuid_get_emulated gives for its leaf (the hypervisor bit for leaf 1, nothing for the
# others); an empty list and a full one (125 entries) work. Refused, leaving the page as it was
# byte for byte: from user space (PERM_DENIED), a bad handle (checked first, from user space too),
# another signature (UNSUPPORTED), no shared page on the PP, more than 125 entries, reg0 or reg1
# set (REVZ), flags or reserved set in any entry, even after valid ones (UNKNOWN).
# timeout: 180
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030009

hypercall $ST_PERM_DENIED "from user space" $rax "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1

for pp in $(all_cpus); do
  kcall $ST_OK "four leaves on cpu $pp" --cpu "$pp" cdl 9 0 1 0x80000001 1:7
  expect_page_changed
  expect_line "$out" '^list reg0 0x0 reg1 0x0 num 4$'
  expect_line "$out" '^entry 0x0 0x0 0x0 0x0 0x0 0x0$'
  expect_line "$out" '^entry 0x1 0x0 0x0 0x0 0x80000000 0x0$'
  expect_line "$out" '^entry 0x80000001 0x0 0x0 0x0 0x0 0x0$'
  expect_line "$out" '^entry 0x1 0x7 0x0 0x0 0x80000000 0x0$'
  expect_within_root
  kcall $ST_UNKNOWN "no shared page on cpu $pp" --cpu "$pp" --no-page cdl 9 1
  expect_page_unchanged
done

kcall $ST_OK "an empty list" cdl 9
expect_line "$out" '^list reg0 0x0 reg1 0x0 num 0$'
expect_page_unchanged
full=$(for i in $(seq 1 125); do echo 1; done)
kcall $ST_OK "a full list: 125 entries" cdl 9 $full
n=$(printf '%s\n' "$out" | grep -c '^entry 0x1 0x0 0x0 0x0 0x80000000 0x0$')
[ "$n" -eq 125 ] && ok "125 answers" || fail "$n answers of 125"

kcall $ST_UNKNOWN "126 entries" cdl 9 --num 126 $full
expect_page_unchanged
kcall $ST_UNKNOWN "reg0 set" cdl 9 --reg0 2 1
expect_page_unchanged
kcall $ST_UNKNOWN "reg1 set" cdl 9 --reg1 0xffffffffffffffff 1
expect_page_unchanged
kcall $ST_UNKNOWN "flags set in the second entry" cdl 9 1 1:0:1 1
expect_page_unchanged
kcall $ST_UNKNOWN "reserved set in the last entry" cdl 9 1 0 0:0:0:1
expect_page_unchanged

kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 cdl 9 1
expect_page_unchanged
kcall $ST_UNSUPPORTED "another signature" --rax 0x764e000000030009 cdl 9 1
expect_page_unchanged

expect_clean_dump
expect_clean_kernel_log
finish
