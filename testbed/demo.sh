# `make demo`: MicroV's main job as far as it goes today. In the test bed's root OS: what the CPU
# offers, then MicroV starts and demotes the running Linux into the root VM on every CPU, the
# root OS talks to it through the hypercall ABI, runs a guest micro VM (vms/real_mode.S) through it
# and a workload under it, and MicroV stops and gives the machine back.
# timeout: 120
. /microv/tests/workload.sh
set -e
echo "== root OS: $(uname -sr), $(grep -c ^processor /proc/cpuinfo) CPUs"
echo "== vmmctl info"
vmmctl info
echo "== vmmctl start"
vmmctl start --pool 16
echo "== vmmctl dump"
vmmctl dump
echo "== vmmctl status"
vmmctl status
echo "== CPUID as the root OS sees it now"
cpuid_probe
echo "== hypercalls from the root OS (docs/hypercalls.md)"
echo "mv_id_op_version:  $(hypercall_probe 0x764d000000000000)"
handle=$(hypercall_probe --open | sed -n 's/.* reg0 //p')
last=$(($(grep -c ^processor /proc/cpuinfo) - 1))
echo "mv_pp_op_ppid on cpu $last: $(hypercall_probe 0x764d000000030000 "$handle" --cpu $last)"
echo "mv_pp_op_online_pps: $(hypercall_probe 0x764d000000030001 "$handle")"
echo "mv_pp_op_msr_get_supported LSTAR: $(hypercall_probe 0x764d000000030010 "$handle" 0xc0000082)"
echo "mv_pp_op_cpuid_get_supported from user space (the root kernel's alone): $(hypercall_probe 0x764d000000030004 "$handle")"
insmod /microv/test-modules/hypercall_kprobe.ko
echo "mv_pp_op_cpuid_get_supported, leaf 1, from the root kernel (a test module) through its shared page:"
echo "(entry: what a guest may have; root: what the root OS sees; fun idx eax ebx ecx edx)"
shared_page_probe cpuid 4 1 | grep -E '^(status|entry|root)' | sed 's/ reg0 .*//'
echo "== a guest micro VM: the real-mode guest of vms/, run from the root kernel on cpu $last"
echo "(each line an exit its VMM, guest_probe, handled: MicroV answered its CPUID itself)"
guest_probe --cpu "$last" --guest /microv/vms/real_mode.bin --stop-after-interrupts 2 | uniq -c
rmmod hypercall_kprobe
echo "== a 10 s root-OS workload under MicroV (processes, tmpfs I/O, timers, signals)"
workload_run 10
echo "== vmmctl stop"
vmmctl stop
vmmctl status
cpuid_probe | grep signature
