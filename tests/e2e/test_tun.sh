#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_tun.sh - an L3 device without MAC header: a tun device whose other end
# is a small python3 responder (echo replies, UDP reflected back). Packets
# to the peer leave through the tun egress hook; the replies come in at its
# ingress. Flows must be keyed and counted as on Ethernet.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

TUN=fmtun$FM_TAG
NS=$NS_A
LOCAL4=198.18.1.1
PEER4=198.18.1.2
LOCAL6=fd00:19::1
PEER6=fd00:19::2
PING_N=5
PING_SIZE=100
UDP_N=10
UDP_SIZE=200

# shellcheck disable=SC2034
flow() {		# sum-args...: of the records in $OUT
	fm_flow "$OUT" "$@"
}

fm_init
fm_need "/dev/net/tun exists" test -c /dev/net/tun
fm_netns_add "$NS" || tap_bail "namespace"
fm_in "$NS" ip tuntap add dev "$TUN" mode tun || tap_bail "tun device $TUN"
fm_bg_ready "$NS" "$FM_TMP/tun.ready" tun-echo --dev "$TUN" --out "$FM_TMP/tun.count" ||
	tap_bail "tun responder opens $TUN"
RESPONDER=$FM_BG_PID
fm_in "$NS" sh -c "
	ip addr add $LOCAL4/24 dev $TUN &&
	ip addr add $LOCAL6/64 dev $TUN nodad &&
	ip link set $TUN up" || tap_bail "tun addresses"
fm_need "$TUN is ARPHRD_NONE (no MAC header)" \
	test "$(fm_in "$NS" cat "/sys/class/net/$TUN/type")" = 65534

OUT=$FM_TMP/flows.json
fm_meter_start "$NS" "$TUN" both "$OUT" || tap_bail "meter attaches to $TUN"

# every request answered, every datagram reflected: preconditions of the
# counts (an answer has passed the ingress hook before ping sees it)
fm_need "ping through the tun: every request answered" \
	fm_in "$NS" ping -q -c "$PING_N" -i 0.2 -s "$PING_SIZE" -W 2 "$PEER4"
fm_need "ping -6 through the tun: every request answered" \
	fm_in "$NS" ping -6 -q -c "$PING_N" -i 0.2 -s "$PING_SIZE" -W 2 "$PEER6"
GOT=$(fm_in "$NS" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$PEER4" --dport 7000 \
	--sport 41000 --count "$UDP_N" --size "$UDP_SIZE" --replies)
fm_need "UDP through the tun: every datagram reflected ($GOT of $UDP_N)" test "$GOT" = "$UDP_N"

fm_meter_stop
tap_is $? 0 "meter exits 0 on SIGTERM"

flow --proto 1 --src "$LOCAL4" --dst "$PEER4" --sport 8 --dport 0
tap_is "$REC" 1 "ICMP echo: one record, the requester as source"
tap_is "$IP/$IB" "$PING_N/$((PING_N * (28 + PING_SIZE)))" "ICMP echo: requests, packets/bytes"
tap_is "$OP/$OB" "$PING_N/$((PING_N * (28 + PING_SIZE)))" "ICMP echo: replies, packets/bytes"
flow --proto 58 --src "$LOCAL6" --dst "$PEER6" --sport 128 --dport 0
tap_is "$REC" 1 "ICMPv6 echo: one record, the requester as source"
tap_is "$IP/$IB" "$PING_N/$((PING_N * (48 + PING_SIZE)))" "ICMPv6 echo: requests, packets/bytes"
tap_is "$OP/$OB" "$PING_N/$((PING_N * (48 + PING_SIZE)))" "ICMPv6 echo: replies, packets/bytes"
flow --proto 17 --src "$LOCAL4" --dst "$PEER4" --sport 41000 --dport 7000
tap_is "$REC/$REV" "1/0" "UDP: one record, the sender as source"
tap_is "$IP/$IB" "$UDP_N/$((UDP_N * (28 + UDP_SIZE)))" "UDP: forward packets/bytes"
tap_is "$OP/$OB" "$UDP_N/$((UDP_N * (28 + UDP_SIZE)))" "UDP: reverse packets/bytes"
tap_is "$(grep -c "\"INTERFACE_NAME\":\"$TUN\"" "$OUT")" "$(fm_tool count "$OUT")" \
	"every record names $TUN"

fm_bg_wait "$RESPONDER" 3
tap_diag "responder answered $(cat "$FM_TMP/tun.count" 2>/dev/null) packets"
tap_done
