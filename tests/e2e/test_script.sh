#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_script.sh - the life cycle of scripts/tc_flowmon.sh in namespace A:
# usage errors, --show-defaults, --version, unknown interfaces, load twice,
# start, status, stop and start again with the table kept, the log reopened
# on SIGHUP (logrotate), unload next to a foreign filter, clsact qdiscs,
# -s, -a, -m with a table of another name through every verb, and purge.
# No state file but the pid file (tc_flowmon_user run --daemon --pid-file
# writes it once the table is open). The script runs in a
# persistent mount namespace (fm_mntns: own bpffs, /run, /var/log and
# /etc/default), so its pins and files last from one command to the next.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PORT=7000
PIN=/sys/fs/bpf/tc/globals/flowmon_stats

S() {		# the script in namespace A; stdout+stderr in $FM_TMP/s.out
	fm_mnt "$NS_A" "$FM_SCRIPT" "$@" >"$FM_TMP/s.out" 2>&1
}

S_rc() {	# expected-rc name args...: one TAP line for the exit status
	local want=$1 name=$2 rc

	shift 2
	S "$@"
	rc=$?
	tap_is "$rc" "$want" "$name (exit $want)" || tap_diag "$(cat "$FM_TMP/s.out")"
}

out_has() {	# fixed string in the last output
	grep -qF -- "$1" "$FM_TMP/s.out"
}

ours() {	# our filters on a hook of namespace A
	fm_count_ours fm_mnt "$NS_A" "$1" "$2"
}

has_clsact() {
	fm_mnt "$NS_A" tc qdisc show dev "$1" | grep -q clsact
}

in_ns() {	# test -e etc. inside the mount namespace
	fm_mnt "$NS_A" "$@"
}

# what the script keeps in /run/bpfflowmon: the pid file and the lock only;
# TABLE.prom is the running daemon's self-metrics (status reads them), not a record of attachments
run_state() {
	in_ns sh -c 'ls /run/bpfflowmon 2>/dev/null | grep -v -e "^tc_flowmon_user\(-.*\)\?.pid$" -e "^lock$" -e "\.prom$"'
}

send() {	# sport count: UDP datagrams of 100 bytes from A to B
	fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$PORT" \
		--sport "$1" --count "$2" --size 100
}

daemon_pid() {
	in_ns cat /run/bpfflowmon/tc_flowmon_user.pid 2>/dev/null
}

fm_init
fm_pair || tap_bail "two namespaces joined by a veth pair"
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"
ROOT=$FM_TMP/root.$NS_A
DEFAULTS=$ROOT/default/bpfflowmon
# TC_MECH=clsact: the clsact ownership rules below are this file's (test_tcx.sh has tcx)
printf 'IFACE=%s\nINTERVAL=1\nTC_MECH=clsact\n' "$VETH_A" >"$DEFAULTS"
fm_bg_ready "$NS_B" "$FM_TMP/sink.ready" udp-sink --bind "$IP4_B" --port "$PORT" \
	--out "$FM_TMP/sink.json" || tap_bail "UDP sink listens"

# --- usage ---
S_rc 0 "-h prints the usage" -h
tap_ok "-h lists every command" grep -q 'start|load|stop|unload|purge|status' "$FM_TMP/s.out"
S_rc 2 "no command is a usage error"
S_rc 2 "an unknown option is a usage error" --bogus load
S_rc 2 "-d sideways is a usage error" -d sideways load
tap_ok "-d sideways: one line naming the value" sh -c \
	"[ \$(wc -l <'$FM_TMP/s.out') -eq 1 ] && grep -q \"invalid direction 'sideways'\" '$FM_TMP/s.out'"
S_rc 2 "-d sideways start is a usage error too (checked before load)" -d sideways start
S_rc 2 "--int 0 start is a usage error (a daemon scans every 1-86400 s)" --int 0 start
S_rc 2 "--tc-mech bogus is a usage error" --tc-mech bogus load
S_rc 2 "--xdp-mode bogus is a usage error, -d xdp or not" --xdp-mode bogus load
S_rc 2 "an unknown section is a usage error" -s tc/nope load
S_rc 2 "-s tc/egress with -d ingress is a usage error" -s tc/egress -d ingress load
S_rc 2 "--int abc is a usage error" --int abc load
S_rc 2 "-m with a slash is a usage error" -m a/b load
S_rc 2 "two commands are a usage error" load unload
S_rc 2 "an unknown command is a usage error" reload
S_rc 0 "--version" --version
tap_ok "--version: the script's name and the userland's version" \
	grep -qx "tc_flowmon.sh (bpfFlowMon) $("$FM_USER" --version | awk '{ print $3 }' | tr -d ,)" \
	"$FM_TMP/s.out"
# -u after --version still picks the userland that answers (a stand-in with its own version)
printf '#!/bin/sh\necho "tc_flowmon_user (bpfFlowMon) 9.8.7, stand-in"\n' >"$FM_TMP/fake_user"
chmod +x "$FM_TMP/fake_user"
S_rc 0 "--version -u PROG" --version -u "$FM_TMP/fake_user"
tap_ok "--version -u PROG: that userland's version" \
	grep -qx "tc_flowmon.sh (bpfFlowMon) 9.8.7" "$FM_TMP/s.out"

# --- defaults: script, then /etc/default/bpfflowmon, then the command line ---
S_rc 0 "--show-defaults" --show-defaults
tap_ok "--show-defaults: interval from the defaults file" grep -qE '^Dump interval: +1$' "$FM_TMP/s.out"
tap_ok "--show-defaults: interface from the defaults file" \
	grep -qE "^Monitoring interface: +$VETH_A\$" "$FM_TMP/s.out"
tap_ok "--show-defaults: the defaults file was read" grep -qE '^Defaults file: .*\(read\)' "$FM_TMP/s.out"
S_rc 0 "--show-defaults with options" --int 3 -d ingress -w /var/log/x -j --show-defaults
tap_ok "--show-defaults: the command line wins" sh -c "
	grep -qE '^Dump interval: +3\$' '$FM_TMP/s.out' &&
	grep -qE '^Direction: +ingress\$' '$FM_TMP/s.out' &&
	grep -qE '^Dump directory: +/var/log/x\$' '$FM_TMP/s.out' &&
	grep -qE '^Data format: +json\$' '$FM_TMP/s.out'"
S_rc 0 "--show-defaults -s tc/egress" -s tc/egress --show-defaults
tap_ok "-s tc/egress selects the egress hook" grep -qE '^Direction: +egress$' "$FM_TMP/s.out"
S_rc 0 "--show-defaults -a" -a --show-defaults
tap_ok "-a: every interface that is up, @ifN removed, lo included" \
	grep -qE "^Monitoring interface: +all \((lo,$VETH_A|$VETH_A,lo)\)\$" "$FM_TMP/s.out"

# --- bad paths and unknown interfaces: one error, nothing attached ---
S_rc 1 "-p to a missing object fails" -p /nonexistent/tc_flowmon_kern.o load
S_rc 1 "-u to a missing program fails" -u /nonexistent/tc_flowmon_user load
S_rc 1 "unknown interfaces fail" -i "$VETH_A,nosuch0,nosuch1" load
tap_ok "the error names every unknown interface" sh -c \
	"grep -q nosuch0 '$FM_TMP/s.out' && grep -q nosuch1 '$FM_TMP/s.out'"
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "nothing was attached"
tap_ok "nothing was pinned" in_ns test ! -e "$PIN"

# --- load twice: one filter per hook, packets counted once ---
S_rc 0 "load" load
S_rc 0 "load again" load
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/1 \
	"tc filter show: exactly one of our filters per hook"
tap_is "$(run_state)" "" "no state file of our own: the kernel says where we are attached"
tap_ok "the flow table is pinned" in_ns test -e "$PIN"
send 43001 30

# --- start, status, stop, traffic while stopped, start again ---
S_rc 1 "start with a dump folder that cannot be made fails" -w /proc/fmnope -j start
tap_ok "...with the daemon's own error" grep -q "/proc/fmnope" "$FM_TMP/s.out"
tap_ok "...and no pid file" in_ns test ! -e /run/bpfflowmon/tc_flowmon_user.pid
tap_is "$(pgrep -f -- '-d /proc/fmnope' | wc -l)" 0 "...and no daemon left"
S_rc 0 "start" -j start
PID1=$(daemon_pid)
tap_ok "the daemon runs (pid file $PID1)" test -n "$PID1" -a -d "/proc/$PID1"
tap_is "$(cat "/proc/$PID1/comm" 2>/dev/null)" tc_flowmon_user "the pid is tc_flowmon_user"
S_rc 0 "start again while running" -j start
tap_ok "start again: already running, same pid" sh -c \
	"grep -q 'already running' '$FM_TMP/s.out' && [ \"\$(cat /proc/$PID1/comm)\" = tc_flowmon_user ]"
send 43002 30
send 43003 20
S_rc 0 "status" status
tap_ok "status: the daemon and its pid" out_has "daemon: pid $PID1,"
tap_ok "status: our filter on both hooks" out_has "  $VETH_A ingress egress"
tap_ok "status: table occupancy" grep -qE '^table .*flowmon_stats: [1-9][0-9]* of 65536 entries' \
	"$FM_TMP/s.out"
tap_ok "status: kernel counters" grep -qE '^  other_hook [0-9]+' "$FM_TMP/s.out"
S_rc 0 "stop" stop
tap_ok "stop: the daemon exited" fm_wait 2 test ! -d "/proc/$PID1"
tap_ok "stop: pid file removed" in_ns test ! -e /run/bpfflowmon/tc_flowmon_user.pid
tap_ok "stop: the table stays" in_ns test -e "$PIN"
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/1 "stop: the filters stay"
S_rc 0 "status when stopped" status
tap_ok "status: no daemon" out_has "daemon: none reports for this table"
S_rc 0 "stop when stopped" stop

send 43003 20
send 43004 10
# DAEMONIZER= of a defaults file of an older version: ignored, the daemon forks itself
echo "DAEMONIZER=setsid" >>"$DEFAULTS"
S_rc 0 "start again (defaults file with DAEMONIZER), flows to -w /var/log/fm2" -j -w /var/log/fm2 start
PID2=$(daemon_pid)
tap_ok "the new daemon runs (pid $PID2)" test -n "$PID2" -a -d "/proc/$PID2" -a "$PID2" != "$PID1"
send 43003 20
sleep 1.2
S_rc 0 "stop the second daemon" stop
tap_ok "stop: the second daemon exited" fm_wait 2 test ! -d "/proc/$PID2"
tap_cmp "$(grep -c 'stopped:' "$ROOT/log/bpfflowmon.log" 2>/dev/null)" -eq 2 \
	"the log file has both runs"
tap_cmp "$(find "$ROOT/log/fm2" -name '*.txt' | wc -l)" -ge 1 "-w: dump file in the new folder"
for f in 43001:30 43002:30 43003:60 43004:10; do
	read -r _ IP _ OP _ REV _ < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" \
		--sport "${f%:*}" --dport "$PORT" "$ROOT/log/bpfflowmon" "$ROOT/log/fm2")
	tap_is "$IP/$OP/$REV" "${f#*:}/0/0" "flow ${f%:*}: packets over every dump file == sent"
done

# --- unload next to a foreign filter; clsact ownership ---
# (a u32 match-all filter: cls_matchall is not built into every kernel)
fm_mnt "$NS_A" tc filter add dev "$VETH_A" ingress prio 10 protocol all u32 match u32 0 0 ||
	tap_bail "foreign u32 filter"
S_rc 0 "unload" unload
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "unload: our filters are gone"
tap_ok "unload: the foreign filter stays" sh -c \
	"ip netns exec '$NS_A' tc filter show dev '$VETH_A' ingress | grep -q 'pref 10 u32'"
tap_ok "unload: the clsact qdisc stays (in use)" has_clsact "$VETH_A"
tap_is "$(run_state)" "" "unload: no state file"
tap_ok "unload: the table stays" in_ns test -e "$PIN"
fm_mnt "$NS_A" tc filter del dev "$VETH_A" ingress prio 10
S_rc 0 "load again" load
S_rc 0 "unload again" unload
has_clsact "$VETH_A"
tap_is $? 1 "unload: the clsact qdisc we created is removed once empty"
# The kernel keeps no owner of a qdisc: unload removes a clsact qdisc only
# when no filter at all is left on it, so another user's filters keep theirs.
fm_mnt "$NS_A" tc qdisc add dev lo clsact
fm_mnt "$NS_A" tc filter add dev lo egress prio 10 protocol all u32 match u32 0 0
S_rc 0 "load on lo (clsact made by someone else, with a filter)" -i lo load
S_rc 0 "unload lo" -i lo unload
tap_ok "unload: a clsact qdisc that still has another user's filter stays" has_clsact lo
tap_ok "unload: that filter stays" sh -c \
	"ip netns exec '$NS_A' tc filter show dev lo egress | grep -q 'pref 10 u32'"
fm_mnt "$NS_A" tc qdisc del dev lo clsact

# --- -s picks the hook ---
S_rc 0 "-s tc/ingress load" -s tc/ingress load
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/0 "-s tc/ingress: ingress only"
S_rc 0 "status after -s tc/ingress load" status
tap_ok "status: the kernel says ingress only" grep -qx "  $VETH_A ingress" "$FM_TMP/s.out"
S_rc 0 "unload" unload
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "unload: nothing left"

# --- -a, -m, purge ---
S_rc 0 "-a load" -a load
tap_is "$(ours lo ingress)/$(ours lo egress)/$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" \
	1/1/1/1 "-a: every interface that is up, lo included"
S_rc 0 "start" start
PID3=$(daemon_pid)
send 43005 5
S_rc 0 "purge" purge
tap_ok "purge: the daemon exited" fm_wait 2 test ! -d "/proc/${PID3:-0}"
tap_is "$(ours lo ingress)/$(ours lo egress)/$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" \
	0/0/0/0 "purge: every filter gone"
tap_ok "purge: the pinned maps are gone" in_ns test ! -e /sys/fs/bpf/tc
tap_ok "purge: the clsact qdiscs we created are gone" sh -c \
	"! ip netns exec '$NS_A' tc qdisc show | grep -q clsact"
tap_ok "purge: no pid file" in_ns test ! -e /run/bpfflowmon/tc_flowmon_user.pid
tap_is "$(run_state)" "" "purge: no state file"
S_rc 0 "purge again: nothing to do" purge

# --- -p OBJ, -u PROG and --int, given on the command line ---
cp "$FLOWMON_ROOT/tc_flowmon_kern.o" "$FM_TMP/copy_kern.o"
head -c 2000 "$FLOWMON_ROOT/tc_flowmon_kern.o" >"$FM_TMP/cut_kern.o"
cp "$FM_USER" "$FM_TMP/fm_user2"
S_rc 1 "-p to a cut copy of the object fails" -p "$FM_TMP/cut_kern.o" load
tap_ok "...naming it" grep -q "cut_kern.o" "$FM_TMP/s.out"
S_rc 0 "-p OBJ -u PROG --int 2 start" -p "$FM_TMP/copy_kern.o" -u "$FM_TMP/fm_user2" --int 2 start
PID7=$(daemon_pid)
tap_ok "-u PROG: the daemon is that program" \
	test "$(readlink "/proc/${PID7:-0}/exe")" = "$FM_TMP/fm_user2"
tap_ok "--int 2: the daemon scans every 2 s (-i 2)" sh -c \
	"tr '\\0' ' ' <'/proc/${PID7:-0}/cmdline' | grep -q -- ' -i 2 '"
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/1 "-p OBJ: that object's programs attached"
S_rc 0 "status through that program" -u "$FM_TMP/fm_user2" status
tap_ok "status: its daemon reports" out_has "daemon: pid $PID7,"
S_rc 0 "purge through that program" -u "$FM_TMP/fm_user2" purge
tap_ok "purge: the daemon exited" fm_wait 2 test ! -d "/proc/${PID7:-0}"

# --- -m NAME: another table, through load, start, status, stop and purge ---
OTHER=/sys/fs/bpf/tc/globals/fmother
S_rc 0 "-m fmother load" -m fmother load
tap_ok "-m fmother load: the table is pinned under that name" in_ns test -e "$OTHER"
tap_ok "-m fmother load: its counters next to it, not flowmon_counters" in_ns sh -c \
	"test -e ${OTHER}_counters && test ! -e /sys/fs/bpf/tc/globals/flowmon_counters"
tap_ok "-m fmother load: no flowmon_stats" in_ns test ! -e "$PIN"
S_rc 0 "-m fmother start" -m fmother -j -w /var/log/fm3 start
PID4=$(in_ns cat /run/bpfflowmon/tc_flowmon_user-fmother.pid 2>/dev/null)
tap_ok "-m fmother start: the daemon runs (pid file tc_flowmon_user-fmother.pid)" \
	test -n "$PID4" -a -d "/proc/${PID4:-0}"
send 43006 7
S_rc 0 "-m fmother status" -m fmother status
tap_ok "-m fmother status: the table of that name" \
	grep -qE "^table $OTHER: [1-9][0-9]* of 65536 entries" "$FM_TMP/s.out"
S_rc 0 "status of the default table meanwhile" status
tap_ok "the default table is not loaded" out_has "table $PIN: not loaded"
# SIGHUP reopens the -l log: what logrotate does (move, then HUP)
in_ns mv /var/log/bpfflowmon.log /var/log/bpfflowmon.log.1
kill -HUP "$PID4"
tap_ok "SIGHUP: the log file is opened again under its name" fm_wait 3 test -e "$ROOT/log/bpfflowmon.log"
S_rc 0 "-m fmother stop" -m fmother stop
tap_ok "-m fmother stop: the daemon exited" fm_wait 2 test ! -d "/proc/${PID4:-0}"
tap_ok "after the rotation the daemon's last lines went to the new log" \
	grep -q 'stopped:' "$ROOT/log/bpfflowmon.log"
tap_ok "the rotated log has its start line (what it reads, where records go)" \
	grep -q "started: .*table $OTHER .*records to /var/log/fm3" "$ROOT/log/bpfflowmon.log.1"
read -r _ IP _ OP _ REV _ < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" \
	--sport 43006 --dport "$PORT" "$ROOT/log/fm3")
tap_is "$IP/$OP/$REV" "7/0/0" "-m fmother: packets in its dump files == sent"

# --- two instances at once: each command of -m fmother touches its own only ---
S_rc 0 "unload of the default table, which is not loaded" unload
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/1 "...fmother's filters stay"
S_rc 0 "the default table on lo beside fmother on $VETH_A" -i lo start
PID5=$(daemon_pid)
tap_ok "the default table's daemon runs" test -n "$PID5" -a -d "/proc/${PID5:-0}"
S_rc 0 "-m fmother start again: a daemon of its own" -m fmother -j -w /var/log/fm3 start
PID6=$(in_ns cat /run/bpfflowmon/tc_flowmon_user-fmother.pid 2>/dev/null)
tap_ok "-m fmother start: its daemon runs beside the default one" \
	test -n "$PID6" -a -d "/proc/${PID6:-0}" -a "$PID6" != "$PID5"
S_rc 0 "-m fmother status" -m fmother status
tap_ok "-m fmother status: $VETH_A, where its programs are, not lo" sh -c \
	"grep -q '^  $VETH_A ' '$FM_TMP/s.out' && ! grep -q '^  lo ' '$FM_TMP/s.out'"
S_rc 0 "status of the default table" status
tap_ok "status: lo, not $VETH_A" sh -c \
	"grep -q '^  lo ' '$FM_TMP/s.out' && ! grep -q '^  $VETH_A ' '$FM_TMP/s.out'"
S_rc 0 "-m fmother stop" -m fmother stop
tap_ok "-m fmother stop: its daemon exited" fm_wait 2 test ! -d "/proc/${PID6:-0}"
tap_ok "-m fmother stop: the default table's daemon runs on" test -d "/proc/${PID5:-0}"
S_rc 0 "-m fmother purge" -m fmother purge
tap_ok "-m fmother purge: its maps are gone" in_ns test ! -e "$OTHER"
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "-m fmother purge: its filters gone"
tap_is "$(ours lo ingress)/$(ours lo egress)" 1/1 "-m fmother purge: the default table's filters stay"
tap_ok "-m fmother purge: the default table stays" in_ns test -e "$PIN"
tap_ok "-m fmother purge: the default table's daemon runs on" test -d "/proc/${PID5:-0}"
S_rc 0 "purge of the default table" purge
tap_ok "purge: its daemon exited" fm_wait 2 test ! -d "/proc/${PID5:-0}"
tap_is "$(ours lo ingress)/$(ours lo egress)" 0/0 "purge: the filters on lo gone"
tap_ok "purge: every map is gone" in_ns test ! -e /sys/fs/bpf/tc
# one interface, a table on each hook
S_rc 0 "the default table on $VETH_A ingress" -d ingress load
S_rc 0 "-m fmother on $VETH_A egress" -m fmother -d egress load
S_rc 0 "-m fmother status" -m fmother status
tap_ok "-m fmother status: $VETH_A egress, its hook, not ingress" \
	grep -qx "  $VETH_A egress" "$FM_TMP/s.out"
S_rc 0 "-m fmother unload" -m fmother unload
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/0 "-m fmother unload: its hook only"
S_rc 0 "-m fmother purge" -m fmother purge
S_rc 0 "purge" purge
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "both purged: no filter left"
tap_ok "both purged: no map left" in_ns test ! -e /sys/fs/bpf/tc

tap_done
