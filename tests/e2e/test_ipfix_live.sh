#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_ipfix_live.sh - live IPFIX export while traffic flows: the collector's
# totals equal what was sent.
#
# Two namespaces joined by a veth (fm_pair). In namespace A, on its own
# loopback: nfcapd listens on 127.0.0.1:PORT (and tcpdump captures the
# export there), and the self-contained meter
#   tc_flowmon_user -I <veth A> -j -o FILE -x 127.0.0.1:PORT [--uniflow]
# runs on both hooks of the veth. Known traffic flows A <-> B:
#   UDP/IPv4 and UDP/IPv6: N datagrams each way, different sizes each way;
#   ICMP and ICMPv6 echo: ping -c N, every request answered;
#   TCP/IPv4, TCP/IPv6 and a bulk TCP/IPv4 transfer (GSO) of known sizes.
# Then SIGTERM to the meter (it writes the open flows, flushes the exporter)
# and to nfcapd (it writes its file), and `nfdump -R DIR -N -o json` (TZ=UTC):
#  - per flow and direction, the collector's packets/bytes equal what was
#    sent: UDP and ICMP exactly (L3: IPv4 28 + payload, IPv6 48 + payload),
#    TCP packets equal to the sender's TcpOutSegs+RetransSegs delta (nstat),
#    TCP bytes = payload + headers;
#  - the collector's records are the JSON file's records (same count, same
#    key and IN/OUT packets/bytes; first/last ms and TCP flags too);
#  - nfcapd counted 0 sequence errors and 0 bad packets;
#  - tshark decodes the captured export: nothing malformed, one flow record
#    per expected record (skipped without tshark/tcpdump).
# Once in biflow mode (one nfdump record per connection, reverse counters in
# out_packets/out_bytes), once with --uniflow (one record per direction).
# Everything stays inside the two namespaces; nothing touches the host's
# interfaces.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT
export TZ=UTC LC_ALL=C

UDP_N=20
UDP4_REQ=100
UDP4_REP=300
UDP6_REQ=200
UDP6_REP=50
PING_N=5
PING4_SIZE=56
PING6_SIZE=64
TCP_SMALL=100000
TCP_BULK=$((4 << 20))

# --- helpers: a UDP responder, nfdump JSON queries, record comparison ---

write_live_tool() {
	cat >"$FM_TMP/live.py" <<'PYEOF'
#!/usr/bin/python3
"""live.py - helpers of test_ipfix_live.sh (stdlib only)."""
import argparse, collections, datetime, ipaddress, json, select, signal, socket, sys

PEER = {1: {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17},
        58: {128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136,
             136: 135, 139: 140, 140: 139, 144: 145, 145: 144, 146: 147, 147: 146}}
stop = False

def on_term(sig, frm):
    global stop
    stop = True

def udp_reply(a):
    """Answers every datagram with one of --size bytes; counts them."""
    signal.signal(signal.SIGTERM, on_term)
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((a.bind, a.port))
    with open(a.ready, "w") as f:
        f.write("ready\n")
    n = 0
    while not stop:
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            _, peer = s.recvfrom(65536)
            s.sendto(b"r" * a.size, peer)
            n += 1
    with open(a.out, "w") as f:
        f.write("%d\n" % n)

def rev_key(k):
    s, d, p, sp, dp = k
    if p in PEER:
        return (d, s, p, PEER[p].get(sp, sp), dp)
    return (d, s, p, dp, sp)

def ms(iso):
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%f")
    return round(t.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)

def nf_flags(s):
    return sum(0x80 >> i for i, c in enumerate(s[:8]) if c != ".")

def nfdump(path):
    """nfdump -o json: FLOW records as dicts with our key convention (ICMP: type, code)."""
    try:
        with open(path) as f:
            recs = json.load(f)
    except (OSError, ValueError):
        recs = []
    out = []
    for r in recs:
        if r.get("type") != "FLOW":
            continue
        src = ipaddress.ip_address(r.get("src4_addr") or r.get("src6_addr"))
        dst = ipaddress.ip_address(r.get("dst4_addr") or r.get("dst6_addr"))
        if "icmp_type" in r:
            sp, dp = r["icmp_type"], r["icmp_code"]
        else:
            sp, dp = r.get("src_port", 0), r.get("dst_port", 0)
        out.append(dict(key=(src, dst, r["proto"], sp, dp),
                        c=(r["in_packets"], r["in_bytes"], r.get("out_packets", 0),
                           r.get("out_bytes", 0)),
                        t=(ms(r["first"]), ms(r["last"])), f=nf_flags(r.get("tcp_flags", ""))))
    return out

def flowmon(path):
    out = []
    with open(path) as f:
        for line in f:
            if not line.startswith("{"):
                continue
            r = json.loads(line)
            v6 = int(r["IP_PROTOCOL_VERSION"]) == 6
            k = (ipaddress.ip_address(r["IPV6_SRC_ADDR" if v6 else "IPV4_SRC_ADDR"]),
                 ipaddress.ip_address(r["IPV6_DST_ADDR" if v6 else "IPV4_DST_ADDR"]),
                 int(r["PROTOCOL"]), int(r["L4_SRC_PORT"]), int(r["L4_DST_PORT"]))
            out.append((k, r))
    return out

def expected(k, r, mode):
    """The collector records one JSON record stands for: (key, counters, times, flags)."""
    n = lambda f: int(r.get(f, 0))
    t = (n("FLOW_START_MILLISECONDS"), n("FLOW_END_MILLISECONDS"))
    if mode == "bi":
        return [(k, (n("IN_PKTS"), n("IN_BYTES"), n("OUT_PKTS"), n("OUT_BYTES")), t,
                 n("CLIENT_TCP_FLAGS") & 0xff)]
    out = [(k, (n("IN_PKTS"), n("IN_BYTES"), 0, 0), None, n("CLIENT_TCP_FLAGS") & 0xff)]
    if n("OUT_PKTS"):
        out.append((rev_key(k), (n("OUT_PKTS"), n("OUT_BYTES"), 0, 0), None,
                    n("SERVER_TCP_FLAGS") & 0xff))
    return out

def cmd_count(a):
    print(sum(len(expected(k, r, a.mode)) for k, r in flowmon(a.json)))

def cmd_query(a):
    """REC FWD_PKTS FWD_BYTES REV_PKTS REV_BYTES REVREC FWD_OUT: one flow at the collector.
    bi: REV_* from out_packets/out_bytes, REVREC = records keyed the other way;
    uni: REV_* from the records keyed the other way, REVREC their number,
    FWD_OUT = out counters of the forward records (0)."""
    k = (ipaddress.ip_address(a.src), ipaddress.ip_address(a.dst), a.proto, a.sport, a.dport)
    recs = nfdump(a.nfdump)
    fwd = [r for r in recs if r["key"] == k]
    rev = [r for r in recs if r["key"] == rev_key(k)]
    s = lambda rs, i: sum(r["c"][i] for r in rs)
    if a.mode == "bi":
        print(len(fwd), s(fwd, 0), s(fwd, 1), s(fwd, 2), s(fwd, 3), len(rev), 0)
    else:
        print(len(fwd), s(fwd, 0), s(fwd, 1), s(rev, 0), s(rev, 1), len(rev),
              s(fwd, 2) + s(fwd, 3) + s(rev, 2) + s(rev, 3))

def cmd_cmp(a):
    """counters: same multiset of (key, packets, bytes); detail: first/last ms and TCP flags."""
    recs = flowmon(a.json)
    got = nfdump(a.nfdump)
    bad = []
    if a.what == "counters":
        want = collections.Counter((e[0], e[1]) for k, r in recs for e in expected(k, r, a.mode))
        have = collections.Counter((g["key"], g["c"]) for g in got)
        bad += ["MISSING %s %s x%d" % (k[0], k[1], n) for k, n in (want - have).items()]
        bad += ["EXTRA %s %s x%d" % (k[0], k[1], n) for k, n in (have - want).items()]
        print("# %d JSON records, %d expected collector records, %d at the collector"
              % (len(recs), sum(want.values()), len(got)))
    else:
        pool = list(got)
        for k, r in recs:
            start, end = int(r["FLOW_START_MILLISECONDS"]), int(r["FLOW_END_MILLISECONDS"])
            seen = []
            for key, c, t, fl in expected(k, r, a.mode):
                m = [g for g in pool if g["key"] == key and g["c"] == c and
                     (t is None or g["t"] == t)]
                if not m:
                    bad.append("NO MATCH %s %s times %s" % (key, c, t or (start, end)))
                    continue
                pool.remove(m[0])
                seen.append(m[0]["t"])
                if m[0]["f"] != fl:
                    bad.append("FLAGS %s: collector 0x%x, JSON 0x%x" % (key, m[0]["f"], fl))
            if a.mode == "uni" and seen and \
                    (min(t[0] for t in seen), max(t[1] for t in seen)) != (start, end):
                bad.append("TIMES %s: collector %s, JSON %s" % (k, seen, (start, end)))
    for b in bad[:12]:
        print("# " + b)
    sys.exit(1 if bad or not recs else 0)

def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("udp-reply")
    p.add_argument("--bind", required=True); p.add_argument("--port", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--ready", required=True); p.add_argument("--out", required=True)
    p.set_defaults(fn=udp_reply)
    p = sp.add_parser("count")
    p.add_argument("mode"); p.add_argument("json")
    p.set_defaults(fn=cmd_count)
    p = sp.add_parser("query")
    p.add_argument("mode"); p.add_argument("nfdump")
    p.add_argument("--proto", type=int, required=True)
    p.add_argument("--src", required=True); p.add_argument("--dst", required=True)
    p.add_argument("--sport", type=int, required=True); p.add_argument("--dport", type=int, required=True)
    p.set_defaults(fn=cmd_query)
    p = sp.add_parser("cmp")
    p.add_argument("what", choices=["counters", "detail"]); p.add_argument("mode")
    p.add_argument("json"); p.add_argument("nfdump")
    p.set_defaults(fn=cmd_cmp)
    a = ap.parse_args()
    a.fn(a)

if __name__ == "__main__":
    main()
PYEOF
}

live() {
	"$FM_PY" "$FM_TMP/live.py" "$@"
}

# A background process in netns $1, tracked for clean-up; $! is the process
# itself (ip netns exec execs it). Sets BG_PID.
bg_in() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@" &
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

listening() {		# ns u|t port
	[ -n "$(fm_in "$1" ss -Hln"$2" "sport = :$3" 2>/dev/null)" ]
}

recvq_empty() {		# ns port: the UDP socket on port holds no datagram
	[ "$(fm_in "$1" ss -Hlnu "sport = :$2" 2>/dev/null | awk '{ print $2; exit }')" = 0 ]
}

capture_has() {		# pcap port n: tshark decodes at least n flow records in pcap
	[ "$(tshark -o cflow.max_template_fields:64 -r "$1" -d "udp.port==$2,cflow" -T fields -e cflow.protocol \
		-E occurrence=a -E aggregator=' ' 2>/dev/null | wc -w)" -ge "$3" ]
}

# One flow at the collector: REC FP FB RP RB RREC FOUT (see live.py query).
nf() {
	read -r REC FP FB RP RB RREC FOUT < <(live query "$MODE" "$DIR/nfdump.json" "$@")
}

# UDP or ICMP: the collector's counters per direction equal what was sent.
check_exact() {		# label proto src dst sport dport fwd_pkts fwd_len rev_pkts rev_len
	local label="$MODE $1"

	nf --proto "$2" --src "$3" --dst "$4" --sport "$5" --dport "$6"
	if [ "$MODE" = bi ]; then
		tap_is "$REC/$RREC" 1/0 "$label: one collector record, the sender as source"
	else
		tap_is "$REC/$RREC" 1/1 "$label: one collector record per direction"
		tap_is "$FOUT" 0 "$label: uniflow records carry no reverse counters"
	fi
	tap_is "$FP/$FB" "$7/$(($7 * $8))" "$label: collector forward packets/bytes = sent"
	tap_is "$RP/$RB" "$9/$(($9 * ${10}))" "$label: collector reverse packets/bytes = sent"
}

# A TCP transfer from A to B, counted by both namespaces' nstat (as test_traffic.sh).
tcp_transfer() {	# label dst port sport bytes -> SEGS_A SEGS_B RETR_A
	local label="$MODE $1" dst=$2 port=$3 sport=$4 bytes=$5 a0 b0 r0 sink

	fm_bg_ready "$NS_B" "$DIR/$port.ready" tcp-sink --bind "$dst" --port "$port" \
		--out "$DIR/$port.got" || tap_bail "precondition: $label: TCP sink listens"
	sink=$FM_BG_PID
	a0=$(fm_tcp_segs "$NS_A")
	b0=$(fm_tcp_segs "$NS_B")
	r0=$(fm_nstat "$NS_A" TcpRetransSegs)
	fm_need "$label: $bytes bytes sent, connection closed" \
		timeout 60 ip netns exec "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" tcp-send --dst "$dst" \
		--port "$port" --sport "$sport" --bytes "$bytes"
	fm_bg_wait "$sink" 20
	fm_need "$label: both ends closed" fm_wait 10 fm_tcp_closed "$NS_A" "$port"
	fm_need "$label: both ends closed" fm_wait 10 fm_tcp_closed "$NS_B" "$port"
	SEGS_A=$(($(fm_tcp_segs "$NS_A") - a0))
	SEGS_B=$(($(fm_tcp_segs "$NS_B") - b0))
	RETR_A=$(($(fm_nstat "$NS_A" TcpRetransSegs) - r0))
	fm_need "$label: the receiver got every byte" \
		test "$(cat "$DIR/$port.got" 2>/dev/null)" = "$bytes"
}

check_tcp() {		# label src dst sport dport bytes hdr_min hdr_max segs_a segs_b retr_a
	local label="$MODE $1" lo hi

	nf --proto 6 --src "$2" --dst "$3" --sport "$4" --dport "$5"
	if [ "$MODE" = bi ]; then
		tap_is "$REC/$RREC" 1/0 "$label: one collector record, the initiator as source"
	else
		tap_is "$REC/$RREC" 1/1 "$label: one collector record per direction"
	fi
	tap_is "$FP" "$9" "$label: collector forward packets == initiator's TcpOutSegs+RetransSegs"
	tap_is "$RP" "${10}" "$label: collector reverse packets == responder's TcpOutSegs+RetransSegs"
	lo=$(($6 + $7 * FP)) hi=$(($6 + $8 * FP + 1500 * ${11}))
	tap_ok "$label: collector forward bytes = payload + headers ($FB in $lo..$hi)" \
		test "$FB" -ge "$lo" -a "$FB" -le "$hi"
	lo=$(($7 * RP)) hi=$(($8 * RP))
	tap_ok "$label: collector reverse bytes = headers only ($RB in $lo..$hi)" \
		test "$RB" -ge "$lo" -a "$RB" -le "$hi"
}

tcp_ended() {		# every listed connection A -> B has a record in the JSON file
	local src=$1 dst=$2 sp rec

	shift 2
	for sp; do
		read -r rec _ < <(fm_sum --proto 6 --src "$src" --dst "$dst" --sport "$sp" "$OUT")
		[ "${rec:-0}" -ge 1 ] || return 1
	done
}

nfcapd_summary() {
	grep -ao 'Sequence Errors: [0-9]*, Bad Packets: [0-9]*' "$DIR/nfcapd.log"
}

# --- one run: collector, capture, meter, traffic, stop, checks ---
live_run() {		# bi|uni base-port
	local base=$2 port extra=() T4 T6 TB n want tcpdump_pid=

	MODE=$1
	DIR=$FM_TMP/$MODE
	OUT=$DIR/flows.json
	mkdir -p "$DIR/nf"
	[ "$MODE" = uni ] && extra=(--uniflow)
	port=$((20000 + RANDOM % 20000))

	# the collector, on namespace A's loopback
	bg_in "$NS_A" nfcapd -b 127.0.0.1 -p "$port" -w "$DIR/nf" -t 3600 -E \
		>"$DIR/nfcapd.log" 2>&1
	NFCAPD_PID=$BG_PID
	fm_need "$MODE: nfcapd listens on 127.0.0.1:$port in $NS_A" fm_wait 5 listening "$NS_A" u "$port"
	bg_in "$NS_A" tcpdump -i lo -nn -U --immediate-mode -s 0 -w "$DIR/export.pcap" \
		"udp port $port" >"$DIR/tcpdump.log" 2>&1
	tcpdump_pid=$BG_PID
	fm_need "$MODE: tcpdump captures the export on $NS_A's lo" \
		fm_wait 5 grep -q 'listening on' "$DIR/tcpdump.log"

	# the meter, exporting to it
	fm_meter_start "$NS_A" "$VETH_A" both "$OUT" --idle-timeout 120 \
		-x "127.0.0.1:$port" "${extra[@]}" ||
		tap_bail "$MODE: tc_flowmon_user -I $VETH_A -x 127.0.0.1:$port ${extra[*]} attaches"

	# UDP, both ways, different sizes each way
	bg_in "$NS_B" "$FM_PY" "$FM_TMP/live.py" udp-reply --bind "$IP4_B" --port $((base + 1)) \
		--size "$UDP4_REP" --ready "$DIR/r4.ready" --out "$DIR/r4.count"
	R4=$BG_PID
	bg_in "$NS_B" "$FM_PY" "$FM_TMP/live.py" udp-reply --bind "$IP6_B" --port $((base + 2)) \
		--size "$UDP6_REP" --ready "$DIR/r6.ready" --out "$DIR/r6.count"
	R6=$BG_PID
	fm_need "UDP responders listen" fm_wait 10 test -e "$DIR/r4.ready" -a -e "$DIR/r6.ready"
	# every reply received by the sender: preconditions of the counts below
	n=$(fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport $((base + 1)) \
		--sport $((base + 11)) --count "$UDP_N" --size "$UDP4_REQ" --replies)
	fm_need "$MODE UDP/IPv4: $UDP_N datagrams each way (got $n replies)" test "$n" = "$UDP_N"
	n=$(fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP6_B" --dport $((base + 2)) \
		--sport $((base + 12)) --count "$UDP_N" --size "$UDP6_REQ" --replies)
	fm_need "$MODE UDP/IPv6: $UDP_N datagrams each way (got $n replies)" test "$n" = "$UDP_N"
	stop_pid "$R4"
	stop_pid "$R6"

	# ICMP echo
	fm_need "$MODE ping: $PING_N requests answered" \
		fm_in "$NS_A" ping -q -c "$PING_N" -i 0.2 -s "$PING4_SIZE" -W 2 "$IP4_B"
	fm_need "$MODE ping -6: $PING_N requests answered" \
		fm_in "$NS_A" ping -6 -q -c "$PING_N" -i 0.2 -s "$PING6_SIZE" -W 2 "$IP6_B"

	# TCP
	tcp_transfer "TCP/IPv4" "$IP4_B" $((base + 3)) $((base + 13)) "$TCP_SMALL"
	T4="$SEGS_A $SEGS_B $RETR_A"
	tcp_transfer "TCP/IPv6" "$IP6_B" $((base + 4)) $((base + 14)) "$TCP_SMALL"
	T6="$SEGS_A $SEGS_B $RETR_A"
	tcp_transfer "TCP/IPv4 bulk" "$IP4_B" $((base + 5)) $((base + 15)) "$TCP_BULK"
	TB="$SEGS_A $SEGS_B $RETR_A"
	tap_diag "$MODE TCP segments A/B/retransmitted: v4 $T4, v6 $T6, bulk $TB"
	fm_wait 20 tcp_ended "$IP4_A" "$IP4_B" $((base + 13)) $((base + 15)) &&
		fm_wait 5 tcp_ended "$IP6_A" "$IP6_B" $((base + 14))
	tap_result $? "$MODE: the TCP records are written (and exported) once the connections close"

	# stop: the meter writes the open flows and flushes the export, then nfcapd
	fm_meter_stop
	tap_is "$?" 0 "$MODE: meter exits 0 on SIGTERM" ||
		tap_diag "$(tail -5 "$OUT.err" "$OUT.log" 2>/dev/null)"
	# the meter has sent everything; the collector has read everything
	# (its socket's queue is empty) and the capture holds every record
	want=$(live count "$MODE" "$OUT")
	fm_wait 5 recvq_empty "$NS_A" "$port" || tap_diag "nfcapd's socket still holds datagrams"
	fm_wait 10 capture_has "$DIR/export.pcap" "$port" "$want" ||
		tap_diag "the capture holds fewer than $want flow records"
	stop_pid "$tcpdump_pid"
	stop_pid "$NFCAPD_PID"
	nfdump -R "$DIR/nf" -N -o json >"$DIR/nfdump.json" 2>"$DIR/nfdump.err"
	tap_is "$?" 0 "$MODE: nfdump -R reads the collector's files" ||
		tap_diag "$(head -5 "$DIR/nfdump.err")"

	# the collector's counters against what was sent
	check_exact "UDP/IPv4" 17 "$IP4_A" "$IP4_B" $((base + 11)) $((base + 1)) \
		"$UDP_N" $((28 + UDP4_REQ)) "$UDP_N" $((28 + UDP4_REP))
	check_exact "UDP/IPv6" 17 "$IP6_A" "$IP6_B" $((base + 12)) $((base + 2)) \
		"$UDP_N" $((48 + UDP6_REQ)) "$UDP_N" $((48 + UDP6_REP))
	check_exact "ICMP echo" 1 "$IP4_A" "$IP4_B" 8 0 \
		"$PING_N" $((28 + PING4_SIZE)) "$PING_N" $((28 + PING4_SIZE))
	check_exact "ICMPv6 echo" 58 "$IP6_A" "$IP6_B" 128 0 \
		"$PING_N" $((48 + PING6_SIZE)) "$PING_N" $((48 + PING6_SIZE))
	# shellcheck disable=SC2086
	check_tcp "TCP/IPv4" "$IP4_A" "$IP4_B" $((base + 13)) $((base + 3)) "$TCP_SMALL" 40 80 $T4
	# shellcheck disable=SC2086
	check_tcp "TCP/IPv6" "$IP6_A" "$IP6_B" $((base + 14)) $((base + 4)) "$TCP_SMALL" 60 100 $T6
	# shellcheck disable=SC2086
	check_tcp "TCP/IPv4 bulk" "$IP4_A" "$IP4_B" $((base + 15)) $((base + 5)) "$TCP_BULK" 40 80 $TB

	# the export carries the records the meter wrote (the counts above are
	# checked against the senders; this checks the encoding of the rest)
	tap_is "$(grep -c '"type" : "FLOW"' "$DIR/nfdump.json")" "$want" \
		"$MODE: the collector has $want records for the JSON file's $(fm_tool count "$OUT")"
	live cmp counters "$MODE" "$OUT" "$DIR/nfdump.json" >"$DIR/cmp.out" 2>&1
	tap_result $? "$MODE: collector records == the JSON output's (key, IN/OUT packets and bytes)"
	cat "$DIR/cmp.out"
	live cmp detail "$MODE" "$OUT" "$DIR/nfdump.json" >"$DIR/detail.out" 2>&1
	tap_result $? "$MODE: collector first/last ms and TCP flags == JSON" || cat "$DIR/detail.out"

	# the collector's own counters
	tap_is "$(nfcapd_summary | sort -u | tr '\n' ' ')" "Sequence Errors: 0, Bad Packets: 0 " \
		"$MODE: nfcapd logged 0 sequence errors and 0 bad packets"

	# tshark decodes the capture of the export
	if true; then
		tshark -o cflow.max_template_fields:64 -r "$DIR/export.pcap" -d "udp.port==$port,cflow" -V -O cflow >"$DIR/cflow.txt" 2>&1
		tap_ok "$MODE: tshark: nothing malformed or undecoded in the export" \
			sh -c "! grep -qiE 'malformed|Expert Info \\((Warning|Error)|won.t be used' '$DIR/cflow.txt'" ||
			tap_diag "$(grep -iE 'malformed|Expert Info|won.t be used' "$DIR/cflow.txt" | sort | uniq -c | head)"
		n=$(tshark -o cflow.max_template_fields:64 -r "$DIR/export.pcap" -d "udp.port==$port,cflow" -T fields -e cflow.protocol \
			-E occurrence=a -E aggregator=' ' 2>/dev/null | wc -w)
		tap_is "$n" "$want" "$MODE: tshark decodes $want flow records in the export"
	fi
}

fm_init
fm_need_tools nfcapd nfdump ss tshark tcpdump
write_live_tool
fm_pair || tap_bail "two namespaces joined by a veth pair"
fm_need "lo is up in $NS_A (the collector's loopback)" \
	sh -c "ip netns exec '$NS_A' ip -o link show lo | grep -q 'UP'"

live_run bi 41000
live_run uni 42000

tap_done
