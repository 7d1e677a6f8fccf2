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
flow() {
	read -r REC IP IB OP OB REV REASONS CF SF TF BD _ < <(fm_sum "$@" "$OUT")
}

fm_init
fm_netns_add "$NS" || tap_bail "namespace with lo up"
OUT=$FM_TMP/flows.json
fm_meter_start "$NS" lo both "$OUT" || tap_bail "meter attaches to lo"
tap_result 0 "meter attached to both hooks of lo"

fm_bg_ready "$NS" "$FM_TMP/u4.ready" udp-sink --bind 127.0.0.1 --port 5001 \
	--out "$FM_TMP/u4.json" || tap_bail "UDP sink listens"
fm_bg_ready "$NS" "$FM_TMP/u6.ready" udp-sink --bind ::1 --port 5002 \
	--out "$FM_TMP/u6.json" || tap_bail "UDP6 sink listens"
fm_in "$NS" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst 127.0.0.1 --dport 5001 \
	--sport 40001 --count "$N" --size "$SIZE"
fm_in "$NS" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst ::1 --dport 5002 \
	--sport 40002 --count "$N" --size "$SIZE"
fm_in "$NS" ping -q -c "$PING_N" -i 0.2 -W 2 127.0.0.1 >/dev/null
tap_result $? "ping 127.0.0.1: every request answered"

# TCP over lo: both ends are in this namespace, so its nstat counts both directions
fm_bg_ready "$NS" "$FM_TMP/t.ready" tcp-sink --bind 127.0.0.1 --port 5003 \
	--out "$FM_TMP/t.got" || tap_bail "TCP sink listens"
SINK=$FM_BG_PID
S0=$(fm_tcp_segs "$NS")
timeout 30 ip netns exec "$NS" "$FM_PY" "$FM_TMP/fmtool.py" tcp-send --dst 127.0.0.1 \
	--port 5003 --sport 40003 --bytes "$TCP_BYTES"
fm_bg_wait "$SINK" 10
sleep 0.3
SEGS=$(($(fm_tcp_segs "$NS") - S0))
tap_is "$(cat "$FM_TMP/t.got" 2>/dev/null)" "$TCP_BYTES" "TCP over lo: every byte received"

sleep 1.5
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
tap_cmp "$IB" -ge "$TCP_BYTES" "TCP over lo: forward bytes include the payload once"
tap_cmp "$IB" -lt $((2 * TCP_BYTES)) "TCP over lo: forward bytes not doubled"

tap_done
