#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_tcx.sh - our TC programs as tcx links (kernel 6.6+), asked of the
# kernel with bpf(2) by bpfquery.py and of iproute2, never of the meter:
#  - load (default: tcx here) attaches one link per hook, pinned beside the
#    table's folder, and no clsact qdisc; status says tcx with the kernel's
#    program ids; a second load replaces, never doubles; unload -D egress
#    and --all remove ours and their pins; --tc-mech clsact keeps the
#    netlink path;
#  - another party's two programs on the same hook keep running (they count
#    what the sender sent) and keep their order, ours before them;
#  - a self-contained run killed with SIGKILL mid-traffic leaves nothing
#    attached, and the next -I run attaches and meters what was sent.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PIN_DIR=/sys/fs/bpf/tc/globals
LINK_DIR=/sys/fs/bpf/tc/flowmon_links
OTHER=$FLOWMON_ROOT/.output/tests/tcx_other
PORT=7777

U() {	# tc_flowmon_user in namespace A's mount namespace (pins persist)
	fm_mnt "$NS_A" "$FM_USER" "$@" >"$FM_TMP/u.out" 2>"$FM_TMP/u.err"
}

# "prog link name" lines on a hook of VETH_A, from the kernel
tcx_list() {
	fm_in "$NS_A" "$FM_PY" "$FM_BPFQUERY" tcx "$VETH_A" "$1"
}

names() {	# program names on a hook, in run order
	tcx_list "$1" | awk '{ print $3 }' | paste -sd' ' -
}

ours() {	# ours on ingress/egress: "N/N"
	echo "$(fm_count_ours fm_in "$NS_A" "$VETH_A" ingress)/$(fm_count_ours fm_in "$NS_A" "$VETH_A" egress)"
}

# which of these link ids still exist in the kernel (other sessions' links are not ours to count)
links_alive() {
	"$FM_PY" "$FM_BPFQUERY" links | awk -v ids=" $* " 'index(ids, " " $1 " ")' | wc -l
}

# the ids of our links on both hooks of VETH_A
our_link_ids() {
	{ tcx_list ingress; tcx_list egress; } | awk '$3 ~ /^flowmon_/ { print $2 }' | paste -sd' ' -
}

send() {	# sport count: UDP datagrams of 100 bytes from B to A's port
	fm_in "$NS_B" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_A" --dport "$PORT" \
		--sport "$1" --count "$2" --size 100 --gap 0.001
}

received() {	# datagrams A's port has seen (nstat)
	fm_nstat "$NS_A" UdpInDatagrams
}

got_since() {	# r0 n: A's stack received n datagrams since r0 (re-read at each call)
	[ "$(($(received) - $1))" -ge "$2" ]
}

json() {
	"$FM_PY" -c "import json, sys; j = json.load(open(sys.argv[1])); print($1)" "$FM_TMP/u.out"
}

fm_init
fm_need_tools tshark
[ -x "$OTHER" ] && [ -f "$OTHER.bpf.o" ] ||
	tap_bail "precondition: $OTHER is built" "make build-tests"
fm_pair || tap_bail "two namespaces joined by a veth pair"
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"
fm_need "the kernel has tcx" fm_in "$NS_A" "$FM_PY" "$FM_BPFQUERY" tcx lo ingress
# datagrams to A's port are dropped by the stack after the hooks (no socket): nstat counts them
fm_bg_ready "$NS_A" "$FM_TMP/sink.ready" udp-sink --bind "$IP4_A" --port "$PORT" \
	--out "$FM_TMP/sink.json" || tap_bail "UDP sink listens"

# --- another party's programs first: other_a, then other_b ---
ip netns exec "$NS_A" "$OTHER" "$OTHER.bpf.o" "$VETH_A" ingress "$FM_TMP/other.ready" \
	"$FM_TMP/other.counts" 2>"$FM_TMP/other.err" &
OTHER_PID=$!
FM_PIDS+=("$OTHER_PID")
fm_need "another party's programs attach" fm_wait 10 test -e "$FM_TMP/other.ready"
tap_is "$(names ingress)" "other_a other_b" "before: the other party's programs, in their order"

# --- load: tcx links, pinned ---
U load -I "$VETH_A" -p fmtcx
tap_is $? 0 "load -I $VETH_A -p fmtcx" || tap_diag "$(cat "$FM_TMP/u.err")"
tap_is "$(ours)" 1/1 "load: one of ours per hook"
tap_is "$(names ingress)" "flowmon_ingress other_a other_b" \
	"load: ours first on ingress, the others after it in their order"
tap_is "$(fm_in "$NS_A" tc qdisc show dev "$VETH_A" | grep -c clsact)" 0 \
	"load: no clsact qdisc (tcx needs none)"
tap_is "$(fm_mnt "$NS_A" ls "$LINK_DIR" | paste -sd' ' -)" \
	"fmtcx_link_${VETH_A}_egress fmtcx_link_${VETH_A}_ingress" \
	"load: the links pinned in $LINK_DIR"
tap_is "$(fm_mnt "$NS_A" ls "$PIN_DIR" | paste -sd' ' -)" \
	"fmtcx fmtcx_counters fmtcx_events fmtcx_frags fmtcx_plugin_ctx fmtcx_plugin_on fmtcx_plugin_reg fmtcx_plugins fmtcx_plugins_xdp fmtcx_tick" \
	"load: the table's folder keeps only its maps"
LINKS1=$(tcx_list ingress | awk '$3 == "flowmon_ingress" { print $2 }')

U status -p fmtcx
tap_ok "status: $VETH_A ingress egress" grep -qx "  $VETH_A ingress egress" "$FM_TMP/u.out"
tap_ok "status: ingress through tcx, the kernel's program id" grep -qx \
	"    ingress: tcx, program $(tcx_list ingress | awk '$3 == "flowmon_ingress" { print $1 }')" \
	"$FM_TMP/u.out"
tap_ok "status: egress through tcx, the kernel's program id" grep -qx \
	"    egress: tcx, program $(tcx_list egress | awk '$3 == "flowmon_egress" { print $1 }')" \
	"$FM_TMP/u.out"
U status -p fmtcx -j
tap_is "$(json '[(a["ingress_mech"], a["egress_mech"]) for a in j["attached"]]')" \
	"[('tcx', 'tcx')]" "status -j: ingress_mech, egress_mech"

# --- traffic: the others keep running after ours ---
r0=$(received)
send 45001 30
fm_need "A's stack received the 30 datagrams" fm_wait 5 got_since "$r0" 30
U run -p fmtcx -i 0 -j -o -
read -r _ IP IB _ < <(fm_sum --proto 17 --src "$IP4_B" --dst "$IP4_A" --sport 45001 \
	--dport "$PORT" "$FM_TMP/u.out")
tap_is "$IP/$IB" "30/$((30 * 128))" "tcx ingress: the datagrams sent, packets/bytes"

# --- a second load replaces, never doubles ---
U load -I "$VETH_A" -p fmtcx
tap_is $? 0 "load again" || tap_diag "$(cat "$FM_TMP/u.err")"
tap_is "$(names ingress)" "flowmon_ingress other_a other_b" "load again: still one of ours, first"
tap_is "$(tcx_list ingress | awk '$3 == "flowmon_ingress" { print $2 }')" "$LINKS1" \
	"load again: the same link, its program replaced"

# --- unload ---
U unload -I "$VETH_A" -D egress -p fmtcx
tap_is "$(ours)" 1/0 "unload -D egress: ingress stays"
tap_is "$(fm_mnt "$NS_A" ls "$LINK_DIR" | paste -sd' ' -)" "fmtcx_link_${VETH_A}_ingress" \
	"unload -D egress: its pin goes"
U unload --all -p fmtcx
tap_is "$(ours)" 0/0 "unload --all: none of ours left"
tap_is "$(names ingress)" "other_a other_b" "unload: the others stay, in their order"
tap_ok "unload: the links folder is gone" fm_mnt "$NS_A" test ! -e "$LINK_DIR"
tap_is "$(fm_mnt "$NS_A" ls "$PIN_DIR" | paste -sd' ' -)" \
	"fmtcx fmtcx_counters fmtcx_events fmtcx_frags fmtcx_plugin_ctx fmtcx_plugin_on fmtcx_plugin_reg fmtcx_plugins fmtcx_plugins_xdp fmtcx_tick" "unload: the maps stay"
r0=$(received)
send 45002 20
fm_need "A's stack received the 20 datagrams" fm_wait 5 got_since "$r0" 20
fm_need "the other party's programs report" kill -TERM "$OTHER_PID"
fm_bg_wait "$OTHER_PID" 10
tap_is "$(cat "$FM_TMP/other.counts" 2>/dev/null)" "50 50" \
	"the other party's programs ran on every datagram sent, before and after ours"

# --- --tc-mech clsact: the netlink path ---
U load -I "$VETH_A" -p fmtcx --tc-mech clsact
tap_is "$(fm_in "$NS_A" tc filter show dev "$VETH_A" ingress | grep -c 'handle 0x464d')/$(fm_count_tcx fm_in "$NS_A" "$VETH_A" ingress)" \
	1/0 "--tc-mech clsact: our filter, no tcx link"
U status -p fmtcx
tap_ok "status: clsact" grep -qx "    ingress: clsact, program [0-9]*" "$FM_TMP/u.out"
U purge -p fmtcx
tap_is "$?/$(ours)" 0/0/0 "purge: nothing of ours left"
tap_ok "purge: the pins and the folders are gone" fm_mnt "$NS_A" test ! -e /sys/fs/bpf/tc

# --- SIGKILL a self-contained run mid-traffic ---
OUT=$FM_TMP/run1.json
fm_meter_start "$NS_A" "$VETH_A" both "$OUT" || tap_bail "-I run attaches"
ip netns exec "$NS_B" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_A" --dport "$PORT" \
	--sport 45003 --count 400 --size 100 --gap 0.005 &
SENDER=$!
FM_PIDS+=("$SENDER")
r0=$(received)
fm_need "traffic flows through the -I run" fm_wait 10 got_since "$r0" 50
held=$(our_link_ids)
tap_is "$(echo "$held" | wc -w)" 2 "the -I run holds a link on each hook"
kill -KILL "$FM_METER_PID"
wait "$FM_METER_PID" 2>/dev/null
tap_is "$(ours)" 0/0 "SIGKILL mid-traffic: nothing of ours left on $VETH_A"
tap_is "$(links_alive $held)" 0 "SIGKILL: the links it held are gone from the kernel"
fm_bg_wait "$SENDER" 10
OUT=$FM_TMP/run2.json
fm_meter_start "$NS_A" "$VETH_A" both "$OUT"
tap_is $? 0 "the next -I run attaches"
r0=$(received)
send 45004 25
fm_need "A's stack received the 25 datagrams" fm_wait 5 got_since "$r0" 25
fm_meter_stop
tap_is $? 0 "the next -I run exits 0 on SIGTERM"
read -r _ IP IB _ < <(fm_sum --proto 17 --src "$IP4_B" --dst "$IP4_A" --sport 45004 \
	--dport "$PORT" "$OUT")
tap_is "$IP/$IB" "25/$((25 * 128))" "the next -I run: the datagrams sent, packets/bytes"
tap_is "$(ours)" 0/0 "SIGTERM: nothing of ours left"

tap_done
