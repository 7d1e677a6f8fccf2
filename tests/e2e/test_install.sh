#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_install.sh - "make install" and "make uninstall" into a DESTDIR, and the
# installed programs finding each other relative to where they are:
#   make install DESTDIR=$T PREFIX=/usr: tc_flowmon_user and tc_flowmon.sh in
#   $T/usr/bin (0755), tc_flowmon_kern.o in $T/usr/lib/flowmon (0644), both
#   man pages in $T/usr/share/man/man8 (0644), byte-identical to the tree;
#   groff/man render the man pages without warnings (when installed);
#   $T/usr/bin/tc_flowmon.sh --show-defaults (also through a symlink and
#   through PATH) names the installed userland and the object built into it;
#   $T/usr/bin/tc_flowmon_user -r PCAP (no --obj): known records, the same as
#   the build tree's binary, also with no tc_flowmon_kern.o anywhere (the
#   object is built into it); --obj FILE loads FILE, refused unless it is
#   our object;
#   make uninstall removes every file install put there.
# Nothing is ever installed into the real /: DESTDIR only, and the test
# checks that /usr/bin, /usr/lib/flowmon and /usr/share/man/man8 did not
# get our files. The pcap is generated here (198.18.0.0/15, fd00::/8).
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

FILES_BIN="tc_flowmon_user tc_flowmon.sh"
FILES_MAN="tc_flowmon_user.8 tc_flowmon.sh.8"

# make in the source tree, isolated from a parent make (make test).
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -C "$FLOWMON_ROOT" --no-print-directory "$@"
}

# Our files in the real / (must never change).
host_files() {
	local f

	for f in /usr/bin/tc_flowmon_user /usr/bin/tc_flowmon.sh /usr/lib/flowmon/tc_flowmon_kern.o \
		/usr/share/man/man8/tc_flowmon_user.8 /usr/share/man/man8/tc_flowmon.sh.8; do
		[ -e "$f" ] && echo "$f"
	done
	return 0
}

mode_of() {
	stat -c %a "$1" 2>/dev/null
}

# A small Ethernet pcap: UDP/IPv4 198.18.0.1:40000 -> 198.18.0.2:5000,
# 3 datagrams of 10 bytes, 2 replies of 20; UDP/IPv6 fd00:18::1:40001 ->
# fd00:18::2:5001, 2 datagrams of 30 bytes, no reply.
write_pcap() {		# file
	"$FM_PY" - "$1" <<'PYEOF'
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def udp4(src, dst, sp, dp, n):
    udp = struct.pack("!HHHH", sp, dp, 8 + n, 0) + b"u" * n
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\xc6\x12\0\x02\x02\0\xc6\x12\0\x01\x08\x00" + ip + udp

def udp6(src, dst, sp, dp, n):
    udp = struct.pack("!HHHH", sp, dp, 8 + n, 0) + b"v" * n
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    c = csum(s + d + struct.pack("!IxxxB", len(udp), 17) + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + s + d
    return b"\x02\0\xc6\x12\0\x02\x02\0\xc6\x12\0\x01\x86\xdd" + ip + udp

pkts = [udp4("198.18.0.1", "198.18.0.2", 40000, 5000, 10),
        udp4("198.18.0.2", "198.18.0.1", 5000, 40000, 20),
        udp4("198.18.0.1", "198.18.0.2", 40000, 5000, 10),
        udp4("198.18.0.2", "198.18.0.1", 5000, 40000, 20),
        udp4("198.18.0.1", "198.18.0.2", 40000, 5000, 10),
        udp6("fd00:18::1", "fd00:18::2", 40001, 5001, 30),
        udp6("fd00:18::1", "fd00:18::2", 40001, 5001, 30)]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t = 1700000000
    for i, p in enumerate(pkts):
        f.write(struct.pack("<IIII", t, i * 10000, len(p), len(p)))
        f.write(p)
PYEOF
}

# The records of a replay, reduced to key and counters, one line each, sorted.
records() {		# jsonl
	"$FM_PY" - "$1" <<'PYEOF'
import json, sys
out = []
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    r = json.loads(line)
    v = r["IP_PROTOCOL_VERSION"]
    src = r["IPV6_SRC_ADDR" if v == 6 else "IPV4_SRC_ADDR"]
    dst = r["IPV6_DST_ADDR" if v == 6 else "IPV4_DST_ADDR"]
    out.append("%s %s:%s>%s:%s in %s/%s out %s/%s reason %s" % (
        r["PROTOCOL"], src, r["L4_SRC_PORT"], dst, r["L4_DST_PORT"], r["IN_PKTS"],
        r["IN_BYTES"], r["OUT_PKTS"], r["OUT_BYTES"], r["FLOW_END_REASON"]))
print("\n".join(sorted(out)))
PYEOF
}

# --show-defaults of the installed script, with /etc/default hidden (so a
# defaults file of the host cannot change the paths), run from /; output in
# $FM_TMP/sd.out.
show_defaults() {	# how-to-run (path or name) [PATH]
	local empty=$FM_TMP/etc-default

	mkdir -p "$empty"
	env PATH="${2:-$PATH}" unshare --mount --propagation private sh -c '
		mount --bind "$1" /etc/default && cd / && exec "$2" --show-defaults' sh "$empty" "$1" \
		>"$FM_TMP/sd.out" 2>&1
}

sd_field() {		# label: the value printed after "Label:"
	sed -n "s/^$1: *//p" "$FM_TMP/sd.out"
}

check_defaults() {	# label how-to-run [PATH]
	local label=$1

	show_defaults "$2" "${3:-}"
	tap_is "$?" 0 "$label: --show-defaults exits 0" || tap_diag "$(cat "$FM_TMP/sd.out")"
	tap_is "$(sd_field 'BPF program')" "built into $USER_I" \
		"$label: BPF program is the one built into the installed userland"
	tap_is "$(sd_field 'Userland program')" "$USER_I" "$label: userland is the installed binary"
	tap_is "$(sd_field 'Defaults file')" "/etc/default/bpfflowmon (absent)" \
		"$label: no defaults file read"
}

fm_init
command -v make >/dev/null 2>&1 || tap_skip_all "missing make"
DEST=$FM_TMP/dest
# realpath: the script resolves its own location with readlink -f
mkdir -p "$DEST" && DEST=$(readlink -f "$DEST")
BIN=$DEST/usr/bin
LIB=$DEST/usr/lib/flowmon
MAN=$DEST/usr/share/man/man8
USER_I=$BIN/tc_flowmon_user
SCRIPT_I=$BIN/tc_flowmon.sh
OBJ_I=$LIB/tc_flowmon_kern.o
HOST_BEFORE=$(host_files)

mk -q all || tap_diag "the build is not up to date: make install rebuilds it first"

# --- install ---
mk install DESTDIR="$DEST" PREFIX=/usr >"$FM_TMP/install.log" 2>&1
tap_is "$?" 0 "make install DESTDIR=... PREFIX=/usr exits 0" ||
	tap_diag "$(tail -20 "$FM_TMP/install.log")"
for f in $FILES_BIN; do
	tap_is "$(mode_of "$BIN/$f")" 755 "usr/bin/$f installed, mode 0755"
done
tap_is "$(mode_of "$OBJ_I")" 644 "usr/lib/flowmon/tc_flowmon_kern.o installed, mode 0644"
for f in $FILES_MAN; do
	tap_is "$(mode_of "$MAN/$f")" 644 "usr/share/man/man8/$f installed, mode 0644"
done
tap_ok "installed files are the tree's files" sh -c "
	cmp -s '$FLOWMON_ROOT/tc_flowmon_user' '$USER_I' &&
	cmp -s '$FLOWMON_ROOT/scripts/tc_flowmon.sh' '$SCRIPT_I' &&
	cmp -s '$FLOWMON_ROOT/tc_flowmon_kern.o' '$OBJ_I' &&
	cmp -s '$FLOWMON_ROOT/docs/man/tc_flowmon_user.8' '$MAN/tc_flowmon_user.8' &&
	cmp -s '$FLOWMON_ROOT/docs/man/tc_flowmon.sh.8' '$MAN/tc_flowmon.sh.8'"
# (the plugins, their header and guide: test_plugin_install.sh)
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
# the BCC front end and the source BCC compiles at run time (docs/BCC.md)
BCC_FILES=$(cd "$FLOWMON_ROOT" && ls include/flowmon.h include/flowmon/plugin.h src/bpf/*.h \
	src/bpf/tc_flowmon_kern.c src/datapath/*.h scripts/bcc-headers.sh | sed 's|^|./usr/lib/flowmon/bcc/|')
N_FILES=$((19 + $(wc -l <<<"$BCC_FILES")))
tap_is "$(cd "$DEST" && find . -type f | LC_ALL=C sort | tr '\n' ' ')" \
	"$(printf '%s\n' ./etc/default/bpfflowmon ./etc/logrotate.d/bpfflowmon $BCC_FILES \
		./usr/bin/tc_flowmon.py \
		./usr/bin/tc_flowmon.sh ./usr/bin/tc_flowmon_user ./usr/lib/flowmon/tc_flowmon_kern.o \
		./usr/include/flowmon/flowmon.h ./usr/include/flowmon/plugin.h \
		./usr/lib/flowmon/plugins/dns.bpf.o ./usr/lib/flowmon/plugins/rtt.bpf.o \
		./usr/lib/flowmon/plugins/tls.bpf.o ./usr/share/doc/bpfflowmon/PLUGINS.md \
		./usr/share/doc/bpfflowmon/plugin-example/Makefile \
		./usr/share/doc/bpfflowmon/plugin-example/count.bpf.c \
		./usr/lib/tmpfiles.d/bpfflowmon.conf ./usr/share/man/man8/tc_flowmon.sh.8 \
		./usr/share/man/man8/tc_flowmon_user.8 ".$UNITDIR/bpfflowmon.service" \
		".$UNITDIR/bpfflowmon@.service" | LC_ALL=C sort | tr '\n' ' ')" \
	"install puts exactly these $N_FILES files under DESTDIR"
tap_is "$(grep -h '^Exec' "$DEST$UNITDIR"/bpfflowmon*.service | awk '{ print $1 }' | sort -u |
	tr '\n' ' ')" "ExecReload=/bin/kill ExecStart=/usr/bin/tc_flowmon_user ExecStartPre=/usr/bin/tc_flowmon_user ExecStopPost=/usr/bin/tc_flowmon_user " \
	"the units run the installed tc_flowmon_user"
tap_is "$(host_files)" "$HOST_BEFORE" "nothing installed into the real /usr"

# --- man pages ---
for f in $FILES_MAN; do
	if command -v groff >/dev/null 2>&1; then
		groff -man -Tutf8 -ww -z "$MAN/$f" >"$FM_TMP/groff.err" 2>&1
		tap_is "$?/$(wc -c <"$FM_TMP/groff.err")" 0/0 "groff -man -ww renders $f without warnings" ||
			tap_diag "$(head -10 "$FM_TMP/groff.err")"
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN/$f" >"$FM_TMP/man.out" \
			2>"$FM_TMP/man.err"
		tap_is "$?/$(wc -c <"$FM_TMP/man.err")" 0/0 "man -l --warnings renders $f without warnings" ||
			tap_diag "$(head -10 "$FM_TMP/man.err")"
		tap_cmp "$(grep -c . "$FM_TMP/man.out")" -ge 20 "man -l $f renders some text"
	else
		tap_skip "groff renders $f" "groff not installed"
	fi
done

# --- the installed script finds the installed object and userland ---
check_defaults "installed script by path" "$SCRIPT_I"
mkdir -p "$FM_TMP/elsewhere"
ln -s "$SCRIPT_I" "$FM_TMP/elsewhere/flowmonctl"
check_defaults "installed script through a symlink" "$FM_TMP/elsewhere/flowmonctl"
check_defaults "installed script found on PATH" tc_flowmon.sh "$BIN:/usr/sbin:/usr/bin:/sbin:/bin"

# --- the installed binary finds the installed object (root: it loads it) ---
PCAP=$FM_TMP/small.pcap
write_pcap "$PCAP" || tap_bail "write a small pcap"
EXPECT="17 198.18.0.1:40000>198.18.0.2:5000 in 3/114 out 2/96 reason 4
17 fd00:18::1:40001>fd00:18::2:5001 in 2/156 out 0/0 reason 4"
(cd / && timeout 30 "$USER_I" -q -r "$PCAP" -j -o - >"$FM_TMP/inst.json" 2>"$FM_TMP/inst.err")
tap_is "$?" 0 "installed tc_flowmon_user -r PCAP (no --obj, run from /) exits 0" ||
	tap_diag "$(cat "$FM_TMP/inst.err")"
tap_is "$(records "$FM_TMP/inst.json")" "$EXPECT" "installed binary: the pcap's records"
timeout 30 "$FM_USER" -q -r "$PCAP" -j -o - >"$FM_TMP/tree.json" 2>"$FM_TMP/tree.err"
# the order of the records at the end of a file is the hash table's, and
# FLOW_ID numbers them in that order: compare every other field
same_records() {
	"$FM_PY" - "$1" "$2" <<'PYEOF'
import json, sys
def recs(p):
    out = []
    for line in open(p):
        if line.startswith("{"):
            r = json.loads(line)
            r.pop("FLOW_ID", None)
            out.append(json.dumps(r, sort_keys=True))
    return sorted(out)
a, b = recs(sys.argv[1]), recs(sys.argv[2])
sys.exit(0 if a and a == b else 1)
PYEOF
}
tap_ok "installed binary: same records as the build tree's binary (all fields but FLOW_ID)" \
	same_records "$FM_TMP/inst.json" "$FM_TMP/tree.json"

# The binary carries its object (a libbpf skeleton): it needs no file, and
# it can never load an object that does not match it.
mv "$OBJ_I" "$FM_TMP/obj.aside"
(cd / && timeout 30 "$USER_I" -q -r "$PCAP" -j -o - >"$FM_TMP/noobj.json" 2>"$FM_TMP/noobj.err")
tap_is "$?" 0 "installed binary without any tc_flowmon_kern.o (run from /) exits 0" ||
	tap_diag "$(cat "$FM_TMP/noobj.err")"
tap_is "$(records "$FM_TMP/noobj.json")" "$EXPECT" "installed binary: the built-in object's records"
mv "$FM_TMP/obj.aside" "$OBJ_I"
# --obj still wins over the built-in object
timeout 30 "$USER_I" -q --obj "$FLOWMON_ROOT/tc_flowmon_kern.o" -r "$PCAP" -j -o - \
	>"$FM_TMP/obj.json" 2>&1
tap_is "$(records "$FM_TMP/obj.json")" "$EXPECT" "installed binary with --obj: the pcap's records"
# ... but only an object it matches
timeout 30 "$USER_I" -q --obj "$PCAP" -r "$PCAP" -j -o - >"$FM_TMP/bad.json" 2>"$FM_TMP/bad.err"
rc=$?
tap_ok "--obj of a file that is not our object fails (exit $rc), no records" \
	test "$rc" -eq 1 -a ! -s "$FM_TMP/bad.json"
tap_ok "the error names that file" grep -qF "failed to open BPF object $PCAP" "$FM_TMP/bad.err" ||
	tap_diag "$(cat "$FM_TMP/bad.err")"

# --- uninstall ---
mk uninstall DESTDIR="$DEST" PREFIX=/usr >"$FM_TMP/uninstall.log" 2>&1
tap_is "$?" 0 "make uninstall DESTDIR=... PREFIX=/usr exits 0" ||
	tap_diag "$(tail -20 "$FM_TMP/uninstall.log")"
for f in $BIN/tc_flowmon_user $BIN/tc_flowmon.sh $OBJ_I $MAN/tc_flowmon_user.8 $MAN/tc_flowmon.sh.8; do
	tap_ok "uninstall removed ${f#"$DEST"/}" test ! -e "$f"
done
tap_ok "uninstall removed usr/lib/flowmon" test ! -e "$LIB"
tap_is "$(cd "$DEST" && find . ! -type d | wc -l)" 0 "no file left under DESTDIR"
mk uninstall DESTDIR="$DEST" PREFIX=/usr >"$FM_TMP/uninstall2.log" 2>&1
tap_is "$?" 0 "make uninstall again (nothing installed) exits 0" ||
	tap_diag "$(tail -5 "$FM_TMP/uninstall2.log")"
tap_is "$(host_files)" "$HOST_BEFORE" "nothing removed from or added to the real /usr"

tap_done
