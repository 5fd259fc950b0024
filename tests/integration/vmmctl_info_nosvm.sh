# vmmctl info on a CPU without SVM: it says clearly that MicroV cannot run, and why, and exits 1.
# testbed-cpu: EPYC,-svm
# timeout: 60
. /microv/tests/testlib.sh

out=$(vmmctl info 2>&1); rc=$?
echo "$out"
expect_status 1 "$rc" "vmmctl info"
expect_line "$out" '^  svm +no$'
expect_line "$out" '^  nrip save +-$'
expect_line "$out" '^verdict: MicroV cannot run on this machine \(first seen on cpu 0\):$'
expect_line "$out" '^  - the CPU has no AMD SVM'
expect_no_line "$out" 'can run'
finish
