# A mixed root-OS workload: processes, file I/O on tmpfs, timers and signals. One round gives the
# same text every time on any correct machine; sourced by tests and by the benchmark.

# workload_round ID: one round of work; prints its deterministic result.
workload_round() {
  d=/tmp/wl.$1
  mkdir -p "$d"
  seq 1 3000 >"$d/a"                                   # file I/O on tmpfs
  cp "$d/a" "$d/b"
  sort -rn "$d/b" >"$d/c"
  cat "$d/a" "$d/c" | md5sum | cut -d' ' -f1
  for i in 1 2 3 4 5 6; do (echo $((i * i * i))); done | sort -n | tr '\n' ' '   # processes
  echo
  sh -c 'trap "echo usr1" USR1; kill -USR1 $$; sleep 0.02'                        # signals, timers
  rm -rf "$d"
}

# workload_run SECONDS: one worker per CPU, each doing rounds until SECONDS have passed and
# checking every round against the reference; prints the rounds done and returns 1 on a mismatch.
workload_run() {
  seconds=$1
  ref=$(workload_round ref)
  cpus=$(grep -c ^processor /proc/cpuinfo)
  end=$(($(date +%s) + seconds))
  w=0
  while [ $w -lt "$cpus" ]; do
    (
      n=0
      while [ "$(date +%s)" -lt $end ]; do
        [ "$(workload_round "$w.$n")" = "$ref" ] || { echo "worker $w round $n: MISMATCH"; exit 1; }
        n=$((n + 1))
      done
      echo "worker $w: $n rounds"
    ) &
    w=$((w + 1))
  done
  bad=0
  for job in $(jobs -p); do wait "$job" || bad=1; done
  return $bad
}

# workload_rounds N: N rounds per CPU, as fast as possible (for the benchmark); 1 on a mismatch.
workload_rounds() {
  rounds=$1
  ref=$(workload_round ref)
  cpus=$(grep -c ^processor /proc/cpuinfo)
  w=0
  while [ $w -lt "$cpus" ]; do
    (
      n=0
      while [ $n -lt "$rounds" ]; do
        [ "$(workload_round "$w.$n")" = "$ref" ] || exit 1
        n=$((n + 1))
      done
    ) &
    w=$((w + 1))
  done
  bad=0
  for job in $(jobs -p); do wait "$job" || bad=1; done
  return $bad
}
