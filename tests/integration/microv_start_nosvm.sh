# vmmctl start on CPUs without SVM is refused with the reason, and nothing is kept.
# testbed-cpu: EPYC,-svm
# timeout: 60
. /microv/tests/testlib.sh

vmmctl start --pool 8 >/tmp/out 2>&1; rc=$?
cat /tmp/out
expect_status 1 "$rc" "vmmctl start"
expect_line "$(cat /tmp/out)" 'start failed: cpu 0 cannot run MicroV: the CPU has no AMD SVM'
expect_line "$(vmmctl status)" '^pool memory held: 0 bytes$'
expect_clean_kernel_log
finish
