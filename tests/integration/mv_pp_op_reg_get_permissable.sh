# mv_pp_op_reg_get_permissable: reserved in the spec, so MicroV answers FAILURE_UNSUPPORTED from
# user space and from the root VM's kernel (the test module hypercall_kprobe), on every PP, with a
# shared page or none, for a register in REG1; the handle is checked first: a bad one is refused,
# from user space and from the kernel.
# timeout: 120
. /microv/tests/testlib.sh
dump_mark
with_microv
with_kprobe
hypercall $ST_OK "open" --open
handle=$reg0
rax=0x764d00000003000c

hypercall $ST_UNSUPPORTED "from user space" $rax "$handle" 0x1
hypercall $ST_BAD_HANDLE "a bad handle from user space" $rax 0x1 0x1
for pp in $(all_cpus); do
  kcall $ST_UNSUPPORTED "from the kernel on cpu $pp" --cpu "$pp" call $rax 0x1
  kcall $ST_UNSUPPORTED "from the kernel, no shared page on cpu $pp" --cpu "$pp" --no-page call $rax 0x1
done
kcall $ST_BAD_HANDLE "a bad handle from the kernel" --handle 0x1 call $rax 0x1

expect_clean_dump
expect_clean_kernel_log
finish
