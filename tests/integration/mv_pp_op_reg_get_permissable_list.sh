# mv_pp_op_reg_get_permissable_list: reserved in the spec, so MicroV answers FAILURE_UNSUPPORTED
# from user space and from the root VM's kernel (the test module hypercall_kprobe), on every PP,
# with a shared page or none, for an mv_rdl_t of two registers in the shared page, and leaves the
# page as it was; the MV_RDL_FLAG_ALL form too. A bad handle is refused first, from user space and
# from the kernel.
# timeout: 120
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d00000003000d

hypercall $ST_UNSUPPORTED "from user space" $rax "$handle" 0x0
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1 0x0
for pp in $(all_cpus); do
  kcall $ST_UNSUPPORTED "from the kernel on cpu $pp" --cpu "$pp" rdl 0xd 0x1 0x2
  expect_page_unchanged
  kcall $ST_UNSUPPORTED "from the kernel, no shared page on cpu $pp" --cpu "$pp" --no-page call $rax 0x0
done
kcall $ST_UNSUPPORTED "the MV_RDL_FLAG_ALL form" rdl 0xd --reg0 1
expect_page_unchanged
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 rdl 0xd 0x1 0x2
expect_page_unchanged

expect_clean_dump
expect_clean_kernel_log
finish
