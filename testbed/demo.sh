# `make demo`: MicroV's main job as far as it goes today. In the test bed's root OS: what the CPU
# offers, then MicroV starts and demotes the running Linux into the root VM on every CPU, the
# root OS runs a workload under it, and MicroV stops and gives the machine back.
# (Guest micro VMs come with the VM issues.)
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
echo "== a 10 s root-OS workload under MicroV (processes, tmpfs I/O, timers, signals)"
workload_run 10
echo "== vmmctl stop"
vmmctl stop
vmmctl status
cpuid_probe | grep signature
