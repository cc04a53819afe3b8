#!/bin/sh
# Installs the Debian packages the kernel tiers of the test suite need (Debian 12, as root), without
# letting apt start or enable their services on this machine: keepalived, FRR, nginx, dnsmasq, snmpd and
# snmptrapd are started by the tests themselves, inside network namespaces, never on the host's own
# interfaces (snmptrapd also ships a systemd socket unit, disabled with its service below).
# qemu, Debian's generic kernel, busybox-static and ipvsadm make the VM tier (IPVS, absent from this
# machine's kernel): the VM has no network device at all. chromium is the browser of the status page test
# (driven by playwright-core, inside a namespace). dbus-daemon and gdbus (libglib2.0-bin) serve the DBus
# test: it starts a private bus of its own inside its namespace (the host's system bus is left alone).
set -eu
PACKAGES="iproute2 nftables tcpdump tshark keepalived frr nginx dnsmasq ca-certificates openssl python3
  ipvsadm qemu-system-x86 linux-image-amd64 busybox-static xz-utils snmpd snmp snmptrapd chromium systemd
  dbus-daemon libglib2.0-bin libfaketime"
SERVICES="keepalived frr nginx dnsmasq ipvsadm snmpd snmptrapd snmptrapd.socket"

if [ "$(id -u)" != 0 ]; then
  echo "install-test-deps: needs root (apt-get); run the suite without it with 'npm test'" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done

if [ -n "$missing" ]; then
  # invoke-rc.d asks policy-rc.d before starting a service: 101 means "not allowed" (Debian policy 9.3.3).
  policy=/usr/sbin/policy-rc.d
  ours=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    ours=1
  fi
  trap 'if [ "$ours" = 1 ]; then rm -f "$policy"; fi' EXIT
  echo "install-test-deps: installing$missing"
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Installed earlier, or by someone else: make sure none of them runs now or comes back at the next boot.
for s in $SERVICES; do
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now "$s" >/dev/null 2>&1 || true
  else
    service "$s" stop >/dev/null 2>&1 || true
    update-rc.d "$s" disable >/dev/null 2>&1 || true
  fi
done
echo "install-test-deps: ready"
