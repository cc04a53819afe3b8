#!/bin/sh
# Proves the test suite's traffic stays in its namespaces: captures every packet on the host's own
# interfaces (all but loopback) while COMMAND runs, then says how many each interface saw, and what.
#   sh scripts/host-silence.sh [--ignore BPF] COMMAND [ARGS...]        (as root)
# --ignore names the machine's own background traffic (its DNS look-ups, its package proxy) so that it
# is not counted, e.g. --ignore 'udp port 53 or tcp port 443 or arp'. Exit status: COMMAND's, or 3 when
# any interface saw a packet that was not ignored.
set -u
ignore=""
if [ "${1:-}" = "--ignore" ]; then ignore=$2; shift 2; fi
if [ "$#" -eq 0 ]; then echo "usage: host-silence.sh [--ignore BPF] COMMAND [ARGS...]" >&2; exit 2; fi
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
  all=$(tcpdump -r "$pcap" -n 2>/dev/null | wc -l)
  if [ -n "$ignore" ]; then
    tcpdump -r "$pcap" -n "not ($ignore)" 2>/dev/null >"$dir/$ifname.txt"
  else
    tcpdump -r "$pcap" -n 2>/dev/null >"$dir/$ifname.txt"
  fi
  count=$(wc -l <"$dir/$ifname.txt")
  echo "host-silence: $ifname: $count packets during '$*' ($((all - count)) ignored as the machine's own background)"
  if [ "$count" -gt 0 ]; then
    seen=1
    # What they were: source > destination and protocol, most frequent first.
    awk '{ print $2, $3, $4, $5 }' "$dir/$ifname.txt" | sed 's/\.[0-9]*\( \|:\|$\)/\1/g' | sort | uniq -c | sort -rn | head -15 |
      sed 's/^/host-silence:   /'
  fi
done
rm -rf "$dir"
if [ "$seen" -ne 0 ]; then exit 3; fi
exit "$status"
