# microv_root_lone_stop: the loader's stop request from the root VM's kernel on one CPU alone is
# refused (issue 9, finding 5: that CPU went back to the OS and, running natively, could write
# every page MicroV's other CPUs still use). Every CPU that runs MicroV must ask at once; a lone
# request waits about a second, comes back MV_LOADER_STOP_REFUSED (1), and the CPU stays under
# MicroV. vmmctl stop, which asks on all CPUs at once, then gives every CPU back.
# timeout: 120
. /microv/tests/testlib.sh
cpus=$(grep -c ^processor /proc/cpuinfo)
found=$(cpu_msrs)
with_microv
with_kprobe
stop=0x764d0000ffff0000
last=$((cpus - 1))
if [ "$cpus" -gt 1 ]; then
  for cpu in 0 "$last"; do
    kcall 0x1 "the loader's stop from the kernel on cpu $cpu alone" --cpu "$cpu" --no-page call $stop
    expect_line "$(cpuid_probe "$cpu" | grep signature)" '^signature MicroVMicroV$'
  done
  expect_line "$(vmmctl dump)" 'asked to leave alone; refused'
else
  kcall 0x0 "with one CPU, its stop is everyone's" --cpu 0 --no-page call $stop
  expect_no_line "$(cpuid_probe 0 | grep signature)" '^signature MicroVMicroV$'
fi
rmmod hypercall_kprobe; _kprobe_loaded=0
vmmctl stop >/dev/null; expect_status 0 $? "vmmctl stop"
_microv_started=0
for cpu in $(all_cpus); do
  expect_no_line "$(cpuid_probe "$cpu" | grep signature)" '^signature MicroVMicroV$'
done
expect_machine_as_found "$found"
expect_clean_kernel_log
finish
