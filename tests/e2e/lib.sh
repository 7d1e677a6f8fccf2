# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# lib.sh - shared helpers of the end-to-end tests, sourced by tests/e2e/test_*.sh.
#
# TAP: tap_ok/tap_is/tap_cmp/tap_skip print "ok N name", "not ok N name" or
# "ok N name # SKIP why"; tap_done prints the plan and returns 1 on failure.
# A check of the environment (a namespace came up, a sender delivered every
# datagram, ping was answered) is a precondition, not a test: fm_need runs
# it, prints nothing when it holds, and bails out (one "not ok", exit 1)
# when it does not. tests/run.sh fails any skip unless FLOWMON_ALLOW_SKIP=1,
# so only "not root" skips; a missing tool is a failure.
#
# Names: FM_TAG is 8 random hex digits, so namespaces and links of two runs
# (or of two test files at once) cannot share a name; "ip netns add" fails
# rather than reuse a namespace that exists.
#
# Topology (fm_pair): two network namespaces joined by one veth pair,
#   $NS_A: $VETH_A 198.18.0.1/24 fd00:18::1/64 <-> $NS_B: $VETH_B 198.18.0.2/24 fd00:18::2/64
# with fixed MACs, static neighbours, no DAD, no router solicitations and
# no default route: nothing the tests send can leave the two namespaces.
#
# Running the meter in a namespace. Two cases:
#  - Self-contained (tc_flowmon_user -I IF, nothing pinned): fm_in NS CMD,
#    which is "ip netns exec NS CMD". ip netns exec gives each command a
#    private mount namespace with the sysfs of the network namespace.
#  - Pinned (tc_flowmon.sh, --attach/--status): the pins live in a bpffs
#    mount. A bpffs mounted under "ip netns exec" vanishes with that one
#    command, so the table would not survive from "load" to "start".
#    fm_mntns NS creates ONE persistent mount namespace for netns NS:
#    "unshare --mount=FILE" keeps it alive through a bind mount of its nsfs
#    file (on a private bind mount of our temp folder, as unshare needs).
#    Inside it: sysfs of the netns, a fresh bpffs at /sys/fs/bpf, a tmpfs at
#    /run, and /var/log and /etc/default bound to temp folders
#    ($FM_TMP/root.NS/{log,default}). fm_mnt NS CMD runs CMD there (nsenter
#    --net --mount), so pins, the pid file, iface.list and the logs persist
#    across commands, and the host's /sys/fs/bpf, /run, /var/log and
#    /etc/default are never touched. fm_cleanup kills every process of the
#    namespaces, unmounts the nsfs file (the bpffs and its pins go with the
#    last reference) and deletes the namespaces (veths, qdiscs, filters).
#    nsenter into a mount namespace starts at its root: use absolute paths.
#
# Every wait is bounded (fm_wait). FM_KEEP=1 keeps the temp folder.
set -u

FLOWMON_ROOT=${FLOWMON_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
FM_USER=$FLOWMON_ROOT/tc_flowmon_user
FM_OBJ=$FLOWMON_ROOT/tc_flowmon_kern.o
FM_SCRIPT=$FLOWMON_ROOT/scripts/tc_flowmon.sh
FM_PY=/usr/bin/python3
FM_TAG=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
FM_TMP=
FM_NETNS=()
FM_MNTNS=()
FM_PIDS=()
FM_N=0
FM_FAILED=0

NS_A=fm-a-$FM_TAG
NS_B=fm-b-$FM_TAG
VETH_A=fmva$FM_TAG
VETH_B=fmvb$FM_TAG
MAC_A=02:00:c6:12:00:01
MAC_B=02:00:c6:12:00:02
IP4_A=198.18.0.1
IP4_B=198.18.0.2
IP6_A=fd00:18::1
IP6_B=fd00:18::2

# --- TAP ---

tap_diag() {
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

# Every tap_* returns 0 for ok and 1 for not ok.
tap_result() {		# rc name
	FM_N=$((FM_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $FM_N $2"
		return 0
	fi
	echo "not ok $FM_N $2"
	FM_FAILED=$((FM_FAILED + 1))
	return 1
}

# tap_ok NAME CMD...: ok if CMD succeeds.
tap_ok() {
	local name=$1

	shift
	"$@"
	tap_result $? "$name"
}

# tap_is GOT EXPECTED NAME
tap_is() {
	if [ "$1" = "$2" ]; then
		tap_result 0 "$3"
		return 0
	fi
	tap_result 1 "$3"
	tap_diag "got '$1', expected '$2'"
	return 1
}

# tap_cmp GOT OP EXPECTED NAME, OP one of -eq -ne -lt -le -gt -ge (integers)
tap_cmp() {
	if [[ $1 =~ ^-?[0-9]+$ ]] && test "$1" "$2" "$3"; then
		tap_result 0 "$4"
		return 0
	fi
	tap_result 1 "$4"
	tap_diag "got '$1', expected $2 '$3'"
	return 1
}

tap_skip() {		# name why
	FM_N=$((FM_N + 1))
	echo "ok $FM_N $1 # SKIP $2"
}

tap_done() {
	echo "1..$FM_N"
	[ "$FM_FAILED" -eq 0 ]
}

# A whole file that cannot run here: one skipped test, exit 0.
tap_skip_all() {
	tap_skip "$(basename "$0" .sh)" "$1"
	tap_done
	exit 0
}

# A broken setup: one failed test, then exit (the EXIT trap cleans up).
tap_bail() {
	tap_result 1 "$1"
	[ $# -gt 1 ] && tap_diag "$2"
	tap_done
	exit 1
}

# fm_need WHAT CMD...: a precondition. Nothing printed when CMD succeeds
# (its output is discarded; it runs in a subshell, so it sets no variable);
# otherwise "not ok N precondition: WHAT", the end of its output, exit 1.
fm_need() {
	local what=$1 out

	shift
	out=$("$@" 2>&1) && return 0
	tap_bail "precondition: $what" "$(tail -n 5 <<<"$out")"
}

# fm_need_tools TOOL...: every tool installed (scripts/install-deps.sh).
fm_need_tools() {
	local t

	for t; do
		command -v "$t" >/dev/null 2>&1 ||
			tap_bail "precondition: $t is installed" "scripts/install-deps.sh installs it"
	done
}

# --- set-up and clean-up ---

fm_init() {
	[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root"
	local t

	for t in ip tc nsenter unshare nstat ss "$FM_PY"; do
		command -v "$t" >/dev/null 2>&1 || tap_bail "$t is installed" \
			"missing $t: scripts/install-deps.sh installs it"
	done
	[ -x "$FM_USER" ] || tap_bail "tc_flowmon_user is built" "missing $FM_USER: run make"
	[ -f "$FM_OBJ" ] || tap_bail "tc_flowmon_kern.o is built" "missing $FM_OBJ: run make"
	FM_TMP=$(mktemp -d /tmp/flowmon-e2e.XXXXXX) || tap_bail "mktemp"
	fm_write_tool
	trap 'exit 143' TERM INT HUP
}

# Everything the test created, in reverse order; safe to call twice.
fm_cleanup() {
	local ns f pid

	for pid in "${FM_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ns in "${FM_NETNS[@]}"; do
		fm_kill_netns "$ns"
	done
	for pid in "${FM_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	FM_PIDS=()
	for f in "${FM_MNTNS[@]}"; do
		umount "$f" 2>/dev/null || umount -l "$f" 2>/dev/null
	done
	FM_MNTNS=()
	if [ -n "$FM_TMP" ] && mountpoint -q "$FM_TMP/mnt" 2>/dev/null; then
		umount "$FM_TMP/mnt" 2>/dev/null || umount -l "$FM_TMP/mnt"
	fi
	for ns in "${FM_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	FM_NETNS=()
	if [ -n "$FM_TMP" ] && [ -d "$FM_TMP" ]; then
		if [ "${FM_KEEP:-0}" = 1 ]; then
			echo "# kept $FM_TMP"
		else
			rm -rf "$FM_TMP"
		fi
	fi
	FM_TMP=
}

# Every process in netns $1: SIGTERM, 3 s, then SIGKILL.
fm_kill_netns() {
	local pids i

	pids=$(ip netns pids "$1" 2>/dev/null)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for ((i = 0; i < 30; i++)); do
		[ -z "$(ip netns pids "$1" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	pids=$(ip netns pids "$1" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	sleep 0.2
}

# fm_wait SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time is up.
fm_wait() {
	local n=$(($1 * 10)) i

	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

fm_netns_add() {		# name
	ip netns add "$1" || return 1
	FM_NETNS+=("$1")
	ip netns exec "$1" sh -c '
		ip link set lo up &&
		sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.router_solicitations=0 \
			net.ipv6.conf.default.router_solicitations=0 \
			net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0'
}

fm_in() {		# netns cmd...
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# The two namespaces and the veth pair described at the top.
fm_pair() {
	fm_netns_add "$NS_A" && fm_netns_add "$NS_B" || return 1
	ip link add "$VETH_A" netns "$NS_A" address "$MAC_A" type veth \
		peer name "$VETH_B" netns "$NS_B" address "$MAC_B" || return 1
	fm_in "$NS_A" sh -c "
		ip addr add $IP4_A/24 dev $VETH_A &&
		ip addr add $IP6_A/64 dev $VETH_A nodad &&
		ip link set $VETH_A up &&
		ip neigh replace $IP4_B lladdr $MAC_B dev $VETH_A nud permanent &&
		ip neigh replace $IP6_B lladdr $MAC_B dev $VETH_A nud permanent" || return 1
	fm_in "$NS_B" sh -c "
		ip addr add $IP4_B/24 dev $VETH_B &&
		ip addr add $IP6_B/64 dev $VETH_B nodad &&
		ip link set $VETH_B up &&
		ip neigh replace $IP4_A lladdr $MAC_A dev $VETH_B nud permanent &&
		ip neigh replace $IP6_A lladdr $MAC_A dev $VETH_B nud permanent" || return 1
	fm_wait 5 fm_in "$NS_A" ping -c 1 -W 1 -q "$IP4_B" >/dev/null 2>&1
}

# Persistent mount namespace for netns $1 (see the top of this file).
fm_mntns() {
	local ns=$1 root=$FM_TMP/root.$1 f=$FM_TMP/mnt/$1

	if ! mountpoint -q "$FM_TMP/mnt" 2>/dev/null; then
		mkdir -p "$FM_TMP/mnt" &&
			mount --bind "$FM_TMP/mnt" "$FM_TMP/mnt" &&
			mount --make-private "$FM_TMP/mnt" || return 1
	fi
	mkdir -p "$root/log" "$root/default" && touch "$f" || return 1
	unshare --mount="$f" --propagation private \
		nsenter --net="/run/netns/$ns" sh -c '
			mount -t sysfs sysfs /sys &&
			mount -t bpf bpf /sys/fs/bpf &&
			mount -t tmpfs -o mode=0755 tmpfs /run &&
			mount --bind "$1" /var/log &&
			mount --bind "$2" /etc/default' sh "$root/log" "$root/default" || return 1
	FM_MNTNS+=("$f")
}

fm_mnt() {		# netns cmd...
	local ns=$1

	shift
	nsenter --net="/run/netns/$ns" --mount="$FM_TMP/mnt/$ns" -- "$@"
}

# --- the meter ---

FM_BPFQUERY=$FLOWMON_ROOT/tests/e2e/bpfquery.py

# Our tcx links on one hook (programs named flowmon_*, asked of the kernel
# by bpfquery.py): fm_count_tcx fm_in|fm_mnt NS DEV ingress|egress
fm_count_tcx() {
	"$1" "$2" "$FM_PY" "$FM_BPFQUERY" tcx "$3" "$4" 2>/dev/null | grep -c ' flowmon_'
}

# Ours on every hook of $3 (ingress|egress|both) of $2 in netns $1: our
# clsact filter (handle 0x464d) or our tcx link.
fm_attached() {
	local ns=$1 dev=$2 hooks=$3 h

	for h in ingress egress; do
		[ "$hooks" = both ] || [ "$hooks" = "$h" ] || continue
		fm_in "$ns" tc filter show dev "$dev" "$h" 2>/dev/null | grep -q 'handle 0x464d' ||
			[ "$(fm_count_tcx fm_in "$ns" "$dev" "$h")" -gt 0 ] || return 1
	done
}

# Number of ours on one hook, clsact filters and tcx links:
# fm_count_ours fm_in|fm_mnt NS DEV ingress|egress
fm_count_ours() {
	echo $(($("$1" "$2" tc filter show dev "$3" "$4" 2>/dev/null | grep -c 'handle 0x464d') +
		$(fm_count_tcx "$@")))
}

# fm_meter_start NS IF[,IF] HOOKS OUT [options...]: self-contained JSON meter,
# returns once our filter is on every hook (FM_METER_PID).
fm_meter_start() {
	local ns=$1 ifs=$2 hooks=$3 out=$4 dev

	shift 4
	ip netns exec "$ns" "$FM_USER" -I "$ifs" -D "$hooks" -j -o "$out" -i 1 \
		-l "$out.log" "$@" 2>"$out.err" &
	FM_METER_PID=$!
	FM_PIDS+=("$FM_METER_PID")
	for dev in ${ifs//,/ }; do
		if ! fm_wait 15 fm_attached "$ns" "$dev" "$hooks"; then
			tap_diag "meter did not attach to $dev $hooks: $(cat "$out.err" 2>/dev/null)"
			return 1
		fi
	done
}

# fm_meter_stop [PID [SIGNAL]]: SIGTERM (or SIGNAL), wait up to 15 s;
# returns the meter's status.
fm_meter_stop() {
	local pid=${1:-$FM_METER_PID} sig=${2:-TERM} i rc

	kill -"$sig" "$pid" 2>/dev/null
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		tap_diag "meter $pid ignored SIGTERM for 15 s: killed"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return "$rc"
}

# --- traffic and counters (independent of the meter) ---

fm_tool() {
	"$FM_PY" "$FM_TMP/fmtool.py" "$@"
}

# A background helper in netns $1 (FM_BG_PID); waits for its ready file $2.
fm_bg_ready() {
	local ns=$1 ready=$2

	shift 2
	rm -f "$ready"
	ip netns exec "$ns" "$FM_PY" "$FM_TMP/fmtool.py" "$@" --ready "$ready" &
	FM_BG_PID=$!
	FM_PIDS+=("$FM_BG_PID")
	fm_wait 10 test -e "$ready"
}

# Wait (bounded) for a background helper to finish.
fm_bg_wait() {		# pid seconds
	local i

	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$1" 2>/dev/null && kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# nstat counter (absolute) in netns $1; history kept out of /tmp/.nstat.
fm_nstat() {		# netns counter
	NSTAT_HISTORY=$FM_TMP/nstat.hist fm_in "$1" nstat -asz "$2" 2>/dev/null |
		awk -v c="$2" '$1 == c { print $2; found = 1 } END { if (!found) print 0 }'
}

# TCP on port $2 in netns $1 has finished closing: no socket on it but a
# listener or TIME-WAIT (the side in LAST-ACK got the last ACK, so every
# segment of the connection has passed the hooks and the nstat counters).
fm_tcp_closed() {	# netns port
	[ -z "$(fm_in "$1" ss -Htan "( sport = :$2 or dport = :$2 )" 2>/dev/null |
		grep -vE '^(TIME-WAIT|LISTEN)')" ]
}

# Packets a namespace's TCP sent: OutSegs + RetransSegs.
fm_tcp_segs() {
	echo $(($(fm_nstat "$1" TcpOutSegs) + $(fm_nstat "$1" TcpRetransSegs)))
}

# fm_sum --proto P --src A --dst B [--sport S] [--dport D] FILE-OR-DIR...: over the
# matching records (forward = src -> dst),
# "records in_pkts in_bytes out_pkts out_bytes rev_records reasons client_flags
# server_flags tcp_flags biflow", then the src->dst packets and bytes and the
# dst->src packets and bytes over the records of both orientations.
fm_sum() {
	fm_tool sum "$@"
}

# fm_flow FILE-OR-DIR SUM-ARGS...: fm_sum's figures into REC IP IB OP OB REV REASONS CF
# SF TF BD P_FWD B_FWD P_REV B_REV, for the test's checks.
# shellcheck disable=SC2034
fm_flow() {
	local f=$1

	shift
	read -r REC IP IB OP OB REV REASONS CF SF TF BD P_FWD B_FWD P_REV B_REV _ < \
		<(fm_sum "$@" "$f")
}

# --- fmtool.py: traffic generators, sinks, a tun responder and the JSON checks ---

fm_write_tool() {
	cat >"$FM_TMP/fmtool.py" <<'PYEOF'
#!/usr/bin/python3
"""fmtool.py - helpers of the bpfFlowMon e2e tests (stdlib only)."""
import argparse, fcntl, ipaddress, json, os, select, signal, socket, struct, sys, time

def ready(path):
    if path:
        with open(path, "w") as f:
            f.write("ready\n")

def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET

stop = False
def on_term(sig, frm):
    global stop
    stop = True

# ---- traffic ----

def udp_send(a):
    s = socket.socket(family(a.dst), socket.SOCK_DGRAM)
    if a.src or a.sport:
        s.bind((a.src or ("::" if family(a.dst) == socket.AF_INET6 else "0.0.0.0"), a.sport))
    payload = b"x" * a.size
    got = 0
    for i in range(a.count):
        s.sendto(payload, (a.dst, a.dport))
        if a.gap:
            time.sleep(a.gap)
    if a.replies:
        s.settimeout(2.0)
        try:
            while got < a.count:
                s.recv(65536)
                got += 1
        except socket.timeout:
            pass
        print(got)
    s.close()

def udp_sink(a):
    """Counts datagrams per source (and echoes them); writes JSON at SIGTERM or idle."""
    signal.signal(signal.SIGTERM, on_term)
    s = socket.socket(family(a.bind), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((a.bind, a.port))
    counts = {}
    ready(a.ready)
    last = time.time()
    while not stop and not (a.expect and sum(counts.values()) >= a.expect):
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            if a.idle and time.time() - last > a.idle and counts:
                break
            continue
        data, peer = s.recvfrom(65536)
        last = time.time()
        key = "%s,%d" % (ipaddress.ip_address(peer[0].split("%")[0]), peer[1])
        counts[key] = counts.get(key, 0) + 1
        if a.echo:
            s.sendto(data, peer)
    with open(a.out, "w") as f:
        json.dump(counts, f)

def tcp_sink(a):
    s = socket.socket(family(a.bind), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port))
    s.listen(1)
    ready(a.ready)
    c, _ = s.accept()
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        n += len(b)
    c.close()
    s.close()
    with open(a.out, "w") as f:
        f.write("%d\n" % n)

def tcp_send(a):
    s = socket.socket(family(a.dst), socket.SOCK_STREAM)
    if a.sport:
        s.bind(("::" if family(a.dst) == socket.AF_INET6 else "0.0.0.0", a.sport))
    s.connect((a.dst, a.port))
    buf = b"y" * 65536
    left = a.bytes
    while left > 0:
        left -= s.send(buf[:min(left, len(buf))])
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536):
        pass
    s.close()

def race_send(a):
    """Several paced UDP flows whose gaps straddle the idle timeout."""
    socks, sent, plan = {}, {}, []
    for spec in a.flow:
        dst, sport, pattern = spec.split(",", 2)
        fam = family(dst)
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", int(sport)))
        socks[sport] = (s, dst)
        sent[sport] = 0
        t = 0.0
        for step in pattern.split(":"):     # COUNTxGAP, e.g. 20x0.05
            cnt, gap = step.split("x")
            for _ in range(int(cnt)):
                plan.append((t, sport))
                t += float(gap)
    plan.sort()
    t0 = time.time()
    for t, sport in plan:
        d = t0 + t - time.time()
        if d > 0:
            time.sleep(d)
        s, dst = socks[sport]
        s.sendto(b"r" * a.size, (dst, a.dport))
        sent[sport] += 1
    with open(a.out, "w") as f:
        json.dump(sent, f)

def udp_at(a):
    """Datagrams at fixed times after the epoch time --at (two senders in step)."""
    fam = family(a.dst)
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.bind, a.sport))
    for t in [float(x) for x in a.times.split(",")]:
        d = a.at + t - time.time()
        if d > 0:
            time.sleep(d)
        s.sendto(b"t" * a.size, (a.dst, a.dport))
    time.sleep(a.linger)
    s.close()

def udp_times(a):
    """Datagrams at offsets from now; writes [[before, after], ...] of each
    sendto, wall-clock seconds (the clock the meter's records use)."""
    s = socket.socket(family(a.dst), socket.SOCK_DGRAM)
    s.bind((a.bind, a.sport))
    t0 = time.time()
    out = []
    for t in [float(x) for x in a.times.split(",")]:
        d = t0 + t - time.time()
        if d > 0:
            time.sleep(d)
        b = time.time()
        s.sendto(b"t" * a.size, (a.dst, a.dport))
        out.append([b, time.time()])
    s.close()
    with open(a.out, "w") as f:
        json.dump(out, f)

def udp_flows(a):
    """--flows UDP flows from consecutive source ports, --per-flow datagrams
    each, one flow after the other."""
    for i in range(a.flows):
        s = socket.socket(family(a.dst), socket.SOCK_DGRAM)
        s.bind((a.bind, a.first_sport + i))
        for _ in range(a.per_flow):
            s.sendto(b"f" * a.size, (a.dst, a.dport))
        s.close()

def tcp_hold(a):
    """Connects, sends --bytes, writes the ready file, keeps the connection
    open until SIGTERM, then closes it."""
    signal.signal(signal.SIGTERM, on_term)
    s = socket.socket(family(a.dst), socket.SOCK_STREAM)
    s.bind((a.bind, a.sport))
    s.connect((a.dst, a.port))
    s.sendall(b"h" * a.bytes)
    ready(a.ready)
    while not stop:
        time.sleep(0.1)
    s.close()

# ---- tun responder: echo replies and UDP reflection on an L3 device ----

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def tun_reply(p):
    v = p[0] >> 4
    if v == 4:
        ihl = (p[0] & 15) * 4
        proto = p[9]
        src, dst = p[12:16], p[16:20]
        hdr = bytearray(p[:ihl])
        hdr[12:16], hdr[16:20] = dst, src
        hdr[8] = 64
        hdr[10:12] = b"\0\0"
        hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
        l4 = bytearray(p[ihl:])
        if proto == 1 and l4[0] == 8:
            l4[0] = 0
            l4[2:4] = b"\0\0"
            l4[2:4] = struct.pack("!H", csum(bytes(l4)))
        elif proto == 17:
            l4[0:2], l4[2:4] = l4[2:4], l4[0:2]    # checksum unchanged by swaps
        else:
            return None
        return bytes(hdr) + bytes(l4)
    if v == 6:
        nh = p[6]
        src, dst = p[8:24], p[24:40]
        hdr = bytearray(p[:40])
        hdr[8:24], hdr[24:40] = dst, src
        hdr[7] = 64
        l4 = bytearray(p[40:])
        if nh == 58 and l4[0] == 128:
            l4[0] = 129
            l4[2:4] = b"\0\0"
            pseudo = bytes(hdr[8:40]) + struct.pack("!IxxxB", len(l4), 58)
            l4[2:4] = struct.pack("!H", csum(pseudo + bytes(l4)))
        elif nh == 17:
            l4[0:2], l4[2:4] = l4[2:4], l4[0:2]
        else:
            return None
        return bytes(hdr) + bytes(l4)
    return None

def tun_echo(a):
    signal.signal(signal.SIGTERM, on_term)
    fd = os.open("/dev/net/tun", os.O_RDWR)
    ifr = struct.pack("16sH", a.dev.encode(), 0x0001 | 0x1000)   # IFF_TUN | IFF_NO_PI
    fcntl.ioctl(fd, 0x400454ca, ifr)                             # TUNSETIFF
    ready(a.ready)
    n = 0
    while not stop:
        r, _, _ = select.select([fd], [], [], 0.2)
        if not r:
            continue
        p = os.read(fd, 65536)
        q = tun_reply(p)
        if q:
            os.write(fd, q)
            n += 1
    if a.out:
        with open(a.out, "w") as f:
            f.write("%d\n" % n)

# ---- flow records ----

def records(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            for d, _, fs in os.walk(p):
                files += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".txt")]
        elif os.path.exists(p):
            files.append(p)
    for f in sorted(files):
        with open(f) as fh:
            for line in fh:
                line = line.strip()
                if line.startswith("{"):
                    yield json.loads(line)

def rec_key(r):
    v = int(r["IP_PROTOCOL_VERSION"])
    s = r["IPV6_SRC_ADDR" if v == 6 else "IPV4_SRC_ADDR"]
    d = r["IPV6_DST_ADDR" if v == 6 else "IPV4_DST_ADDR"]
    return (ipaddress.ip_address(s), ipaddress.ip_address(d), int(r["PROTOCOL"]),
            int(r["L4_SRC_PORT"]), int(r["L4_DST_PORT"]))

def matches(k, a, src, dst, sport, dport):
    return (k[0] == src and k[1] == dst and k[2] == a.proto and
            (sport is None or k[3] == sport) and (dport is None or k[4] == dport))

def cmd_sum(a):
    src, dst = ipaddress.ip_address(a.src), ipaddress.ip_address(a.dst)
    tot = dict(rec=0, ip=0, ib=0, op=0, ob=0, rev=0, cf=0, sf=0, tf=0, bd=0)
    both = [0, 0, 0, 0]     # src->dst packets, bytes, dst->src packets, bytes: any orientation
    reasons = []
    for r in records(a.files):
        k = rec_key(r)
        if a.verbose and (matches(k, a, src, dst, a.sport, a.dport) or matches(
                k, a, dst, src, a.dport if a.proto in (6, 17) else None,
                a.sport if a.proto in (6, 17) else None)):
            print("%s:%d -> %s:%d in %s/%s out %s/%s reason %s start %s end %s" % (
                k[0], k[3], k[1], k[4], r["IN_PKTS"], r["IN_BYTES"], r["OUT_PKTS"],
                r["OUT_BYTES"], r["FLOW_END_REASON"], r["FLOW_START_MILLISECONDS"],
                r["FLOW_END_MILLISECONDS"]), file=sys.stderr)
        if matches(k, a, src, dst, a.sport, a.dport):
            both[0] += int(r["IN_PKTS"]); both[1] += int(r["IN_BYTES"])
            both[2] += int(r["OUT_PKTS"]); both[3] += int(r["OUT_BYTES"])
            tot["rec"] += 1
            tot["ip"] += int(r["IN_PKTS"]); tot["ib"] += int(r["IN_BYTES"])
            tot["op"] += int(r["OUT_PKTS"]); tot["ob"] += int(r["OUT_BYTES"])
            tot["cf"] |= int(r.get("CLIENT_TCP_FLAGS", 0))
            tot["sf"] |= int(r.get("SERVER_TCP_FLAGS", 0))
            tot["tf"] |= int(r.get("TCP_FLAGS", 0))
            tot["bd"] = max(tot["bd"], int(r.get("BIFLOW_DIRECTION", 0)))
            reasons.append(str(r["FLOW_END_REASON"]))
        elif matches(k, a, dst, src, a.dport if a.proto in (6, 17) else None,
                     a.sport if a.proto in (6, 17) else None):
            tot["rev"] += 1
            both[0] += int(r["OUT_PKTS"]); both[1] += int(r["OUT_BYTES"])
            both[2] += int(r["IN_PKTS"]); both[3] += int(r["IN_BYTES"])
    print(tot["rec"], tot["ip"], tot["ib"], tot["op"], tot["ob"], tot["rev"],
          ",".join(reasons) or "-", "0x%x" % tot["cf"], "0x%x" % tot["sf"],
          "0x%x" % tot["tf"], tot["bd"], *both)

# ICMP type pairs (request <-> reply): the canonical key of both halves.
PEER = {8: 0, 13: 14, 15: 16, 17: 18, 128: 129, 130: 131, 133: 134, 135: 136,
        139: 140, 144: 145, 146: 147}
PEER.update({v: k for k, v in list(PEER.items())})

def uni(k):
    """Canonical (direction-free) key of a unidirectional key, and its side."""
    s, d, p, sp, dp = k
    if p in (1, 58):
        t = min(sp, PEER.get(sp, sp))
        ends = sorted([s, d], key=lambda x: (x.version, int(x)))
        return (ends[0], ends[1], p, t, dp), 0 if s == ends[0] else 1
    a, b = (s.version, int(s), sp), (d.version, int(d), dp)
    if a <= b:
        return (s, d, p, sp, dp), 0
    return (d, s, p, dp, sp), 1

def aggregate(paths):
    agg, nrec = {}, 0
    for r in records(paths):
        nrec += 1
        k = rec_key(r)
        c, side = uni(k)
        for sd, pk, by in ((side, "IN_PKTS", "IN_BYTES"), (1 - side, "OUT_PKTS", "OUT_BYTES")):
            pk, by = int(r[pk]), int(r[by])
            if pk == 0 and by == 0:
                continue
            e = agg.setdefault((c, sd), [0, 0])
            e[0] += pk
            e[1] += by
    return agg, nrec

def cmd_cmp(a):
    live, nl = aggregate([a.live])
    off, no = aggregate([a.offline])
    keys = sorted(set(live) | set(off), key=str)
    bad = [k for k in keys if live.get(k) != off.get(k)]
    print("# live: %d records, offline: %d records, %d directions, %d packets offline"
          % (nl, no, len(off), sum(v[0] for v in off.values())))
    for k in bad[:8]:
        (s, d, p, sp, dp), side = k
        print("# %s %s:%d -> %s:%d side %d: live %s offline %s"
              % (p, s, sp, d, dp, side, live.get(k), off.get(k)))
    if len(bad) > 8:
        print("# ... %d more" % (len(bad) - 8))
    sys.exit(1 if bad or not off else 0)

def cmd_count(a):
    print(sum(1 for _ in records(a.files)))

def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("udp-send")
    p.add_argument("--src"); p.add_argument("--sport", type=int, default=0)
    p.add_argument("--dst", required=True); p.add_argument("--dport", type=int, required=True)
    p.add_argument("--count", type=int, required=True); p.add_argument("--size", type=int, required=True)
    p.add_argument("--gap", type=float, default=0.002); p.add_argument("--replies", action="store_true")
    p.set_defaults(fn=udp_send)
    p = sp.add_parser("udp-sink")
    p.add_argument("--bind", required=True); p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True); p.add_argument("--ready")
    p.add_argument("--echo", action="store_true"); p.add_argument("--idle", type=float, default=0)
    p.add_argument("--expect", type=int, default=0, help="exit after this many datagrams")
    p.set_defaults(fn=udp_sink)
    p = sp.add_parser("tcp-sink")
    p.add_argument("--bind", required=True); p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True); p.add_argument("--ready")
    p.set_defaults(fn=tcp_sink)
    p = sp.add_parser("tcp-send")
    p.add_argument("--dst", required=True); p.add_argument("--port", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True); p.add_argument("--sport", type=int, default=0)
    p.set_defaults(fn=tcp_send)
    p = sp.add_parser("race-send")
    p.add_argument("--flow", action="append", required=True, help="DST,SPORT,COUNTxGAP[:...]")
    p.add_argument("--dport", type=int, required=True); p.add_argument("--size", type=int, default=64)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=race_send)
    p = sp.add_parser("udp-at")
    p.add_argument("--bind", required=True); p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dst", required=True); p.add_argument("--dport", type=int, required=True)
    p.add_argument("--at", type=float, required=True); p.add_argument("--times", required=True)
    p.add_argument("--size", type=int, default=64); p.add_argument("--linger", type=float, default=0)
    p.set_defaults(fn=udp_at)
    p = sp.add_parser("udp-times")
    p.add_argument("--bind", required=True); p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dst", required=True); p.add_argument("--dport", type=int, required=True)
    p.add_argument("--times", required=True); p.add_argument("--size", type=int, default=64)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=udp_times)
    p = sp.add_parser("udp-flows")
    p.add_argument("--bind", required=True); p.add_argument("--first-sport", type=int, required=True)
    p.add_argument("--dst", required=True); p.add_argument("--dport", type=int, required=True)
    p.add_argument("--flows", type=int, required=True); p.add_argument("--per-flow", type=int, default=1)
    p.add_argument("--size", type=int, default=64)
    p.set_defaults(fn=udp_flows)
    p = sp.add_parser("tcp-hold")
    p.add_argument("--bind", required=True); p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dst", required=True); p.add_argument("--port", type=int, required=True)
    p.add_argument("--bytes", type=int, required=True); p.add_argument("--ready")
    p.set_defaults(fn=tcp_hold)
    p = sp.add_parser("tun-echo")
    p.add_argument("--dev", required=True); p.add_argument("--ready"); p.add_argument("--out")
    p.set_defaults(fn=tun_echo)
    p = sp.add_parser("sum")
    p.add_argument("--proto", type=int, required=True)
    p.add_argument("--src", required=True); p.add_argument("--dst", required=True)
    p.add_argument("--sport", type=int); p.add_argument("--dport", type=int)
    p.add_argument("-v", "--verbose", action="store_true", help="records on stderr")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_sum)
    p = sp.add_parser("cmp")
    p.add_argument("live"); p.add_argument("offline")
    p.set_defaults(fn=cmd_cmp)
    p = sp.add_parser("count")
    p.add_argument("files", nargs="+")
    p.set_defaults(fn=cmd_count)
    a = ap.parse_args()
    a.fn(a)

if __name__ == "__main__":
    main()
PYEOF
}

# A tcpdump capture in a namespace, ready once it says it listens: its pid in
# FM_CAP_PID (killed at exit with the others).
fm_capture() {	# netns dev file filter...
	local ns=$1 dev=$2 file=$3

	shift 3
	ip netns exec "$ns" tcpdump -i "$dev" -w "$file" -U -n --immediate-mode "$@" \
		>/dev/null 2>"$file.err" &
	FM_CAP_PID=$!
	FM_PIDS+=("$FM_CAP_PID")
	fm_wait 10 grep -q "listening on" "$file.err"
}

# Stop a capture: tcpdump writes what it has and says how many packets it took.
fm_capture_stop() {	# pid file
	kill -INT "$1" 2>/dev/null
	fm_bg_wait "$1" 10
	grep -q "packets captured" "$2.err"
}
