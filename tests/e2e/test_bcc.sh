#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_bcc.sh - the same BPF source built and run by BCC (issue 10):
# scripts/tc_flowmon.py compiles src/bpf in its BCC profile (FM_BCC), pins
# the table and attaches to TC ingress and egress of $VETH_A, in $NS_A and
# a private mount namespace with its own bpffs (fm_mntns). On the same
# traffic, at the same time, tc_flowmon_user -I meters the same interface
# with the libbpf object (tcx, or a clsact filter of its own: both see every
# packet, each returns "continue"). Then:
#  - "tc_flowmon_user -f PIN -i 0 -j -o -" reads the BCC meter's table:
#    N4 UDP datagrams of SIZE4 over IPv4 and N6 of SIZE6 over IPv6 show
#    exactly N packets and N * L3 bytes (what the sender sent, the sink
#    received), a TCP transfer shows the segments each end's TCP sent
#    (nstat), and -i 0 twice in a row gives the same (it deletes nothing);
#  - flows, packets and bytes equal those of the libbpf meter, flow by flow
#    (fmtool.py cmp: both directions of every flow);
#  - "tc_flowmon_user -f PIN -i 1 -o F" and SIGTERM: exit 0, every flow in F
#    with reason 4, the table empty after it;
#  - the BCC programs run on CPU 0 and CPU 1 at once on one flow
#    (tools/bcc_race.py, BPF_PROG_TEST_RUN): every packet counted, none in
#    race_lost (the owner lock spins without bpf_loop under BCC); built with
#    a spin of one try, each packet counted or in race_lost, and the retry
#    by tail call leaves fewer than 100 of 1.2M there;
#  - SIGTERM to tc_flowmon.py: exit 0, its filters and pins gone.
# If the kernel headers BCC needs cannot be prepared (no apt access), the
# test fails and says so. Nothing on the host: namespaces, bpffs and pins go
# at clean-up.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

N4=25
SIZE4=100
N6=7
SIZE6=300
TCP_BYTES=200000
NS=$NS_A
PIN=/sys/fs/bpf/flowmon_stats
FRONT=$FLOWMON_ROOT/scripts/tc_flowmon.py
PORT=$((20000 + RANDOM % 20000))
SPORT=$((40000 + RANDOM % 10000))
TPORT=$((PORT + 1))

# (the background commands below are nsenter itself, so that $! is the command's pid)
M() {		# a command in the netns and its private mount namespace
	fm_mnt "$NS" "$@"
}

# Flows printed once from the BCC meter's pinned table, in $FM_TMP/$1.json.
print_once() {		# name
	M "$FM_USER" -f "$PIN" -i 0 -j -o - >"$FM_TMP/$1.json" 2>"$FM_TMP/$1.err"
}

bcc_attached() {	# both hooks carry the front end's filters
	local h

	for h in ingress egress; do
		M tc filter show dev "$VETH_A" "$h" 2>/dev/null | grep -q 'fm_bcc_' || return 1
	done
}

fm_init
fm_need_tools tc ip nsenter unshare
fm_need "python3-bpfcc and python3-pyroute2 are installed (scripts/install-deps.sh)" \
	"$FM_PY" -c 'import bcc, pyroute2'
fm_need "kernel headers for BCC prepared under .output (scripts/bcc-headers.sh needs apt access)" \
	"$FLOWMON_ROOT/scripts/bcc-headers.sh"
# (not under fm_need: its subshell would not record them for the clean-up)
fm_pair || tap_bail "precondition: namespaces $NS_A and $NS_B joined by a veth pair"
fm_mntns "$NS" || tap_bail "precondition: a mount namespace with its own bpffs"

# the two meters, on the same interface and the same traffic
nsenter --net="/run/netns/$NS" --mount="$FM_TMP/mnt/$NS" -- "$FM_PY" "$FRONT" -I "$VETH_A" -p "$PIN" --ready "$FM_TMP/bcc.ready" \
	>"$FM_TMP/bcc.out" 2>&1 &
BCC_PID=$!
FM_PIDS+=("$BCC_PID")
if ! fm_wait 180 test -e "$FM_TMP/bcc.ready"; then
	tap_diag "$(grep -v 'warning\|^ *^\|^ *$\|In file' "$FM_TMP/bcc.out" | tail -n 8)"
	tap_bail "tc_flowmon.py compiles, loads and attaches"
fi
tap_ok "tc_flowmon.py attached to both hooks of $VETH_A" bcc_attached
tap_ok "the table and its siblings are pinned" \
	M test -e "$PIN" -a -e /sys/fs/bpf/flowmon_counters -a -e /sys/fs/bpf/flowmon_events \
	-a -e /sys/fs/bpf/flowmon_frags
fm_meter_start "$NS" "$VETH_A" both "$FM_TMP/libbpf.json" ||
	tap_bail "precondition: the libbpf meter attached to $VETH_A"

# traffic A -> B, counted by the far end as well
# (background helpers not under fm_need: its command substitution would wait for them)
fm_bg_ready "$NS_B" "$FM_TMP/u4.ready" udp-sink --bind "::" --port "$PORT" \
	--out "$FM_TMP/u.json" --expect $((N4 + N6)) || tap_bail "precondition: UDP sink in $NS_B"
U_PID=$FM_BG_PID
fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$PORT" \
	--sport "$SPORT" --count "$N4" --size "$SIZE4" --gap 0.002
fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP6_B" --dport "$PORT" \
	--sport "$SPORT" --count "$N6" --size "$SIZE6" --gap 0.002
fm_bg_wait "$U_PID" 10
GOT=$("$FM_PY" -c 'import json, sys; print(sum(json.load(open(sys.argv[1])).values()))' \
	"$FM_TMP/u.json")
fm_need "the sink got every datagram ($GOT of $((N4 + N6)))" test "$GOT" -eq $((N4 + N6))

fm_bg_ready "$NS_B" "$FM_TMP/t.ready" tcp-sink --bind "$IP4_B" --port "$TPORT" \
	--out "$FM_TMP/t.out" || tap_bail "precondition: TCP sink in $NS_B"
T_PID=$FM_BG_PID
a0=$(fm_tcp_segs "$NS_A")
b0=$(fm_tcp_segs "$NS_B")
fm_need "TCP transfer of $TCP_BYTES bytes" timeout 60 ip netns exec "$NS_A" "$FM_PY" \
	"$FM_TMP/fmtool.py" tcp-send --dst "$IP4_B" --port "$TPORT" --bytes "$TCP_BYTES"
fm_bg_wait "$T_PID" 10
fm_need "both ends closed" fm_wait 10 fm_tcp_closed "$NS_A" "$TPORT"
fm_need "both ends closed" fm_wait 10 fm_tcp_closed "$NS_B" "$TPORT"
SEGS_A=$(($(fm_tcp_segs "$NS_A") - a0))
SEGS_B=$(($(fm_tcp_segs "$NS_B") - b0))
fm_need "the TCP sink got every byte" test "$(cat "$FM_TMP/t.out")" -eq "$TCP_BYTES"

# the BCC meter's table, read by tc_flowmon_user
tap_ok "tc_flowmon_user -f reads the BCC meter's table" print_once bcc1
[ -s "$FM_TMP/bcc1.err" ] && tap_diag "$(head -n 3 "$FM_TMP/bcc1.err")"
fm_flow "$FM_TMP/bcc1.json" --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport "$SPORT" --dport "$PORT"
tap_is "$P_FWD $B_FWD" "$N4 $((N4 * (SIZE4 + 28)))" \
	"BCC: UDP/IPv4 $N4 packets, $((N4 * (SIZE4 + 28))) L3 bytes (what was sent)"
fm_flow "$FM_TMP/bcc1.json" --proto 17 --src "$IP6_A" --dst "$IP6_B" --sport "$SPORT" --dport "$PORT"
tap_is "$P_FWD $B_FWD" "$N6 $((N6 * (SIZE6 + 48)))" \
	"BCC: UDP/IPv6 $N6 packets, $((N6 * (SIZE6 + 48))) L3 bytes (what was sent)"
fm_flow "$FM_TMP/bcc1.json" --proto 6 --src "$IP4_A" --dst "$IP4_B" --dport "$TPORT"
tap_is "$P_FWD $P_REV" "$SEGS_A $SEGS_B" \
	"BCC: TCP segments both ways as each end's TCP sent them (nstat)"
tap_cmp "$B_FWD" -gt "$TCP_BYTES" "BCC: TCP bytes A->B above the payload"
print_once bcc2
"$FM_PY" "$FM_TMP/fmtool.py" cmp "$FM_TMP/bcc1.json" "$FM_TMP/bcc2.json" >/dev/null
tap_result $? "-i 0 deletes nothing: the same flows, packets and bytes again"

# the libbpf meter on the same traffic
fm_meter_stop
tap_is "$?" 0 "the libbpf meter exits 0 on SIGTERM"
CMP=$("$FM_PY" "$FM_TMP/fmtool.py" cmp "$FM_TMP/libbpf.json" "$FM_TMP/bcc1.json")
tap_result $? "BCC and libbpf: the same flows, packets and bytes, flow by flow" ||
	tap_diag "libbpf (live) against BCC (offline): ${CMP//# /}"
N_BCC=$("$FM_PY" "$FM_TMP/fmtool.py" count "$FM_TMP/bcc1.json")
tap_cmp "$N_BCC" -ge 3 "BCC: at least the three flows sent ($N_BCC records)"

# purge: the reader's own sweeper over the pinned table
nsenter --net="/run/netns/$NS" --mount="$FM_TMP/mnt/$NS" -- \
	"$FM_USER" -f "$PIN" -i 1 -j -o "$FM_TMP/purge.json" >"$FM_TMP/purge.log" 2>&1 &
R_PID=$!
FM_PIDS+=("$R_PID")
sleep 2
fm_meter_stop "$R_PID"
tap_is "$?" 0 "tc_flowmon_user -f -i 1 exits 0 on SIGTERM"
fm_flow "$FM_TMP/purge.json" --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport "$SPORT" --dport "$PORT"
tap_is "$REC $IP $IB $REASONS" "1 $N4 $((N4 * (SIZE4 + 28))) 4" \
	"purge: the UDP/IPv4 flow once, reason 4 (forced end)"
print_once after
tap_is "$("$FM_PY" "$FM_TMP/fmtool.py" count "$FM_TMP/after.json")" 0 \
	"the table is empty after the purge"

# the owner lock's bounded spin (no bpf_loop under BCC) under contention:
# one flow from CPU 0 and CPU 1 at once, exact as the libbpf object is
if taskset -c 0,1 true 2>/dev/null; then
	RACE=$(fm_in "$NS" "$FM_PY" "$FLOWMON_ROOT/tests/e2e/tools/bcc_race.py" "$FLOWMON_ROOT" \
		2>"$FM_TMP/race.err" | tail -n 1)
	tap_is "$RACE" "sent 1200000 counted 1200000 race_lost 0" \
		"one flow from two CPUs at once (BPF_PROG_TEST_RUN): every packet counted" ||
		tap_diag "$(grep -v 'warning\|^ *^\|^ *$\|In file' "$FM_TMP/race.err" | tail -n 5)"
	# a spin of one try gives up on hundreds to thousands of these packets
	# (864 and 2519 in two runs without the retry, idle; more under load):
	# the accounting program runs itself again (bcc_account) and loses a
	# few (10-12 idle, 46-205 with a test suite beside it), each in
	# race_lost; the two builds measured one after the other
	race() {	# extra args of bcc_race.py: "sent counted lost"
		fm_in "$NS" "$FM_PY" "$FLOWMON_ROOT/tests/e2e/tools/bcc_race.py" "$FLOWMON_ROOT" \
			200000 1 "$@" 2>/dev/null | tail -n 1 | awk '{ print $2, $4, $6 }'
	}
	read -r SENT N_COUNTED N_LOST < <(race noretry)
	read -r SENT COUNTED LOST < <(race)
	fm_need "without the retry a spin of one try loses packets ($N_LOST)" test "${N_LOST:-0}" -ge 50
	tap_is "$((COUNTED + LOST))/$((N_COUNTED + N_LOST))" "$SENT/$SENT" \
		"a spin of one try: every packet counted or in race_lost, with and without the retry"
	tap_cmp "$((${LOST:-99999} * 4))" -lt "${N_LOST:-0}" \
		"a spin of one try: the retry by tail call loses under a quarter of what it did ($LOST of $N_LOST)"
else
	tap_skip "one flow from two CPUs at once" "CPUs 0 and 1 are not both available"
	tap_skip "a spin of one try: counted or race_lost" "CPUs 0 and 1 are not both available"
	tap_skip "a spin of one try: the retry" "CPUs 0 and 1 are not both available"
fi

# the front end leaves nothing behind
kill -TERM "$BCC_PID"
fm_bg_wait "$BCC_PID" 15
tap_is "$?" 0 "tc_flowmon.py exits 0 on SIGTERM"
tap_ok "its filters are gone" sh -c "! nsenter --net=/run/netns/$NS tc filter show dev $VETH_A ingress | grep -q fm_bcc_"
tap_ok "its pins are gone" M sh -c "! ls /sys/fs/bpf/ | grep -q flowmon_"

tap_done
