# 20 start/stop cycles, each with a root-OS workload on every CPU, the extension's and the
# microkernel's fault builds mixed in, and every fifth a start that fails on purpose (--test-fault);
# after each cycle no CPU keeps MicroV's signature or any MSR MicroV changed, and the loader holds
# no memory. scripts/soak.sh runs the long form.
# timeout: 400
. /microv/tests/testlib.sh
. /microv/tests/workload.sh
. /microv/tests/soak.sh
soak_cycles 20 1
expect_clean_kernel_log
finish
