# vmmctl start demotes the OS into the root VM on every CPU; CPUID then shows MicroV on every
# CPU (hypervisor bit, signature, SVM hidden); vmmctl stop gives the CPUs back and the signature
# goes; the loader holds no pool memory afterwards, and every CPU's EFER, VM_CR and VM_HSAVE_PA
# are what they were before the start.
# timeout: 120
. /microv/tests/testlib.sh
cpus=$(grep -c ^processor /proc/cpuinfo)
last=$((cpus - 1))

found=$(cpu_msrs)
echo "$found"
out=$(cpuid_probe 0)
expect_no_line "$out" '^signature MicroVMicroV$'

vmmctl start --pool 8; expect_status 0 $? "vmmctl start"
dump=$(vmmctl dump)
echo "$dump"
for pp in $(seq 0 $last); do
  expect_line "$dump" "^microv: root OS had been demoted to vm 0x0000 on pp $(printf '0x%04x' "$pp")\$"
  out=$(cpuid_probe "$pp")
  expect_line "$out" '^hypervisor-bit 1$'
  expect_line "$out" '^svm 0$'
  expect_line "$out" '^signature MicroVMicroV$'
  expect_line "$out" '^max-leaf 0x40000001$'
  expect_line "$out" '^version 1$'
done
status=$(vmmctl status)
expect_line "$status" '^microv: running$'
expect_line "$status" "^cpus: $cpus\$"
expect_line "$status" '^pool memory held: 8388608 bytes$'

vmmctl start --pool 8 2>/tmp/err; expect_status 1 $? "a second vmmctl start"
expect_line "$(cat /tmp/err)" 'MicroV is running already'

vmmctl stop; expect_status 0 $? "vmmctl stop"
for pp in $(seq 0 $last); do
  out=$(cpuid_probe "$pp")
  expect_no_line "$out" '^signature MicroVMicroV$'
  expect_line "$out" '^svm 1$'
  expect_line "$(vmmctl dump)" "^microv: root OS had been promoted on pp $(printf '0x%04x' "$pp")\$"
done
expect_machine_as_found "$found"
vmmctl stop 2>/tmp/err; expect_status 1 $? "vmmctl stop when not running"
expect_line "$(cat /tmp/err)" 'MicroV is not running'
expect_clean_kernel_log
finish
