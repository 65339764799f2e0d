# Shared by the device scripts (source it after setting W, LOG; optional PHASES).
# step SECONDS NAME CMD...: run CMD under a timeout with its output in $W/logs/NAME.out; its tail,
# exit status and seconds go to $LOG; with PHASES set, its start and end times go there too.
step() { local t=$1 name=$2; shift 2; local t0 rc; t0=$(date +%s)
  [ -n "${PHASES:-}" ] && echo "$(date +%H:%M:%S.%N) start $name" >> "$PHASES"
  echo "== [$name] $*" >> "$LOG"
  timeout --kill-after=10 "$t" "$@" > "$W/logs/$name.out" 2>&1; rc=$?
  [ -n "${PHASES:-}" ] && echo "$(date +%H:%M:%S.%N) end $name" >> "$PHASES"
  tail -40 "$W/logs/$name.out" >> "$LOG"; echo "[$name] rc=$rc ($(( $(date +%s) - t0 )) s)" | tee -a "$LOG"; }
