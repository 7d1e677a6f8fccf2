#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_ipfix_collector.sh - IPFIX export of tc_flowmon_user -r checked by nfcapd, nfdump and tshark.
#
#   tests/e2e/test_ipfix_collector.sh [PCAP...]        (root: the replay loads the BPF program)
#
# For every pcap: nfcapd listens on 127.0.0.1:<random port>, tcpdump captures
# the export on lo, and `tc_flowmon_user -r PCAP -j -o FILE -x 127.0.0.1:PORT`
# runs. Every JSON record of that run must come back from
# `nfdump -R DIR -N -o json` (key, IN/OUT packets and bytes, first/last to
# the ms, TCP flags; --uniflow: one record per direction), nfcapd must count
# 0 sequence errors and 0 bad packets, and `tshark -o cflow.max_template_fields:64
# -d udp.port==PORT,cflow` (the L2 templates have more fields than its default 60)
# must decode the capture without malformed or undecoded parts, showing the
# templates, the RFC 5103 reverse elements (biflow) and the options record.
# Then: two collectors at once, a collector that is down and then up (UDP),
# a TCP collector (a Python sink that decodes the stream) and a TCP
# collector that is down.
#
# Environment: FLOWMON_USER (binary, default ./tc_flowmon_user of this tree),
# PCAP_DIR (default /work/shared/pcaps), KEEP=1 keeps the work directory.
# Output: TAP ("ok N name", "not ok N name", "ok N name # SKIP reason").
# Traffic goes to 127.0.0.1 only; every process started here is stopped by
# its PID and the work directory is removed on exit.
set -u
export TZ=UTC LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${FLOWMON_USER:-$ROOT/tc_flowmon_user}
PCAP_DIR=${PCAP_DIR:-/work/shared/pcaps}
PY=/usr/bin/python3
RUN_TIMEOUT=${RUN_TIMEOUT:-120}

DEFAULT_PCAPS="zeek-http-get.pcap zeek-communityid-icmp.pcap zeek-communityid-icmp6.pcap
zeek-communityid-sctp.pcap tcpdump-dns_udp.pcap tcpdump-dns_tcp.pcap tcpdump-icmpv6.pcap
arkime-v6.pcap ndpi-quic.pcap zeek-ipv4-fragmented-1.pcap tcpreplay-test.pcap
zeek-wikipedia.pcap ndpi-reddit.pcap"
UNIFLOW_PCAPS="zeek-http-get.pcap zeek-communityid-icmp6.pcap tcpdump-icmpv6.pcap arkime-v6.pcap"

N=0
FAILED=0
PIDS=()
WORK=

ok() { N=$((N + 1)); echo "ok $N $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N $*"; }
skip() { N=$((N + 1)); echo "ok $N $1 # SKIP $2"; }
diag() { sed 's/^/#   /'; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	if [ -n "$WORK" ] && [ "${KEEP:-0}" != 1 ]; then
		rm -rf "$WORK"
	elif [ -n "$WORK" ]; then
		echo "# kept $WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stop one process we started and forget it.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for i in "${!PIDS[@]}"; do
		[ "${PIDS[$i]}" = "$pid" ] && unset "PIDS[$i]"
	done
}

# A random high port with no UDP or TCP socket on it.
free_port() {
	local p i
	for i in $(seq 100); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Hlnu "sport = :$p" 2>/dev/null)$(ss -Hlnt "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

wait_listen() {	# PROTO(u|t) PORT
	local i
	for i in $(seq 50); do
		[ -n "$(ss -Hln"$1" "sport = :$2" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	return 1
}

start_nfcapd() {	# DIR PORT: sets NFCAPD_PID
	mkdir -p "$1/nf"
	# -E prints each record and, on exit, "Sequence Errors: N, Bad Packets: N"
	nfcapd -b 127.0.0.1 -p "$2" -w "$1/nf" -t 3600 -E > "$1/nfcapd.log" 2>&1 &
	NFCAPD_PID=$!
	PIDS+=("$NFCAPD_PID")
	wait_listen u "$2"
}

start_tcpdump() {	# FILE FILTER: sets TCPDUMP_PID
	local i
	tcpdump -i lo -nn -U --immediate-mode -B 32768 -s 0 -w "$1" "$2" > "$1.log" 2>&1 &
	TCPDUMP_PID=$!
	PIDS+=("$TCPDUMP_PID")
	for i in $(seq 50); do grep -q 'listening on' "$1.log" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# Run the exporter; stdout/stderr to DIR/user.log. Returns its exit status.
run_user() {	# DIR PCAP ARGS...
	local dir=$1 pcap=$2
	shift 2
	rm -f "$dir/flows.jsonl"
	timeout "$RUN_TIMEOUT" "$BIN" -r "$pcap" -j -o "$dir/flows.jsonl" "$@" > "$dir/user.log" 2>&1
}

json_count() { [ -f "$1" ] && grep -c '^{' "$1" || echo 0; }

nfdump_json() {	# DIR
	nfdump -R "$1/nf" -N -o json > "$1/nfdump.json" 2> "$1/nfdump.err"
}

# nfcapd's exit summary: 0 sequence errors and 0 bad packets (and at least one summary).
nfcapd_clean() {	# DIR
	grep -ao 'Sequence Errors: [0-9]*, Bad Packets: [0-9]*' "$1/nfcapd.log" > "$1/summary"
	[ -s "$1/summary" ] && ! grep -qv 'Sequence Errors: 0, Bad Packets: 0' "$1/summary"
}

compare() {	# MODE DIR [NFDUMP_JSON]
	"$PY" "$WORK/check.py" "$1" "$2/flows.jsonl" "${3:-$2/nfdump.json}" > "$2/check.out" 2>&1
	local rc=$?
	[ $rc -ne 0 ] && diag < "$2/check.out" | head -20
	return $rc
}

# tshark decodes every datagram: nothing malformed or left undecoded, the
# templates and the options record are there, reverse elements in biflow
# mode only, and as many flow records as the JSON file has.
tshark_check() {	# MODE DIR PORT PROTO
	local mode=$1 dir=$2 port=$3 proto=${4:-udp} n want
	tshark -o cflow.max_template_fields:64 -r "$dir/export.pcap" -d "$proto.port==$port,cflow" -V -O cflow > "$dir/cflow.txt" 2>&1
	if grep -qiE 'malformed|Expert Info \((Warning|Error)|won.t be used' "$dir/cflow.txt"; then
		grep -iE 'malformed|Expert Info|won.t be used' "$dir/cflow.txt" | sort | uniq -c | diag
		return 1
	fi
	grep -q '(Data Template)' "$dir/cflow.txt" && grep -q 'Options Template' "$dir/cflow.txt" &&
		grep -q 'Sampling interval: 1' "$dir/cflow.txt" &&
		grep -q 'Not Sent Flows' "$dir/cflow.txt" || { echo "templates or options record missing" | diag; return 1; }
	if [ "$mode" = bi ]; then
		grep -q '\[Reverse\]' "$dir/cflow.txt" || { echo "no reverse elements" | diag; return 1; }
	else
		! grep -q '\[Reverse\]' "$dir/cflow.txt" || { echo "reverse elements in uniflow mode" | diag; return 1; }
	fi
	n=$(tshark -o cflow.max_template_fields:64 -r "$dir/export.pcap" -d "$proto.port==$port,cflow" -T fields -e cflow.protocol \
		-E occurrence=a -E aggregator=' ' 2>/dev/null | wc -w)
	want=$("$PY" "$WORK/check.py" count-$mode "$dir/flows.jsonl")
	[ "$n" = "$want" ] || { echo "tshark decoded $n flow records, expected $want" | diag; return 1; }
}

# One pcap through one nfcapd: records, collector counters, tshark.
case_collector() {	# MODE PCAP
	local mode=$1 pcap=$2 name dir port extra=()
	name="$mode $(basename "$pcap")"
	dir="$WORK/$mode-$(basename "$pcap" | tr -c 'A-Za-z0-9_.\n-' _)"
	mkdir -p "$dir"
	[ "$mode" = uni ] && extra=(--uniflow)
	port=$(free_port) && start_nfcapd "$dir" "$port" && start_tcpdump "$dir/export.pcap" "udp port $port" ||
		{ not_ok "$name: start nfcapd and tcpdump"; return; }
	run_user "$dir" "$pcap" -x "127.0.0.1:$port" "${extra[@]}"
	local rc=$?
	sleep 0.5
	stop_pid "$TCPDUMP_PID"
	stop_pid "$NFCAPD_PID"
	if [ $rc -ne 0 ]; then
		not_ok "$name: tc_flowmon_user exit status $rc"
		diag < "$dir/user.log" | tail -5
		return
	fi
	nfdump_json "$dir"
	check "$name: $(json_count "$dir/flows.jsonl") records match nfdump" compare "$mode" "$dir"
	check "$name: nfcapd 0 sequence errors, 0 bad packets" nfcapd_clean "$dir"
	check "$name: tshark decodes templates, records and options" tshark_check "$mode" "$dir" "$port"
}

# -x twice: both collectors get every record.
case_two_collectors() {	# PCAP
	local a="$WORK/two-a" b="$WORK/two-b" pa pb pid_a
	mkdir -p "$a" "$b"
	pa=$(free_port) && start_nfcapd "$a" "$pa" && pid_a=$NFCAPD_PID &&
		pb=$(free_port) && [ "$pb" != "$pa" ] && start_nfcapd "$b" "$pb" ||
		{ not_ok "two collectors: start nfcapd"; return; }
	run_user "$a" "$1" -x "127.0.0.1:$pa" -x "127.0.0.1:$pb"
	local rc=$?
	sleep 0.5
	stop_pid "$NFCAPD_PID"
	stop_pid "$pid_a"
	[ $rc -eq 0 ] || { not_ok "two collectors: tc_flowmon_user exit status $rc"; return; }
	cp "$a/flows.jsonl" "$b/flows.jsonl"
	nfdump_json "$a"
	nfdump_json "$b"
	check "two collectors: first gets every record" compare bi "$a"
	check "two collectors: second gets every record" compare bi "$b"
}

# Down, then up: no crash, records still written locally; then they arrive.
case_down_then_up() {	# PCAP
	local dir="$WORK/down-up" port n
	mkdir -p "$dir"
	port=$(free_port) || { not_ok "collector down: no free port"; return; }
	run_user "$dir" "$1" -x "127.0.0.1:$port"
	local rc=$?
	n=$(json_count "$dir/flows.jsonl")
	if [ $rc -eq 0 ] && [ "$n" -gt 0 ]; then
		ok "collector down (UDP): exit 0, $n records written locally"
	else
		not_ok "collector down (UDP): exit status $rc, $n records written locally"
		diag < "$dir/user.log" | tail -5
	fi
	start_nfcapd "$dir" "$port" || { not_ok "collector up: start nfcapd"; return; }
	run_user "$dir" "$1" -x "127.0.0.1:$port"
	rc=$?
	sleep 0.5
	stop_pid "$NFCAPD_PID"
	[ $rc -eq 0 ] || { not_ok "collector up (UDP): exit status $rc"; return; }
	nfdump_json "$dir"
	check "collector up (UDP): records resume, all match nfdump" compare bi "$dir"
	check "collector up (UDP): nfcapd 0 sequence errors, 0 bad packets" nfcapd_clean "$dir"
}

# TCP: a Python sink decodes the stream (message framing, sequence numbers,
# templates before data) and tshark decodes the capture.
case_tcp() {	# PCAP
	local dir="$WORK/tcp" port sink_pid n
	mkdir -p "$dir"
	port=$(free_port) || { not_ok "TCP collector: no free port"; return; }
	"$PY" "$WORK/tcp_sink.py" "$port" "$dir/sink.json" > "$dir/sink.log" 2>&1 &
	sink_pid=$!
	PIDS+=("$sink_pid")
	wait_listen t "$port" && start_tcpdump "$dir/export.pcap" "tcp port $port" ||
		{ not_ok "TCP collector: start sink and tcpdump"; return; }
	run_user "$dir" "$1" -x "tcp://127.0.0.1:$port"
	local rc=$?
	sleep 0.5
	stop_pid "$TCPDUMP_PID"
	for n in $(seq 50); do [ -s "$dir/sink.json" ] && break; sleep 0.1; done
	stop_pid "$sink_pid"
	[ $rc -eq 0 ] || { not_ok "TCP collector: tc_flowmon_user exit status $rc"; return; }
	n=$("$PY" "$WORK/check.py" count-bi "$dir/flows.jsonl")
	if [ ! -s "$dir/sink.json" ]; then
		not_ok "TCP collector: no IPFIX session received"
		return
	fi
	check "TCP collector: $n records, in sequence, templates first" \
		"$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print("#  ", s);
sys.exit(not (s["flows"] == int(sys.argv[2]) and s["errors"] == [] and s["stats"] >= 1))' \
		"$dir/sink.json" "$n"
	check "TCP collector: tshark decodes the stream" tshark_check bi "$dir" "$port" tcp
}

# TCP collector down: the run must not hang and must still write its records.
case_tcp_down() {	# PCAP
	local dir="$WORK/tcp-down" port t0 n
	mkdir -p "$dir"
	port=$(free_port) || { not_ok "TCP collector down: no free port"; return; }
	t0=$(date +%s)
	run_user "$dir" "$1" -x "tcp://127.0.0.1:$port"
	local rc=$?
	n=$(json_count "$dir/flows.jsonl")
	if [ $rc -eq 0 ] && [ "$n" -gt 0 ] && [ $(($(date +%s) - t0)) -lt 30 ]; then
		ok "TCP collector down: exit 0 in $(($(date +%s) - t0)) s, $n records written locally"
	else
		not_ok "TCP collector down: exit status $rc, $n records, $(($(date +%s) - t0)) s"
	fi
}

write_helpers() {
	cat > "$WORK/check.py" <<'EOF'
"""check.py MODE FLOWMON_JSONL NFDUMP_JSON
MODE bi: each tc_flowmon_user record is one nfdump record (RFC 5103 biflow);
MODE uni: one nfdump record per direction seen. Exit 1 on any difference.
check.py count-bi|count-uni FLOWMON_JSONL prints the number of IPFIX records expected."""
import collections
import datetime
import ipaddress
import json
import sys

# ICMP/ICMPv6 types whose reply pairs with them (as in flowtable.c)
PEER = {1: {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17},
        58: {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136,
             136: 135, 139: 140, 140: 139, 144: 145, 145: 144, 146: 147, 147: 146}}


def flowmon(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.startswith("{")]


def num(r, k):
    return int(r.get(k, 0))


def fm_key(r, rev=False):
    v6 = num(r, "IP_PROTOCOL_VERSION") == 6
    src = ipaddress.ip_address(r["IPV6_SRC_ADDR" if v6 else "IPV4_SRC_ADDR"])
    dst = ipaddress.ip_address(r["IPV6_DST_ADDR" if v6 else "IPV4_DST_ADDR"])
    proto, sp, dp = num(r, "PROTOCOL"), num(r, "L4_SRC_PORT"), num(r, "L4_DST_PORT")
    if proto in PEER:              # sport = type, dport = code -> 0, type*256+code
        t = PEER[proto].get(sp, sp) if rev else sp
        return (dst, src, proto, 0, t * 256 + dp) if rev else (src, dst, proto, 0, t * 256 + dp)
    return (dst, src, proto, dp, sp) if rev else (src, dst, proto, sp, dp)


def expected(r, mode):
    """(key+counters+flags, (first, last) or None) per expected nfdump record."""
    start, end = num(r, "FLOW_START_MILLISECONDS"), num(r, "FLOW_END_MILLISECONDS")
    if mode == "bi":
        return [(fm_key(r) + (num(r, "IN_PKTS"), num(r, "IN_BYTES"), num(r, "OUT_PKTS"),
                              num(r, "OUT_BYTES"), num(r, "CLIENT_TCP_FLAGS") & 0xff),
                 (start, end))]
    out = [(fm_key(r) + (num(r, "IN_PKTS"), num(r, "IN_BYTES"), 0, 0,
                         num(r, "CLIENT_TCP_FLAGS") & 0xff), None)]
    if num(r, "OUT_PKTS"):
        out.append((fm_key(r, True) + (num(r, "OUT_PKTS"), num(r, "OUT_BYTES"), 0, 0,
                                       num(r, "SERVER_TCP_FLAGS") & 0xff), None))
    return out


def ms(iso):
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f")
    return round(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


def nf_flags(s):
    return sum(0x80 >> i for i, c in enumerate(s[:8]) if c != ".")


def nfdump(path):
    got = collections.defaultdict(list)
    try:
        with open(path) as f:
            recs = json.load(f)
    except ValueError:
        print("nfdump printed no JSON array (no data received?)")
        recs = []
    for r in recs:
        if r.get("type") != "FLOW":
            continue
        src = ipaddress.ip_address(r.get("src4_addr") or r.get("src6_addr"))
        dst = ipaddress.ip_address(r.get("dst4_addr") or r.get("dst6_addr"))
        if "icmp_type" in r:
            sp, dp = 0, r["icmp_type"] * 256 + r["icmp_code"]
        else:
            sp, dp = r["src_port"], r["dst_port"]
        key = (src, dst, r["proto"], sp, dp, r["in_packets"], r["in_bytes"],
               r.get("out_packets", 0), r.get("out_bytes", 0), nf_flags(r.get("tcp_flags", "")))
        got[key].append((ms(r["first"]), ms(r["last"])))
    return got


def take(got, key, times, start, end):
    """Remove one nfdump record matching key (and times); return its times or None."""
    for i, t in enumerate(got.get(key, [])):
        if (times and t == times) or (not times and start <= t[0] <= t[1] <= end):
            return got[key].pop(i)
    return None


def check(mode, recs, got):
    bad = []
    for r in recs:
        start, end = num(r, "FLOW_START_MILLISECONDS"), num(r, "FLOW_END_MILLISECONDS")
        seen = []
        for key, times in expected(r, mode):
            t = take(got, key, times, start, end)
            if t is None:
                bad.append("MISSING %s %s" % (key, times or (start, end)))
            seen.append(t)
        if mode == "uni" and None not in seen and \
                (min(t[0] for t in seen), max(t[1] for t in seen)) != (start, end):
            bad.append("TIMES %s: %s, record %s" % (fm_key(r), seen, (start, end)))
    bad += ["EXTRA %s %s" % (k, t) for k, ts in got.items() for t in ts]
    return bad


def main():
    mode, recs = sys.argv[1], flowmon(sys.argv[2])
    if mode.startswith("count-"):
        print(sum(len(expected(r, mode[6:])) for r in recs))
        return 0
    got = nfdump(sys.argv[3])
    n_got = sum(len(v) for v in got.values())
    bad = check(mode, recs, got)
    print("%d flowmon records, %d nfdump records, %d problems" % (len(recs), n_got, len(bad)))
    for b in bad[:15]:
        print(b)
    return 1 if bad else 0


sys.exit(main())
EOF
	cat > "$WORK/tcp_sink.py" <<'EOF'
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

preflight() {
	local t missing=""
	for t in nfcapd nfdump tshark tcpdump ss timeout; do
		command -v "$t" > /dev/null || missing="$missing $t"
	done
	[ -x "$PY" ] || missing="$missing $PY"
	if [ -n "$missing" ]; then
		skip "ipfix collector tests" "missing:$missing"
		return 1
	fi
	if [ "$(id -u)" != 0 ]; then
		skip "ipfix collector tests" "needs root (the replay loads the BPF program)"
		return 1
	fi
	if [ ! -x "$BIN" ]; then
		skip "ipfix collector tests" "no $BIN (make it first)"
		return 1
	fi
	mkdir -p "$WORK/preflight"
	if ! run_user "$WORK/preflight" "$PCAP_DIR/$(echo $DEFAULT_PCAPS | cut -d' ' -f1)"; then
		skip "ipfix collector tests" "tc_flowmon_user -r fails: $(tail -1 "$WORK/preflight/user.log")"
		return 1
	fi
	ok "preflight: tc_flowmon_user -r runs"
}

main() {
	local pcaps=() p
	WORK=$(mktemp -d /tmp/flowmon-ipfix-e2e.XXXXXX) || exit 1
	write_helpers
	if [ $# -gt 0 ]; then
		pcaps=("$@")
	else
		for p in $DEFAULT_PCAPS; do pcaps+=("$PCAP_DIR/$p"); done
	fi
	if preflight; then
		for p in "${pcaps[@]}"; do
			case_collector bi "$p"
		done
		for p in $UNIFLOW_PCAPS; do
			[ $# -gt 0 ] || case_collector uni "$PCAP_DIR/$p"
		done
		case_two_collectors "${pcaps[0]}"
		case_down_then_up "${pcaps[0]}"
		case_tcp "${pcaps[0]}"
		case_tcp_down "${pcaps[0]}"
	fi
	echo "1..$N"
	[ $FAILED -eq 0 ]
}

main "$@"
