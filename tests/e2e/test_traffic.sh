#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_traffic.sh - known UDP, ICMP and TCP traffic over IPv4 and IPv6 between
# two namespaces, metered on both hooks of the veth of namespace A by a
# self-contained "tc_flowmon_user -I". Expected values come from what the
# sender sent (sizes, counts, nstat), never from the meter.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

UDP_N=20
UDP4_SIZE=100
UDP6_SIZE=200
PING_N=5
PING4_SIZE=56
PING6_SIZE=64
TCP_SMALL=100000
TCP_BULK=$((8 << 20))

# Sums of the records of one flow, into REC IP IB OP OB REV REASONS CF SF TF BD.
# shellcheck disable=SC2034
flow() {		# sum-args...: of the records in $OUT
	fm_flow "$OUT" "$@"
}

# UDP or ICMP with known sizes: L3 bytes per packet are given.
check_counted() {	# label proto src dst sport dport fwd_pkts fwd_len rev_pkts rev_len
	local label=$1

	flow --proto "$2" --src "$3" --dst "$4" --sport "$5" --dport "$6"
	tap_cmp "$REC" -ge 1 "$label: a record with the sender as source"
	tap_is "$IP/$IB" "$7/$(($7 * $8))" "$label: forward packets/bytes"
	tap_is "$OP/$OB" "$9/$(($9 * ${10}))" "$label: reverse packets/bytes"
	tap_is "$REV" 0 "$label: no record with the receiver as source"
	tap_is "$(tr , '\n' <<<"$REASONS" | sort -u)" 4 "$label: end reason 4 (forced by SIGTERM)"
}

# A TCP transfer from A to B, counted by both namespaces' nstat. That the
# transfer completed is a precondition (fm_need), not a check of the meter.
tcp_transfer() {	# label dst port sport bytes -> SEGS_A SEGS_B RETR_A
	local label=$1 dst=$2 port=$3 sport=$4 bytes=$5 a0 b0 r0 sink

	fm_bg_ready "$NS_B" "$FM_TMP/$port.ready" tcp-sink --bind "$dst" --port "$port" \
		--out "$FM_TMP/$port.got" || tap_bail "precondition: $label: TCP sink listens"
	sink=$FM_BG_PID
	a0=$(fm_tcp_segs "$NS_A")
	b0=$(fm_tcp_segs "$NS_B")
	r0=$(fm_nstat "$NS_A" TcpRetransSegs)
	fm_need "$label: $bytes bytes sent, connection closed" \
		timeout 60 ip netns exec "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" tcp-send --dst "$dst" \
		--port "$port" --sport "$sport" --bytes "$bytes"
	fm_bg_wait "$sink" 20
	# both ends closed: every segment passed the hooks and nstat
	fm_need "$label: both ends closed" fm_wait 10 fm_tcp_closed "$NS_A" "$port"
	fm_need "$label: both ends closed" fm_wait 10 fm_tcp_closed "$NS_B" "$port"
	SEGS_A=$(($(fm_tcp_segs "$NS_A") - a0))
	SEGS_B=$(($(fm_tcp_segs "$NS_B") - b0))
	RETR_A=$(($(fm_nstat "$NS_A" TcpRetransSegs) - r0))
	fm_need "$label: the receiver got every byte" \
		test "$(cat "$FM_TMP/$port.got" 2>/dev/null)" = "$bytes"
}

tcp_ended() {		# src dst sport...: every listed connection has a record
	local src=$1 dst=$2 sp

	shift 2
	for sp; do
		flow --proto 6 --src "$src" --dst "$dst" --sport "$sp"
		[ "$REC" -ge 1 ] || return 1
	done
}

check_tcp() {		# label src dst sport bytes hdr_min hdr_max
	local label=$1 lo hi

	flow --proto 6 --src "$2" --dst "$3" --sport "$4"
	tap_cmp "$REC" -ge 1 "$label: a record with the initiator as source"
	tap_is "$REV" 0 "$label: no record with the responder as source"
	tap_is "$IP" "$SEGS_A" "$label: forward packets == initiator's TcpOutSegs+RetransSegs"
	tap_is "$OP" "$SEGS_B" "$label: reverse packets == responder's TcpOutSegs+RetransSegs"
	# a retransmitted segment carries its payload (at most one MSS) again
	lo=$(($5 + $6 * IP)) hi=$(($5 + $7 * IP + 1500 * RETR_A))
	tap_ok "$label: forward bytes = payload + headers ($IB in $lo..$hi)" \
		test "$IB" -ge "$lo" -a "$IB" -le "$hi"
	lo=$(($6 * OP)) hi=$(($7 * OP))
	tap_ok "$label: reverse bytes = headers only ($OB in $lo..$hi)" \
		test "$OB" -ge "$lo" -a "$OB" -le "$hi"
	tap_is "${REASONS%%,*}" 3 "$label: end reason 3 (FIN)"
	tap_is "$((CF & 0x17))" "$((0x13))" "$label: client flags SYN ACK FIN, no RST ($CF)"
	tap_is "$((SF & 0x17))" "$((0x13))" "$label: server flags SYN ACK FIN, no RST ($SF)"
	tap_is "$TF" "$(printf '0x%x' $((CF | SF)))" "$label: TCP_FLAGS = client | server"
	tap_is "$BD" 1 "$label: BIFLOW_DIRECTION 1 (forward is the initiator)"
}

fm_init
fm_pair || tap_bail "two namespaces joined by a veth pair"
OUT=$FM_TMP/flows.json
fm_meter_start "$NS_A" "$VETH_A" both "$OUT" --idle-timeout 120 ||
	tap_bail "meter attaches to $VETH_A"

# UDP: N datagrams of a known payload, to listening sinks (no ICMP errors);
# each sink exits once it has them all (they passed both hooks)
udp_flow() {		# port sport dst size
	local sink

	fm_bg_ready "$NS_B" "$FM_TMP/$1.ready" udp-sink --bind "$3" --port "$1" --expect "$UDP_N" \
		--out "$FM_TMP/$1.json" || tap_bail "precondition: UDP sink on $3 listens"
	sink=$FM_BG_PID
	fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$3" --dport "$1" \
		--sport "$2" --count "$UDP_N" --size "$4"
	fm_bg_wait "$sink" 10
	fm_need "the sink on $3 received all $UDP_N datagrams" \
		grep -q "\": $UDP_N}" "$FM_TMP/$1.json"
}
udp_flow 5001 40001 "$IP4_B" "$UDP4_SIZE"
udp_flow 5002 40002 "$IP6_B" "$UDP6_SIZE"

# ICMP echo: every request answered (a precondition of the counts below)
fm_need "ping: $PING_N requests answered" \
	fm_in "$NS_A" ping -q -c "$PING_N" -i 0.2 -s "$PING4_SIZE" -W 2 "$IP4_B"
fm_need "ping -6: $PING_N requests answered" \
	fm_in "$NS_A" ping -6 -q -c "$PING_N" -i 0.2 -s "$PING6_SIZE" -W 2 "$IP6_B"

# TCP: small transfers, then a bulk one with the veth's default offloads (GSO)
tcp_transfer "TCP/IPv4" "$IP4_B" 5003 40003 "$TCP_SMALL"
T4_A=$SEGS_A T4_B=$SEGS_B T4_R=$RETR_A
tcp_transfer "TCP/IPv6" "$IP6_B" 5004 40004 "$TCP_SMALL"
T6_A=$SEGS_A T6_B=$SEGS_B T6_R=$RETR_A
if command -v ethtool >/dev/null 2>&1; then
	tap_diag "$(fm_in "$NS_A" ethtool -k "$VETH_A" 2>/dev/null |
		grep -E '^(tcp-segmentation-offload|generic-segmentation-offload):')"
fi
tcp_transfer "TCP/IPv4 bulk (GSO)" "$IP4_B" 5005 40005 "$TCP_BULK"
TB_A=$SEGS_A TB_B=$SEGS_B TB_R=$RETR_A
tap_diag "TCP segments sent (A/B, A retransmitted): v4 $T4_A/$T4_B/$T4_R," \
	"v6 $T6_A/$T6_B/$T6_R, bulk $TB_A/$TB_B/$TB_R"

# the connections end (FIN, then the linger) before the SIGTERM
fm_wait 20 tcp_ended "$IP4_A" "$IP4_B" 40003 40005 && fm_wait 5 tcp_ended "$IP6_A" "$IP6_B" 40004
tap_result $? "the TCP records are written once the connections close"
fm_meter_stop
tap_is $? 0 "meter exits 0 on SIGTERM"
tap_diag "$(fm_tool count "$OUT") records in $OUT"

check_counted "UDP/IPv4" 17 "$IP4_A" "$IP4_B" 40001 5001 "$UDP_N" $((28 + UDP4_SIZE)) 0 0
check_counted "UDP/IPv6" 17 "$IP6_A" "$IP6_B" 40002 5002 "$UDP_N" $((48 + UDP6_SIZE)) 0 0
check_counted "ICMP echo" 1 "$IP4_A" "$IP4_B" 8 0 "$PING_N" $((28 + PING4_SIZE)) \
	"$PING_N" $((28 + PING4_SIZE))
check_counted "ICMPv6 echo" 58 "$IP6_A" "$IP6_B" 128 0 "$PING_N" $((48 + PING6_SIZE)) \
	"$PING_N" $((48 + PING6_SIZE))

SEGS_A=$T4_A SEGS_B=$T4_B RETR_A=$T4_R
check_tcp "TCP/IPv4" "$IP4_A" "$IP4_B" 40003 "$TCP_SMALL" 40 80
SEGS_A=$T6_A SEGS_B=$T6_B RETR_A=$T6_R
check_tcp "TCP/IPv6" "$IP6_A" "$IP6_B" 40004 "$TCP_SMALL" 60 100
SEGS_A=$TB_A SEGS_B=$TB_B RETR_A=$TB_R
check_tcp "TCP/IPv4 bulk (GSO)" "$IP4_A" "$IP4_B" 40005 "$TCP_BULK" 40 80

tap_done
