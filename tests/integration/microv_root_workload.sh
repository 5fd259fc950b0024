# The root OS runs a mixed workload for 60 s under MicroV on all CPUs (processes, file I/O on
# tmpfs, timers, signals), every round giving the same result as before MicroV started.
# timeout: 200
. /microv/tests/testlib.sh
. /microv/tests/workload.sh

ref=$(workload_round ref)
echo "reference round: $(echo "$ref" | tr '\n' '|')"
vmmctl start --pool 8; expect_status 0 $? "vmmctl start"
workload_run 60; expect_status 0 $? "60 s of workload under MicroV"
[ "$(workload_round after)" = "$ref" ] && ok "same result as without MicroV" || fail "results differ"
expect_line "$(cpuid_probe | grep signature)" '^signature MicroVMicroV$'
vmmctl stop; expect_status 0 $? "vmmctl stop"
[ "$(workload_round stopped)" = "$ref" ] && ok "same result after stop" || fail "results differ after stop"
expect_clean_kernel_log
finish
