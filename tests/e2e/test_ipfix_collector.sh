#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_ipfix_collector.sh - IPFIX export of tc_flowmon_user -r judged at the collector by tshark.
#
#   tests/e2e/test_ipfix_collector.sh [PCAP...]        (root: the replay runs the BPF program)
#
# Everything runs in a fresh network namespace, on its loopback (fixed
# ports: nothing else can hold them there). For every capture: nfcapd
# listens on 127.0.0.1:4739, tcpdump captures the export, and
# "tc_flowmon_user -r PCAP -j -o FILE -x 127.0.0.1:4739 [--uniflow]" runs.
# What the collector stored ("nfdump -R DIR -N -o json", turned into
# tc_flowmon_user's JSON keys by nfdump_records.py) is judged by tshark on
# the capture with tests/pcap/compare.py, exactly like the meter's own
# output in the pcap tier: per direction packets and L3 bytes, TCP flags
# (forward: nfdump keeps no reverse flags), per connection first/last ms.
# Also nfcapd counts 0 sequence errors and 0 bad packets, and tshark decodes
# the captured export without malformed or undecoded parts, with the
# templates, the RFC 5103 reverse elements (biflow only), the options
# record, and one flow record per record the meter wrote.
# Then: two collectors at once (both judged by tshark), a collector that is
# down and then up (UDP), a TCP collector (a Python sink decodes the stream:
# framing, sequence numbers, templates first) and a TCP collector that is
# down (the run ends, bounded by its timeout, and writes its records).
#
# Environment: FLOWMON_PCAPS (the corpus, default ../shared/pcaps), FM_KEEP=1
# keeps the work folder. Output: TAP. Leaves nothing behind: the namespace
# and every process in it go at clean-up.
. "$(dirname "$0")/lib.sh"
export TZ=UTC LC_ALL=C

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PCAPS=${FLOWMON_PCAPS:-$FLOWMON_ROOT/../shared/pcaps}
COMPARE=$FLOWMON_ROOT/tests/pcap/compare.py
NFREC=$FLOWMON_ROOT/tests/e2e/nfdump_records.py
RUN_TIMEOUT=120
PORT=4739
PORT2=4740
NS=$NS_A

DEFAULT_PCAPS="zeek-http-get.pcap zeek-communityid-icmp.pcap zeek-communityid-icmp6.pcap
zeek-communityid-sctp.pcap tcpdump-dns_udp.pcap tcpdump-dns_tcp.pcap tcpdump-icmpv6.pcap
arkime-v6.pcap ndpi-quic.pcap zeek-ipv4-fragmented-1.pcap tcpreplay-test.pcap
zeek-wikipedia.pcap ndpi-reddit.pcap"
UNIFLOW_PCAPS="zeek-http-get.pcap zeek-communityid-icmp6.pcap tcpdump-icmpv6.pcap arkime-v6.pcap"

# A background process in the namespace, tracked for clean-up; $! is the
# process itself (ip netns exec execs it). Sets BG_PID.
bg() {
	ip netns exec "$NS" "$@" &
	BG_PID=$!
	FM_PIDS+=("$BG_PID")
}

stop_pid() {		# pid: SIGTERM, 5 s, SIGKILL
	local i

	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

listening() {		# u|t port
	[ -n "$(fm_in "$NS" ss -Hln"$1" "sport = :$2" 2>/dev/null)" ]
}

recvq_empty() {		# port: the collector has read every datagram that arrived
	[ "$(fm_in "$NS" ss -Hlnu "sport = :$1" 2>/dev/null | awk '{ print $2; exit }')" = 0 ]
}

start_nfcapd() {	# dir port: sets NFCAPD_PID
	mkdir -p "$1/nf"
	# -E prints each record and, on exit, "Sequence Errors: N, Bad Packets: N"
	bg nfcapd -b 127.0.0.1 -p "$2" -w "$1/nf" -t 3600 -E >"$1/nfcapd.log" 2>&1
	NFCAPD_PID=$BG_PID
	fm_need "nfcapd listens on 127.0.0.1:$2" fm_wait 5 listening u "$2"
}

start_tcpdump() {	# file filter: sets TCPDUMP_PID
	bg tcpdump -i lo -nn -U --immediate-mode -B 32768 -s 0 -w "$1" "$2" >"$1.log" 2>&1
	TCPDUMP_PID=$BG_PID
	fm_need "tcpdump captures on lo" fm_wait 5 grep -q 'listening on' "$1.log"
}

# flow records tshark decodes in a capture of the export
cflow_records() {	# pcap port proto
	tshark -o cflow.max_template_fields:64 -r "$1" -d "$3.port==$2,cflow" -T fields -e cflow.protocol \
		-E occurrence=a -E aggregator=' ' 2>/dev/null | wc -w
}

capture_has() {		# pcap port proto n
	[ "$(cflow_records "$1" "$2" "$3")" -ge "$4" ]
}

# Run the exporter in the namespace; its exit status.
run_user() {	# dir pcap args...
	local dir=$1 pcap=$2

	shift 2
	rm -f "$dir/flows.jsonl"
	timeout "$RUN_TIMEOUT" ip netns exec "$NS" "$FM_USER" -r "$pcap" -j -o "$dir/flows.jsonl" \
		"$@" >"$dir/user.log" 2>&1
}

# records the meter wrote, and the collector records they stand for
json_count() { [ -f "$1" ] && grep -c '^{' "$1" || echo 0; }
ipfix_count() {		# mode jsonl: biflow one each; uniflow one per direction seen
	"$FM_PY" -c 'import json, sys
n = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    n += 1 + (sys.argv[1] == "uni" and r["OUT_PKTS"] > 0)
print(n)' "$1" "$2"
}

# The collector's records judged by tshark on the capture.
judge() {		# dir pcap
	nfdump -R "$1/nf" -N -o json >"$1/nfdump.json" 2>"$1/nfdump.err"
	"$FM_PY" "$NFREC" "$1/nfdump.json" "$1/collector.jsonl" >/dev/null || return 1
	"$FM_PY" "$COMPARE" --flags-mask 0xff "$2" "$1/collector.jsonl" >"$1/judge.out" 2>&1 ||
		{ tap_diag "$(head -20 "$1/judge.out")"; return 1; }
}

nfcapd_clean() {	# dir: 0 sequence errors, 0 bad packets (and a summary at all)
	grep -ao 'Sequence Errors: [0-9]*, Bad Packets: [0-9]*' "$1/nfcapd.log" >"$1/summary"
	[ -s "$1/summary" ] && ! grep -qv 'Sequence Errors: 0, Bad Packets: 0' "$1/summary"
}

# tshark decodes every datagram: nothing malformed or left undecoded, the
# templates and the options record are there, reverse elements in biflow
# mode only, and one flow record per record the meter wrote.
tshark_check() {	# mode dir port proto
	local mode=$1 dir=$2 port=$3 proto=$4 n want

	tshark -o cflow.max_template_fields:64 -r "$dir/export.pcap" -d "$proto.port==$port,cflow" -V -O cflow >"$dir/cflow.txt" 2>&1
	if grep -qiE 'malformed|Expert Info \((Warning|Error)|won.t be used' "$dir/cflow.txt"; then
		tap_diag "$(grep -iE 'malformed|Expert Info|won.t be used' "$dir/cflow.txt" | sort | uniq -c)"
		return 1
	fi
	grep -q '(Data Template)' "$dir/cflow.txt" && grep -q 'Options Template' "$dir/cflow.txt" &&
		grep -q 'Sampling interval: 1' "$dir/cflow.txt" &&
		grep -q 'Not Sent Flows' "$dir/cflow.txt" ||
		{ tap_diag "templates or options record missing"; return 1; }
	if [ "$mode" = bi ]; then
		grep -q '\[Reverse\]' "$dir/cflow.txt" || { tap_diag "no reverse elements"; return 1; }
	elif grep -q '\[Reverse\]' "$dir/cflow.txt"; then
		tap_diag "reverse elements in uniflow mode"
		return 1
	fi
	n=$(cflow_records "$dir/export.pcap" "$port" "$proto")
	want=$(ipfix_count "$mode" "$dir/flows.jsonl")
	[ "$n" = "$want" ] || { tap_diag "tshark decoded $n flow records, expected $want"; return 1; }
}

# One capture through one nfcapd.
case_collector() {	# mode pcap
	local mode=$1 pcap=$2 name dir extra=() rc

	name="$mode $(basename "$pcap")"
	dir="$FM_TMP/$mode-$(basename "$pcap" | tr -c 'A-Za-z0-9_.\n-' _)"
	mkdir -p "$dir"
	[ "$mode" = uni ] && extra=(--uniflow)
	start_nfcapd "$dir" "$PORT"
	start_tcpdump "$dir/export.pcap" "udp port $PORT"
	run_user "$dir" "$pcap" -x "127.0.0.1:$PORT" "${extra[@]}"
	rc=$?
	# the exporter has sent everything: the collector reads it all, the
	# capture holds it all
	fm_wait 5 recvq_empty "$PORT" || tap_diag "nfcapd's socket still holds datagrams"
	fm_wait 10 capture_has "$dir/export.pcap" "$PORT" udp "$(ipfix_count "$mode" "$dir/flows.jsonl")" ||
		tap_diag "the capture holds fewer flow records than the meter wrote"
	stop_pid "$TCPDUMP_PID"
	stop_pid "$NFCAPD_PID"
	if ! tap_is "$rc" 0 "$name: tc_flowmon_user -r -x exits 0"; then
		tap_diag "$(tail -5 "$dir/user.log")"
		return
	fi
	tap_ok "$name: the collector's $(json_count "$dir/flows.jsonl") records match tshark" \
		judge "$dir" "$pcap"
	tap_ok "$name: nfcapd counts 0 sequence errors, 0 bad packets" nfcapd_clean "$dir"
	tap_ok "$name: tshark decodes templates, records and options" \
		tshark_check "$mode" "$dir" "$PORT" udp
}

# -x twice: both collectors get every record.
case_two_collectors() {	# pcap
	local a="$FM_TMP/two-a" b="$FM_TMP/two-b" pid_a rc

	mkdir -p "$a" "$b"
	start_nfcapd "$a" "$PORT"
	pid_a=$NFCAPD_PID
	start_nfcapd "$b" "$PORT2"
	run_user "$a" "$1" -x "127.0.0.1:$PORT" -x "127.0.0.1:$PORT2"
	rc=$?
	fm_wait 5 recvq_empty "$PORT"
	fm_wait 5 recvq_empty "$PORT2"
	stop_pid "$NFCAPD_PID"
	stop_pid "$pid_a"
	tap_is "$rc" 0 "two collectors: tc_flowmon_user exits 0" || return
	tap_ok "two collectors: the first one's records match tshark" judge "$a" "$1"
	tap_ok "two collectors: the second one's records match tshark" judge "$b" "$1"
}

# Down, then up: no crash, records still written locally; then they arrive.
case_down_then_up() {	# pcap
	local dir="$FM_TMP/down-up" rc n

	mkdir -p "$dir"
	run_user "$dir" "$1" -x "127.0.0.1:$PORT"
	rc=$?
	n=$(json_count "$dir/flows.jsonl")
	tap_is "$rc/$([ "$n" -gt 0 ] && echo records)" "0/records" \
		"collector down (UDP): exit 0, $n records written locally" ||
		tap_diag "$(tail -5 "$dir/user.log")"
	start_nfcapd "$dir" "$PORT"
	run_user "$dir" "$1" -x "127.0.0.1:$PORT"
	rc=$?
	fm_wait 5 recvq_empty "$PORT"
	stop_pid "$NFCAPD_PID"
	tap_is "$rc" 0 "collector up (UDP): exit 0" || return
	tap_ok "collector up (UDP): the records arrive and match tshark" judge "$dir" "$1"
	tap_ok "collector up (UDP): nfcapd counts 0 sequence errors, 0 bad packets" nfcapd_clean "$dir"
}

# TCP: a Python sink decodes the stream (message framing, sequence numbers,
# templates before data) and tshark decodes the capture.
case_tcp() {	# pcap
	local dir="$FM_TMP/tcp" sink_pid rc n

	mkdir -p "$dir"
	bg "$FM_PY" "$FM_TMP/tcp_sink.py" "$PORT" "$dir/sink.json"
	sink_pid=$BG_PID
	fm_need "the TCP sink listens on 127.0.0.1:$PORT" fm_wait 5 listening t "$PORT"
	start_tcpdump "$dir/export.pcap" "tcp port $PORT"
	run_user "$dir" "$1" -x "tcp://127.0.0.1:$PORT"
	rc=$?
	# the sink writes its summary when the exporter closes the connection
	fm_wait 10 test -s "$dir/sink.json"
	fm_wait 10 capture_has "$dir/export.pcap" "$PORT" tcp "$(ipfix_count bi "$dir/flows.jsonl")"
	stop_pid "$TCPDUMP_PID"
	stop_pid "$sink_pid"
	tap_is "$rc" 0 "TCP collector: tc_flowmon_user exits 0" || return
	n=$(ipfix_count bi "$dir/flows.jsonl")
	tap_ok "TCP collector: $n records, in sequence, templates first" \
		"$FM_PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print("#  ", s);
sys.exit(not (s["flows"] == int(sys.argv[2]) and s["errors"] == [] and s["stats"] >= 1))' \
		"$dir/sink.json" "$n"
	tap_ok "TCP collector: tshark decodes the stream" tshark_check bi "$dir" "$PORT" tcp
}

# TCP collector down: the run ends (within its timeout) and writes its records.
case_tcp_down() {	# pcap
	local dir="$FM_TMP/tcp-down" rc n

	mkdir -p "$dir"
	run_user "$dir" "$1" -x "tcp://127.0.0.1:$PORT"
	rc=$?
	n=$(json_count "$dir/flows.jsonl")
	tap_is "$rc/$([ "$n" -gt 0 ] && echo records)" "0/records" \
		"TCP collector down: exit 0 (no hang), $n records written locally"
}

write_helpers() {
	cat > "$FM_TMP/tcp_sink.py" <<'EOF'
"""tcp_sink.py PORT OUT.json: one IPFIX-over-TCP session on 127.0.0.1:PORT,
decoded (framing, templates, sequence numbers); the summary goes to OUT.json."""
import json
import socket
import struct
import sys

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1])))
srv.listen(1)
conn, _ = srv.accept()
data = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    data += chunk
tmpl, flows, stats, errors, seq, off, msgs = {}, 0, 0, [], 0, 0, 0
while off + 16 <= len(data):
    ver, length, _, mseq, _ = struct.unpack_from("!HHIII", data, off)
    if ver != 10 or length < 16 or off + length > len(data):
        errors.append("bad header at %d" % off)
        break
    if mseq != seq:
        errors.append("message %d: sequence %d, expected %d" % (msgs, mseq, seq))
    p, end = off + 16, off + length
    while p + 4 <= end:
        sid, slen = struct.unpack_from("!HH", data, p)
        q, send = p + 4, p + slen
        while sid in (2, 3) and q + 4 <= send:
            tid, n = struct.unpack_from("!HH", data, q)
            q += 6 if sid == 3 else 4
            size = 0
            for _ in range(n):
                ie, flen = struct.unpack_from("!HH", data, q)
                q += 8 if ie & 0x8000 else 4
                size += flen
            tmpl[tid] = (size, sid == 3)
        if sid >= 256:
            if sid not in tmpl:
                errors.append("data set %d before its template" % sid)
            else:
                n = (slen - 4) // tmpl[sid][0]
                seq += n
                if tmpl[sid][1]:
                    stats += n
                else:
                    flows += n
        p = send
    off, msgs = end, msgs + 1
if off != len(data):
    errors.append("%d trailing bytes" % (len(data) - off))
json.dump({"messages": msgs, "flows": flows, "stats": stats, "errors": errors},
          open(sys.argv[2], "w"))
EOF

}

fm_init
fm_need_tools nfcapd nfdump tshark tcpdump ss
fm_need "the capture corpus is at $PCAPS" test -d "$PCAPS"
fm_netns_add "$NS" || tap_bail "a network namespace with lo up"
write_helpers
if [ $# -gt 0 ]; then
	PCAP_LIST=("$@")
else
	PCAP_LIST=()
	for p in $DEFAULT_PCAPS; do PCAP_LIST+=("$PCAPS/$p"); done
fi
for p in "${PCAP_LIST[@]}"; do
	case_collector bi "$p"
done
if [ $# -eq 0 ]; then
	for p in $UNIFLOW_PCAPS; do
		case_collector uni "$PCAPS/$p"
	done
fi
case_two_collectors "${PCAP_LIST[0]}"
case_down_then_up "${PCAP_LIST[0]}"
case_tcp "${PCAP_LIST[0]}"
case_tcp_down "${PCAP_LIST[0]}"
tap_done
