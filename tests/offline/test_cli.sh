#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_cli.sh - the command-line contract of tc_flowmon_user, run as a user would.
#
#  - -h/--help: usage on stdout, nothing on stderr, exit 0.
#  - every class of bad option (unknown, missing argument, bad number, out
#    of range, bad direction, bad collector, --attach without -I, -r with
#    --attach, ...): exit 2, nothing on stdout, ONE line on stderr naming
#    the offending thing. (No root needed for these.)
#  - -r of a missing file, of a folder: exit 1, one line naming it, no
#    records; of an empty pcap: exit 0, no records.
#  - -I with an interface that does not exist: exit 1, one line naming it,
#    nothing attached (the filters and qdiscs of lo unchanged).
#  - -f of a missing pinned map: exit 1, one line naming the path.
#  - a pinned map of the wrong shape: exit 1, one line naming the map and
#    both shapes.
#  - -i 0 on a real pinned table (--attach -I lo): prints the current flows
#    once, exits 0 and deletes nothing: twice the same packets, equal to
#    what was sent; then --detach.
#  - -d with a long nested path whose folders are missing: the dump file
#    DIR/YYYY-MM-DD/HHMMSS.txt with its header line; SIGHUP rotates (a
#    second file); SIGTERM writes the open flows with end reason 4 and
#    exits 0; -l FILE -v gets the log lines.
#
# Isolation: everything that loads or pins BPF runs in network namespaces
# made here: the pinned table in "unshare --mount --net" with its own
# sysfs, bpffs and /run (nothing pinned or marked on the host; the
# namespaces die with their only process), the self-contained -I runs in a
# throwaway "ip netns" namespace, deleted on exit. Traffic goes to
# 127.0.0.1 inside those namespaces only. Every wait is bounded; the trap
# kills what we started and removes the namespace and the temp folder.
# TAP on stdout.
set -u

ROOT=${FLOWMON_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=$ROOT/tc_flowmon_user
SHARED=${FLOWMON_SHARED:-$ROOT/../shared}
EMPTY_PCAP=$SHARED/pcaps/tcpdump-empty.pcap
PY=/usr/bin/python3
TAG=$(($$ % 100000))
NS=fm-cli-$TAG
NS_MADE=0
METER_PID=
TMP=$(mktemp -d /tmp/flowmon-cli.XXXXXX) || exit 2

cleanup() {
	if [ -n "$METER_PID" ] && kill -0 "$METER_PID" 2>/dev/null; then
		kill -TERM "$METER_PID" 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$METER_PID" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$METER_PID" 2>/dev/null
		wait "$METER_PID" 2>/dev/null
	fi
	if [ "$NS_MADE" = 1 ]; then
		for p in $(ip netns pids "$NS" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$NS" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { printf '%s\n' "$@" | head -n 20 | sed 's/^/# /'; }
# check NAME CMD...: ok when CMD succeeds
check() {
	local name=$1

	shift
	if "$@"; then ok "$name"; else notok "$name"; return 1; fi
}
lines() { if [ -s "$1" ]; then wc -l <"$1"; else echo 0; fi; }

# run OUT_PREFIX ARGS...: tc_flowmon_user ARGS, bounded; $OUT_PREFIX.{out,err,rc}
run() {
	local p=$1

	shift
	timeout 30 "$BIN" "$@" >"$p.out" 2>"$p.err" </dev/null
	echo $? >"$p.rc"
}

# wait_for SECONDS CMD...: poll every 0.1 s
wait_for() {
	local i

	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" && return 0
		sleep 0.1
	done
	"${@:2}"
}

if [ ! -x "$BIN" ]; then
	echo "1..0 # SKIP $BIN not built (make)"
	exit 0
fi

# ---------------------------------------------------------------------------
# Help and bad options (no root needed: the parser runs before anything opens)
# ---------------------------------------------------------------------------

for h in -h --help; do
	run "$TMP/help" $h
	rc=$(cat "$TMP/help.rc")
	if [ "$rc" = 0 ] && [ ! -s "$TMP/help.err" ] && grep -q '^Usage: ' "$TMP/help.out" &&
		grep -q -- '--read FILE' "$TMP/help.out" && grep -q -- '--iface' "$TMP/help.out"; then
		ok "$h: usage on stdout, exit 0"
	else
		notok "$h: usage on stdout, exit 0"
		diag "exit $rc" "$(head -3 "$TMP/help.out")" "$(cat "$TMP/help.err")"
	fi
done
# -h wins even after other valid options, and prints nothing else
run "$TMP/help2" -j -i 5 -h
check "-j -i 5 -h: usage, exit 0" \
	test "$(cat "$TMP/help2.rc")" = 0 -a ! -s "$TMP/help2.err" -a -s "$TMP/help2.out"

# bad "WHAT" TOKEN... -- ARGS...: exit 2, no stdout, one stderr line holding every TOKEN
bad() {
	local what=$1 toks=() t why=()

	shift
	while [ "$1" != -- ]; do toks+=("$1"); shift; done
	shift
	run "$TMP/bad" "$@"
	[ "$(cat "$TMP/bad.rc")" = 2 ] || why+=("exit $(cat "$TMP/bad.rc"), expected 2")
	[ -s "$TMP/bad.out" ] && why+=("stdout not empty: $(head -c 200 "$TMP/bad.out")")
	[ "$(lines "$TMP/bad.err")" = 1 ] || why+=("$(lines "$TMP/bad.err") lines on stderr, expected 1")
	for t in "${toks[@]}"; do
		grep -qF -- "$t" "$TMP/bad.err" || why+=("stderr does not name '$t'")
	done
	if [ ${#why[@]} -eq 0 ]; then
		ok "bad option, $what: exit 2, one line naming it"
	else
		notok "bad option, $what: exit 2, one line naming it"
		diag "args: $*" "${why[@]}" "stderr: $(cat "$TMP/bad.err")"
	fi
}

bad "unknown long option" "--bogus" -- --bogus
bad "unknown short option" "-Z" -- -Z
bad "unknown option after valid ones" "--no-such" -- -j -i 2 --no-such
bad "long option given a value it does not take" "--json" -- --json=yes
bad "missing argument (short)" "-i" -- -i
bad "missing argument (long)" "--interval" -- --interval
bad "missing argument of -r" "-r" -- -j -r
bad "bad number" "interval" "abc" -- -i abc
bad "number with trailing junk" "5x" -- -i 5x
bad "negative number" "-1" -- -i -1
bad "number with leading space" "interval" -- -i " 5"
bad "interval out of range" "86401" "86400" -- -i 86401
bad "idle timeout 0" "idle timeout" "'0'" -- --idle-timeout 0
bad "idle timeout beyond 32 bits" "4294967296" -- --idle-timeout 4294967296
bad "active timeout not a number" "active timeout" "1h" -- --active-timeout 1h
bad "max flows below its minimum" "max flows" "'10'" "1024" -- --max-flows 10
bad "max flows above its maximum" "67108865" -- --max-flows 67108865
bad "odid beyond 32 bits" "odid" "4294967296" -- --odid 4294967296
bad "bad direction" "direction" "sideways" -- -D sideways
bad "bad direction (long)" "Ingress" -- --direction Ingress
bad "collector with an empty port" "collector" "nohostport:" -- -x nohostport:
bad "collector port 0" "host:0" -- -x host:0
bad "collector port out of range" "host:70000" -- -x host:70000
bad "collector port not a number" "host:http" -- -x host:http
bad "collector with a bad IPv6 literal" "[::1:4739" -- -x "[::1:4739"
bad "collector bad among good ones" "bad_host^:1" -- -x 192.0.2.1:4739 -x "bad_host^:1"
bad "too many collectors" "collectors" -- -x h:1 -x h:2 -x h:3 -x h:4 -x h:5 -x h:6 \
	-x h:7 -x h:8 -x h:9
bad "--attach without -I" "--attach" "-I" -- --attach
bad "--detach without -I" "--detach" "-I" -- --detach
bad "-r with --attach" "-r" "--attach" -- -r x.pcap --attach -I lo
bad "--attach with --detach" "--attach" "--detach" -- --attach --detach -I lo
bad "empty interface name in a list" "lo,,eth0" -- -I lo,,eth0
bad "interface name too long" "abcdefghijklmnopq" -- -I abcdefghijklmnopq
bad "pin name with a slash" "a/b" -- -p a/b
bad "empty map path" "map path" -- -f ""
bad "empty output file" "output file" -- -o ""
bad "unexpected argument" "stray" -- -j stray

# ---------------------------------------------------------------------------
# Root from here: offline mode, interfaces, pinned maps, signals
# ---------------------------------------------------------------------------

if [ "$(id -u)" -ne 0 ]; then
	skip "runtime checks" "need root (BPF)"
	echo "1..$n"
	[ $fails -eq 0 ]
	exit
fi

# -r, run from an empty folder: nothing but what is asked for may appear there
mkdir -p "$TMP/cwd"
run_here() { (cd "$TMP/cwd" && run "$@"); }

run_here "$TMP/rmiss" -r "$TMP/no-such.pcap" -j -o -
rc=$(cat "$TMP/rmiss.rc")
if [ "$rc" = 1 ] && [ "$(lines "$TMP/rmiss.err")" = 1 ] &&
	grep -qF "$TMP/no-such.pcap" "$TMP/rmiss.err" && ! grep -q '^{' "$TMP/rmiss.out"; then
	ok "-r missing file: exit 1, one line naming it, no records"
else
	notok "-r missing file: exit 1, one line naming it, no records"
	diag "exit $rc" "stderr: $(cat "$TMP/rmiss.err")"
fi
# the same without -o: the run failed, so no dump folder should be left behind
run_here "$TMP/rmiss2" -r "$TMP/no-such.pcap"
left=$(cd "$TMP/cwd" && find . -mindepth 1 | sort | tr '\n' ' ')
if [ "$(cat "$TMP/rmiss2.rc")" = 1 ] && [ -z "$left" ]; then
	ok "-r missing file without -o: exit 1, no dump file created"
else
	notok "-r missing file without -o: exit 1, no dump file created"
	diag "exit $(cat "$TMP/rmiss2.rc"), left in the dump folder: $left"
fi
rm -rf "${TMP:?}/cwd" && mkdir -p "$TMP/cwd"

mkdir -p "$TMP/adir.pcap"
run_here "$TMP/rdir" -r "$TMP/adir.pcap" -j -o -
rc=$(cat "$TMP/rdir.rc")
if [ "$rc" = 1 ] && [ "$(lines "$TMP/rdir.err")" = 1 ] &&
	grep -qF "$TMP/adir.pcap" "$TMP/rdir.err" && ! grep -q '^{' "$TMP/rdir.out"; then
	ok "-r of a folder: exit 1, one line naming it, no records"
else
	notok "-r of a folder: exit 1, one line naming it, no records"
	diag "exit $rc" "stderr: $(cat "$TMP/rdir.err")"
fi

if [ -f "$EMPTY_PCAP" ]; then
	run_here "$TMP/rempty" -r "$EMPTY_PCAP" -j -o -
	rc=$(cat "$TMP/rempty.rc")
	if [ "$rc" = 0 ] && [ ! -s "$TMP/rempty.err" ] && ! grep -q '^{' "$TMP/rempty.out"; then
		ok "-r empty pcap, JSON on stdout: exit 0, no records"
	else
		notok "-r empty pcap, JSON on stdout: exit 0, no records"
		diag "exit $rc" "stdout: $(head -c 300 "$TMP/rempty.out")" "stderr: $(cat "$TMP/rempty.err")"
	fi
	run_here "$TMP/rempty2" -r "$EMPTY_PCAP" -o "$TMP/empty.txt"
	rc=$(cat "$TMP/rempty2.rc")
	if [ "$rc" = 0 ] && [ "$(lines "$TMP/empty.txt")" = 1 ] &&
		head -1 "$TMP/empty.txt" | grep -q $'^src_addr\tdst_addr\tproto\tsport\tdport\t'; then
		ok "-r empty pcap, text file: exit 0, header line only"
	else
		notok "-r empty pcap, text file: exit 0, header line only"
		diag "exit $rc, $(lines "$TMP/empty.txt") lines" "stderr: $(cat "$TMP/rempty2.err")"
	fi
else
	skip "-r empty pcap" "no $EMPTY_PCAP"
	skip "-r empty pcap, text file" "no $EMPTY_PCAP"
fi

# -f of a missing pinned map (a read-only lookup: nothing is created)
MISSING_MAP=/sys/fs/bpf/flowmon-cli-test-$TAG/flowmon_stats
run_here "$TMP/fmiss" -f "$MISSING_MAP" -i 0 -j -o -
rc=$(cat "$TMP/fmiss.rc")
if [ "$rc" = 1 ] && [ "$(lines "$TMP/fmiss.err")" = 1 ] &&
	grep -qF "$MISSING_MAP" "$TMP/fmiss.err" && ! grep -q '^{' "$TMP/fmiss.out"; then
	ok "-f missing pinned map: exit 1, one line naming the path"
else
	notok "-f missing pinned map: exit 1, one line naming the path"
	diag "exit $rc" "stderr: $(cat "$TMP/fmiss.err")"
fi
check "-f missing pinned map: nothing created" test ! -e "${MISSING_MAP%/*}"

# ---------------------------------------------------------------------------
# Pinned maps in a private mount + network namespace
# ---------------------------------------------------------------------------

if ! command -v unshare >/dev/null || ! command -v bpftool >/dev/null; then
	skip "pinned map tests" "unshare or bpftool missing"
else
	# A map of the wrong shape, pinned in a bpffs of our own.
	cat >"$TMP/wrong.sh" <<'EOF'
set -u
out=$1 bin=$2
mount -t sysfs sysfs /sys && mount -t bpf bpf /sys/fs/bpf || exit 10
bpftool map create /sys/fs/bpf/wrong type hash key 4 value 8 entries 16 name wrong || exit 11
for mode in "-i 0" "-i 1" "--status"; do
	f=$out/wrong.$(echo $mode | tr -dc a-z0-9)
	timeout 20 "$bin" -f /sys/fs/bpf/wrong $mode -j -o - >"$f.out" 2>"$f.err" </dev/null
	echo $? >"$f.rc"
done
# dated dump files (no -o): a run that cannot use its table should leave none
timeout 20 "$bin" -f /sys/fs/bpf/wrong -d "$out/wd" >"$out/wrong.d.out" 2>"$out/wrong.d.err" </dev/null
echo $? >"$out/wrong.d.rc"
EOF
	mkdir -p "$TMP/w"
	(cd "$TMP/cwd" && timeout 60 unshare --mount --net --propagation private \
		bash "$TMP/wrong.sh" "$TMP/w" "$BIN" >"$TMP/w/setup.log" 2>&1)
	src=$?
	if [ $src -ne 0 ]; then
		notok "wrong-shape map: setup in a private mount namespace"
		diag "status $src: $(cat "$TMP/w/setup.log")"
	else
		for m in i0 i1 status; do
			f=$TMP/w/wrong.$m
			why=()
			[ "$(cat "$f.rc")" = 1 ] || why+=("exit $(cat "$f.rc"), expected 1")
			[ "$(lines "$f.err")" = 1 ] || why+=("$(lines "$f.err") lines on stderr")
			for t in "key 4" "value 8" "key 40" "value 64-208"; do
				grep -qF "$t" "$f.err" || why+=("no '$t' in the message")
			done
			if [ ${#why[@]} -eq 0 ]; then
				ok "wrong-shape map ($m): exit 1, one line with both shapes"
			else
				notok "wrong-shape map ($m): exit 1, one line with both shapes"
				diag "${why[@]}" "stderr: $(cat "$f.err")"
			fi
		done
		left=$(find "$TMP/w/wd" -type f 2>/dev/null | tr '\n' ' ')
		if [ "$(cat "$TMP/w/wrong.d.rc")" = 1 ] && [ -z "$left" ]; then
			ok "wrong-shape map with -d DIR: exit 1, no dump file created"
		else
			notok "wrong-shape map with -d DIR: exit 1, no dump file created"
			diag "exit $(cat "$TMP/w/wrong.d.rc"), left: $left"
		fi
		f=$TMP/w/wrong.i0
		if grep -qF "/sys/fs/bpf/wrong" "$f.err"; then
			ok "wrong-shape map: the message names the map given with -f"
		else
			notok "wrong-shape map: the message names the map given with -f"
			diag "expected the path /sys/fs/bpf/wrong in: $(cat "$f.err")"
		fi
	fi

	# -i 0 on a real pinned table: --attach -I lo, traffic, two prints, --detach.
	cat >"$TMP/send.py" <<'EOF'
import socket, sys
n, size, sport, dport = map(int, sys.argv[1:5])
r = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r.bind(("127.0.0.1", dport))
r.settimeout(5)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", sport))
for i in range(n):
    s.sendto(b"x" * size, ("127.0.0.1", dport))
got = 0
for i in range(n):
    r.recv(65536)
    got += 1
print(got)
EOF
	cat >"$TMP/pinned.sh" <<'EOF'
set -u
out=$1 bin=$2 py=$3 send=$4
t() { timeout 20 "$@"; }
mount -t sysfs sysfs /sys && mount -t bpf bpf /sys/fs/bpf &&
	mount -t tmpfs -o mode=0755 tmpfs /run && ip link set lo up || exit 10
t tc filter show dev lo ingress >"$out/filters.before" 2>&1
t "$bin" --attach -I lo --tc-mech clsact >"$out/attach.out" 2>"$out/attach.err"; echo $? >"$out/attach.rc"
t tc filter show dev lo ingress >"$out/filters.attached" 2>&1
ls /sys/fs/bpf/tc/globals >"$out/pins" 2>&1
t "$py" "$send" 5 100 40001 40002 >"$out/sent" 2>&1
for i in 1 2; do
	t "$bin" -i 0 -j -o - >"$out/print$i.out" 2>"$out/print$i.err"; echo $? >"$out/print$i.rc"
done
t "$bin" --status >"$out/status.out" 2>&1
t "$bin" --detach -I lo >"$out/detach.out" 2>"$out/detach.err"; echo $? >"$out/detach.rc"
t tc filter show dev lo ingress >"$out/filters.after" 2>&1
t tc filter show dev lo egress >>"$out/filters.after" 2>&1
exit 0
EOF
	mkdir -p "$TMP/p"
	(cd "$TMP/cwd" && timeout 90 unshare --mount --net --propagation private \
		bash "$TMP/pinned.sh" "$TMP/p" "$BIN" "$PY" "$TMP/send.py" >"$TMP/p/setup.log" 2>&1)
	src=$?
	P=$TMP/p
	if [ $src -ne 0 ] || [ "$(cat "$P/attach.rc" 2>/dev/null)" != 0 ]; then
		notok "--attach -I lo in a private namespace pins the table"
		diag "status $src: $(cat "$P/setup.log")" "$(cat "$P/attach.err" 2>/dev/null)"
	else
		check "--attach -I lo in a private namespace pins the table" \
			grep -qx flowmon_stats "$P/pins"
		check "--attach -I lo: our filter on lo ingress" grep -q 'handle 0x464d' "$P/filters.attached"
		check "traffic: 5 UDP datagrams to 127.0.0.1 delivered" test "$(cat "$P/sent")" = 5
		# the flow 127.0.0.1:40001 -> :40002: "pkts bytes out_pkts records"
		flow() {
			"$PY" - "$1" <<'EOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
m = [r for r in recs if r.get('L4_SRC_PORT') == 40001 and r.get('L4_DST_PORT') == 40002
     and r.get('PROTOCOL') == 17]
print(sum(r['IN_PKTS'] for r in m), sum(r['IN_BYTES'] for r in m),
      sum(r['OUT_PKTS'] for r in m), len(m))
EOF
		}
		f1=$(flow "$P/print1.out")
		f2=$(flow "$P/print2.out")
		# 5 datagrams of 100 bytes: 20 (IPv4) + 8 (UDP) + 100 = 128 bytes each, counted once
		want="5 640 0 1"
		if [ "$(cat "$P/print1.rc")" = 0 ] && [ ! -s "$P/print1.err" ] && [ "$f1" = "$want" ]; then
			ok "-i 0: prints the current flows once, exit 0, equal to what was sent"
		else
			notok "-i 0: prints the current flows once, exit 0, equal to what was sent"
			diag "exit $(cat "$P/print1.rc"), got '$f1' (pkts bytes out_pkts records), want '$want'" \
				"stderr: $(cat "$P/print1.err")"
		fi
		if [ "$(cat "$P/print2.rc")" = 0 ] && [ "$f2" = "$f1" ]; then
			ok "-i 0 again: same flows (nothing was deleted)"
		else
			notok "-i 0 again: same flows (nothing was deleted)"
			diag "first '$f1', second '$f2', exit $(cat "$P/print2.rc")"
		fi
		check "--status after two -i 0: the entry is still in the table" \
			grep -Eq 'flowmon_stats: [1-9][0-9]* of' "$P/status.out"
		check "--detach -I lo: exit 0, our filter gone" \
			test "$(cat "$P/detach.rc")" = 0 -a "$(grep -c 'handle 0x464d' "$P/filters.after")" = 0
	fi
fi

# ---------------------------------------------------------------------------
# Self-contained -I runs in a throwaway network namespace
# ---------------------------------------------------------------------------

if ! ip netns add "$NS" 2>"$TMP/netns.err"; then
	skip "-I tests" "cannot create a network namespace: $(cat "$TMP/netns.err")"
	echo "1..$n"
	[ $fails -eq 0 ]
	exit
fi
NS_MADE=1
ip netns exec "$NS" ip link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
lo_state() {
	in_ns tc qdisc show dev lo 2>&1
	in_ns tc filter show dev lo ingress 2>&1
	in_ns tc filter show dev lo egress 2>&1
}

# -I with an interface that does not exist: nothing attached, not even on lo
lo_state >"$TMP/lo.before"
for ifs in fmnosuch0 lo,fmnosuch0; do
	(cd "$TMP/cwd" && timeout 30 ip netns exec "$NS" "$BIN" -I "$ifs" -j -o - \
		>"$TMP/nosuch.out" 2>"$TMP/nosuch.err" </dev/null)
	rc=$?
	lo_state >"$TMP/lo.after"
	why=()
	[ "$rc" = 1 ] || why+=("exit $rc, expected 1")
	[ "$(lines "$TMP/nosuch.err")" = 1 ] || why+=("$(lines "$TMP/nosuch.err") lines on stderr")
	grep -qF fmnosuch0 "$TMP/nosuch.err" || why+=("stderr does not name fmnosuch0")
	cmp -s "$TMP/lo.before" "$TMP/lo.after" || why+=("lo changed: $(diff "$TMP/lo.before" "$TMP/lo.after")")
	if [ ${#why[@]} -eq 0 ]; then
		ok "-I $ifs: exit 1, one line naming fmnosuch0, nothing attached"
	else
		notok "-I $ifs: exit 1, one line naming fmnosuch0, nothing attached"
		diag "${why[@]}" "stderr: $(cat "$TMP/nosuch.err")"
	fi
done

# -d with a long nested path, SIGHUP, SIGTERM, -l FILE -v
LONG=$TMP/dumps/a-rather-long-folder-name-for-the-dump-files/second-level-0123456789/third-level-abcdefghijklmnopqrstuvwxyz/fourth
LOG=$TMP/meter.log
DAY0=$(date +%F)
ip netns exec "$NS" "$BIN" -I lo --tc-mech clsact -d "$LONG" -i 1 -l "$LOG" -v \
	>"$TMP/meter.out" 2>"$TMP/meter.err" </dev/null &
METER_PID=$!
attached() { in_ns tc filter show dev lo ingress 2>/dev/null | grep -q 'handle 0x464d'; }
dumps() { find "$TMP/dumps" -type f -name '*.txt' 2>/dev/null | sort; }
ndumps() { [ "$(dumps | wc -l)" -ge "$1" ]; }
if ! wait_for 20 attached || ! wait_for 10 ndumps 1; then
	notok "-I lo -d LONG: attached, first dump file created"
	diag "stderr: $(cat "$TMP/meter.err")" "files: $(dumps)"
else
	ok "-I lo -d LONG: attached, first dump file created"
	T_FILE=$(date +%s)	# the first file was named at or before this second
	check "-d: the path is longer than 100 characters" test ${#LONG} -gt 100
	first=$(dumps | head -1)
	rel=${first#"$LONG"/}
	if [[ $rel =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2})/([0-9]{6})\.txt$ ]] &&
		{ [ "${BASH_REMATCH[1]}" = "$DAY0" ] || [ "${BASH_REMATCH[1]}" = "$(date +%F)" ]; }; then
		ok "-d: dump file at DIR/$DAY0/HHMMSS.txt"
	else
		notok "-d: dump file at DIR/$DAY0/HHMMSS.txt"
		diag "got $first"
	fi
	check "-d: the dump file starts with the header line" \
		grep -q $'^src_addr\tdst_addr\tproto\tsport\tdport\t' <(head -1 "$first")
	out=$(timeout 20 ip netns exec "$NS" "$PY" "$TMP/send.py" 3 100 40011 40012 2>&1)
	check "traffic before SIGHUP: 3 datagrams delivered" test "$out" = 3
	# a new second, so that the rotated file gets a new name
	for ((i = 0; i < 30; i++)); do
		[ "$(date +%s)" -gt "$T_FILE" ] && break
		sleep 0.1
	done
	kill -HUP "$METER_PID"
	if wait_for 10 ndumps 2; then
		ok "SIGHUP: a second dump file appears"
	else
		notok "SIGHUP: a second dump file appears"
		diag "files: $(dumps)" "log: $(tail -5 "$LOG")" "stderr: $(tail -5 "$TMP/meter.err")"
	fi
	second=$(dumps | grep -vxF "$first" | head -1)
	check "SIGHUP: the meter goes on running" kill -0 "$METER_PID"
	out=$(timeout 20 ip netns exec "$NS" "$PY" "$TMP/send.py" 2 200 40013 40014 2>&1)
	check "traffic after SIGHUP: 2 datagrams delivered" test "$out" = 2
	sleep 1.2	# one scan period
	kill -TERM "$METER_PID"
	for ((i = 0; i < 150; i++)); do
		kill -0 "$METER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$METER_PID" 2>/dev/null; then
		kill -KILL "$METER_PID"
		diag "the meter ignored SIGTERM for 15 s: killed"
	fi
	wait "$METER_PID"
	rc=$?
	METER_PID=
	check "SIGTERM: exit 0" test "$rc" = 0
	if [ -n "$second" ]; then
		check "the rotated file starts with its own header line" \
			grep -q $'^src_addr\tdst_addr\tproto\tsport\tdport\t' <(head -1 "$second")
	fi
	# the flows, written at SIGTERM to the current (second) file:
	# "sport dport pkts_f bytes_f end_reason" for our two flows
	recs() {
		awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
			$c["sport"] >= 40011 && $c["sport"] <= 40014 {
				print $c["sport"], $c["dport"], $c["pkts_f"], $c["bytes_f"], $c["end_reason"] }' "$1" |
			sort
	}
	got=$( [ -n "$second" ] && recs "$second")
	want=$'40011 40012 3 384 4\n40013 40014 2 456 4'
	if [ "$got" = "$want" ]; then
		ok "SIGTERM: open flows written with end reason 4 (exact packets and bytes)"
	else
		notok "SIGTERM: open flows written with end reason 4 (exact packets and bytes)"
		diag "got (sport dport pkts bytes reason):" "$got" "want:" "$want" \
			"first file: $(recs "$first")"
	fi
	check "the first file holds no record of those flows" test -z "$(recs "$first")"
	check "after exit: our filter is gone from lo" \
		test "$(lo_state | grep -c 'handle 0x464d')" = 0
	if grep -q ' flows: active ' "$LOG" && grep -q ' kernel: other_hook ' "$LOG" &&
		grep -q 'records written' "$LOG"; then
		ok "-l FILE -v: 'flows:', 'kernel:' and the final 'records written' lines in the file"
	else
		notok "-l FILE -v: 'flows:', 'kernel:' and the final 'records written' lines in the file"
		diag "log: $(head -5 "$LOG" 2>/dev/null)"
	fi
	if [ ! -s "$TMP/meter.out" ] && [ ! -s "$TMP/meter.err" ]; then
		ok "-l FILE -v, a clean run: nothing on stdout or stderr"
	else
		notok "-l FILE -v, a clean run: nothing on stdout or stderr"
		diag "stdout: $(head -c 400 "$TMP/meter.out")" "stderr: $(head -c 400 "$TMP/meter.err")"
	fi
fi

echo "1..$n"
[ $fails -eq 0 ]
