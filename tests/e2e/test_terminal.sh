#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_terminal.sh - what a person sees in a terminal, read from tmux
# (send-keys, capture-pane) on a tmux server of the test's own:
#   tc_flowmon_user -I <veth A> -o - on a terminal: the start line (where it
#   is attached, the table, where records go, how to stop), then one brief
#   line per flow with the packets and bytes the sender sent and the
#   receiver echoed; Ctrl-C stops it;
#   on a pinned table, with no daemon: status --flows lists the open flow
#   with the packets the sender sent (text and -j); top shows that flow, the
#   interface's totals and the kernel counters, sorts by bytes on "b" and
#   quits on "q".
. "$(dirname "$0")/lib.sh"

TMUX_SOCK=fm-$FM_TAG
cleanup() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
	fm_cleanup
}
trap cleanup EXIT

PORT=7300

fm_init
command -v tmux >/dev/null 2>&1 || tap_skip_all "missing tmux"
fm_pair || tap_bail "namespaces and veth pair"

T() { tmux -L "$TMUX_SOCK" "$@"; }
screen() { T capture-pane -p -t "$1" -J; }
# screen_has PANE REGEX: the screen shows a line matching REGEX (bounded wait)
screen_has() {
	local i

	for ((i = 0; i < 150; i++)); do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

# --- run on a terminal: start line, brief lines ---
T new-session -d -s run -x 132 -y 40 \
	"ip netns exec $NS_A $FM_USER -I $VETH_A -o - --idle-timeout 2; echo EXITED \$?; sleep 60" ||
	tap_bail "tmux session"
screen_has run '^started: ' || tap_bail "the start line" "$(screen run)"
tap_ok "start line: attached to $VETH_A (ingress, egress) for this run" \
	screen_has run "attached to $VETH_A \(ingress, egress\) for this run"
tap_ok "start line: the table and its capacity, brief records to stdout, Ctrl-C stops" \
	screen_has run "table of 65536 entries, brief records to stdout every 1 s; Ctrl-C stops"
tap_ok "a header names the columns" screen_has run '^END +PROTO +SOURCE +DESTINATION +>PKTS'
fm_bg_ready "$NS_B" "$FM_TMP/sink.ready" udp-sink --bind "$IP4_B" --port "$PORT" \
	--out "$FM_TMP/sink.json" --echo || tap_bail "UDP echo in $NS_B"
got=$(fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$PORT" \
	--sport 43000 --count 7 --size 100 --replies)
tap_is "$got" 7 "7 datagrams of 100 bytes echoed"
# 7 x (100 + 8 + 20) = 896 bytes each way, ended idle
line="^[0-9]{2}:[0-9]{2}:[0-9]{2} UDP +$IP4_A:43000 +$IP4_B:$PORT +7 +896 +7 +896 +[0-9.]+s +idle$"
tap_ok "one brief line: UDP, ports, 7 packets and 896 bytes each way, idle" screen_has run "$line" ||
	tap_diag "$(screen run)"
tap_cmp "$(screen run | grep -E "$line" | awk '{ print length($0) }')" -le 120 \
	"the line fits 120 columns"
T send-keys -t run C-c
tap_ok "Ctrl-C: stopped, exit 0" screen_has run '^EXITED 0$'
tap_ok "the stop line says how many records were written" screen_has run '^(\^C)?stopped: [0-9]+ records written' ||
	tap_diag "$(screen run)"
kill -TERM "$FM_BG_PID" 2>/dev/null
fm_bg_wait "$FM_BG_PID" 5

# --- a pinned table with no daemon: the flows stay open ---
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"
fm_mnt "$NS_A" "$FM_USER" load -q -I "$VETH_A" || tap_bail "load -I $VETH_A"
fm_bg_ready "$NS_B" "$FM_TMP/sink2.ready" udp-sink --bind "$IP4_B" --port "$((PORT + 1))" \
	--out "$FM_TMP/sink2.json" || tap_bail "UDP sink in $NS_B"
fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$((PORT + 1))" \
	--sport 43001 --count 40 --size 200
fm_mnt "$NS_A" "$FM_USER" status --flows >"$FM_TMP/status.txt" 2>&1
# 40 x (200 + 28) = 9120
tap_ok "status --flows: the open flow, 40 packets and 9120 bytes, reason open" grep -Eq \
	" UDP +$IP4_A:43001 +$IP4_B:$((PORT + 1)) +40 +9120 +0 +0 +[0-9.]+s +open$" "$FM_TMP/status.txt" ||
	tap_diag "$(cat "$FM_TMP/status.txt")"
fm_mnt "$NS_A" "$FM_USER" status -j --flows | "$FM_PY" -c '
import json, sys
for r in json.load(sys.stdin)["flows"]:
    if r.get("L4_SRC_PORT") == 43001:
        print(r["IN_PKTS"], r["IN_BYTES"], r["FLOW_END_REASON"])' >"$FM_TMP/status.json.out" 2>&1
tap_is "$(cat "$FM_TMP/status.json.out")" "40 9120 0" "status -j --flows: IN_PKTS 40, IN_BYTES 9120"

# --- top, while a flow is sending ---
T new-session -d -s top -x 132 -y 40 \
	"nsenter --net=/run/netns/$NS_A --mount=$FM_TMP/mnt/$NS_A -- $FM_USER top; echo EXITED \$?; sleep 60" ||
	tap_bail "tmux session for top"
fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$((PORT + 1))" \
	--sport 43002 --count 100 --size 1000 --gap 0.05 &
SENDER=$!
FM_PIDS+=("$SENDER")
tap_ok "top: its title names the table and the sort" \
	screen_has top '^bpfflowmon top: table /sys/fs/bpf/tc/globals/flowmon_stats, .* sorted by rate'
tap_ok "top: the flow being sent is on the screen" \
	screen_has top "^UDP +$IP4_A:43002 +$IP4_B:$((PORT + 1)) " || tap_diag "$(screen top)"
tap_ok "top: the totals of $VETH_A" screen_has top "^$VETH_A +[0-9]+ flows"
tap_ok "top: the kernel counters" screen_has top '^kernel: other_hook [0-9]+ non_ip [0-9]+'
fm_bg_wait "$SENDER" 20
# once the sender is done: its 100 datagrams of 1000 bytes (1028 each on the wire)
tap_ok "top: the flow's final count, 100 packets, 102.8K bytes" \
	screen_has top "^UDP +$IP4_A:43002 +$IP4_B:$((PORT + 1)) +100 +102800 " || tap_diag "$(screen top)"
T send-keys -t top b
tap_ok "top: b sorts by bytes" screen_has top 'sorted by bytes'
T send-keys -t top q
tap_ok "top: q quits, exit 0" screen_has top '^EXITED 0$'

kill -TERM "$FM_BG_PID" 2>/dev/null
fm_mnt "$NS_A" "$FM_USER" purge -q
tap_done
