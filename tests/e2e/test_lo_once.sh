#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_lo_once.sh - on lo a packet passes egress and then ingress: metering
# both hooks must count it once (the original counted it twice).
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

N=10
SIZE=100
PING_N=4
TCP_BYTES=300000
NS=$NS_A

# shellcheck disable=SC2034
flow() {		# sum-args...: of the records in $OUT
	fm_flow "$OUT" "$@"
}

fm_init
fm_netns_add "$NS" || tap_bail "namespace with lo up"
OUT=$FM_TMP/flows.json
fm_meter_start "$NS" lo both "$OUT" || tap_bail "meter attaches to lo"

# every datagram reached its sink (so it passed both hooks of lo)
udp_flow() {		# port sport dst
	local sink

	fm_bg_ready "$NS" "$FM_TMP/$1.ready" udp-sink --bind "$3" --port "$1" --expect "$N" \
		--out "$FM_TMP/$1.json" || tap_bail "precondition: UDP sink on $3 listens"
	sink=$FM_BG_PID
	fm_in "$NS" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$3" --dport "$1" \
		--sport "$2" --count "$N" --size "$SIZE"
	fm_bg_wait "$sink" 10
	fm_need "the sink on $3 received all $N datagrams" grep -q "\": $N}" "$FM_TMP/$1.json"
}
udp_flow 5001 40001 127.0.0.1
udp_flow 5002 40002 ::1
fm_need "ping 127.0.0.1: every request answered" \
	fm_in "$NS" ping -q -c "$PING_N" -i 0.2 -W 2 127.0.0.1

# TCP over lo: both ends are in this namespace, so its nstat counts both directions
fm_bg_ready "$NS" "$FM_TMP/t.ready" tcp-sink --bind 127.0.0.1 --port 5003 \
	--out "$FM_TMP/t.got" || tap_bail "precondition: TCP sink listens"
SINK=$FM_BG_PID
S0=$(fm_tcp_segs "$NS")
R0=$(fm_nstat "$NS" TcpRetransSegs)
fm_need "TCP over lo: $TCP_BYTES bytes sent" \
	timeout 30 ip netns exec "$NS" "$FM_PY" "$FM_TMP/fmtool.py" tcp-send --dst 127.0.0.1 \
	--port 5003 --sport 40003 --bytes "$TCP_BYTES"
fm_bg_wait "$SINK" 10
fm_need "TCP over lo: both ends closed" fm_wait 10 fm_tcp_closed "$NS" 5003
SEGS=$(($(fm_tcp_segs "$NS") - S0))
RETR=$(($(fm_nstat "$NS" TcpRetransSegs) - R0))
fm_need "TCP over lo: every byte received" test "$(cat "$FM_TMP/t.got" 2>/dev/null)" = "$TCP_BYTES"

fm_meter_stop
tap_is $? 0 "meter exits 0 on SIGTERM"

flow --proto 17 --src 127.0.0.1 --dst 127.0.0.1 --sport 40001 --dport 5001
tap_is "$IP/$IB" "$N/$((N * (28 + SIZE)))" "UDP to 127.0.0.1: $N packets counted once"
tap_is "$OP" 0 "UDP to 127.0.0.1: nothing in reverse"
flow --proto 17 --src ::1 --dst ::1 --sport 40002 --dport 5002
tap_is "$IP/$IB" "$N/$((N * (48 + SIZE)))" "UDP to ::1: $N packets counted once"
tap_is "$OP" 0 "UDP to ::1: nothing in reverse"
flow --proto 1 --src 127.0.0.1 --dst 127.0.0.1 --sport 8 --dport 0
tap_is "$IP/$OP" "$PING_N/$PING_N" "ICMP echo on lo: requests and replies counted once"
tap_is "$IB/$OB" "$((PING_N * 84))/$((PING_N * 84))" "ICMP echo on lo: bytes counted once"
flow --proto 6 --src 127.0.0.1 --dst 127.0.0.1 --sport 40003 --dport 5003
tap_is "$((IP + OP))" "$SEGS" "TCP over lo: packets == the namespace's TcpOutSegs+RetransSegs"
# each segment carries 40 to 80 bytes of IPv4 + TCP headers, the payload once
# (a retransmission carries at most one lo MTU again)
LO=$((TCP_BYTES + 40 * IP)) HI=$((TCP_BYTES + 80 * IP + 65536 * RETR))
tap_ok "TCP over lo: forward bytes = payload once + headers ($IB in $LO..$HI)" \
	test "$IB" -ge "$LO" -a "$IB" -le "$HI"
tap_ok "TCP over lo: reverse bytes = headers only ($OB in $((40 * OP))..$((80 * OP)))" \
	test "$OB" -ge $((40 * OP)) -a "$OB" -le $((80 * OP))

tap_done
