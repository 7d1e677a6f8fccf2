#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_router.sh - real forwarding: namespace A -> router namespace R ->
# namespace B, the meter on every interface of R, both hooks.
#
#   A  a1 198.18.1.1  fd00:1::1  ==  r1 198.18.1.254 fd00:1::fe  R
#      a2 198.18.3.1             ==  r2 198.18.3.254
#   R  rb 198.18.2.254 fd00:2::fe ==  b 198.18.2.1   fd00:2::1    B
#
# R forwards (IPv4 and IPv6, rp_filter off); A reaches B through link 1;
# nothing has a default route, every neighbour is static. README: "A
# forwarded packet counts at the ingress of one interface, not again at the
# egress of the other. Packets seen again are only counted in the
# other_hook counter. If a flow's route moves (...), the hook that still
# sees it takes it over after one second of silence at the first."
#  - UDP and UDP/IPv6 echoed by B, ping, ping -6, a TCP transfer: each flow's
#    packets and bytes per direction == what the senders sent (TCP: each
#    side's TcpOutSegs), counted at the ingress where they came in (the
#    record names r1, DIRECTION 0) with the TTL the sender set (64), not the
#    TTL R forwards (63);
#  - route take-over: a UDP flow sends 5 datagrams through link 1, A's route
#    moves to link 2, 1.5 s later (more than the documented 1 s) 5 more:
#    all 10 counted once;
#  - other_hook == every packet R forwarded (each one is seen again once, at
#    the egress of the other interface), from the senders' counts.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

NS_R=fm-r-$FM_TAG
A1=fa1$FM_TAG A2=fa2$FM_TAG R1=fr1$FM_TAG R2=fr2$FM_TAG RB=frb$FM_TAG B0=fb0$FM_TAG
MAC_A1=02:00:c6:12:01:01 MAC_R1=02:00:c6:12:01:fe
MAC_A2=02:00:c6:12:03:01 MAC_R2=02:00:c6:12:03:fe
MAC_RB=02:00:c6:12:02:fe MAC_B0=02:00:c6:12:02:01
UDP_N=20
UDP_SIZE=100
PING_N=5
PING_SIZE=56
TCP_BYTES=200000
MOVE_N=5

fm_init
fm_need_tools nstat
for ns in "$NS_A" "$NS_R" "$NS_B"; do
	fm_netns_add "$ns" || tap_bail "namespace $ns"
done
link() {		# ns1 if1 mac1 ns2 if2 mac2
	ip link add "$2" netns "$1" address "$3" type veth peer name "$5" netns "$4" address "$6" &&
		fm_in "$1" ip link set "$2" up && fm_in "$4" ip link set "$5" up
}
fm_need "link 1 A-R" link "$NS_A" "$A1" "$MAC_A1" "$NS_R" "$R1" "$MAC_R1"
fm_need "link 2 A-R" link "$NS_A" "$A2" "$MAC_A2" "$NS_R" "$R2" "$MAC_R2"
fm_need "link R-B" link "$NS_R" "$RB" "$MAC_RB" "$NS_B" "$B0" "$MAC_B0"
fm_need "A: addresses, routes to B through link 1, static neighbours" fm_in "$NS_A" sh -c "
	ip addr add 198.18.1.1/24 dev $A1 && ip addr add fd00:1::1/64 dev $A1 nodad &&
	ip addr add 198.18.3.1/24 dev $A2 &&
	ip route add 198.18.2.0/24 via 198.18.1.254 dev $A1 &&
	ip route add fd00:2::/64 via fd00:1::fe dev $A1 &&
	ip neigh replace 198.18.1.254 lladdr $MAC_R1 dev $A1 nud permanent &&
	ip neigh replace fd00:1::fe lladdr $MAC_R1 dev $A1 nud permanent &&
	ip neigh replace 198.18.3.254 lladdr $MAC_R2 dev $A2 nud permanent"
fm_need "R: addresses, forwarding, rp_filter off, static neighbours" fm_in "$NS_R" sh -c "
	ip addr add 198.18.1.254/24 dev $R1 && ip addr add fd00:1::fe/64 dev $R1 nodad &&
	ip addr add 198.18.3.254/24 dev $R2 &&
	ip addr add 198.18.2.254/24 dev $RB && ip addr add fd00:2::fe/64 dev $RB nodad &&
	sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.$R1.rp_filter=0 net.ipv4.conf.$R2.rp_filter=0 \
		net.ipv4.conf.$RB.rp_filter=0 &&
	ip neigh replace 198.18.1.1 lladdr $MAC_A1 dev $R1 nud permanent &&
	ip neigh replace fd00:1::1 lladdr $MAC_A1 dev $R1 nud permanent &&
	ip neigh replace 198.18.2.1 lladdr $MAC_B0 dev $RB nud permanent &&
	ip neigh replace fd00:2::1 lladdr $MAC_B0 dev $RB nud permanent"
fm_need "B: addresses, routes back through R, static neighbours" fm_in "$NS_B" sh -c "
	ip addr add 198.18.2.1/24 dev $B0 && ip addr add fd00:2::1/64 dev $B0 nodad &&
	ip route add 198.18.0.0/15 via 198.18.2.254 dev $B0 &&
	ip route add fd00::/8 via fd00:2::fe dev $B0 &&
	ip neigh replace 198.18.2.254 lladdr $MAC_RB dev $B0 nud permanent &&
	ip neigh replace fd00:2::fe lladdr $MAC_RB dev $B0 nud permanent"
fm_need "A reaches B through R" fm_wait 5 fm_in "$NS_A" ping -c 1 -W 1 -q 198.18.2.1

OUT=$FM_TMP/flows.json
fm_meter_start "$NS_R" "$R1,$R2,$RB" both "$OUT" -v --idle-timeout 120 ||
	tap_bail "meter attaches to both hooks of $R1, $R2, $RB in R"
other_hook() {
	grep ' kernel: ' "$OUT.log" | tail -1 |
		awk '{ for (i = 1; i < NF; i++) if ($i == "other_hook") print $(i + 1) }'
}
scans() {
	[ "$(grep -c ' kernel: ' "$OUT.log" 2>/dev/null)" -ge "$1" ]
}
fm_need "the meter scans" fm_wait 5 scans 1
OTHER0=$(other_hook)

# UDP echoed by B: every reply received by A (so every packet crossed R)
udp_echo() {		# dst port sport
	local sink got

	fm_bg_ready "$NS_B" "$FM_TMP/$2.ready" udp-sink --bind "$1" --port "$2" --echo \
		--expect "$UDP_N" --out "$FM_TMP/$2.json" || tap_bail "precondition: UDP sink on $1"
	sink=$FM_BG_PID
	got=$(fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$1" --dport "$2" \
		--sport "$3" --count "$UDP_N" --size "$UDP_SIZE" --replies)
	fm_bg_wait "$sink" 10
	fm_need "UDP to $1: $UDP_N datagrams each way (got $got replies)" test "$got" = "$UDP_N"
}
udp_echo 198.18.2.1 5001 41001
udp_echo fd00:2::1 5002 41002
fm_need "ping: every request answered" \
	fm_in "$NS_A" ping -q -c "$PING_N" -i 0.2 -s "$PING_SIZE" -W 2 198.18.2.1
fm_need "ping -6: every request answered" \
	fm_in "$NS_A" ping -6 -q -c "$PING_N" -i 0.2 -s "$PING_SIZE" -W 2 fd00:2::1

# TCP, counted by both ends' nstat
fm_bg_ready "$NS_B" "$FM_TMP/t.ready" tcp-sink --bind 198.18.2.1 --port 5003 \
	--out "$FM_TMP/t.got" || tap_bail "precondition: TCP sink listens"
SINK=$FM_BG_PID
A0=$(fm_tcp_segs "$NS_A")
B0S=$(fm_tcp_segs "$NS_B")
fm_need "TCP: $TCP_BYTES bytes sent, connection closed" timeout 60 ip netns exec "$NS_A" \
	"$FM_PY" "$FM_TMP/fmtool.py" tcp-send --dst 198.18.2.1 --port 5003 --sport 41003 \
	--bytes "$TCP_BYTES"
fm_bg_wait "$SINK" 20
fm_need "TCP: both ends closed" fm_wait 10 fm_tcp_closed "$NS_A" 5003
fm_need "TCP: both ends closed" fm_wait 10 fm_tcp_closed "$NS_B" 5003
SEGS_A=$(($(fm_tcp_segs "$NS_A") - A0))
SEGS_B=$(($(fm_tcp_segs "$NS_B") - B0S))
fm_need "TCP: the receiver got every byte" test "$(cat "$FM_TMP/t.got")" = "$TCP_BYTES"

# route take-over: link 1, then link 2 after more than one second of silence
fm_bg_ready "$NS_B" "$FM_TMP/m.ready" udp-sink --bind 198.18.2.1 --port 5004 \
	--expect $((2 * MOVE_N)) --out "$FM_TMP/m.json" || tap_bail "precondition: UDP sink listens"
SINK=$FM_BG_PID
fm_need "$MOVE_N datagrams through link 1" fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" \
	udp-send --src 198.18.1.1 --dst 198.18.2.1 --dport 5004 --sport 41004 --count "$MOVE_N" --size "$UDP_SIZE"
fm_need "A's route to B moves to link 2" fm_in "$NS_A" \
	ip route replace 198.18.2.0/24 via 198.18.3.254 dev "$A2"
sleep 1.5	# the documented silence before a take-over (README), not a synchronisation
fm_need "$MOVE_N datagrams through link 2" fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" \
	udp-send --src 198.18.1.1 --dst 198.18.2.1 --dport 5004 --sport 41004 --count "$MOVE_N" --size "$UDP_SIZE"
fm_bg_wait "$SINK" 10
fm_need "B received all $((2 * MOVE_N)) datagrams" grep -q ": $((2 * MOVE_N))}" "$FM_TMP/m.json"

n=$(grep -c ' kernel: ' "$OUT.log")
fm_need "the meter scans after the traffic" fm_wait 5 scans $((n + 2))
OTHER=$(($(other_hook) - OTHER0))
fm_meter_stop
tap_is "$?" 0 "meter exits 0 on SIGTERM"

flow() {		# sum-args...: of the records in $OUT
	fm_flow "$OUT" "$@"
}
# the record's interface, hook direction and TTLs
attrs() {		# src sport
	"$FM_PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if sys.argv[2] in (r.get("IPV4_SRC_ADDR"), r.get("IPV6_SRC_ADDR")) and \
            r["L4_SRC_PORT"] == int(sys.argv[3]):
        print(r["INTERFACE_NAME"], r["DIRECTION"], r["SRC_MIN_TTL"], r["SRC_MAX_TTL"],
              r.get("DST_INTERFACE_NAME"), r.get("DST_DIRECTION"), r["DST_MIN_TTL"],
              r["DST_MAX_TTL"])' "$OUT" "$1" "$2"
}
flow --proto 17 --src 198.18.1.1 --dst 198.18.2.1 --sport 41001 --dport 5001
tap_is "$REC/$IP/$IB/$OP/$OB" "1/$UDP_N/$((UDP_N * (28 + UDP_SIZE)))/$UDP_N/$((UDP_N * (28 + UDP_SIZE)))" \
	"UDP through R: one record, each way the packets and bytes sent, counted once"
tap_is "$(attrs 198.18.1.1 41001)" "$R1 0 64 64 $RB 0 64 64" \
	"UDP through R: counted at the ingress of $R1 and $RB, with the senders' TTL 64"
flow --proto 17 --src fd00:1::1 --dst fd00:2::1 --sport 41002 --dport 5002
tap_is "$REC/$IP/$IB/$OP/$OB" "1/$UDP_N/$((UDP_N * (48 + UDP_SIZE)))/$UDP_N/$((UDP_N * (48 + UDP_SIZE)))" \
	"UDP/IPv6 through R: one record, each way the packets and bytes sent, counted once"
tap_is "$(attrs fd00:1::1 41002)" "$R1 0 64 64 $RB 0 64 64" \
	"UDP/IPv6 through R: counted at the ingress of $R1 and $RB, hop limit 64"
flow --proto 1 --src 198.18.1.1 --dst 198.18.2.1 --sport 8 --dport 0
tap_is "$REC/$IP/$IB/$OP/$OB" "1/$PING_N/$((PING_N * (28 + PING_SIZE)))/$PING_N/$((PING_N * (28 + PING_SIZE)))" \
	"ping through R: requests and replies counted once"
flow --proto 58 --src fd00:1::1 --dst fd00:2::1 --sport 128 --dport 0
tap_is "$REC/$IP/$IB/$OP/$OB" "1/$PING_N/$((PING_N * (48 + PING_SIZE)))/$PING_N/$((PING_N * (48 + PING_SIZE)))" \
	"ping -6 through R: requests and replies counted once"
flow --proto 6 --src 198.18.1.1 --dst 198.18.2.1 --sport 41003 --dport 5003
tap_is "$REC/$REV/$IP/$OP" "1/0/$SEGS_A/$SEGS_B" \
	"TCP through R: packets each way == each side's TcpOutSegs+RetransSegs"
tap_is "${REASONS%%,*}" 3 "TCP through R: end reason 3 (FIN)"
flow --proto 17 --src 198.18.1.1 --dst 198.18.2.1 --sport 41004 --dport 5004
tap_is "$IP/$IB" "$((2 * MOVE_N))/$((2 * MOVE_N * (28 + UDP_SIZE)))" \
	"route take-over: the $MOVE_N datagrams of each link counted once ($REC records)"
FORWARDED=$((4 * UDP_N + 4 * PING_N + SEGS_A + SEGS_B + 2 * MOVE_N))
tap_is "$OTHER" "$FORWARDED" \
	"other_hook == the $FORWARDED packets R forwarded (each seen again at one egress)"

tap_done
