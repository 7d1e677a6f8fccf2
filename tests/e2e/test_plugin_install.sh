#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_plugin_install.sh - what make install gives plugin writers and users:
# the three plugins, flowmon/plugin.h and flowmon.h, docs/PLUGINS.md and the
# out-of-tree example. The example builds with its own Makefile against the
# installed header alone (a copy of it, PREFIX pointing into the DESTDIR),
# and the installed binary replays a crafted capture with it and an
# installed plugin: the example's fields hold the payload the capture was
# crafted with. Uninstall removes it all. Nothing goes into the real /.
set -u
source "$(dirname "$0")/lib.sh"

mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make --no-print-directory "$@"
}

fm_init
trap fm_cleanup EXIT
fm_need_tools make clang tshark
DEST=$FM_TMP/dest
mkdir -p "$DEST" && DEST=$(readlink -f "$DEST")
fm_need "make install DESTDIR=... PREFIX=/usr" mk -C "$FLOWMON_ROOT" install DESTDIR="$DEST" PREFIX=/usr
for f in lib/flowmon/plugins/dns.bpf.o lib/flowmon/plugins/tls.bpf.o lib/flowmon/plugins/rtt.bpf.o \
	include/flowmon/plugin.h include/flowmon/flowmon.h share/doc/bpfflowmon/PLUGINS.md; do
	tap_ok "usr/$f installed, the tree's file" cmp -s "$DEST/usr/$f" \
		"$FLOWMON_ROOT/$(case $f in
			lib/*) echo "plugins/${f##*/}" ;;
			include/flowmon/plugin.h) echo include/flowmon/plugin.h ;;
			include/*) echo include/flowmon.h ;;
			*) echo "docs/${f##*/}" ;;
		esac)"
done

# the example, copied out, built against the installed header only
cp -r "$DEST/usr/share/doc/bpfflowmon/plugin-example" "$FM_TMP/example"
mk -C "$FM_TMP/example" PREFIX="$DEST/usr" >"$FM_TMP/example.log" 2>&1
tap_is "$?" 0 "the example plugin builds against the installed header" ||
	tap_diag "$(tail -10 "$FM_TMP/example.log")"

# a TCP connection whose first payload is "HELLO example"; the handshake 5 ms apart
"$FM_PY" - "$FM_TMP/hello.pcap" <<'PYEOF'
import sys
from decimal import Decimal
from scapy.all import Ether, IP, TCP, Raw, wrpcap
e = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
c, s = dict(src="198.18.0.1", dst="198.18.0.2"), dict(src="198.18.0.2", dst="198.18.0.1")
pk = [Ether(**e) / IP(**c) / TCP(sport=42000, dport=7, flags="S", seq=10),
      Ether(**e) / IP(**s) / TCP(sport=7, dport=42000, flags="SA", seq=90, ack=11),
      Ether(**e) / IP(**c) / TCP(sport=42000, dport=7, flags="A", seq=11, ack=91),
      Ether(**e) / IP(**c) / TCP(sport=42000, dport=7, flags="PA", seq=11, ack=91) / Raw(b"HELLO example")]
for i, p in enumerate(pk):
    p.time = Decimal(1700000000) + Decimal(i * 5) / 1000
wrpcap(sys.argv[1], pk, nano=True)
PYEOF
fm_need "scapy writes the capture" test -s "$FM_TMP/hello.pcap"
"$DEST/usr/bin/tc_flowmon_user" replay -q --plugin "$FM_TMP/example/count.bpf.o" \
	--plugin "$DEST/usr/lib/flowmon/plugins/rtt.bpf.o" -j -o "$FM_TMP/out.json" \
	"$FM_TMP/hello.pcap" 2>"$FM_TMP/replay.err"
tap_is "$?" 0 "the installed binary replays with the example and an installed plugin" ||
	tap_diag "$(cat "$FM_TMP/replay.err")"
got=$("$FM_PY" -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if "\"L4_DST_PORT\":7," in l][0]
print(r.get("PAYLOAD_FIRST"), r.get("PAYLOAD_PACKETS"), r.get("PAYLOAD_BYTES"),
      r.get("TCP_RTT_SERVER_NS"), r.get("TCP_RTT_CLIENT_NS"))' "$FM_TMP/out.json")
tap_is "$got" "HELLO example 1 13 5000000 5000000" \
	"the example's fields (the crafted payload) and the RTT plugin's (5 ms, 5 ms)"

fm_need "make uninstall" mk -C "$FLOWMON_ROOT" uninstall DESTDIR="$DEST" PREFIX=/usr
tap_is "$(cd "$DEST" && find . ! -type d | wc -l)" 0 "uninstall leaves no file under DESTDIR"
tap_done
