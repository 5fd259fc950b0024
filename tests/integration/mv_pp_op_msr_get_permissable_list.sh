# mv_pp_op_msr_get_permissable_list: from the root VM's kernel (the test module hypercall_kprobe), on
# every PP, each entry of the mv_rdl_t in the PP's shared page gets in val what
# mv_pp_op_msr_get_permissable says of its reg[31:0]; with MV_RDL_FLAG_ALL the list is MicroV's:
# every MSR of the permission map's three ranges (3 x 8192), 250 a call, each call resuming where
# the last stopped (99 calls), all read-write but VM_CR and VM_HSAVE_PA and the memory-type MSRs
# (MTRRs, SYSCFG, TOP_MEM, TOP_MEM2: their writes are ignored), which are read only. Refused,
# leaving the page as it was byte for byte: from user space (PERM_DENIED), a bad handle (checked
# first, from user space too), another signature (UNSUPPORTED), no shared page on the PP, more than
# 250 entries, an undefined flag in reg0, reg1 set without MV_RDL_FLAG_ALL, a start index past the
# end (UNKNOWN).
# timeout: 240
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d000000030013
# Every MSR of the three ranges in order, each with its permissions.
awk 'BEGIN {
  for (i = 0; i < 8192; i++) {
    mtrr = (i >= 512 && i <= 527) || i == 592 || i == 600 || i == 601 || (i >= 616 && i <= 623) || i == 767
    printf "entry 0x%x 0x%d\n", i, mtrr ? 1 : 3
  }
  for (i = 0; i < 8192; i++) printf "entry 0xc000%04x 0x3\n", i
  for (i = 0; i < 8192; i++) {
    ro = i == 16 || i == 26 || i == 29 || i == 276 || i == 279  # SYSCFG, TOP_MEM(2), VM_CR, VM_HSAVE_PA
    printf "entry 0xc001%04x 0x%d\n", i, ro ? 1 : 3
  }
}' >/tmp/want_all

hypercall $ST_PERM_DENIED "from user space" $rax "$handle"
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1

for pp in $(all_cpus); do
  kcall $ST_OK "a list on cpu $pp" --cpu "$pp" rdl 0x13 0x0 0x1fff 0x2000 0xc0000080 0xc0001fff 0xc0002000 \
    0xc0010000 0xc0010114 0xc0010117 0xc0011fff 0xc0012000 0x40000000 0xffffffffc0010114 0x1c0000080
  expect_page_changed
  expect_line "$out" '^list reg0 0x0 reg1 0x0 num 14$'
  for m in 0x0 0x1fff 0xc0000080 0xc0001fff 0xc0010000 0xc0011fff 0x1c0000080; do
    expect_line "$out" "^entry $m 0x3\$"
  done
  for m in 0xc0010114 0xc0010117 0xffffffffc0010114; do
    expect_line "$out" "^entry $m 0x1\$"
  done
  for m in 0x2000 0xc0002000 0xc0012000 0x40000000; do
    expect_line "$out" "^entry $m 0x0\$"
  done
  kcall $ST_UNKNOWN "no shared page on cpu $pp" --cpu "$pp" --no-page rdl 0x13 0x0
  expect_page_unchanged
done

for pp in 0 $(($(all_cpus | wc -l) - 1)); do
  kcall $ST_OK "MV_RDL_FLAG_ALL on cpu $pp" --cpu "$pp" rdl-all 0x13
  expect_line "$out" '^total 24576 calls 99$'
  expect_no_line "$out" '^continuation'
  n=$(printf '%s\n' "$out" | grep -c '^status 0x0 ')
  [ "$n" -eq 99 ] && ok "99 calls succeeded" || fail "$n calls succeeded, expected 99"
  printf '%s\n' "$out" | grep '^entry ' >/tmp/got_all
  cmp -s /tmp/want_all /tmp/got_all && ok "every MSR of the three ranges, in order, with its permissions" ||
    fail "MV_RDL_FLAG_ALL differs: $(diff /tmp/want_all /tmp/got_all | head -n 5)"
done

kcall $ST_OK "MV_RDL_FLAG_ALL from index 8190" rdl 0x13 --reg0 1 --reg1 1ffe
expect_line "$out" '^list reg0 0x1 reg1 0x3f08 num 250$'
expect_line "$(printf '%s\n' "$out" | grep '^entry ' | head -n 3 | tr '\n' ' ')" \
  '^entry 0x1ffe 0x3 entry 0x1fff 0x3 entry 0xc0000000 0x3 $'
kcall $ST_OK "MV_RDL_FLAG_ALL from index 24500" rdl 0x13 --reg0 1 --reg1 5fb4
expect_line "$out" '^list reg0 0x1 reg1 0x0 num 76$'
expect_line "$(printf '%s\n' "$out" | grep '^entry ' | tail -n 1)" '^entry 0xc0011fff 0x3$'
kcall $ST_OK "MV_RDL_FLAG_ALL from index 24576, the end" rdl 0x13 --reg0 1 --reg1 6000
expect_line "$out" '^list reg0 0x1 reg1 0x0 num 0$'
kcall $ST_UNKNOWN "MV_RDL_FLAG_ALL from index 24577, past the end" rdl 0x13 --reg0 1 --reg1 6001
expect_page_unchanged

kcall $ST_OK "250 entries" rdl 0x13 --num 250 0xc0010114
n=$(printf '%s\n' "$out" | grep -c '^entry ')
[ "$n" -eq 250 ] && ok "250 answers" || fail "$n answers of 250"
expect_line "$out" '^entry 0xc0010114 0x1$'
kcall $ST_UNKNOWN "251 entries" rdl 0x13 --num 251 0x174
expect_page_unchanged
for flags in 0x2 0x3 0x8000000000000000; do
  kcall $ST_UNKNOWN "undefined flags in reg0: $flags" rdl 0x13 --reg0 $flags 0x174
  expect_page_unchanged
done
kcall $ST_UNKNOWN "reg1 set without MV_RDL_FLAG_ALL" rdl 0x13 --reg1 0x8000000000000000 0x174
expect_page_unchanged

kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 rdl 0x13 0x174
expect_page_unchanged
kcall $ST_UNSUPPORTED "another signature" --rax 0x764e000000030013 rdl 0x13 0x174
expect_page_unchanged

expect_clean_dump
expect_clean_kernel_log
finish
