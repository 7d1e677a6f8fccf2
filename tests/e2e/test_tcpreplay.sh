#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_tcpreplay.sh - real captures replayed with tcpreplay from namespace A
# into namespace B, metered live at the ingress of B's veth, give the same
# per-direction packets and bytes as offline mode (tc_flowmon_user -r) on
# the same file. The captures hold public addresses: they are sent only on
# the veth pair of two namespaces with no address and no route (IPv6 off),
# so nothing can leave, and the namespaces send nothing of their own.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PCAPS=${FLOWMON_PCAPS:-$FLOWMON_ROOT/../shared/pcaps}
# Ethernet, no VLAN, no frame cut by the snap length (see shared/docs/pcaps-notes.md)
FILES=(
	zeek-http-get.pcap tcpdump-dns_udp.pcap tcpdump-dns_tcp.pcap zeek-icmp6-ping.pcap
	zeek-wikipedia.pcap zeek-var-services-std-ports.pcap arkime-v6.pcap ndpi-http_ipv6.pcap
	arkime-tcp_handshake_synthetic.pcap zeek-communityid-icmp.pcap zeek-dhcp_flood.pcap
	ndpi-WebattackRCE.pcap ndpi-synscan.pcap ndpi-netflix.pcap ndpi-reddit.pcap
)
# no timeout may end a flow on either side: the captures span up to days
TIMEOUTS=(--idle-timeout 100000000 --active-timeout 100000000)

fm_init
command -v tcpreplay >/dev/null 2>&1 || tap_skip_all "missing tcpreplay"
[ -d "$PCAPS" ] || tap_skip_all "no capture folder $PCAPS"
for ns in "$NS_A" "$NS_B"; do
	fm_netns_add "$ns" || tap_bail "namespace $ns"
	fm_in "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 || tap_bail "IPv6 off in $ns"
done
if ! ip link add "$VETH_A" netns "$NS_A" mtu 9000 type veth \
	peer name "$VETH_B" netns "$NS_B" mtu 9000 ||
	! fm_in "$NS_A" ip link set "$VETH_A" up || ! fm_in "$NS_B" ip link set "$VETH_B" up; then
	tap_bail "veth pair"
fi
tap_ok "no address on the veth pair (isolated)" sh -c \
	"[ -z \"\$(ip -n '$NS_A' -o addr show dev '$VETH_A')\" ] &&
	 [ -z \"\$(ip -n '$NS_B' -o addr show dev '$VETH_B')\" ]"

tx_dropped() {
	ip -n "$NS_A" -s -s link show dev "$VETH_A" |
		awk '/TX:/ { getline; print $4; exit }'
}

for f in "${FILES[@]}"; do
	if [ ! -f "$PCAPS/$f" ]; then
		tap_skip "$f" "not in $PCAPS"
		continue
	fi
	live=$FM_TMP/$f.live.json
	off=$FM_TMP/$f.offline.json
	if ! fm_meter_start "$NS_B" "$VETH_B" ingress "$live" "${TIMEOUTS[@]}"; then
		tap_result 1 "$f: meter attaches"
		continue
	fi
	drop0=$(tx_dropped)
	timeout 120 ip netns exec "$NS_A" tcpreplay -q -i "$VETH_A" --pps=4000 "$PCAPS/$f" \
		>"$FM_TMP/replay.out" 2>&1 ||
		tap_diag "$f: tcpreplay failed: $(tail -3 "$FM_TMP/replay.out")"
	sleep 0.5
	fm_meter_stop || tap_diag "$f: live meter exited with an error: $(cat "$live.err")"
	[ "$(tx_dropped)" = "$drop0" ] || tap_diag "$f: the veth dropped packets"
	if ! timeout 120 "$FM_USER" -r "$PCAPS/$f" -j -o "$off" -q "${TIMEOUTS[@]}" \
		2>"$off.err"; then
		tap_result 1 "$f: live == offline"
		tap_diag "offline replay failed: $(head -c 300 "$off.err")"
		continue
	fi
	"$FM_PY" "$FM_TMP/fmtool.py" cmp "$live" "$off" >"$FM_TMP/cmp.out"
	tap_result $? "$f: live == offline (per direction packets and bytes)"
	cat "$FM_TMP/cmp.out"
done

tap_done
