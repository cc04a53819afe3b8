#!/bin/sh
# Manual check of the Debian package, outside the test suite (minutes, downloads from the apt mirror):
# `apt install ./keepalived-ts_*.deb` in a throwaway Debian 12 (bookworm) chroot built by debootstrap, with
# Node 20 brought in as a package, then the installed launcher run (--version, -t on a config), the unit and
# conffile checked, and the package removed and purged. Nothing is started: the chroot has a policy-rc.d
# that forbids service starts and no /run/systemd/system (the maintainer scripts call systemctl only when
# that exists), and the daemon itself is never run (the chroot shares the host's network).
#
#   sudo sh scripts/try-deb-in-chroot.sh [DEB] [DIR]
#     DEB: default the newest dist/deb/keepalived-ts_*.deb (npm run package:deb)
#     DIR: default /work/tmp-chroot; DIR/root is the chroot (kept, and reused by the next run; rm -rf DIR
#          when done). KTS_DEBIAN_MIRROR: the mirror (default http://deb.debian.org/debian).
# Node 20: Debian 12 has only Node 18, so the host's own `nodejs` package (NodeSource's, >= 20) is packed
# again from its installed files (what dpkg-repack does) and installed in the chroot by apt together with
# ours; its dependencies (python3, ca-certificates, ...) come from the mirror.
set -eu

here=$(dirname "$(readlink -f "$0")")
DEB=${1:-$(ls -t "$here"/../dist/deb/keepalived-ts_*.deb 2>/dev/null | head -n 1)}
DIR=${2:-/work/tmp-chroot}
MIRROR=${KTS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
ROOT=$DIR/root

[ "$(id -u)" = 0 ] || { echo "needs root (debootstrap, chroot)" >&2; exit 1; }
[ -n "$DEB" ] && [ -f "$DEB" ] || { echo "no .deb: run npm run package:deb first" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "missing tool: debootstrap (Debian package debootstrap)" >&2; exit 1; }
step() { printf '\n=== %s\n' "$*"; }

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
	step "debootstrap --variant=minbase bookworm $ROOT $MIRROR"
	mkdir -p "$DIR"
	debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR"
fi

step "no service may start in the chroot"
printf '#!/bin/sh\n# keepalived-ts chroot check: no service starts here\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
if [ -d "$ROOT/run/systemd/system" ]; then echo "$ROOT/run/systemd/system exists: refusing" >&2; exit 1; fi
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT INT TERM

step "Node 20: the host's nodejs package, packed again from its files"
node_version=$(dpkg-query -W -f '${Version}' nodejs)
node_arch=$(dpkg-query -W -f '${Architecture}' nodejs)
case "$(node --version)" in v2[0-9]* | v[3-9][0-9]*) ;; *) echo "the host's node is not >= 20" >&2; exit 1 ;; esac
stage=$(mktemp -d)
dpkg-query -L nodejs | while read -r path; do
	if [ -f "$path" ] || [ -L "$path" ]; then
		mkdir -p "$stage$(dirname "$path")"
		cp -a "$path" "$stage$path"
	fi
done
mkdir -p "$stage/DEBIAN"
{
	echo "Package: nodejs"
	echo "Version: $node_version"
	echo "Architecture: $node_arch"
	echo "Maintainer: repacked from the host <root@localhost>"
	echo "Depends: $(dpkg-query -W -f '${Depends}' nodejs)"
	echo "Description: Node.js $(node --version), repacked from the host for a chroot check"
} >"$stage/DEBIAN/control"
mkdir -p "$ROOT/tmp/kts"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$ROOT/tmp/kts/nodejs_${node_version}_${node_arch}.deb" >/dev/null
rm -rf "$stage"
cp "$DEB" "$ROOT/tmp/kts/"
deb_name=$(basename "$DEB")

step "apt install ./$deb_name (and Node 20) in the chroot"
chroot "$ROOT" apt-get update -q
chroot "$ROOT" sh -c "cd /tmp/kts && DEBIAN_FRONTEND=noninteractive apt install -y ./nodejs_${node_version}_${node_arch}.deb ./$deb_name"

step "what got installed"
chroot "$ROOT" dpkg -s keepalived-ts | grep -E '^(Status|Version|Depends):'
chroot "$ROOT" keepalived-ts --version
cat >"$ROOT/tmp/kts/keepalived.conf" <<'EOF'
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
EOF
chroot "$ROOT" keepalived-ts -t -f /tmp/kts/keepalived.conf && echo "keepalived-ts -t: configuration OK"
test -f "$ROOT/lib/systemd/system/keepalived-ts.service" && echo "unit: /lib/systemd/system/keepalived-ts.service"
grep -E '^(Type|ExecStart|Conflicts)=' "$ROOT/lib/systemd/system/keepalived-ts.service"
if ls "$ROOT"/etc/systemd/system/*.wants/keepalived-ts.service 2>/dev/null; then
	echo "FAIL: the service was enabled on install" >&2
	exit 1
fi
echo "not enabled (no *.wants link), not started"
chroot "$ROOT" dpkg-query -W -f '${Conffiles}\n' keepalived-ts

step "remove, then purge"
chroot "$ROOT" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y keepalived-ts' >/dev/null
test -f "$ROOT/etc/default/keepalived-ts" && echo "removed: the conffile /etc/default/keepalived-ts stays"
chroot "$ROOT" sh -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y keepalived-ts' >/dev/null
test ! -e "$ROOT/etc/default/keepalived-ts" && test ! -e "$ROOT/usr/lib/keepalived-ts" && echo "purged: nothing left"

step "OK: installed with apt on Debian 12 with Node $(node --version), run, removed and purged ($ROOT kept)"
