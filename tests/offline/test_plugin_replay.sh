#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_plugin_replay.sh - plugins in a replay (--plugin: the kernel engine, on
# capture time):
#  - a crafted capture of one TCP handshake gives the RTTs its timestamps say
#    (tshark reads them), to the nanosecond;
#  - DNS captures of the corpus give, per flow, the name, type, response code
#    and answers that tshark dissects;
#  - with all three plugins the records are those of the native engine
#    without plugins, field for field: a plugin never changes what is counted.
set -u
cd "${FLOWMON_ROOT:-$(dirname "$0")/../..}" || exit 1
PCAPS=${FLOWMON_PCAPS:-../shared/pcaps}
TMP=$(mktemp -d /tmp/flowmon-plugin-replay.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
PY=/usr/bin/python3
CHECK=("$PY" tests/e2e/plugin_check.py)
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); echo "not ok $n $1"; fail=1; }
is() { if [ "$1" = "$2" ]; then ok "$3"; else notok "$3"; echo "# got '$1', expected '$2'"; fi; }
bail() { echo "not ok 1 precondition: $*"; echo "1..1"; exit 1; }

[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (the kernel engine)"; exit 0; }
for t in tshark "$PY"; do command -v "$t" >/dev/null || bail "$t is installed"; done
for p in dns tls rtt; do [ -f "plugins/$p.bpf.o" ] || bail "plugins/$p.bpf.o is built"; done
[ -d "$PCAPS" ] || bail "the capture corpus at $PCAPS"
PLUGINS=(--plugin plugins/dns.bpf.o --plugin plugins/tls.bpf.o --plugin plugins/rtt.bpf.o)

# 1. the handshake at known times
"${CHECK[@]}" rtt-capture "$TMP/rtt.pcap" || bail "scapy writes the crafted capture"
mapfile -t T < <(tshark -r "$TMP/rtt.pcap" -Y "tcp.flags.syn == 1 || frame.number == 3" \
	-T fields -e frame.time_epoch 2>/dev/null | tr -d .)
[ "${#T[@]}" -eq 3 ] || bail "tshark reads SYN, SYN-ACK and ACK"
./tc_flowmon_user replay -q --plugin plugins/rtt.bpf.o -j -o "$TMP/rtt.json" "$TMP/rtt.pcap" ||
	notok "replay --plugin rtt runs"
is "$("${CHECK[@]}" json "$TMP/rtt.json" 41000 TCP_RTT_SERVER_NS TCP_RTT_CLIENT_NS TCP_HANDSHAKE_SYNS)" \
	"$((10#${T[1]} - 10#${T[0]})) $((10#${T[2]} - 10#${T[1]})) 1" \
	"RTTs from a crafted capture: SYN -> SYN-ACK and SYN-ACK -> ACK to the nanosecond"

# 2. DNS of the corpus against tshark, flow by flow
for f in tcpdump-dns_udp.pcap tcpdump-dns_tcp.pcap zeek-ipv6-fragmented-dns.pcap; do
	[ -f "$PCAPS/$f" ] || { notok "$f is in the corpus"; continue; }
	./tc_flowmon_user replay -q --plugin plugins/dns.bpf.o -j -o "$TMP/$f.json" "$PCAPS/$f" ||
		notok "$f: replay --plugin dns runs"
	"${CHECK[@]}" dns "$PCAPS/$f" >"$TMP/$f.dns"
	[ -s "$TMP/$f.dns" ] || notok "$f: tshark finds DNS queries in it"
	while read -r port name qtype id rcode answers _; do
		is "$("${CHECK[@]}" json "$TMP/$f.json" "$port" DNS_QUERY DNS_QUERY_TYPE DNS_QUERY_ID \
			DNS_RET_CODE DNS_NUM_ANSWERS)" "$name $qtype $id $rcode $answers" \
			"$f: port $port asked $name type $qtype, rcode $rcode, $answers answers"
	done <"$TMP/$f.dns"
done

# 3. what the meter counts does not depend on the plugins
FILES=()
for f in ndpi-dns_fragmented.pcap ndpi-netflix.pcap ndpi-reddit.pcap tcpdump-dns_tcp.pcap; do
	[ -f "$PCAPS/$f" ] && FILES+=("$PCAPS/$f")
done
[ "${#FILES[@]}" -eq 4 ] || notok "the corpus has the comparison files"
./tc_flowmon_user replay -q -j -o "$TMP/native.json" "${FILES[@]}" || notok "native replay runs"
./tc_flowmon_user replay -q "${PLUGINS[@]}" -j -o "$TMP/plugins.json" "${FILES[@]}" ||
	notok "replay with three plugins runs"
strip() {	# the records without FLOW_ID and the plugins' keys, sorted
	"$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    print(json.dumps({k: v for k, v in r.items() if k != "FLOW_ID" and
                      not k.startswith(("DNS_", "TLS_", "TCP_RTT_", "TCP_HANDSHAKE_"))}, sort_keys=True))
' "$1" | sort
}
is "$(strip "$TMP/plugins.json" | md5sum)" "$(strip "$TMP/native.json" | md5sum)" \
	"with three plugins the records equal the native engine's without ($(wc -l <"$TMP/native.json") records)"
echo "1..$n"
exit $fail
