#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_live_times.sh - live record times against the sender's clock, the
# live active timeout, and SIGINT (what "make run" users press).
#
# Two namespaces joined by a veth (fm_pair); the self-contained meter
# "tc_flowmon_user -I <veth A> -D both --active-timeout 2" in A. The senders
# note the wall clock (CLOCK_REALTIME, the clock of FLOW_*_MILLISECONDS)
# just before and after each sendto(); the packet passes the egress hook in
# between. Tolerance: TOL_MS, the accuracy the records' times claim
# (docs/TESTING.md: ms truncation and the boot-to-wall clock conversion).
#  - times: 5 datagrams over 1.2 s: one record whose first/last ms bracket
#    the first and the last sendto, +-TOL_MS;
#  - active timeout (README: "a longer flow is reported and goes on with
#    zeroed counters (reason 2)"): 20 datagrams 0.3 s apart; the kernel ends
#    a record when a packet comes after the record is older than 2 s, so the
#    records hold the sends at 0-1.8 s, 2.1-3.9 s, 4.2-5.7 s (no send within
#    0.1 s of a 2 s boundary): 7, 7 and 6 packets, reasons 2, 2, then 4;
#    each record's first/last ms bracket its first and last sendto;
#  - SIGINT: with those flows and a TCP connection still open (data sent and
#    acknowledged, no FIN), kill -INT: exit 0, every open flow written with
#    reason 4 (the TCP one with each side's TcpOutSegs), nothing left
#    attached to the veth.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

TOL_MS=5
SIZE=64
TIMES_A=0,0.3,0.6,0.9,1.2
TIMES_B=$(seq -s, 0 0.3 5.7)
TCP_BYTES=20000

fm_init
fm_pair || tap_bail "two namespaces joined by a veth pair"
OUT=$FM_TMP/flows.json
fm_meter_start "$NS_A" "$VETH_A" both "$OUT" --idle-timeout 60 --active-timeout 2 ||
	tap_bail "meter attaches to $VETH_A"

fm_bg_ready "$NS_B" "$FM_TMP/u.ready" udp-sink --bind "$IP4_B" --port 5001 \
	--out "$FM_TMP/u.json" || tap_bail "precondition: UDP sink listens"
SINK=$FM_BG_PID
fm_bg_ready "$NS_B" "$FM_TMP/t.ready" tcp-sink --bind "$IP4_B" --port 5002 \
	--out "$FM_TMP/t.got" || tap_bail "precondition: TCP sink listens"

# the open TCP connection first, then both UDP senders at once
A0=$(fm_tcp_segs "$NS_A")
B0=$(fm_tcp_segs "$NS_B")
fm_bg_ready "$NS_A" "$FM_TMP/h.ready" tcp-hold --bind "$IP4_A" --sport 40003 --dst "$IP4_B" \
	--port 5002 --bytes "$TCP_BYTES" || tap_bail "precondition: the TCP connection is open"
HOLD=$FM_BG_PID
ip netns exec "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-times --bind "$IP4_A" --sport 40001 \
	--dst "$IP4_B" --dport 5001 --times "$TIMES_A" --size "$SIZE" --out "$FM_TMP/a.times" &
SA=$!
FM_PIDS+=("$SA")
fm_need "the paced sender sent its $(tr , '\n' <<<"$TIMES_B" | wc -l) datagrams" \
	ip netns exec "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-times --bind "$IP4_A" \
	--sport 40002 --dst "$IP4_B" --dport 5001 --times "$TIMES_B" --size "$SIZE" \
	--out "$FM_TMP/b.times"
fm_bg_wait "$SA" 10
fm_need "the first sender sent its datagrams" test -s "$FM_TMP/a.times"
# the sink got them all: they passed both hooks
got_all() {
	kill -TERM "$SINK" 2>/dev/null
	fm_bg_wait "$SINK" 5
	"$FM_PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))
sys.exit(not (c.get(sys.argv[2] + ",40001") == int(sys.argv[3]) and
              c.get(sys.argv[2] + ",40002") == int(sys.argv[4])))' "$FM_TMP/u.json" "$IP4_A" \
		"$(tr , '\n' <<<"$TIMES_A" | wc -l)" "$(tr , '\n' <<<"$TIMES_B" | wc -l)"
}
fm_need "the sink received every datagram" got_all
# the TCP data is acknowledged (nothing unacked in A's send queue): every
# segment so far has passed the hooks
tcp_quiet() {
	[ "$(fm_in "$NS_A" ss -Htn "sport = :40003" | awk '{ print $3 }')" = 0 ]
}
fm_need "the TCP data is acknowledged" fm_wait 10 tcp_quiet
SEGS_A=$(($(fm_tcp_segs "$NS_A") - A0))
SEGS_B=$(($(fm_tcp_segs "$NS_B") - B0))

fm_meter_stop "$FM_METER_PID" INT
tap_is "$?" 0 "SIGINT: the meter exits 0"
tap_is "$(fm_count_ours fm_in "$NS_A" "$VETH_A" ingress)/$(fm_count_ours fm_in "$NS_A" "$VETH_A" egress)" \
	0/0 "SIGINT: nothing of ours left attached to $VETH_A"
kill -TERM "$HOLD" 2>/dev/null

# records of one UDP flow, checked against the sender's times
check_times() {		# label sport times-file
	"$FM_PY" - "$OUT" "$IP4_A" "$1" "$2" "$3" "$TOL_MS" <<'PYEOF'
import json, math, sys
out, src, label, sport, times, tol = sys.argv[1:7]
sport, tol = int(sport), int(tol)
sends = json.load(open(times))
recs = sorted((r for r in map(json.loads, open(out))
               if r.get("IPV4_SRC_ADDR") == src and r["L4_SRC_PORT"] == sport),
              key=lambda r: r["FLOW_START_MILLISECONDS"])
print("%d %s %s" % (len(recs), ",".join(str(r["IN_PKTS"]) for r in recs),
                    ",".join(str(r["FLOW_END_REASON"]) for r in recs)))
bad = []
for r in recs:
    s, e = r["FLOW_START_MILLISECONDS"], r["FLOW_END_MILLISECONDS"]
    mine = [x for x in sends if s - tol <= x[0] * 1000 and x[1] * 1000 <= e + tol + 1]
    if len(mine) != r["IN_PKTS"]:
        bad.append("record %d..%d: %d packets, %d sends in it" % (s, e, r["IN_PKTS"], len(mine)))
        continue
    fb, fa = mine[0][0] * 1000, mine[0][1] * 1000
    lb, la = mine[-1][0] * 1000, mine[-1][1] * 1000
    if not (math.floor(fb) - tol <= s <= fa + tol):
        bad.append("record start %d, first sendto %.3f..%.3f" % (s, fb, fa))
    if not (math.floor(lb) - tol <= e <= la + tol):
        bad.append("record end %d, last sendto %.3f..%.3f" % (e, lb, la))
for b in bad:
    print("# " + b)
PYEOF
}

read -r N PK RS < <(check_times a 40001 "$FM_TMP/a.times" | head -1)
tap_is "$N/$PK/$RS" "1/5/4" "times: one record, 5 packets, reason 4 (SIGINT)"
BAD=$(check_times a 40001 "$FM_TMP/a.times" | tail -n +2)
tap_is "$BAD" "" "times: first/last ms bracket the first and last sendto (+-$TOL_MS ms)" ||
	tap_diag "$BAD"

read -r N PK RS < <(check_times b 40002 "$FM_TMP/b.times" | head -1)
tap_is "$N/$PK/$RS" "3/7,7,6/2,2,4" \
	"active timeout 2 s: 3 records of 7, 7 and 6 packets, reasons 2, 2, 4"
BAD=$(check_times b 40002 "$FM_TMP/b.times" | tail -n +2)
tap_is "$BAD" "" "active timeout: each record's first/last ms bracket its sends (+-$TOL_MS ms)" ||
	tap_diag "$BAD"

read -r REC IP IB OP OB REV REASONS _ < <(fm_sum --proto 6 --src "$IP4_A" --dst "$IP4_B" \
	--sport 40003 --dport 5002 "$OUT")
tap_is "$REC/$REV/$REASONS" "1/0/4" "SIGINT: the open TCP connection written once, reason 4"
tap_is "$IP/$OP" "$SEGS_A/$SEGS_B" "SIGINT: its packets == each side's TcpOutSegs+RetransSegs"

tap_done
