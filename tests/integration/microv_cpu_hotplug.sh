# While MicroV runs, no CPU may go offline (it would come back through INIT, which the root VM
# does not survive), and no offline CPU may come online (it would run natively beside MicroV, with
# all of MicroV's memory in reach: issue 9, finding 5): the loader refuses both, with a message.
# After stop, CPUs go on- and offline again.
# timeout: 90
. /microv/tests/testlib.sh
cpus=$(grep -c ^processor /proc/cpuinfo)
if [ "$cpus" -lt 2 ]; then
  ok "one CPU: nothing to take offline"
  finish
fi
online=/sys/devices/system/cpu/cpu1/online

vmmctl start --pool 8; expect_status 0 $? "vmmctl start"
echo 0 >$online 2>/tmp/err; rc=$?
cat /tmp/err
[ $rc -ne 0 ] && ok "cpu1 stays online while MicroV runs" || fail "cpu1 went offline under MicroV"
expect_line "$(cat $online)" '^1$'
expect_line "$(kernel_log_since_start)" 'microv: cpu 1 cannot go offline while MicroV runs'
expect_line "$(cpuid_probe 1 | grep signature)" '^signature MicroVMicroV$'
vmmctl stop; expect_status 0 $? "vmmctl stop"

echo 0 >$online; expect_status 0 $? "cpu1 offline after stop"
vmmctl start --pool 8; expect_status 0 $? "vmmctl start with cpu1 offline"
expect_line "$(vmmctl status)" "^cpus: $((cpus - 1))\$"
echo 1 >$online 2>/tmp/err; rc=$?
cat /tmp/err
[ $rc -ne 0 ] && ok "cpu1 stays offline while MicroV runs" || fail "cpu1 came online under MicroV"
expect_line "$(cat $online)" '^0$'
expect_line "$(kernel_log_since_start)" 'microv: cpu 1 cannot come online while MicroV runs'
vmmctl stop; expect_status 0 $? "vmmctl stop"
echo 1 >$online; expect_status 0 $? "cpu1 online again"
vmmctl start --pool 8; expect_status 0 $? "start again with every CPU"
expect_line "$(vmmctl status)" "^cpus: $cpus\$"
vmmctl stop; expect_status 0 $? "stop"
expect_clean_kernel_log
finish
