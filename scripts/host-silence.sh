#!/bin/sh
# Proves the test suite's traffic stays in its namespaces: captures every packet on the host's own
# interfaces (all but loopback) while COMMAND runs, then prints how many each interface saw.
#   sh scripts/host-silence.sh npm test        (as root)
# Exit status: COMMAND's, or 3 when any interface saw a packet during it.
set -u
if [ "$#" -eq 0 ]; then echo "usage: host-silence.sh COMMAND [ARGS...]" >&2; exit 2; fi
command -v tcpdump >/dev/null || { echo "host-silence: needs tcpdump" >&2; exit 2; }
dir=$(mktemp -d /tmp/kts-host-silence-XXXXXX)
pids=""
for path in /sys/class/net/*; do
  ifname=${path##*/}
  [ "$ifname" = lo ] && continue
  tcpdump -i "$ifname" -n -U -w "$dir/$ifname.pcap" >"$dir/$ifname.log" 2>&1 &
  pids="$pids $!"
done
sleep 2
"$@"
status=$?
sleep 2
# shellcheck disable=SC2086
kill $pids 2>/dev/null
wait 2>/dev/null
seen=0
for pcap in "$dir"/*.pcap; do
  ifname=$(basename "$pcap" .pcap)
  count=$(tcpdump -r "$pcap" -n 2>/dev/null | wc -l)
  echo "host-silence: $ifname: $count packets during '$*'"
  if [ "$count" -gt 0 ]; then
    seen=1
    tcpdump -r "$pcap" -n 2>/dev/null | head -20 | sed 's/^/host-silence:   /'
  fi
done
rm -rf "$dir"
if [ "$seen" -ne 0 ]; then exit 3; fi
exit "$status"
