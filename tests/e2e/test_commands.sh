#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_commands.sh - tc_flowmon_user's commands, in namespace A with its own
# bpffs (fm_mntns): --version and help everywhere; per-command options;
# load, run, status (text and JSON), unload (-I, -D, --all), run --daemon
# with --pid-file, stop, --check, and purge with a table of another name (-p);
# replay FILE against -r FILE. Expected values
# come from the kernel (tc filter show: our filters and their program ids),
# bpffs (ls) and what the test sent, never from the program's own output.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PORT=7100
PIN_DIR=/sys/fs/bpf/tc/globals

U() {		# tc_flowmon_user in namespace A; stdout in $FM_TMP/u.out, stderr in u.err
	fm_mnt "$NS_A" "$FM_USER" "$@" >"$FM_TMP/u.out" 2>"$FM_TMP/u.err"
}

U_rc() {	# expected-rc name args...
	local want=$1 name=$2 rc

	shift 2
	U "$@"
	rc=$?
	tap_is "$rc" "$want" "$name (exit $want)" ||
		tap_diag "$(cat "$FM_TMP/u.out" "$FM_TMP/u.err")"
}

ours() {	# our filters on a hook of namespace A
	fm_count_ours fm_mnt "$NS_A" "$1" "$2"
}

prog_id() {	# id of our filter's program on a hook, from tc
	fm_mnt "$NS_A" tc filter show dev "$1" "$2" | grep 'handle 0x464d' |
		sed -n 's/.* id \([0-9]*\) .*/\1/p' | head -1
}

pins() {	# the pinned maps, sorted, on one line
	fm_mnt "$NS_A" sh -c "ls $PIN_DIR 2>/dev/null" | sort | tr '\n' ' '
}

send() {	# sport count: UDP datagrams of 100 bytes from A to B
	fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$PORT" \
		--sport "$1" --count "$2" --size 100
}

json() {	# python expression on the JSON object in u.out (as j)
	"$FM_PY" -c "import json, sys; j = json.load(open(sys.argv[1])); print($1)" "$FM_TMP/u.out"
}

fm_init
fm_pair || tap_bail "two namespaces joined by a veth pair"
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"
fm_bg_ready "$NS_B" "$FM_TMP/sink.ready" udp-sink --bind "$IP4_B" --port "$PORT" \
	--out "$FM_TMP/sink.json" || tap_bail "UDP sink listens"

# --- --version and help: one version, the Makefile's ---
VERSION=$(sed -n 's/^VERSION *:= *//p' "$FLOWMON_ROOT/Makefile")
for args in --version "status --version" "load --version" version; do
	# shellcheck disable=SC2086
	U_rc 0 "$args" $args
	tap_ok "$args: tc_flowmon_user (bpfFlowMon) $VERSION" \
		grep -q "^tc_flowmon_user (bpfFlowMon) $VERSION, libbpf " "$FM_TMP/u.out"
done
U_rc 0 "load --help" load --help
tap_ok "load --help: load's options, generated" sh -c "grep -q -- '--iface' '$FM_TMP/u.out' &&
	grep -q -- '--max-flows' '$FM_TMP/u.out' && ! grep -q -- '--interval' '$FM_TMP/u.out'"
U_rc 0 "help status" help status
tap_ok "help status: status's usage" grep -q '^Usage: .* status ' "$FM_TMP/u.out"
U_rc 2 "an option another command takes" load -I "$VETH_A" --interval 5
tap_ok "...is named as not one of load's options" \
	grep -q "option '--interval' is not one of load's options" "$FM_TMP/u.err"
U_rc 2 "unload without -I or --all" unload
U_rc 2 "replay without a file" replay

# --- load -p: the table and its maps under the new name ---
# the clsact path, whose filters tc shows (test_tcx.sh has the tcx links)
U_rc 0 "load -I $VETH_A -p fmtest" load -I "$VETH_A" -p fmtest --tc-mech clsact
tap_is "$(pins)" "fmtest fmtest_counters fmtest_events fmtest_frags fmtest_plugin_ctx fmtest_plugin_on fmtest_plugin_reg fmtest_plugins fmtest_plugins_xdp fmtest_tick " \
	"load -p fmtest pins fmtest and its maps beside it, nothing else"
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/1 "load: our filter on both hooks"
send 44001 9
U_rc 0 "run -p fmtest -i 0 (print the table once)" run -p fmtest -i 0 -j -o -
read -r _ IP _ OP _ REV _ < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport 44001 \
	--dport "$PORT" "$FM_TMP/u.out")
tap_is "$IP/$OP/$REV" "9/0/0" "run -p fmtest: the packets sent"

# --- status: what the kernel says ---
U_rc 0 "status -p fmtest" status -p fmtest
tap_ok "status: $VETH_A ingress egress" grep -qx "  $VETH_A ingress egress" "$FM_TMP/u.out"
tap_ok "status: the table fmtest" grep -qE "^table $PIN_DIR/fmtest: [1-9][0-9]* of 65536 entries" \
	"$FM_TMP/u.out"
U_rc 0 "status -p fmtest -j" status -p fmtest -j
tap_is "$(json '[(a["ifname"], a["ingress"], a["egress"]) for a in j["attached"]]')" \
	"[('$VETH_A', True, True)]" "status -j: attached"
tap_is "$(json '"%d %d" % (j["attached"][0]["ingress_prog_id"], j["attached"][0]["egress_prog_id"])')" \
	"$(prog_id "$VETH_A" ingress) $(prog_id "$VETH_A" egress)" \
	"status -j: the program ids tc filter show gives"
tap_is "$(json 'j["table"]["loaded"], j["table"]["max_entries"], j["table"]["entries"] >= 1')" \
	"True 65536 True" "status -j: the table"
tap_is "$(json '"other_hook" in j["counters"]')" True "status -j: the kernel counters"
U_rc 0 "status of the default table" status -j
tap_is "$(json 'j["table"]["loaded"]')" False "status -j: flowmon_stats is not loaded"

# --- unload: -D egress, then --all; the empty clsact qdisc goes ---
U_rc 0 "unload -I $VETH_A -D egress" unload -I "$VETH_A" -D egress
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 1/0 "unload -D egress: ingress stays"
U_rc 0 "unload --all -p fmtest" unload --all -p fmtest
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "unload --all: no filter left"
tap_ok "unload --all: the empty clsact qdisc is gone" \
	sh -c "! ip netns exec '$NS_A' tc qdisc show dev '$VETH_A' | grep -q clsact"
tap_is "$(pins)" "fmtest fmtest_counters fmtest_events fmtest_frags fmtest_plugin_ctx fmtest_plugin_on fmtest_plugin_reg fmtest_plugins fmtest_plugins_xdp fmtest_tick " "unload: the maps stay"

# --- --features: a new table's entries follow the profile; a reader takes what it holds ---
U_rc 0 "load -p fmprof --features none" load -I "$VETH_A" -p fmprof --features none
tap_is "$(fm_mnt "$NS_A" bpftool map show pinned "$PIN_DIR/fmprof" | grep -o 'value [0-9]*B')" \
	"value 64B" "--features none: entries of 64 bytes (the hot part only)"
send 44009 5
U_rc 0 "run -p fmprof -i 0: a reader over those entries (its sweeper verified on them)" \
	run -p fmprof -i 0 -j -o -
read -r _ IP _ OP _ REV _ < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport 44009 \
	--dport "$PORT" "$FM_TMP/u.out")
tap_is "$IP/$OP/$REV" "5/0/0" "run -p fmprof: the packets sent"
U_rc 1 "load -p fmprof --features hist: its entries cannot hold them" \
	load -I "$VETH_A" -p fmprof --features hist
tap_ok "...one line naming the table and both profiles" sh -c "[ \$(wc -l <'$FM_TMP/u.err') -eq 1 ] &&
	grep -q 'table fmprof: its 64-byte entries hold none; --features hist needs a new table' \
	'$FM_TMP/u.err'"
U_rc 0 "purge -p fmprof" purge -p fmprof
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "purge -p fmprof: its filters gone"
tap_ok "purge -p fmprof: its table gone" fm_mnt "$NS_A" test ! -e "$PIN_DIR/fmprof"

# --- run --daemon --pid-file: the caller returns once the table is open ---
PIDF=/run/fmd.pid
pidf() {
	fm_mnt "$NS_A" cat "$PIDF" 2>/dev/null
}
# The daemon of $PIDF meters COUNT datagrams from SPORT, then stops; what its
# records in /var/log/FILE say of them in IP, OP and REV.
daemon_meters() {	# sport count file
	DPID=$(pidf)
	[ -n "$DPID" ] && FM_PIDS+=("$DPID")
	send "$1" "$2"
	sleep 1.5
	U_rc 0 "stop the daemon writing $3" stop --pid-file "$PIDF"
	read -r _ IP _ OP _ REV _ < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" \
		--sport "$1" --dport "$PORT" "$FM_TMP/root.$NS_A/log/$3")
}
U_rc 0 "load -p fmtest for the daemon" load -I "$VETH_A" -p fmtest
# from /var/log, with relative -d and -l: the daemon runs in / but writes where it was started;
# its caller's pipe is closed once it is ready, or cat would wait for timeout (124)
fm_mnt "$NS_A" sh -c 'cd /var/log && exec "$0" run --daemon --pid-file "$1" -p fmtest -i 1 \
	-j -d fmd -l fmd.log' "$FM_USER" "$PIDF" 2>&1 | timeout 10 cat >"$FM_TMP/d.out"
rcs="${PIPESTATUS[0]}/${PIPESTATUS[1]}"
tap_is "$rcs" 0/0 "run --daemon: exit 0 and the caller's pipe let go" || tap_diag "$(cat "$FM_TMP/d.out")"
DPID=$(pidf)
[ -n "$DPID" ] && FM_PIDS+=("$DPID")
tap_is "$(cat "/proc/${DPID:-0}/comm" 2>/dev/null)" tc_flowmon_user "the pid file names the running daemon"
# /proc/PID/stat: field 6 is the session; after "(comm)" it is the 4th
tap_is "$(sed 's/.*) //' "/proc/${DPID:-0}/stat" 2>/dev/null | awk '{ print $4 }')" "$DPID" \
	"the daemon leads a session of its own"
tap_is "$(readlink "/proc/${DPID:-0}/cwd")/$(readlink "/proc/${DPID:-0}/fd/0")" "///dev/null" \
	"the daemon runs in /, stdin from /dev/null"
U_rc 1 "a second run --daemon with that pid file is refused" run --daemon --pid-file "$PIDF" \
	-p fmtest -l /var/log/fmd2.log
tap_ok "...naming the pid file and the running pid" \
	grep -qx "failed to start daemon: pid file $PIDF names running pid $DPID" "$FM_TMP/u.err"
tap_is "$(pidf)" "$DPID" "the pid file still names the first daemon"
send 44002 6
sleep 1.5
kill -TERM "${DPID:-0}"
tap_ok "SIGTERM: the daemon exits" fm_wait 5 test ! -d "/proc/${DPID:-0}"
tap_ok "SIGTERM: the pid file is removed" fm_mnt "$NS_A" test ! -e "$PIDF"
read -r _ IP _ OP _ REV _ < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport 44002 \
	--dport "$PORT" "$FM_TMP/root.$NS_A/log/fmd")
tap_is "$IP/$OP/$REV" "6/0/0" "the daemon's dump under /var/log/fmd: the packets sent"
# a stale pid file (pid 1 is not a tc_flowmon_user) does not keep a daemon from starting
fm_mnt "$NS_A" sh -c "echo 1 >$PIDF"
U_rc 0 "run --daemon over a stale pid file" run --daemon --pid-file "$PIDF" -p fmtest \
	-l /var/log/fmd.log -d /var/log/fmd
DPID=$(pidf)
[ -n "$DPID" ] && [ "$DPID" != 1 ] && FM_PIDS+=("$DPID")
tap_is "$(cat "/proc/${DPID:-0}/comm" 2>/dev/null)" tc_flowmon_user "the stale pid file now names the new daemon"
U_rc 0 "stop --pid-file" stop --pid-file "$PIDF"
tap_ok "stop: the daemon is gone when stop returns" test ! -d "/proc/${DPID:-0}" -o "$(awk '{ print $3 }' "/proc/${DPID:-0}/stat" 2>/dev/null)" = Z
tap_ok "stop: its pid file is removed" fm_mnt "$NS_A" test ! -e "$PIDF"
U_rc 0 "stop with no daemon running" stop --pid-file "$PIDF"
fm_mnt "$NS_A" sh -c "echo 1 >$PIDF"
U_rc 0 "stop with a stale pid file" stop --pid-file "$PIDF"
tap_ok "stop: pid 1 is not signalled, the stale pid file is removed" fm_mnt "$NS_A" test ! -e "$PIDF"
# relative -o too: taken from where the daemon was started, not from / where it runs
fm_mnt "$NS_A" sh -c 'cd /var/log && exec "$0" run --daemon --pid-file "$1" -p fmtest -i 1 \
	-j -o fmd.jsonl -l fmd.log' "$FM_USER" "$PIDF" >"$FM_TMP/d.out" 2>&1
tap_is "$?" 0 "run --daemon -o fmd.jsonl from /var/log" || tap_diag "$(cat "$FM_TMP/d.out")"
daemon_meters 44003 4 fmd.jsonl
tap_is "$IP/$OP/$REV" "4/0/0" "-o fmd.jsonl: /var/log/fmd.jsonl has the packets sent"
tap_ok "...and nothing went to /fmd.jsonl" fm_mnt "$NS_A" test ! -e /fmd.jsonl
tap_ok "the daemon's log has its start and stop lines (-l fmd.log)" sh -c \
	"grep -q 'started:' '$FM_TMP/root.$NS_A/log/fmd.log' && grep -q 'stopped:' '$FM_TMP/root.$NS_A/log/fmd.log'"
# -q: errors only; the records are written all the same
U_rc 0 "run --daemon -q" run --daemon --pid-file "$PIDF" -p fmtest -i 1 -q -j \
	-o /var/log/fmq.jsonl -l /var/log/fmq.log
daemon_meters 44004 3 fmq.jsonl
tap_is "$IP/$OP/$REV" "3/0/0" "-q: the records are written (the packets sent)"
tap_ok "-q: no start or stop line in its log" sh -c \
	"test -e '$FM_TMP/root.$NS_A/log/fmq.log' &&
	 ! grep -q -e 'started:' -e 'stopped:' '$FM_TMP/root.$NS_A/log/fmq.log'"
# a pid file someone holds locked (a daemon starting: no pid in it yet) is neither taken nor removed
fm_mnt "$NS_A" sh -c ': >"$0"; exec flock "$0" sleep 30' "$PIDF" &
HOLDER=$!
FM_PIDS+=("$HOLDER")
held() { ! fm_mnt "$NS_A" flock -n "$PIDF" true; }
fm_wait 5 held || tap_bail "precondition: flock holds $PIDF"
U_rc 1 "run --daemon with a pid file held by another is refused" run --daemon \
	--pid-file "$PIDF" -p fmtest -l /var/log/fmd3.log
tap_ok "...saying a daemon holds it" grep -q "failed to lock pid file $PIDF: a daemon holds it" \
	"$FM_TMP/u.err"
U_rc 1 "stop --timeout 1: a daemon that holds the file but never gets ready" stop \
	--pid-file "$PIDF" --timeout 1
tap_ok "...the held pid file stays" fm_mnt "$NS_A" test -e "$PIDF"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
fm_mnt "$NS_A" rm -f "$PIDF"
# a daemon that ignores SIGTERM (sleep named tc_flowmon_user, SIG_IGN kept across exec)
mkdir -p "$FM_TMP/fake" && cp "$(command -v sleep)" "$FM_TMP/fake/tc_flowmon_user"
(trap '' TERM; exec "$FM_TMP/fake/tc_flowmon_user" 60) &
FAKE=$!
FM_PIDS+=("$FAKE")
echo "$FAKE" >"$FM_TMP/fake.pid"
U_rc 1 "stop: a daemon that ignores SIGTERM is killed after --timeout 1" \
	stop --pid-file "$FM_TMP/fake.pid" --timeout 1
wait "$FAKE"
tap_is "$?" 137 "...by SIGKILL"
tap_ok "...with an error that says so" \
	grep -q "failed to stop daemon (pid $FAKE): not gone after 1 s, killed" "$FM_TMP/u.err"
tap_ok "...and its pid file removed" test ! -e "$FM_TMP/fake.pid"
# a daemon that cannot open its table fails in its caller, with its error
U_rc 1 "run --daemon on a table that is not loaded fails" run --daemon --pid-file "$PIDF" \
	-p fmnosuch -l /var/log/fmd.log
tap_ok "...with the error on the caller's stderr" \
	grep -q "failed to open pinned map $PIN_DIR/fmnosuch: No such file or directory" "$FM_TMP/u.err"
tap_ok "...and no pid file" fm_mnt "$NS_A" test ! -e "$PIDF"
tap_is "$(pgrep -f -- '-p fmnosuch' | wc -l)" 0 "...and no daemon left"
U_rc 2 "run --daemon without -l is a usage error" run --daemon -p fmtest
U_rc 0 "--check: a valid command line" run --daemon -l /var/log/x.log -p fmtest --check
tap_ok "--check: nothing was written" fm_mnt "$NS_A" test ! -e /var/log/x.log
U_rc 2 "--check: an invalid value" load -I "$VETH_A" -D sideways --check
tap_ok "--check: the error names it" grep -q "invalid direction 'sideways'" "$FM_TMP/u.err"

# --- purge -p fmtest ---
U_rc 0 "load again, then purge -p fmtest" load -I "$VETH_A" -p fmtest
U_rc 0 "purge -p fmtest" purge -p fmtest
tap_is "$(ours "$VETH_A" ingress)/$(ours "$VETH_A" egress)" 0/0 "purge: no filter left"
tap_ok "purge: the pins and the pin folders are gone" fm_mnt "$NS_A" test ! -e /sys/fs/bpf/tc
U_rc 0 "status after purge" status -p fmtest
tap_ok "status: not loaded" grep -qx "table $PIN_DIR/fmtest: not loaded" "$FM_TMP/u.out"

# --- replay FILE is -r FILE ---
PCAP=$FLOWMON_ROOT/../shared/pcaps/arkime-v6.pcap
if [ -f "$PCAP" ]; then
	strip() { grep '^{' "$1" | sed 's/"FLOW_ID":[0-9]*,//' | sort; }
	U_rc 0 "replay FILE" replay "$PCAP" -j -o -
	strip "$FM_TMP/u.out" >"$FM_TMP/replay.a"
	U_rc 0 "-r FILE" -r "$PCAP" -j -o -
	strip "$FM_TMP/u.out" >"$FM_TMP/replay.b"
	tap_ok "replay FILE and -r FILE write the same records" \
		sh -c "[ -s '$FM_TMP/replay.a' ] && cmp -s '$FM_TMP/replay.a' '$FM_TMP/replay.b'"
else
	tap_skip "replay FILE and -r FILE" "no $PCAP"
fi

tap_done
