# mv_pp_op_reg_get_permissable_list: reserved in the spec, so MicroV answers FAILURE_UNSUPPORTED
# from user space and from the root VM's kernel (the test module hypercall_kprobe), on every PP,
# with a shared page or none, for an mv_rdl_t of two registers in the shared page, and leaves the
# page as it was; the MV_RDL_FLAG_ALL form too. A bad handle is refused first, from user space and
# from the kernel.
# timeout: 120
. /microv/tests/testlib.sh
dump_mark
expect_reserved_pp_call 0x764d00000003000d 0x0 rdl 0xd 0x1 0x2
kcall $ST_UNSUPPORTED "the MV_RDL_FLAG_ALL form" rdl 0xd --reg0 1
expect_page_unchanged
expect_clean_dump
expect_clean_kernel_log
finish
