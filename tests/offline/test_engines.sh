#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_engines.sh - the two replay engines run one datapath (src/datapath):
#  - every capture of the corpus, replayed natively (the default: the general
#    parsers only) and in the kernel (--engine kernel: tc_flowmon_kern.o, fast
#    path included), gives the same records, field for field (FLOW_ID aside);
#  - a native replay twice gives byte-identical output;
#  - the native engine loads no BPF object: it runs without privileges;
#  - frames longer than 64 KiB (BIG TCP captures) count their IP length in
#    full in both engines, as tshark dissects it.
set -u
cd "${FLOWMON_ROOT:-$(dirname "$0")/../..}" || exit 1
PCAPS=${FLOWMON_PCAPS:-../shared/pcaps}
TMP=$(mktemp -d /tmp/flowmon-engines.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); echo "not ok $n $1"; }
check() { if [ "$1" -eq 0 ]; then ok "$2"; else notok "$2"; fi; }
bail() { echo "Bail out! $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || bail "needs root (the kernel engine)"
[ -d "$PCAPS" ] || bail "no capture corpus at $PCAPS"
command -v tshark >/dev/null || bail "tshark is missing"
mapfile -t FILES < <(ls "$PCAPS"/*.pcap "$PCAPS"/*.pcapng 2>/dev/null)
[ "${#FILES[@]}" -ge 100 ] || bail "only ${#FILES[@]} captures in $PCAPS"

# Records without the per-process FLOW_ID, sorted: the engines walk their
# tables in different orders.
norm() { sed 's/"FLOW_ID":[0-9]*,//' "$1" | sort; }

# One capture of the corpus is cut short on purpose (ndpi-fuzz-2021-10-13),
# one has a snapshot length of 1 in its header (zeek-trunc-trunc-hdr, refused
# before any replay): their error lines name them, the others replay, and
# the exit status is 1. The
# kernel engine also says which frames BPF_PROG_TEST_RUN refuses (shorter
# than the IP header they announce); the native engine counts them as
# malformed. Either way they make no record.
broken=ndpi-fuzz-2021-10-13.pcap
snap1=zeek-trunc-trunc-hdr.pcap
for e in native kernel; do
	./tc_flowmon_user replay -q --engine $e -j -o "$TMP/$e.json" "${FILES[@]}" \
		2>"$TMP/$e.err"
	rc=$?
	[ "$rc" -eq 1 ] && grep -q "failed to read .*$broken" "$TMP/$e.err" &&
		grep -q "failed to replay .*$snap1: snapshot length 1 is too short" "$TMP/$e.err" &&
		! grep -v "failed to read .*$broken\|failed to replay [0-9]* packets of\|$snap1: snapshot" \
			"$TMP/$e.err"
	check $? "$e engine: ${#FILES[@]} captures replayed; errors name $broken and $snap1 (exit $rc)"
done
records=$(wc -l < "$TMP/native.json")
[ "$records" -gt 1000 ]
check $? "native engine: $records records"
if cmp -s <(norm "$TMP/native.json") <(norm "$TMP/kernel.json"); then
	ok "both engines: the same $records records"
else
	notok "both engines: the same records"
	diff <(norm "$TMP/native.json") <(norm "$TMP/kernel.json") | head -6 | cut -c1-300 |
		sed 's/^/# /'
fi

./tc_flowmon_user replay -q -j -o "$TMP/native2.json" "${FILES[@]}" 2>/dev/null
cmp -s "$TMP/native.json" "$TMP/native2.json"
check $? "native engine: two replays give byte-identical output"

# No privileges, no BPF: the native engine is plain userland.
chmod 711 "$TMP"
mkdir "$TMP/nobody" && chown 65534:65534 "$TMP/nobody"
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	./tc_flowmon_user replay -q -j -o "$TMP/nobody/out.json" "$PCAPS/zeek-http-get.pcap" \
	2>"$TMP/nobody/err"
rc=$?
[ "$rc" -eq 0 ] && [ -s "$TMP/nobody/out.json" ]
check $? "native engine runs as nobody without capabilities (exit $rc)"

# BIG TCP: one frame of 80 KB; tshark's IP length (IPv6: 40 + the jumbo
# payload length of the hop-by-hop option, RFC 2675) is the truth.
for f in tcpdump-bigtcp-ipv4.pcap tcpdump-bigtcp-ipv6-hbh.pcap; do
	want=$(tshark -r "$PCAPS/$f" -T fields -E separator=, -e ip.len -e ipv6.opt.jumbo \
		2>/dev/null | awk -F, '{ print $1 != "" ? $1 : $2 + 40; exit }')
	for e in native kernel; do
		./tc_flowmon_user replay -q --engine $e -j -o "$TMP/$e-$f.json" "$PCAPS/$f" \
			2>/dev/null
		got=$(grep -o '"IN_BYTES":[0-9]*' "$TMP/$e-$f.json" | cut -d: -f2)
		[ -n "$want" ] && [ "$got" = "$want" ]
		check $? "$e engine: $f counts its frame's IP length in full ($got, tshark $want)"
	done
done
echo "1..$n"
