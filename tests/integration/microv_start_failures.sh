# Starts that cannot succeed say why, leave no CPU virtualized and keep no memory: a corrupt,
# truncated or missing microkernel image, an extension that is not ELF, a pool out of range.
# timeout: 120
. /microv/tests/testlib.sh
lib=/microv/lib/microv
found=$(cpu_msrs)

# try WHAT PATTERN ARGS...: vmmctl start ARGS fails with a message matching PATTERN, and
# nothing is left behind.
try() {
  what=$1; pattern=$2; shift 2
  vmmctl start "$@" >/tmp/out 2>&1; rc=$?
  cat /tmp/out
  [ $rc -ne 0 ] && ok "$what: refused (exit $rc)" || fail "$what: vmmctl start succeeded"
  expect_line "$(cat /tmp/out)" "$pattern"
  expect_machine_as_found "$found"
}

head -c 40 $lib/microv_kernel.bin >/tmp/short.bin
head -c 8192 /dev/urandom >/tmp/random.bin
head -c $(($(wc -c <$lib/microv_kernel.bin) - 1)) $lib/microv_kernel.bin >/tmp/truncated.bin

try "random bytes as the kernel" 'not a MicroV microkernel image' --kernel /tmp/random.bin
try "a kernel shorter than its header" 'shorter than its header' --kernel /tmp/short.bin
try "a truncated kernel" 'does not match its header' --kernel /tmp/truncated.bin
try "a missing kernel" 'cannot read /nonexistent' --kernel /nonexistent
try "a missing extension" 'cannot read /nonexistent' --ext /nonexistent
try "an extension that is not ELF" 'not a 64-bit ELF file' --ext /tmp/random.bin
head -c 3000 $lib/microv_vmm.elf >/tmp/cut.elf
try "an extension cut short" 'the microkernel refused the extension.s ELF image' --ext /tmp/cut.elf
try "a pool of 2 MiB" 'pool takes an even number of MiB from 4 to 128' --pool 2
try "a pool of 1000 MiB" 'pool takes an even number of MiB from 4 to 128' --pool 1000
try "an odd pool" 'pool takes an even number' --pool 5
try "a bad serial port" 'serial takes a COM port' --serial 0x10000
try "the reset port as the serial port" 'serial takes a COM port' --serial 0xcf9

# After all that, a good start still works.
vmmctl start --pool 8; expect_status 0 $? "a good start after the failures"
vmmctl stop; expect_status 0 $? "stop"
expect_machine_as_found "$found"
expect_clean_kernel_log
finish
