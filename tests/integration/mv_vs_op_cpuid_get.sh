# mv_vs_op_cpuid_get: one CPUID leaf as the VS sees it (one mv_cdl_entry_t in the shared page):
# leaf 1 has the hypervisor bit until the VMM takes it. Made from the root VM's kernel on cpu 0
# and on the last CPU (tests/integration/bin/vs_state_probe.c, scenario cpuid).
# timeout: 120
. /microv/tests/testlib.sh
with_microv
with_kprobe
dump_mark
vs_state cpuid \
  "cpuid_get leaf 1 hypervisor bit" \
  "cpuid_get after set"
expect_clean_dump
expect_clean_kernel_log
finish
