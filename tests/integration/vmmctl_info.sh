# vmmctl info on the test bed's EPYC: everything MicroV needs is there, the optional
# SVM features this emulated CPU lacks are reported as missing, and the verdict is positive.
# timeout: 60
. /microv/tests/testlib.sh

out=$(vmmctl info 2>&1); rc=$?
echo "$out"
expect_status 0 "$rc" "vmmctl info"
expect_line "$out" '^  vendor +AuthenticAMD \(AMD SVM\)$'
expect_line "$out" "^  online cpus +$(grep -c ^processor /proc/cpuinfo)\$"
expect_line "$out" '^  svm +yes, revision [0-9]+$'
expect_line "$out" '^  npt +yes'
expect_line "$out" '^  asids +16 '
expect_line "$out" '^  nrip save +no '
expect_line "$out" '^  decode assists +no '
expect_line "$out" '^  vmcb clean bits +no '
expect_line "$out" '^  flush by asid +no '
expect_line "$out" '^  vm_cr.svmdis +clear$'
expect_line "$out" '^  efer.svme +clear'
expect_line "$out" '^verdict: MicroV can run on this machine$'
finish
