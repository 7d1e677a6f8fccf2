#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_vlan.sh - live VLAN-tagged traffic: 802.1Q, QinQ (802.1ad + 802.1Q),
# and more tags than the parser walks, metered where the tags are in the
# frame (egress of A's veth: a packet socket sends them as they are) and
# where the kernel has taken the outer tag out of it (ingress of B's veth:
# the receive path moves it to the skb's metadata before TC).
#
# This kernel has no VLAN device: the frames are crafted with scapy
# (/usr/bin/python3, python3-scapy) and sent with sendp() on A's veth. What
# each meter must count comes from the frames scapy built (count, L3
# length, TCP flags), and from the documentation:
#  - the flow key has no VLAN: the same 5-tuple tagged with VLAN 100 and
#    untagged is one flow (README: keyed by <src, dst, proto, sport, dport>);
#  - up to 8 tags in the frame are walked; more is err_l2 (DESIGN.md,
#    Parsing). A frame sent with 9 tags has 9 in the frame at A's egress
#    (err_l2, no flow) and 8 at B's ingress (a flow): "tags stripped by the
#    driver are not in the frame at all".
#  - each record keeps the VLAN IDs and MAC addresses of its first packet,
#    the outer tag (vlan) wherever it is (frame or skb metadata), the next
#    one as vlan_inner: checked against the first frame scapy built for each
#    flow in JSON (both meters), in text (the frames written to a pcap and
#    replayed) and in IPFIX (both meters export to a collector on their
#    namespace's lo; tshark decodes vlanId 58, dot1qCustomerVlanId 245,
#    sourceMacAddress 56 and destinationMacAddress 80 from the capture).
# Synchronisation: scapy's sendp returns once A's egress hook has run; the
# frames and then an untagged marker datagram to a socket in B are sent
# from one CPU, so once the marker is received, B's ingress hook has seen
# every frame; the kernel counters are read from the meters' -v logs after
# two more scans.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

CPU=0
MARK_PORT=9
IPFIX_PORT=4739

fm_init
fm_need_tools taskset tshark tcpdump
fm_need "$FM_PY has scapy (python3-scapy)" "$FM_PY" -c 'import scapy.all'
fm_pair || tap_bail "two namespaces joined by a veth pair"

cat >"$FM_TMP/vlan.py" <<'PYEOF'
"""vlan.py IFACE MAC_A MAC_B IP4_A IP4_B IP6_A IP6_B OUT.json PCAP: send the
tagged frames, and write them to PCAP; write what was sent: per flow name,
packets, L3 bytes, TCP flags, and (key "l2") the first frame's outer and
inner VLAN IDs (0: none) and source and destination MAC addresses."""
import json, sys
from scapy.all import Ether, Dot1Q, Dot1AD, IP, IPv6, UDP, TCP, Raw, sendp, wrpcap, conf
conf.verb = 0
iface, mac_a, mac_b, a4, b4, a6, b6, out, pcap = sys.argv[1:10]
eth = lambda t=0x8100: Ether(src=mac_a, dst=mac_b, type=t)
v4 = IP(src=a4, dst=b4, ttl=64) / UDP(sport=41000, dport=5001) / Raw(b"v" * 100)
v6 = IPv6(src=a6, dst=b6, hlim=64) / UDP(sport=41001, dport=5002) / Raw(b"q" * 200)
syn = IP(src=a4, dst=b4) / TCP(sport=41002, dport=80, flags="S", seq=1000)
deep = IP(src=a4, dst=b4) / UDP(sport=41003, dport=5003) / Raw(b"d" * 20)
frames, sent, l2 = [], {}, {}
def add(name, frame, pkt, n):
    b = Ether(bytes(frame))             # what goes on the wire, parsed back
    tags, t = [], b.payload
    while isinstance(t, (Dot1Q, Dot1AD)):
        tags.append(t.vlan)
        t = t.payload
    l2.setdefault(name, [(tags + [0, 0])[0], (tags + [0, 0])[1], b.src, b.dst])
    ip = b[IP] if IP in b else b[IPv6]
    l3 = len(bytes(ip))
    flags = int(b[TCP].flags) if TCP in b else 0
    s = sent.setdefault(name, [0, 0, 0])
    for _ in range(n):
        frames.append(frame)
        s[0] += 1
        s[1] += l3
        s[2] |= flags
add("v4", eth() / Dot1Q(vlan=100) / v4, v4, 10)               # 802.1Q
add("v4", Ether(src=mac_a, dst=mac_b) / v4, v4, 5)            # the same flow untagged
add("v6", eth(0x88a8) / Dot1AD(vlan=10) / Dot1Q(vlan=20) / v6, v6, 7)  # QinQ
add("syn", eth() / Dot1Q(vlan=7) / syn, syn, 3)
f = eth()
for i in range(1, 9):
    f = f / Dot1Q(vlan=i)
add("deep", f / Dot1Q(vlan=9) / deep, deep, 1)                # 9 tags
sendp(frames, iface=iface)
wrpcap(pcap, frames)
sent["l2"] = l2
json.dump(sent, open(out, "w"))
PYEOF

# an IPFIX collector on each namespace's lo (a closed port would refuse the
# export), and a capture of what reaches it
for m in a b; do
	ns=$NS_A
	[ $m = a ] || ns=$NS_B
	fm_bg_ready "$ns" "$FM_TMP/ipfix-$m.ready" udp-sink --bind 127.0.0.1 --port "$IPFIX_PORT" \
		--out "$FM_TMP/ipfix-$m.count" || tap_bail "precondition: the collector in $ns listens"
	fm_capture "$ns" lo "$FM_TMP/ipfix-$m.pcap" udp port "$IPFIX_PORT" ||
		tap_bail "precondition: the export is captured on $ns's lo"
	eval "CAP_$m=\$FM_CAP_PID"
done
fm_meter_start "$NS_A" "$VETH_A" egress "$FM_TMP/a.json" -v --idle-timeout 120 \
	-x "127.0.0.1:$IPFIX_PORT" || tap_bail "meter attaches to $VETH_A egress"
METER_A=$FM_METER_PID
fm_meter_start "$NS_B" "$VETH_B" ingress "$FM_TMP/b.json" -v --idle-timeout 120 \
	-x "127.0.0.1:$IPFIX_PORT" || tap_bail "meter attaches to $VETH_B ingress"
METER_B=$FM_METER_PID
fm_bg_ready "$NS_B" "$FM_TMP/mark.ready" udp-sink --bind "$IP4_B" --port "$MARK_PORT" \
	--expect 1 --out "$FM_TMP/mark.json" || tap_bail "precondition: the marker sink listens"
SINK=$FM_BG_PID
fm_need "scapy sends the tagged frames" ip netns exec "$NS_A" taskset -c "$CPU" "$FM_PY" \
	"$FM_TMP/vlan.py" "$VETH_A" "$MAC_A" "$MAC_B" "$IP4_A" "$IP4_B" "$IP6_A" "$IP6_B" \
	"$FM_TMP/sent.json" "$FM_TMP/vlan.pcap"
fm_need "the marker is sent after them" ip netns exec "$NS_A" taskset -c "$CPU" "$FM_PY" \
	"$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$MARK_PORT" --sport "$MARK_PORT" \
	--count 1 --size 1
fm_bg_wait "$SINK" 10
fm_need "the marker was received (B's hook has seen every frame)" test -s "$FM_TMP/mark.json"
scans() {		# log n
	[ "$(grep -c ' kernel: ' "$1" 2>/dev/null)" -ge "$2" ]
}
for m in a b; do
	n=$(grep -c ' kernel: ' "$FM_TMP/$m.json.log" 2>/dev/null)
	fm_need "meter $m scans after the traffic" fm_wait 5 scans "$FM_TMP/$m.json.log" $((n + 2))
done
fm_meter_stop "$METER_A"
tap_is "$?" 0 "meter on A's egress exits 0 on SIGTERM"
fm_meter_stop "$METER_B"
tap_is "$?" 0 "meter on B's ingress exits 0 on SIGTERM"

sent() {		# name: "packets bytes flags"
	"$FM_PY" -c 'import json, sys; print(*json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$FM_TMP/sent.json" "$1"
}
got() {			# file proto src dst sport dport: "records packets bytes flags"
	local rec ip ib cf

	read -r rec ip ib _ _ _ _ cf _ < <(fm_sum --proto "$2" --src "$3" --dst "$4" --sport "$5" \
		--dport "$6" "$1")
	echo "$rec $ip $ib $((cf))"
}
counter() {		# log name
	grep ' kernel: ' "$1" | tail -1 | awk -v c="$2" '{ for (i = 1; i < NF; i++) if ($i == c) print $(i + 1) }'
}
for m in a b; do
	case $m in
	a) where="A's egress (tags in the frame)" ;;
	b) where="B's ingress (outer tag taken out)" ;;
	esac
	F=$FM_TMP/$m.json
	tap_is "$(got "$F" 17 "$IP4_A" "$IP4_B" 41000 5001)" "1 $(sent v4)" \
		"$where: 802.1Q VLAN 100 and untagged: one flow, the packets and bytes sent"
	tap_is "$(got "$F" 17 "$IP6_A" "$IP6_B" 41001 5002)" "1 $(sent v6)" \
		"$where: QinQ 802.1ad 10 + 802.1Q 20, IPv6: the packets and bytes sent"
	tap_is "$(got "$F" 6 "$IP4_A" "$IP4_B" 41002 80)" "1 $(sent syn)" \
		"$where: 802.1Q TCP SYN: packets, bytes and flags sent"
done
tap_is "$(got "$FM_TMP/a.json" 17 "$IP4_A" "$IP4_B" 41003 5003)" "0 0 0 0" \
	"A's egress: 9 tags in the frame: no flow"
tap_is "$(counter "$FM_TMP/a.json.log" err_l2)" 1 "A's egress: 9 tags in the frame: err_l2 1"
tap_is "$(got "$FM_TMP/b.json" 17 "$IP4_A" "$IP4_B" 41003 5003)" "1 $(sent deep)" \
	"B's ingress: 8 tags left in the frame: a flow"
tap_is "$(counter "$FM_TMP/b.json.log" err_l2)" 0 "B's ingress: err_l2 0"

# --- the first packet's VLAN IDs and MAC addresses, in every format ---
cat >"$FM_TMP/l2.py" <<'PYEOF'
"""l2.py FORMAT FILE SPORT: "outer inner smac dmac" of the forward direction
of the record (UDP or TCP) whose source port is SPORT: FORMAT json (the
meter's records), text (its text columns) or ipfix (a capture of the
export, decoded by tshark); "none" if there is no such record."""
import json, subprocess, sys
fmt, path, sport = sys.argv[1], sys.argv[2], int(sys.argv[3])
def show(rows):
    print(" ".join(str(v) for v in rows[0]) if len(rows) == 1 else
          "none" if not rows else "%d records" % len(rows))
if fmt == "json":
    recs = [json.loads(l) for l in open(path) if l.strip()]
    show([(r["SRC_VLAN"], r["SRC_INNER_VLAN"], r["IN_SRC_MAC"], r["IN_DST_MAC"])
          for r in recs if r["L4_SRC_PORT"] == sport])
elif fmt == "text":
    lines = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    col = {n: i for i, n in enumerate(lines[0])}
    show([(int(r[col["vlan_f"]]), int(r[col["vlan_inner_f"]]), r[col["smac_f"]], r[col["dmac_f"]])
          for r in lines[1:] if int(r[col["sport"]]) == sport])
else:
    out = subprocess.run(["tshark", "-o", "cflow.max_template_fields:64", "-r", path, "-d",
                          "udp.port==4739,cflow", "-T", "json"], capture_output=True, text=True).stdout
    rows = []
    def walk(o):
        if isinstance(o, dict):
            if o.get("cflow.srcport") == str(sport):
                rows.append((int(o.get("cflow.vlanid", -1)),
                             int(o.get("cflow.dot1q_customer_vlan_id", -1)),
                             o.get("cflow.srcmac", "-"), o.get("cflow.dstmac", "-")))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(json.loads(out or "[]"))
    show(rows)
PYEOF
want_l2() {		# flow name: "outer inner smac dmac" of its first frame as built
	"$FM_PY" -c 'import json, sys; print(*json.load(open(sys.argv[1]))["l2"][sys.argv[2]])' \
		"$FM_TMP/sent.json" "$1"
}
l2() {			# format file sport
	"$FM_PY" "$FM_TMP/l2.py" "$@" 2>&1 | tail -n 1
}
for m in a b; do
	fm_capture_stop "$(eval echo "\$CAP_$m")" "$FM_TMP/ipfix-$m.pcap" ||
		tap_diag "the capture of $m's export did not stop cleanly"
done
fm_need "tc_flowmon_user replays the frames as text" "$FM_USER" replay "$FM_TMP/vlan.pcap" \
	-o "$FM_TMP/vlan.txt"
FLOWS="v4:41000 v6:41001 syn:41002"
for m in a b; do
	case $m in
	a) where="A's egress (tags in the frame)" ;;
	b) where="B's ingress (outer tag in the skb)" ;;
	esac
	for f in $FLOWS; do
		tap_is "$(l2 json "$FM_TMP/$m.json" "${f#*:}")" "$(want_l2 "${f%%:*}")" \
			"$where: ${f%%:*}: JSON vlan, inner vlan, MACs of its first frame"
		tap_is "$(l2 ipfix "$FM_TMP/ipfix-$m.pcap" "${f#*:}")" "$(want_l2 "${f%%:*}")" \
			"$where: ${f%%:*}: IPFIX IEs 58, 245, 56, 80 (tshark) of its first frame"
	done
done
tap_is "$(l2 json "$FM_TMP/b.json" 41003)" "$(want_l2 deep)" \
	"B's ingress: 9 tags: vlan the one in the skb, inner vlan the first in the frame"
for f in $FLOWS; do
	tap_is "$(l2 text "$FM_TMP/vlan.txt" "${f#*:}")" "$(want_l2 "${f%%:*}")" \
		"replay, text: ${f%%:*}: vlan_f, vlan_inner_f, smac_f, dmac_f of its first frame"
done

tap_done
