# 20 start/stop cycles in a row; afterwards the loader holds exactly what it held before, and
# the machine runs on.
# timeout: 300
. /microv/tests/testlib.sh

before=$(vmmctl status | grep 'memory held')
# What the cycles add to the debug ring, counted from a mark: the ring wraps, so counting all its
# lines before and after would lose the oldest ones in between.
dump_mark
# MemFree after dropping the page cache and slab caches, so that earlier tests' files do not count.
# The kernel keeps some freed 2 MiB pages in per-CPU lists, which MemFree does not count, so a
# fixed offset is normal: a leak is what grows with the cycles. MemFree is compared between
# cycle 10 and cycle 20: leaking one 8 MiB pool per cycle would be 80 MiB there. The per-CPU
# lists hold a few 2 MiB pages per CPU (16.6 MiB seen on 4 CPUs), so the bound is 8 MiB per CPU
# plus 8, at most 48 MiB: still well below the 80 MiB of a leaked pool per cycle.
settled_free() {
  sync
  echo 3 >/proc/sys/vm/drop_caches
  awk '/^MemFree/ {print $2}' /proc/meminfo
}
i=1
while [ $i -le 20 ]; do
  [ $i -eq 11 ] && free_before=$(settled_free)
  vmmctl start --pool 8 >/dev/null || fail "start #$i"
  [ "$(cpuid_probe | grep signature)" = "signature MicroVMicroV" ] || fail "no signature after start #$i"
  vmmctl stop >/dev/null || fail "stop #$i"
  i=$((i + 1))
done
ok "20 cycles"
after=$(vmmctl status | grep 'memory held')
echo "before: $before"
echo "after:  $after"
[ "$before" = "$after" ] && ok "loader memory as it started" || fail "loader memory changed"
free_after=$(settled_free)
echo "MemFree after 10 cycles ${free_before} kB, after 20 cycles ${free_after} kB"
# The page allocator moves a little by itself; a leaked 8 MiB pool per cycle would be 160 MiB.
bound=$((8 + 8 * $(grep -c ^processor /proc/cpuinfo)))
[ $bound -gt 48 ] && bound=48
[ $((free_before - free_after)) -lt $((bound * 1024)) ] && ok "MemFree within $bound MiB" ||
  fail "MemFree dropped by more than $bound MiB between cycle 10 and 20"
promoted=$(dump_since_mark | grep -c 'had been promoted')
echo "promote lines during the cycles: $promoted"
expect_line "$promoted" "^$((20 * $(grep -c ^processor /proc/cpuinfo)))\$"
expect_clean_kernel_log
finish
