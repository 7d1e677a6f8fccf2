#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_deb.sh - the Debian package, built once from a copy of the tree:
#   dpkg-buildpackage -us -uc -b makes bpfflowmon_*.deb with the binaries,
#   the BPF object, the man pages, both units, the settings file as a
#   conffile, the logrotate snippet; lintian reports no error;
#   dpkg -i installs it (inside namespace A's mount namespace, so that
#   /etc/default, /var/log and /run are the test's own); the installed
#   bpfflowmon.service, run the way systemd runs it, meters a UDP exchange
#   (records = what the sender sent and the receiver echoed);
#   with the program loaded and pinned again, dpkg --purge leaves nothing:
#   no filter, no pin, no file of the package, not installed.
# A bpfflowmon package already installed on the host is left alone (skip).
. "$(dirname "$0")/lib.sh"

PKG=bpfflowmon
INSTALLED=0
cleanup() {
	# never leave the package installed, whatever failed
	[ "$INSTALLED" = 1 ] && dpkg_ns --purge "$PKG" >/dev/null 2>&1
	fm_cleanup
}
trap cleanup EXIT

PORT=7400
UNITRUN=$FLOWMON_ROOT/tests/e2e/tools/unitrun.py

fm_init
for t in dpkg-buildpackage lintian dh git; do
	command -v "$t" >/dev/null 2>&1 || tap_skip_all "missing $t"
done
dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null | grep -q "install ok installed" &&
	tap_skip_all "$PKG is installed on this host: not touched"
fm_pair || tap_bail "namespaces and veth pair"
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"

# dpkg in namespace A; waits (bounded) while another dpkg holds the lock
dpkg_ns() {
	local i rc

	for ((i = 0; i < 120; i++)); do
		fm_mnt "$NS_A" dpkg "$@" >"$FM_TMP/dpkg.out" 2>&1
		rc=$?
		grep -q "lock" "$FM_TMP/dpkg.out" && [ "$rc" -ne 0 ] || break
		sleep 1
	done
	cat "$FM_TMP/dpkg.out"
	return "$rc"
}

# --- build, from a copy of the tree (tracked and new files, no build output) ---
SRC=$FM_TMP/build/$PKG
mkdir -p "$SRC"
if git -C "$FLOWMON_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$FLOWMON_ROOT" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) |
		tar -x -C "$SRC"
else
	(cd "$FLOWMON_ROOT" && tar --exclude=./.output --exclude=./tc_flowmon_user \
		--exclude=./tc_flowmon_kern.o -cf - .) | tar -x -C "$SRC"
fi
(cd "$SRC" && DEB_BUILD_OPTIONS="parallel=2 noddebs" timeout 900 \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -us -uc -b) \
	>"$FM_TMP/build.log" 2>&1
tap_is "$?" 0 "dpkg-buildpackage -us -uc -b" || tap_bail "the package builds" "$(tail -20 "$FM_TMP/build.log")"
DEB=$(ls "$FM_TMP/build/${PKG}_"*.deb 2>/dev/null | head -1)
tap_ok "bpfflowmon_*.deb is there" test -f "$DEB" || tap_bail "a .deb"

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' >"$FM_TMP/contents"
for f in /usr/bin/tc_flowmon_user /usr/bin/tc_flowmon.sh /usr/lib/flowmon/tc_flowmon_kern.o \
	/usr/share/man/man8/tc_flowmon_user.8.gz /usr/share/man/man8/tc_flowmon.sh.8.gz \
	/lib/systemd/system/bpfflowmon.service /lib/systemd/system/bpfflowmon@.service \
	/etc/default/bpfflowmon /etc/logrotate.d/bpfflowmon; do
	tap_ok "the package has $f" grep -qx "$f" "$FM_TMP/contents"
done
dpkg-deb -I "$DEB" conffiles >"$FM_TMP/conffiles" 2>&1
tap_ok "/etc/default/bpfflowmon is a conffile" grep -qx /etc/default/bpfflowmon "$FM_TMP/conffiles"
tap_ok "the BPF object keeps its BTF (not stripped)" sh -c \
	"dpkg-deb --fsys-tarfile '$DEB' | tar -xOf - ./usr/lib/flowmon/tc_flowmon_kern.o |
	 cmp -s - '$SRC/tc_flowmon_kern.o'"

CHANGES=$(ls "$FM_TMP/build/${PKG}_"*.changes | head -1)
lintian "$CHANGES" >"$FM_TMP/lintian.out" 2>&1
tap_is "$(grep -c '^E:' "$FM_TMP/lintian.out")" 0 "lintian: no error" ||
	tap_diag "$(grep '^E:' "$FM_TMP/lintian.out")"

# --- install, meter through the installed unit ---
INSTALLED=1
dpkg_ns -i "$DEB" >"$FM_TMP/install.out"
tap_is "$?" 0 "dpkg -i" || tap_bail "the package installs" "$(cat "$FM_TMP/install.out")"
tap_is "$(dpkg-query -W -f='${Status}' "$PKG" 2>/dev/null)" "install ok installed" "dpkg says installed"
tap_ok "the settings file is in place" test -f "$FM_TMP/root.$NS_A/default/bpfflowmon"
sed -i -e "s|^IFACE=.*|IFACE=$VETH_A|" -e 's|^INTERVAL=.*|INTERVAL=1|' -e 's|^FORMAT=.*|FORMAT=json|' \
	"$FM_TMP/root.$NS_A/default/bpfflowmon"

CTL=$FM_TMP/ctl
mkdir -p "$CTL"
fm_mnt "$NS_A" "$FM_PY" "$UNITRUN" /lib/systemd/system/bpfflowmon.service --ctl "$CTL" \
	--timeout 60 >"$FM_TMP/unitrun.out" 2>&1 &
RUNNER=$!
FM_PIDS+=("$RUNNER")
fm_wait 30 test -e "$CTL/ready" -o -e "$CTL/failed" -o -e "$CTL/stopped"
tap_ok "the installed service is ready (READY=1)" test -e "$CTL/ready" ||
	tap_diag "$(cat "$FM_TMP/unitrun.out")"
tap_ok "its filter is on $VETH_A" fm_attached "$NS_A" "$VETH_A" both
fm_bg_ready "$NS_B" "$FM_TMP/sink.ready" udp-sink --bind "$IP4_B" --port "$PORT" \
	--out "$FM_TMP/sink.json" --echo || tap_bail "UDP echo in $NS_B"
got=$(fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$PORT" \
	--sport 44000 --count 9 --size 72 --replies)
tap_is "$got" 9 "9 datagrams echoed"
kill -TERM "$FM_BG_PID" 2>/dev/null
touch "$CTL/reload" "$CTL/stop"
fm_wait 30 test -e "$CTL/stopped"
tap_is "$(cat "$CTL/stopped" 2>/dev/null)" "main=0 poststop=0" "the service stops cleanly"
fm_bg_wait "$RUNNER" 10
read -r -a s < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport 44000 --dport "$PORT" \
	"$FM_TMP/root.$NS_A/log/bpfflowmon")
# 9 x (72 + 28) = 900 each way
tap_is "${s[1]}/${s[2]}/${s[3]}/${s[4]}" 9/900/9/900 "the installed meter's records: 9 packets, 900 bytes each way"

# --- purge with the program loaded and pinned: nothing may stay ---
fm_mnt "$NS_A" /usr/bin/tc_flowmon_user load -q -I "$VETH_A" || tap_diag "load before purge failed"
tap_ok "loaded and pinned before the purge" fm_mnt "$NS_A" test -e /sys/fs/bpf/tc/globals/flowmon_stats
dpkg_ns --purge "$PKG" >"$FM_TMP/purge.out"
tap_is "$?" 0 "dpkg --purge" || tap_diag "$(cat "$FM_TMP/purge.out")"
INSTALLED=0
tap_is "$(fm_count_ours fm_mnt "$NS_A" "$VETH_A" ingress)/$(fm_count_ours fm_mnt "$NS_A" "$VETH_A" egress)" \
	0/0 "purge: no filter left on $VETH_A"
tap_is "$(fm_mnt "$NS_A" sh -c 'ls /sys/fs/bpf/tc/globals 2>/dev/null' | tr '\n' ' ')" "" \
	"purge: nothing pinned"
left=""
while read -r f; do
	[ -f "$f" ] && left="$left $f"
done <"$FM_TMP/contents"
tap_is "$left" "" "purge: no file of the package left"
tap_ok "purge: the settings file is gone" test ! -e "$FM_TMP/root.$NS_A/default/bpfflowmon"
tap_ok "dpkg no longer knows the package" sh -c "! dpkg-query -W -f='\${Status}' $PKG 2>/dev/null |
	grep -q 'ok installed'"

tap_done
