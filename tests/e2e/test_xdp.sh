#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_xdp.sh - the XDP hook, live, judged by captures and by iproute2:
#  - native mode on a veth (B's end): UDP over IPv4 and IPv6 and ping from
#    A, each flow's packets and bytes equal to a tcpdump capture on A's end
#    (the far end), read by tshark; ip link says native XDP;
#  - generic mode on lo (no native XDP there) with TC egress on lo too: a
#    UDP echo on the host, each packet counted once (at TC egress; XDP sees
#    it again, other_hook), equal to a capture on lo; ip link says generic;
#  - a device without an Ethernet header (tun) is refused, nothing attached.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

N=40
PORT=6001

# tshark over a capture: "packets bytes" (IP length) of the frames matching a filter
cap_sum() {	# file filter
	tshark -r "$1" -Y "$2" -T fields -E separator=, -e ip.len -e ipv6.plen 2>/dev/null |
		awk -F, '{ n++; b += ($1 != "" ? $1 : $2 + 40) } END { printf "%d %d\n", n, b }'
}

# The meter's record sums of a flow: "fwd_pkts fwd_bytes rev_pkts rev_bytes"
rec_sum() {	# file proto src dst sport dport
	fm_sum --proto "$2" --src "$3" --dst "$4" --sport "$5" --dport "$6" "$1" |
		awk '{ print $(NF-3), $(NF-2), $(NF-1), $NF }'
}

start_capture() {	# netns dev file: TCPDUMP_PID
	ip netns exec "$1" tcpdump -i "$2" -nn -U --immediate-mode -s 128 -w "$3" \
		>"$3.log" 2>&1 &
	TCPDUMP_PID=$!
	FM_PIDS+=("$TCPDUMP_PID")
	fm_need "tcpdump captures on $2" fm_wait 5 grep -q 'listening on' "$3.log"
}

stop_capture() {
	kill -INT "$TCPDUMP_PID"
	fm_bg_wait "$TCPDUMP_PID" 10
}

udp_echo() {	# ns dst sport size: N datagrams echoed back by the sink
	local got

	got=$(fm_in "$1" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$2" --dport "$PORT" \
		--sport "$3" --count "$N" --size "$4" --gap 0.002 --replies)
	fm_need "$2: $N datagrams echoed" test "$got" = "$N"
}

fm_init
fm_need_tools tcpdump tshark
fm_pair || tap_bail "two namespaces joined by a veth pair"

# --- native XDP on B's veth ---
fm_bg_ready "$NS_B" "$FM_TMP/s4.ready" udp-sink --bind "::" --port "$PORT" --echo \
	--out "$FM_TMP/s4.json" || tap_bail "UDP echo listens in $NS_B"
OUT=$FM_TMP/native.json
ip netns exec "$NS_B" "$FM_USER" -I "$VETH_B" --hook xdp -j -o "$OUT" -i 1 \
	-l "$OUT.log" 2>"$OUT.err" &
METER=$!
FM_PIDS+=("$METER")
fm_wait 15 sh -c "ip -n '$NS_B' -d link show dev '$VETH_B' | grep -q 'prog/xdp'"
tap_ok "native: ip link shows an XDP program in driver mode on $VETH_B" \
	sh -c "ip -n '$NS_B' link show dev '$VETH_B' | grep -q ' xdp ' &&
		! ip -n '$NS_B' link show dev '$VETH_B' | grep -q xdpgeneric"
tap_ok "native: the meter says native" grep -q "attached to $VETH_B: xdp (native)" "$OUT.log"
tap_ok "native: status says xdp native" sh -c "ip netns exec '$NS_B' '$FM_USER' status |
	grep -qx '    xdp: native mode, program [0-9]*'"
start_capture "$NS_A" "$VETH_A" "$FM_TMP/a.pcap"
udp_echo "$NS_A" "$IP4_B" 41001 100
udp_echo "$NS_A" "$IP6_B" 41002 300
fm_need "ping: 5 requests answered" fm_in "$NS_A" ping -q -c 5 -i 0.2 -s 56 -W 2 "$IP4_B"
stop_capture
fm_meter_stop "$METER"
tap_is $? 0 "native: the meter exits 0 on SIGTERM"
# XDP sees B's ingress: what A sent
for spec in "17 $IP4_A $IP4_B 41001 $PORT udp.srcport==41001&&ip.src==$IP4_A" \
	"17 $IP6_A $IP6_B 41002 $PORT udp.srcport==41002&&ipv6.src==$IP6_A" \
	"1 $IP4_A $IP4_B 8 0 icmp.type==8&&ip.src==$IP4_A"; do
	read -r proto src dst sport dport filter <<<"$spec"
	read -r fp fb _ _ < <(rec_sum "$OUT" "$proto" "$src" "$dst" "$sport" "$dport")
	tap_is "$fp $fb" "$(cap_sum "$FM_TMP/a.pcap" "$filter")" \
		"native: $src -> $dst proto $proto packets/bytes as captured at the far end"
done
read -r _ _ rp rb < <(rec_sum "$OUT" 17 "$IP4_A" "$IP4_B" 41001 "$PORT")
tap_is "$rp/$rb" 0/0 "native: XDP does not see B's own replies (egress)"
tap_is "$(ip -n "$NS_B" link show dev "$VETH_B" | grep -c 'xdp')" 0 \
	"native: nothing left on $VETH_B after SIGTERM"

# --- generic XDP on lo, TC egress beside it: each packet once ---
fm_bg_ready "$NS_A" "$FM_TMP/lo.ready" udp-sink --bind 127.0.0.1 --port "$PORT" --echo \
	--out "$FM_TMP/lo.json" || tap_bail "UDP echo listens on 127.0.0.1"
OUT=$FM_TMP/generic.json
ip netns exec "$NS_A" "$FM_USER" -I lo --hook xdp -D both -j -o "$OUT" -i 1 -v \
	-l "$OUT.log" 2>"$OUT.err" &
METER=$!
FM_PIDS+=("$METER")
fm_wait 15 sh -c "ip -n '$NS_A' link show dev lo | grep -q xdpgeneric"
tap_ok "generic: ip link shows a generic XDP program on lo" \
	sh -c "ip -n '$NS_A' link show dev lo | grep -q xdpgeneric"
tap_ok "generic: the meter says generic, and TC egress" \
	grep -q "attached to lo: xdp (generic) egress" "$OUT.log"
start_capture "$NS_A" lo "$FM_TMP/lo.pcap"
udp_echo "$NS_A" 127.0.0.1 41003 200
stop_capture
fm_meter_stop "$METER"
tap_is $? 0 "generic: the meter exits 0 on SIGTERM"
read -r fp fb rp rb < <(rec_sum "$OUT" 17 127.0.0.1 127.0.0.1 41003 "$PORT")
tap_is "$fp $fb" "$(cap_sum "$FM_TMP/lo.pcap" "udp.srcport==41003")" \
	"generic: requests counted once, as captured on lo"
tap_is "$rp $rb" "$(cap_sum "$FM_TMP/lo.pcap" "udp.dstport==41003")" \
	"generic: replies counted once, as captured on lo"
tap_is "$(ip -n "$NS_A" link show dev lo | grep -c xdp)" 0 "generic: nothing left on lo"

# --- no Ethernet header: refused ---
fm_in "$NS_A" ip tuntap add dev fmtun0 mode tun || tap_bail "a tun device"
fm_in "$NS_A" ip link set fmtun0 up
fm_in "$NS_A" "$FM_USER" load -I fmtun0 --hook xdp -p fmxdp >"$FM_TMP/tun.out" 2>&1
tap_is $? 1 "tun: load --hook xdp fails"
tap_ok "tun: the error names the device and the reason" \
	grep -q "failed to attach XDP to fmtun0: no Ethernet header" "$FM_TMP/tun.out"
tap_is "$(ip -n "$NS_A" link show dev fmtun0 | grep -c xdp)" 0 "tun: nothing attached"

tap_done
