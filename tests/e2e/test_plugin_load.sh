#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_plugin_load.sh - plugins loaded and unloaded on a running meter while a
# bounded flood passes: the meter (loaded and pinned in a private bpffs, its
# daemon running) counts every packet once, as a capture on the far end of
# the veth sees them. Meanwhile `plugin load`, `list` and `unload` run again
# and again (the DNS plugin parses the flood: it goes to port 53), and the
# daemon picks the plugins' fields up and drops them.
set -u
source "$(dirname "$0")/lib.sh"

fm_init
trap fm_cleanup EXIT
fm_need_tools tcpdump tshark
DNS=$FLOWMON_ROOT/plugins/dns.bpf.o
RTT=$FLOWMON_ROOT/plugins/rtt.bpf.o
[ -f "$DNS" ] && [ -f "$RTT" ] || tap_bail "the plugins are built" "run make"
N=20000		# datagrams in the flood
SPORT=40053
ROUNDS=40	# load/unload rounds at most (they stop when the flood has passed)

fm_pair || tap_bail "two namespaces joined by a veth pair"
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"
U() {
	fm_mnt "$NS_A" "$FM_USER" "$@"
}
fm_need "load the meter on $VETH_A (pinned in the private bpffs)" U load -I "$VETH_A" -l "$FM_TMP/load.log"
# not through a function: $! must be the daemon itself, not a subshell
nsenter --net="/run/netns/$NS_A" --mount="$FM_TMP/mnt/$NS_A" -- "$FM_USER" run -j \
	-o "$FM_TMP/records.json" -i 1 -v -l "$FM_TMP/run.log" &
DAEMON=$!
FM_PIDS+=("$DAEMON")
fm_need "the daemon scans" fm_wait 10 grep -q "flows: active" "$FM_TMP/run.log"

ip netns exec "$NS_B" tcpdump -i "$VETH_B" -w "$FM_TMP/far.pcap" -U -n --immediate-mode -B 65536 \
	udp port 53 >/dev/null 2>"$FM_TMP/far.err" &
CAP=$!
FM_PIDS+=("$CAP")
fm_need "a capture on the far end" fm_wait 10 grep -q "listening on" "$FM_TMP/far.err"

# the flood, in the background; plugins come and go while it runs
ip netns exec "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --src "$IP4_A" --sport "$SPORT" \
	--dst "$IP4_B" --dport 53 --count "$N" --size 60 --gap 0.0002 &
FLOOD=$!
FM_PIDS+=("$FLOOD")
loads=0 unloads=0 lists=0
for ((i = 0; i < ROUNDS; i++)); do
	kill -0 "$FLOOD" 2>/dev/null || break
	U plugin load "$DNS" -l "$FM_TMP/plugin.log" && loads=$((loads + 1))
	U plugin load "$RTT" -l "$FM_TMP/plugin.log" && loads=$((loads + 1))
	U plugin list >>"$FM_TMP/list.txt" 2>&1 && lists=$((lists + 1))
	U plugin unload dns -l "$FM_TMP/plugin.log" && unloads=$((unloads + 1))
	U plugin load "$DNS" -l "$FM_TMP/plugin.log" && loads=$((loads + 1))
	U plugin unload rtt -l "$FM_TMP/plugin.log" && unloads=$((unloads + 1))
	U plugin unload dns -l "$FM_TMP/plugin.log" && unloads=$((unloads + 1))
done
fm_bg_wait "$FLOOD" 60
tap_cmp "$loads" -ge 6 "plugins were loaded while the flood ran ($loads loads, $i rounds)"
tap_is "$unloads" "$((loads))" "every load was undone ($unloads unloads)"
tap_ok "plugin list showed both plugins loaded" grep -q "slot 1: rtt" "$FM_TMP/list.txt"
# the keys plugins/rtt.bpf.c declares with FM_JSON, in its order
tap_ok "plugin list shows the RTT plugin's fields" grep -qx \
	"  fields: TCP_RTT_SERVER_NS TCP_RTT_CLIENT_NS TCP_HANDSHAKE_SYNS" "$FM_TMP/list.txt"
tap_ok "the DNS plugin was called for the flood's packets" \
	grep -qE "^  packets [1-9][0-9]* parsed 0 unparsed [1-9]" "$FM_TMP/list.txt"
tap_is "$(U plugin list)" "no plugin loaded" "plugin list: none left"

# the daemon writes every record at SIGTERM; the capture says what passed the far end
fm_meter_stop "$DAEMON"
kill -INT "$CAP"
fm_bg_wait "$CAP" 10
fm_need "the capture lost nothing" grep -q "^0 packets dropped by kernel" "$FM_TMP/far.err"
read -r cap_pkts cap_bytes < <(tshark -r "$FM_TMP/far.pcap" -Y "udp.srcport == $SPORT" \
	-T fields -e ip.len 2>/dev/null | awk '{ n++; b += $1 } END { print n + 0, b + 0 }')
tap_is "$cap_pkts" "$N" "the far end's capture has every datagram of the flood"
read -r _ in_p in_b _ <<<"$(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport "$SPORT" \
	--dport 53 "$FM_TMP/records.json")"
tap_is "$in_p $in_b" "$cap_pkts $cap_bytes" \
	"the meter counted each datagram once, packets and bytes as captured"
tap_ok "the daemon saw the DNS plugin come" grep -q "plugin dns (slot" "$FM_TMP/run.log"
tap_done
