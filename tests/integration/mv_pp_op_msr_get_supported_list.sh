# mv_pp_op_msr_get_supported_list: from the root VM's kernel (the test module hypercall_kprobe), on
# every PP, each entry of the mv_rdl_t in the PP's shared page gets in val what
# mv_pp_op_msr_get_supported says of its reg[31:0]; with MV_RDL_FLAG_ALL the list is MicroV's: all 13
# MSRs in one call (reg1 out 0), or from index reg1 on. 250 entries work. Refused, leaving the page
# as it was byte for byte: from user space (PERM_DENIED), a bad handle (checked first, from user
# space too), another signature (UNSUPPORTED), no shared page on the PP, more than 250 entries, an
# undefined flag in reg0, reg1 set without MV_RDL_FLAG_ALL, a start index past the end (UNKNOWN).
# timeout: 180
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030011
all="0x174 0x175 0x176 0x1d9 0x277 0xc0000080 0xc0000081 0xc0000082 0xc0000083 0xc0000084 0xc0000100 0xc0000101
  0xc0000102"
want_all=$(for m in $all; do echo "entry $m 0x1"; done)

hypercall $ST_PERM_DENIED "from user space" $rax "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1

for pp in $(all_cpus); do
  kcall $ST_OK "a list of 15 on cpu $pp" --cpu "$pp" rdl 0x11 0x174 0x176 0x1d9 0x277 0xc0000080 0xc0000084 \
    0xc0000100 0xc0000102 0x10 0x1b 0xc0000103 0x40000000 0xffffffff00000174 0x17400000000 0xc0000085
  expect_page_changed
  expect_line "$out" '^list reg0 0x0 reg1 0x0 num 15$'
  for m in 0x174 0x176 0x1d9 0x277 0xc0000080 0xc0000084 0xc0000100 0xc0000102 0xffffffff00000174; do
    expect_line "$out" "^entry $m 0x1\$"
  done
  for m in 0x10 0x1b 0xc0000103 0x40000000 0x17400000000 0xc0000085; do
    expect_line "$out" "^entry $m 0x0\$"
  done

  kcall $ST_OK "MV_RDL_FLAG_ALL on cpu $pp" --cpu "$pp" rdl-all 0x11
  expect_line "$out" '^total 13 calls 1$'
  expect_no_line "$out" '^continuation'
  got=$(printf '%s\n' "$out" | grep '^entry ')
  [ "$got" = "$want_all" ] && ok "the 13 MSRs, in order, each 1" || fail "MV_RDL_FLAG_ALL gave: $got"

  kcall $ST_UNKNOWN "no shared page on cpu $pp" --cpu "$pp" --no-page rdl 0x11 0x174
  expect_page_unchanged
done

kcall $ST_OK "MV_RDL_FLAG_ALL from index 5" rdl 0x11 --reg0 1 --reg1 5
expect_line "$out" '^list reg0 0x1 reg1 0x0 num 8$'
expect_line "$(printf '%s\n' "$out" | grep '^entry ' | head -n 1)" '^entry 0xc0000080 0x1$'
expect_line "$(printf '%s\n' "$out" | grep '^entry ' | tail -n 1)" '^entry 0xc0000102 0x1$'
kcall $ST_OK "MV_RDL_FLAG_ALL from index 13, the end" rdl 0x11 --reg0 1 --reg1 d
expect_line "$out" '^list reg0 0x1 reg1 0x0 num 0$'
kcall $ST_UNKNOWN "MV_RDL_FLAG_ALL from index 14, past the end" rdl 0x11 --reg0 1 --reg1 e
expect_page_unchanged
kcall $ST_UNKNOWN "MV_RDL_FLAG_ALL from index 2^64-1" rdl 0x11 --reg0 1 --reg1 0xffffffffffffffff
expect_page_unchanged

kcall $ST_OK "250 entries" rdl 0x11 --num 250 0x174
n=$(printf '%s\n' "$out" | grep -c '^entry ')
[ "$n" -eq 250 ] && ok "250 answers" || fail "$n answers of 250"
expect_line "$out" '^entry 0x174 0x1$'
kcall $ST_OK "no entry" rdl 0x11
expect_page_unchanged
kcall $ST_UNKNOWN "251 entries" rdl 0x11 --num 251 0x174
expect_page_unchanged
kcall $ST_UNKNOWN "2^64-1 entries" rdl 0x11 --num 18446744073709551615 0x174
expect_page_unchanged
for flags in 0x2 0x3 0x8000000000000000; do
  kcall $ST_UNKNOWN "undefined flags in reg0: $flags" rdl 0x11 --reg0 $flags 0x174
  expect_page_unchanged
done
kcall $ST_UNKNOWN "reg1 set without MV_RDL_FLAG_ALL" rdl 0x11 --reg1 1 0x174
expect_page_unchanged

kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 rdl 0x11 0x174
expect_page_unchanged
kcall $ST_UNSUPPORTED "another signature" --rax 0x764e000000030011 rdl 0x11 0x174
expect_page_unchanged

expect_clean_dump
expect_clean_kernel_log
finish
