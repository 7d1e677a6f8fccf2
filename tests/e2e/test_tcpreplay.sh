#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_tcpreplay.sh - real captures replayed with tcpreplay from namespace A
# into namespace B, metered live at the ingress of B's veth, judged by
# tshark on the same file (tests/pcap/compare.py, as the pcap tier judges
# offline mode): per direction packets, L3 bytes and TCP flags, the err_*
# and frag_no_first counters per reason; the records' times lie within the
# replay's wall-clock window.
#
# The captures hold public addresses: they are sent only on the veth pair of
# two namespaces with IPv6 off, no route, and only 198.18.0.1/.2 on the
# veths (for the marker below), so nothing can leave. Synchronisation: the
# replay and then one marker datagram to a socket in B are sent from one
# CPU (taskset), so they reach B's ingress hook through one backlog, in
# order: once the marker is received, the hook has seen every frame.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PCAPS=${FLOWMON_PCAPS:-$FLOWMON_ROOT/../shared/pcaps}
COMPARE=$FLOWMON_ROOT/tests/pcap/compare.py
# Ethernet, no VLAN (the kernel takes tags out of the frame before the
# hook), no frame cut by the snap length (a replayed frame carries only
# what was captured: a cut one would be counted short)
FILES=(
	zeek-http-get.pcap tcpdump-dns_udp.pcap tcpdump-dns_tcp.pcap zeek-icmp6-ping.pcap
	zeek-wikipedia.pcap zeek-var-services-std-ports.pcap arkime-v6.pcap ndpi-http_ipv6.pcap
	arkime-tcp_handshake_synthetic.pcap zeek-communityid-icmp.pcap zeek-dhcp_flood.pcap
	ndpi-WebattackRCE.pcap ndpi-synscan.pcap ndpi-netflix.pcap ndpi-reddit.pcap
	zeek-ipv4-fragmented-1.pcap ndpi-badpackets.pcap
)
# no timeout may end a flow: the captures span up to days
TIMEOUTS=(--idle-timeout 100000000 --active-timeout 100000000)
CPU=0
MARK_PORT=9
# the accuracy of record times (docs/TESTING.md): ms truncation and the
# boot-to-wall clock conversion
TOL_MS=5

fm_init
fm_need_tools tcpreplay tshark taskset
fm_need "the capture corpus is at $PCAPS" test -d "$PCAPS"
for ns in "$NS_A" "$NS_B"; do
	fm_netns_add "$ns" || tap_bail "namespace $ns"
	fm_need "IPv6 off in $ns" fm_in "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
fm_need "a veth pair, MTU 9000" ip link add "$VETH_A" netns "$NS_A" address "$MAC_A" mtu 9000 \
	type veth peer name "$VETH_B" netns "$NS_B" address "$MAC_B" mtu 9000
fm_need "veth A up, 198.18.0.1, no route but its /32 peer" fm_in "$NS_A" sh -c "
	ip link set $VETH_A up && ip addr add $IP4_A/32 dev $VETH_A &&
	ip route add $IP4_B/32 dev $VETH_A &&
	ip neigh replace $IP4_B lladdr $MAC_B dev $VETH_A nud permanent"
fm_need "veth B up, 198.18.0.2" fm_in "$NS_B" sh -c "
	ip link set $VETH_B up && ip addr add $IP4_B/32 dev $VETH_B"

tx_dropped() {
	ip -n "$NS_A" -s -s link show dev "$VETH_A" | awk '/TX:/ { getline; print $4; exit }'
}
scans() {		# n: the meter logged at least n scans
	[ "$(grep -c ' kernel: ' "$LIVE.log" 2>/dev/null)" -ge "$1" ]
}
now_ms() {
	date +%s%3N
}
# records other than the marker's
drop_marker() {		# in out
	grep -v "\"IPV4_SRC_ADDR\":\"$IP4_A\",\"IPV4_DST_ADDR\":\"$IP4_B\"" "$1" >"$2"
}

for f in "${FILES[@]}"; do
	fm_need "$f is in the corpus" test -f "$PCAPS/$f"
	LIVE=$FM_TMP/$f.live.json
	fm_meter_start "$NS_B" "$VETH_B" ingress "$LIVE" -v "${TIMEOUTS[@]}" ||
		tap_bail "$f: the meter attaches to $VETH_B ingress"
	fm_bg_ready "$NS_B" "$FM_TMP/mark.ready" udp-sink --bind "$IP4_B" --port "$MARK_PORT" \
		--expect 1 --out "$FM_TMP/mark.json" || tap_bail "precondition: the marker sink listens"
	SINK=$FM_BG_PID
	drop0=$(tx_dropped)
	T0=$(now_ms)
	fm_need "$f: tcpreplay sends it all" timeout 120 ip netns exec "$NS_A" \
		taskset -c "$CPU" tcpreplay -q -i "$VETH_A" --pps=4000 "$PCAPS/$f"
	fm_need "$f: the marker is sent after it" ip netns exec "$NS_A" taskset -c "$CPU" \
		"$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$MARK_PORT" \
		--sport "$MARK_PORT" --count 1 --size 1
	fm_bg_wait "$SINK" 10
	fm_need "$f: the marker was received (the hook has seen every frame)" \
		test -s "$FM_TMP/mark.json"
	T1=$(now_ms)
	fm_need "$f: the veth dropped nothing" test "$(tx_dropped)" = "$drop0"
	# two scans after the marker: the logged kernel counters include every frame
	n=$(grep -c ' kernel: ' "$LIVE.log" 2>/dev/null)
	fm_need "$f: the meter scans" fm_wait 5 scans $((n + 2))
	fm_meter_stop
	tap_is "$?" 0 "$f: the live meter exits 0 on SIGTERM" || tap_diag "$(tail -3 "$LIVE.err")"
	drop_marker "$LIVE" "$LIVE.pcap-only"
	"$FM_PY" "$COMPARE" --no-times --counters "$LIVE.log" "$PCAPS/$f" "$LIVE.pcap-only" \
		>"$FM_TMP/cmp.out" 2>&1
	tap_result $? "$f: live records == tshark (per direction packets, bytes, flags; counters)" ||
		tap_diag "$(head -20 "$FM_TMP/cmp.out")"
	out=$("$FM_PY" -c 'import json, sys
lo, hi = int(sys.argv[2]), int(sys.argv[3])
for l in open(sys.argv[1]):
    r = json.loads(l)
    s, e = r["FLOW_START_MILLISECONDS"], r["FLOW_END_MILLISECONDS"]
    if not lo <= s <= e <= hi:
        print("%s..%s outside %d..%d" % (s, e, lo, hi))' "$LIVE.pcap-only" $((T0 - TOL_MS)) \
		$((T1 + TOL_MS)))
	tap_is "$out" "" "$f: every record's first/last ms within the replay's window (+-$TOL_MS ms)"
done

tap_done
