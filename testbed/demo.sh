# `make demo`: MicroV's main job as far as it goes today. In the test bed's root OS, with the
# loader module loaded, vmmctl reports what the CPU offers MicroV and whether MicroV can run.
# (Starting MicroV and running a micro VM come with the late-launch and VM issues.)
# timeout: 60
echo "== root OS: $(uname -sr), $(grep -c ^processor /proc/cpuinfo) CPUs"
echo "== loader: $(grep ^microv_loader /proc/modules | cut -d' ' -f1,2) bytes, device $(ls -l /dev/microv | cut -c1-10) /dev/microv"
echo "== vmmctl info"
vmmctl info
