#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_iproute2.sh - tc_flowmon_kern.o loaded by iproute2 alone, as the issue
# requires, read by tc_flowmon_user through the pins iproute2 made:
#   tc qdisc add dev lo clsact
#   tc filter add dev lo ingress bpf da obj ./tc_flowmon_kern.o sec tc/ingress
#   tc filter add dev lo egress bpf da obj ./tc_flowmon_kern.o sec tc/egress
# in a fresh network namespace and a private mount namespace with its own
# bpffs (fm_mntns), so iproute2 pins the maps at /sys/fs/bpf/tc/globals/ of
# that mount namespace only. Then:
#  - tc filter show lists both programs, the nine maps are pinned (no
#    plugin guard: plugins need a meter our loader loaded);
#  - N UDP datagrams to 127.0.0.1 (and to ::1): "tc_flowmon_user -f PIN -i 0
#    -j -o -" shows exactly N packets and N * L3 bytes per flow, counted once
#    although lo has both hooks (the other hook is in other_hook), twice in a
#    row (-i 0 does not delete);
#  - u32 match-all filters placed after ours (higher pref) on both hooks count
#    every packet in their action statistics (action mirred mirror to a veth
#    of the namespace, control pass: this kernel may lack act_gact and
#    CLS_U32_PERF): our program returns TC_ACT_UNSPEC, later filters run;
#  - "tc_flowmon_user -i 1 -j -o F", SIGTERM after a moment: exit 0, F has
#    each flow once with reason 4, the table is empty after it (-i 0 prints
#    nothing, --status 0 entries), filters and pins are still there and new
#    traffic is counted from zero;
#  - tc filter del / qdisc del remove everything.
# Nothing on the host: the namespaces, the bpffs and the pins go at clean-up.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

N=25
SIZE=100
N6=7
SIZE6=300
NS=$NS_A
PIN_DIR=/sys/fs/bpf/tc/globals
PIN=$PIN_DIR/flowmon_stats
PORT=$((20000 + RANDOM % 20000))
SPORT=$((40000 + RANDOM % 10000))
PORT6=$((PORT + 1))
SPORT6=$((SPORT + 1))
SPORT2=$((SPORT + 2))
MIR=fmmir$FM_TAG
MIR_PEER=fmmip$FM_TAG

M() {		# a command in the netns and its private mount namespace
	fm_mnt "$NS" "$@"
}

# Flows printed once by the userland from the pinned table, in $FM_TMP/$1.json.
print_once() {		# name
	M "$FM_USER" -f "$PIN" -i 0 -j -o - >"$FM_TMP/$1.json" 2>"$FM_TMP/$1.err"
}

send4() {		# sport count
	fm_in "$NS" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst 127.0.0.1 --dport "$PORT" \
		--sport "$1" --count "$2" --size "$SIZE" --gap 0.001
}

send6() {		# sport count
	fm_in "$NS" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst ::1 --dport "$PORT6" \
		--sport "$1" --count "$2" --size "$SIZE6" --gap 0.001
}

# Packets seen by the u32 filter of pref $2 on hook $1 (its action's statistics).
u32_pkts() {		# hook pref
	M tc -s filter show dev lo "$1" pref "$2" 2>/dev/null |
		awk '/Sent [0-9]+ bytes [0-9]+ pkt/ { for (i = 1; i < NF; i++) if ($(i + 1) == "pkt") n = $i }
			END { print n + 0 }'
}

# The pref of the filter on hook $1 whose line matches $2.
pref_of() {		# hook pattern
	M tc filter show dev lo "$1" 2>/dev/null |
		awk -v p="$2" '$0 ~ p { for (i = 1; i < NF; i++) if ($i == "pref") { print $(i + 1); exit } }'
}

counter() {		# name: a kernel counter from --status
	M "$FM_USER" --status -f "$PIN" 2>/dev/null | awk -v c="$1" '$1 == c { print $2 }'
}

table_entries() {
	M "$FM_USER" --status -f "$PIN" 2>/dev/null |
		sed -n 's/^table .*: \([0-9]*\) of [0-9]* entries$/\1/p'
}

fm_init
fm_netns_add "$NS" || tap_bail "fresh network namespace with lo up"
fm_mntns "$NS" || tap_bail "private mount namespace with its own bpffs"
fm_need "a bpffs at /sys/fs/bpf in the private mount namespace" \
	M sh -c 'stat -f -c %T /sys/fs/bpf | grep -qx bpf_fs'
fm_need "the private bpffs is not the host's" \
	test "$(M stat -c %d /sys/fs/bpf)" != "$(stat -c %d /sys/fs/bpf 2>/dev/null)"
fm_need "nothing pinned in the new bpffs yet" test -z "$(M sh -c "ls -A $PIN_DIR 2>/dev/null")"

# --- load with iproute2 only ---
M sh -c "cd '$FLOWMON_ROOT' && tc qdisc add dev lo clsact" >"$FM_TMP/tc.log" 2>&1
tap_is "$?" 0 "tc qdisc add dev lo clsact" || tap_diag "$(cat "$FM_TMP/tc.log")"
for hook in ingress egress; do
	M sh -c "cd '$FLOWMON_ROOT' &&
		tc filter add dev lo $hook bpf da obj ./tc_flowmon_kern.o sec tc/$hook" \
		>"$FM_TMP/tc.$hook.log" 2>&1
	tap_is "$?" 0 "tc filter add dev lo $hook bpf da obj ./tc_flowmon_kern.o sec tc/$hook" ||
		tap_bail "iproute2 loads tc/$hook" "$(tail -30 "$FM_TMP/tc.$hook.log")"
done
for hook in ingress egress; do
	M tc filter show dev lo "$hook" >"$FM_TMP/show.$hook" 2>&1
	tap_ok "tc filter show dev lo $hook: tc_flowmon_kern.o:[tc/$hook] direct-action, flowmon_$hook" \
		grep -qE "tc_flowmon_kern\.o:\[tc/$hook\] direct-action.* name flowmon_$hook " \
		"$FM_TMP/show.$hook" || tap_diag "$(cat "$FM_TMP/show.$hook")"
	tap_is "$(grep -c ' bpf .*handle' "$FM_TMP/show.$hook")" 1 "exactly one bpf filter on $hook"
done
tap_is "$(M sh -c "ls $PIN_DIR" | sort | tr '\n' ' ')" \
	"flowmon_counters flowmon_events flowmon_frags flowmon_plugin_ctx flowmon_plugin_reg flowmon_plugins flowmon_plugins_xdp flowmon_stats flowmon_tick " \
	"iproute2 pinned the nine maps at $PIN_DIR"
OUR_IN=$(pref_of ingress 'tc_flowmon_kern')
OUR_EG=$(pref_of egress 'tc_flowmon_kern')

# --- later filters on the same hooks: u32 match-all with a counting action ---
# The kernel here may lack act_gact ("action pass") and CLS_U32_PERF (the
# "rule hit" counter): the action is then mirred, mirroring to a veth of the
# namespace (its peer drops the copies), whose action statistics count the
# packets; its control "pass" ends the classification like "action pass".
LATER=$((${OUR_IN:-49152} + 100))
[ "$LATER" -le 65535 ] || LATER=65535
fm_need "a veth pair in the namespace for the mirror copies" \
	M sh -c "ip link add $MIR type veth peer name $MIR_PEER && ip link set $MIR up &&
		ip link set $MIR_PEER up"
for hook in ingress egress; do
	if M tc filter add dev lo "$hook" prio "$LATER" u32 match u32 0 0 action pass \
		>"$FM_TMP/u32.$hook.log" 2>&1; then
		M tc filter del dev lo "$hook" prio "$LATER"
		tap_diag "act_gact is available; the counting filter still uses mirred"
	fi
	fm_need "tc filter add dev lo $hook prio $LATER u32 match u32 0 0 action mirred ... pass" \
		M tc filter add dev lo "$hook" prio "$LATER" u32 match u32 0 0 \
		action mirred egress mirror dev "$MIR" pass
done
fm_need "our filters run first (pref $OUR_IN/$OUR_EG < $LATER)" \
	test "${OUR_IN:-99999}" -lt "$LATER" -a "${OUR_EG:-99999}" -lt "$LATER"
U_IN0=$(u32_pkts ingress "$LATER")
U_EG0=$(u32_pkts egress "$LATER")
OTHER0=$(counter other_hook)

# --- traffic: N datagrams to 127.0.0.1, N6 to ::1, to listening sinks ---
# each sink exits once it has every datagram: they have passed both hooks
fm_bg_ready "$NS" "$FM_TMP/s4.ready" udp-sink --bind 127.0.0.1 --port "$PORT" --expect "$N" \
	--out "$FM_TMP/s4.json" || tap_bail "precondition: UDP sink on 127.0.0.1 listens"
SINK4=$FM_BG_PID
fm_bg_ready "$NS" "$FM_TMP/s6.ready" udp-sink --bind ::1 --port "$PORT6" --expect "$N6" \
	--out "$FM_TMP/s6.json" || tap_bail "precondition: UDP sink on ::1 listens"
SINK6=$FM_BG_PID
send4 "$SPORT" "$N"
send6 "$SPORT6" "$N6"
fm_bg_wait "$SINK4" 10
fm_bg_wait "$SINK6" 10
fm_need "the receiver on 127.0.0.1 got all $N datagrams" grep -q "\": $N}" "$FM_TMP/s4.json"
fm_need "the receiver on ::1 got all $N6 datagrams" grep -q "\": $N6}" "$FM_TMP/s6.json"

# --- the userland reads the pinned table once, twice ---
print_once once1
tap_is "$?" 0 "tc_flowmon_user -f $PIN -i 0 -j -o - exits 0" || tap_diag "$(cat "$FM_TMP/once1.err")"
fm_flow "$FM_TMP/once1.json" --proto 17 --src 127.0.0.1 --dst 127.0.0.1 --sport "$SPORT" --dport "$PORT"
tap_is "$REC" 1 "-i 0: one record for the UDP flow to 127.0.0.1"
tap_is "$IP/$IB" "$N/$((N * (28 + SIZE)))" "-i 0: $N packets, $N x $((28 + SIZE)) bytes (counted once on lo)"
tap_is "$OP/$OB/$REV" 0/0/0 "-i 0: nothing in reverse"
tap_is "$REASONS" 0 "-i 0: an open flow (end reason 0)"
fm_flow "$FM_TMP/once1.json" --proto 17 --src ::1 --dst ::1 --sport "$SPORT6" --dport "$PORT6"
tap_is "$REC/$IP/$IB" "1/$N6/$((N6 * (48 + SIZE6)))" \
	"-i 0: UDP to ::1: $N6 packets, $N6 x $((48 + SIZE6)) bytes"
tap_is "$(fm_tool count "$FM_TMP/once1.json")" 2 "-i 0: the two flows and nothing else"
grep -v '^{' "$FM_TMP/once1.json" >"$FM_TMP/once1.other"
tap_is "$(wc -l <"$FM_TMP/once1.other")" 0 "-i 0 -o -: nothing but records on stdout" ||
	tap_diag "$(head -5 "$FM_TMP/once1.other")"
print_once once2
fm_flow "$FM_TMP/once2.json" --proto 17 --src 127.0.0.1 --dst 127.0.0.1 --sport "$SPORT" --dport "$PORT"
tap_is "$REC/$IP/$IB" "1/$N/$((N * (28 + SIZE)))" "-i 0 again: the same flow, not deleted by the first"
tap_is "$(table_entries)" 2 "--status: 2 entries in the table"
tap_is "$(($(counter other_hook) - OTHER0))" $((N + N6)) \
	"other_hook grew by $((N + N6)): the second hook of lo saw every packet again"

# --- the later filters saw every packet ---
U_IN=$(($(u32_pkts ingress "$LATER") - U_IN0))
U_EG=$(($(u32_pkts egress "$LATER") - U_EG0))
tap_diag "u32 counted $U_IN packets on ingress, $U_EG on egress; mirror peer received" \
	"$(M cat "/sys/class/net/$MIR_PEER/statistics/rx_packets" 2>/dev/null)"
tap_is "$U_IN" $((N + N6)) "u32 after our filter on ingress: hit count grew by $((N + N6))" ||
	tap_diag "$(M tc -s filter show dev lo ingress)"
tap_is "$U_EG" $((N + N6)) "u32 after our filter on egress: hit count grew by $((N + N6))" ||
	tap_diag "$(M tc -s filter show dev lo egress)"

# --- daemon-style run: SIGTERM writes the open flows (reason 4) and purges them ---
DOUT=$FM_TMP/daemon.json
# a simple command in the background, so that $! is tc_flowmon_user itself
# (nsenter without --pid execs it)
nsenter --net="/run/netns/$NS" --mount="$FM_TMP/mnt/$NS" -- \
	"$FM_USER" -i 1 -v -j -o "$DOUT" -l "$FM_TMP/daemon.log" 2>"$FM_TMP/daemon.err" &
DPID=$!
FM_PIDS+=("$DPID")
is_user() {
	[ "$(cat "/proc/$DPID/comm" 2>/dev/null)" = tc_flowmon_user ]
}
fm_need "the background pid is tc_flowmon_user" fm_wait 5 is_user
# two scans done (-v logs one "flows:" line per scan period)
scans() {
	[ "$(grep -c ' flows: ' "$FM_TMP/daemon.log" 2>/dev/null)" -ge "$1" ]
}
fm_wait 10 scans 2
tap_ok "tc_flowmon_user -i 1 runs (two scans logged)" scans 2 ||
	tap_diag "$(cat "$FM_TMP/daemon.err" "$FM_TMP/daemon.log" 2>/dev/null | tail -5)"
tap_ok "tc_flowmon_user -i 1 still runs" kill -0 "$DPID"
tap_is "$(fm_tool count "$DOUT" 2>/dev/null)" 0 "no record after two scans (flows open, not idle)"
fm_meter_stop "$DPID"
tap_is "$?" 0 "tc_flowmon_user -i 1 exits 0 on SIGTERM" ||
	tap_diag "$(cat "$FM_TMP/daemon.err" "$FM_TMP/daemon.log" 2>/dev/null)"
fm_flow "$DOUT" --proto 17 --src 127.0.0.1 --dst 127.0.0.1 --sport "$SPORT" --dport "$PORT"
tap_is "$REC/$IP/$IB/$OP" "1/$N/$((N * (28 + SIZE)))/0" "SIGTERM: the flow to 127.0.0.1 written once, $N packets"
tap_is "$REASONS" 4 "SIGTERM: end reason 4 (forced)"
fm_flow "$DOUT" --proto 17 --src ::1 --dst ::1 --sport "$SPORT6" --dport "$PORT6"
tap_is "$REC/$IP/$IB/$REASONS" "1/$N6/$((N6 * (48 + SIZE6)))/4" \
	"SIGTERM: the flow to ::1 written once, $N6 packets, reason 4"
print_once after
fm_flow "$FM_TMP/after.json" --proto 17 --src 127.0.0.1 --dst 127.0.0.1 --sport "$SPORT" --dport "$PORT"
tap_is "$REC/$REV" 0/0 "-i 0 after SIGTERM: the flow is gone from the table"
tap_is "$(fm_tool count "$FM_TMP/after.json")" 0 "-i 0 after SIGTERM: no flow at all"
tap_is "$(table_entries)" 0 "--status after SIGTERM: 0 entries"
tap_is "$(fm_count_ours fm_mnt "$NS" lo ingress)/$(M tc filter show dev lo ingress | grep -c 'tc_flowmon_kern')/$(M tc filter show dev lo egress | grep -c 'tc_flowmon_kern')" \
	"0/1/1" "the userland did not touch iproute2's filters (and added none of its own)"
tap_ok "the pinned table is still there" M test -e "$PIN"

# --- still counting, from zero ---
fm_bg_ready "$NS" "$FM_TMP/s4b.ready" udp-sink --bind 127.0.0.1 --port "$PORT" --expect 7 \
	--out "$FM_TMP/s4b.json" || tap_bail "precondition: UDP sink on 127.0.0.1 listens again"
SINK4=$FM_BG_PID
send4 "$SPORT2" 3
send4 "$SPORT" 4
fm_bg_wait "$SINK4" 10
fm_need "the receiver got the 7 datagrams" test -s "$FM_TMP/s4b.json"
print_once again
fm_flow "$FM_TMP/again.json" --proto 17 --src 127.0.0.1 --dst 127.0.0.1 --sport "$SPORT" --dport "$PORT"
tap_is "$REC/$IP/$IB" "1/4/$((4 * (28 + SIZE)))" "the same 5-tuple again: counted from zero (4 packets)"
fm_flow "$FM_TMP/again.json" --proto 17 --src 127.0.0.1 --dst 127.0.0.1 --sport "$SPORT2" --dport "$PORT"
tap_is "$REC/$IP/$IB" "1/3/$((3 * (28 + SIZE)))" "a new flow: 3 packets"

# --- teardown with iproute2 ---
fm_need "tc filter del of the u32 filters and of ours" \
	M sh -c "tc filter del dev lo ingress pref $LATER && tc filter del dev lo egress pref $LATER &&
		ip link del $MIR && tc filter del dev lo ingress && tc filter del dev lo egress"
tap_is "$(M tc filter show dev lo ingress)$(M tc filter show dev lo egress)" "" \
	"tc filter del dev lo ingress/egress: no filter left on lo"
fm_need "tc qdisc del dev lo clsact" M tc qdisc del dev lo clsact

tap_done
