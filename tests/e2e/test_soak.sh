#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_soak.sh - a bounded soak of the daemon (issue 12): churning flows
# between two namespaces while the daemon (run, on a pinned table) writes
# them to a dump folder on a small tmpfs and exports them over IPFIX/TCP,
# and meanwhile:
#   - the dump rotates on SIGHUP;
#   - the daemon is killed (SIGKILL) and started again, twice, with flows
#     of the last seconds still in the table and the ring;
#   - the IPFIX collector goes down and comes back;
#   - the dump folder fills up and frees again.
# At the end, every flow of a capture taken on the far end (tcpdump in A)
# is in the union of the dump files exactly once, with the packets the
# capture has in each direction; every line of the dump is a whole JSON
# record; the collector holds every flow exported while it was up.
#
# Each phase waits for an event (records in the dump, a line in the log,
# the collector's connection), never for a fixed time; the daemon is killed
# only while it sleeps between two scans (stopped, then seen in its sleep
# call), as a crash outside a scan. Every wait is bounded; everything goes
# at exit (fm_cleanup: processes, namespaces, mounts).
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

UDP_PORT=5300
TCP_PORT=8080
IPFIX_PORT=4739
IDLE=2
PER_PHASE=${SOAK_FLOWS:-500}	# flows per phase, half UDP half TCP
fm_init
command -v tcpdump >/dev/null || tap_skip_all "no tcpdump"
command -v tshark >/dev/null || tap_skip_all "no tshark"
fm_pair || tap_bail "two namespaces joined by a veth pair"
fm_mntns "$NS_B" || tap_bail "persistent mount namespace for $NS_B"

DUMP=$FM_TMP/dump
LOG=$FM_TMP/daemon.log
PCAP=$FM_TMP/far.pcap
COLLECTED=$FM_TMP/collected.txt
B() {
	fm_mnt "$NS_B" "$@"
}
mkdir -p "$DUMP" && B mount -t tmpfs -o size=16m,mode=0755 tmpfs "$DUMP" ||
	tap_bail "a 16 MiB tmpfs for the dump folder in B's mount namespace"

# --- helpers: servers, clients, the collector (Python, stdlib) ---------------

cat >"$FM_TMP/soak.py" <<'EOF'
import os, select, signal, socket, struct, sys, time

stop = False
def on_term(sig, frm):
    global stop
    stop = True

def servers(a):
    """UDP echo and a TCP server that reads to EOF, answers and closes."""
    signal.signal(signal.SIGTERM, on_term)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((a[0], int(a[1])))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((a[0], int(a[2])))
    t.listen(128)
    open(a[3], "w").close()
    conns = []
    while not stop:
        r, _, _ = select.select([u, t] + conns, [], [], 0.2)
        for s in r:
            if s is u:
                data, peer = u.recvfrom(65536)
                u.sendto(data, peer)
            elif s is t:
                c, _ = t.accept()
                conns.append(c)
            else:
                if not s.recv(65536):
                    s.sendall(b"bye")
                    s.close()
                    conns.remove(s)

def clients(a):
    """Flows from source ports first..first+n-1: even ones UDP, odd ones TCP."""
    dst, uport, tport, first, n = a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4])
    for p in range(first, first + n):
        if p % 2 == 0:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("0.0.0.0", p))
            s.settimeout(2)
            s.sendto(b"u" * 40, (dst, uport))
            try:
                s.recv(100)
            except socket.timeout:
                pass
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("0.0.0.0", p))
            s.settimeout(5)
            s.connect((dst, tport))
            s.sendall(b"t" * 100)
            s.shutdown(socket.SHUT_WR)
            while s.recv(100):
                pass
        s.close()

def rd16(b, o):
    return struct.unpack_from("!H", b, o)[0]

def collector(a):
    """IPFIX over TCP (RFC 7011): one line per data record, 'proto src sport dst dport'."""
    signal.signal(signal.SIGTERM, on_term)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a[0], int(a[1])))
    ls.listen(4)
    out = open(a[2], "a")
    open(a[3], "w").close()
    while not stop:
        r, _, _ = select.select([ls], [], [], 0.2)
        if not r:
            continue
        c, _ = ls.accept()
        out.write("connect\n")
        out.flush()
        templates, buf = {}, b""
        while not stop:
            r, _, _ = select.select([c], [], [], 0.2)
            if not r:
                continue
            data = c.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 16 and len(buf) >= rd16(buf, 2):
                mlen = rd16(buf, 2)
                msg, buf = buf[:mlen], buf[mlen:]
                off = 16
                while off + 4 <= mlen:
                    sid, slen = rd16(msg, off), rd16(msg, off + 2)
                    body = msg[off + 4:off + slen]
                    if sid == 2:
                        p = 0
                        while p + 4 <= len(body):
                            tid, cnt = rd16(body, p), rd16(body, p + 2)
                            p += 4
                            fields = []
                            for _ in range(cnt):
                                ie, ln = rd16(body, p), rd16(body, p + 2)
                                pen = struct.unpack_from("!I", body, p + 4)[0] if ie & 0x8000 else 0
                                p += 8 if ie & 0x8000 else 4
                                fields.append((ie & 0x7fff, ln, pen))
                            templates[tid] = fields
                    elif sid >= 256 and sid in templates:
                        f = templates[sid]
                        rl = sum(x[1] for x in f)
                        p = 0
                        while rl and p + rl <= len(body):
                            v = {}
                            for ie, ln, pen in f:
                                if pen == 0:
                                    v[ie] = body[p:p + ln]
                                p += ln
                            if 8 in v:
                                out.write("%d %s %d %s %d\n" % (
                                    v[4][0], socket.inet_ntoa(v[8]), int.from_bytes(v[7], "big"),
                                    socket.inet_ntoa(v[12]), int.from_bytes(v[11], "big")))
                    off += slen
                out.flush()
        c.close()

def check(a):
    """Dump records against the capture: every flow once, its packets both ways."""
    import json, subprocess
    dump, pcap, src, dst = a[0], a[1], a[2], a[3]
    cap = {}
    tsh = subprocess.run(["tshark", "-r", pcap, "-n", "-T", "fields", "-e", "ip.src",
                          "-e", "ip.dst", "-e", "ip.proto", "-e", "tcp.srcport", "-e",
                          "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport",
                          "-Y", "ip.addr == %s and ip.addr == %s and (tcp or udp)" % (src, dst)],
                         capture_output=True, text=True, check=True).stdout
    for line in tsh.splitlines():
        s, d, proto, ts, td, us, ud = line.split("\t")
        sp, dp = (ts, td) if proto == "6" else (us, ud)
        if s == src:
            k, side = (int(proto), int(sp), int(dp)), 0
        else:
            k, side = (int(proto), int(dp), int(sp)), 1
        cap.setdefault(k, [0, 0])[side] += 1
    seen, bad, lines = {}, [], 0
    for d, _, files in os.walk(dump):
        for name in files:
            if not name.endswith(".txt"):
                continue
            for line in open(os.path.join(d, name)):
                lines += 1
                try:
                    r = json.loads(line)
                    assert line.endswith("}\n")
                except Exception:
                    bad.append(line[:60])
                    continue
                if r.get("IPV4_SRC_ADDR") != src or r.get("IPV4_DST_ADDR") != dst:
                    continue
                k = (r["PROTOCOL"], r["L4_SRC_PORT"], r["L4_DST_PORT"])
                seen.setdefault(k, []).append((r["IN_PKTS"], r["OUT_PKTS"]))
    twice = [k for k, v in seen.items() if len(v) > 1]
    missing = [k for k in cap if k not in seen]
    extra = [k for k in seen if k not in cap]
    wrong = [k for k in cap if k in seen and len(seen[k]) == 1 and list(seen[k][0]) != cap[k]]
    print("flows %d bad %d twice %d missing %d extra %d wrong %d" % (
        len(cap), len(bad), len(twice), len(missing), len(extra), len(wrong)))
    print("# twice %s missing %s extra %s wrong %s bad %s" % (
        twice[:5], missing[:5], extra[:5], [(k, seen[k], cap[k]) for k in wrong[:3]], bad[:2]))

def collected(a):
    """Flows (proto sport dport) of ports in [first, last) the collector holds: 'n twice'."""
    first, last = int(a[1]), int(a[2])
    seen = {}
    for line in open(a[0]):
        f = line.split()
        if len(f) == 5 and first <= int(f[2]) < last:
            k = (f[0], f[2], f[4])
            seen[k] = seen.get(k, 0) + 1
    print(len(seen), sum(1 for v in seen.values() if v > 1))

{"servers": servers, "clients": clients, "collector": collector, "check": check,
 "collected": collected}[sys.argv[1]](sys.argv[2:])
EOF
soak() {
	"$FM_PY" "$FM_TMP/soak.py" "$@"
}

# --- the pieces ---------------------------------------------------------------

ip netns exec "$NS_B" "$FM_PY" "$FM_TMP/soak.py" servers "$IP4_B" "$UDP_PORT" "$TCP_PORT" \
	"$FM_TMP/servers.ready" &
FM_PIDS+=("$!")
fm_wait 10 test -e "$FM_TMP/servers.ready" || tap_bail "servers listen in $NS_B"

COLLECTOR=
collector_start() {
	rm -f "$FM_TMP/collector.ready"
	ip netns exec "$NS_B" "$FM_PY" "$FM_TMP/soak.py" collector 127.0.0.1 "$IPFIX_PORT" \
		"$COLLECTED" "$FM_TMP/collector.ready" &
	COLLECTOR=$!
	FM_PIDS+=("$COLLECTOR")
	fm_wait 10 test -e "$FM_TMP/collector.ready"
}
collector_stop() {
	kill -TERM "$COLLECTOR" 2>/dev/null
	fm_bg_wait "$COLLECTOR" 10
}
connects() {
	cat "$COLLECTED" 2>/dev/null | grep -c '^connect$'
}
more_connects() {
	[ "$(connects)" -gt "$1" ]
}
collector_has() {	# FIRST LAST: every flow of ports FIRST..LAST-1 is in the collector
	[ "$(soak collected "$COLLECTED" "$1" "$2" | cut -d' ' -f1)" -ge $(($2 - $1)) ]
}

ip netns exec "$NS_A" tcpdump -i "$VETH_A" -n -U -w "$PCAP" 'ip and (tcp or udp)' \
	2>"$FM_TMP/tcpdump.err" &
TCPDUMP=$!
FM_PIDS+=("$TCPDUMP")
fm_wait 10 grep -q "listening on" "$FM_TMP/tcpdump.err" || tap_bail "tcpdump captures in $NS_A"

collector_start || tap_bail "the IPFIX collector listens"
B "$FM_USER" load -I "$VETH_B" --idle-timeout "$IDLE" >/dev/null || tap_bail "load on $VETH_B"

DAEMON=
starts() {	# daemons started so far (their first log line)
	cat "$LOG" 2>/dev/null | grep -c 'started:'
}
more_starts() {
	[ "$(starts)" -gt "$1" ]
}
daemon_start() {
	local before

	before=$(starts)
	# fm_mnt's nsenter without a function around it: $! is the daemon
	nsenter --net="/run/netns/$NS_B" --mount="$FM_TMP/mnt/$NS_B" -- "$FM_USER" run -j \
		-d "$DUMP" -i 1 -v -l "$LOG" --idle-timeout "$IDLE" \
		-x "tcp://127.0.0.1:$IPFIX_PORT" 2>>"$FM_TMP/daemon.err" &
	DAEMON=$!
	FM_PIDS+=("$DAEMON")
	fm_wait 10 more_starts "$before"
}

# The syscall number of a sleep, from a process that sleeps (the daemon sleeps between scans).
sleep 30 &
SLEEPER=$!
fm_wait 5 sh -c "grep -q nanosleep /proc/$SLEEPER/wchan"
SLEEP_NR=$(cut -d' ' -f1 "/proc/$SLEEPER/syscall")
kill "$SLEEPER"
wait "$SLEEPER" 2>/dev/null

# SIGKILL the daemon while it sleeps between scans: stopped, checked, killed.
daemon_crash() {
	local i

	for ((i = 0; i < 100; i++)); do
		kill -STOP "$DAEMON" 2>/dev/null || return 1
		if [ "$(cut -d' ' -f1 "/proc/$DAEMON/syscall" 2>/dev/null)" = "$SLEEP_NR" ]; then
			kill -KILL "$DAEMON"
			wait "$DAEMON" 2>/dev/null
			return 0
		fi
		kill -CONT "$DAEMON"
		sleep 0.05
	done
	return 1
}

NEXT_PORT=20000
phase() {	# NAME: PER_PHASE new flows from A to B (their first port in FIRST)
	FIRST=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + PER_PHASE))
	fm_in "$NS_A" "$FM_PY" "$FM_TMP/soak.py" clients "$IP4_B" "$UDP_PORT" "$TCP_PORT" \
		"$FIRST" "$PER_PHASE" || tap_diag "phase $1: a client failed"
}
in_dump() {	# FIRST LAST: records of ports FIRST..LAST-1 in the dump
	B find "$DUMP" -name '*.txt' -exec cat {} + 2>/dev/null |
		grep -o '"L4_SRC_PORT":[0-9]*' | cut -d: -f2 |
		awk -v a="$1" -v b="$2" '$1 >= a && $1 < b' | sort -u | wc -l
}
dump_has() {
	[ "$(in_dump "$1" "$2")" -ge $(($2 - $1)) ]
}
wait_dump() {	# NAME FIRST LAST
	fm_wait 60 dump_has "$2" "$3" || tap_diag "phase $1: $(in_dump "$2" "$3") of $(($3 - $2)) flows in the dump"
}

# --- the soak -------------------------------------------------------------------

daemon_start || tap_bail "the daemon starts" "$(cat "$FM_TMP/daemon.err")"
fm_wait 10 more_connects 0 || tap_diag "the exporter did not connect"

phase A
wait_dump A "$FIRST" "$NEXT_PORT"
files_before=$(B find "$DUMP" -name '*.txt' | wc -l)
kill -HUP "$DAEMON"
phase B
wait_dump B "$FIRST" "$NEXT_PORT"
tap_cmp "$(B find "$DUMP" -name '*.txt' | wc -l)" -gt "$files_before" "SIGHUP: a new dump file"

# crash with the last flows still in the table; twice
for crash in 1 2; do
	phase "C$crash"
	daemon_crash || tap_bail "the daemon killed while it sleeps"
	daemon_start || tap_bail "the daemon starts again" "$(cat "$FM_TMP/daemon.err")"
	wait_dump "C$crash" "$FIRST" "$NEXT_PORT"
done
UP_LAST=$NEXT_PORT	# every flow so far went out while the collector was up
fm_wait 60 collector_has 20000 "$UP_LAST" ||
	tap_diag "the collector holds $(soak collected "$COLLECTED" 20000 "$UP_LAST")"

# the collector goes down, flows go on, it comes back
collector_stop
phase D
wait_dump D "$FIRST" "$NEXT_PORT"
before=$(connects)
collector_start || tap_bail "the IPFIX collector listens again"
fm_wait 60 more_connects "$before" || tap_diag "the exporter did not connect again"
phase E
E_FIRST=$FIRST E_LAST=$NEXT_PORT
wait_dump E "$FIRST" "$NEXT_PORT"
fm_wait 60 collector_has "$E_FIRST" "$E_LAST"

# the dump folder fills up, then frees
B dd if=/dev/zero of="$DUMP/filler" bs=64k 2>/dev/null
phase F
fm_wait 60 grep -q "failed to write " "$LOG" || tap_diag "the daemon never found the dump full"
F_FIRST=$FIRST F_LAST=$NEXT_PORT
tap_cmp "$(in_dump "$F_FIRST" "$F_LAST")" -lt "$PER_PHASE" "dump full: the last flows are held, not written"
B rm -f "$DUMP/filler"
fm_wait 60 grep -q "written again" "$LOG" || tap_diag "the daemon never wrote again"
wait_dump F "$F_FIRST" "$F_LAST"

fm_meter_stop "$DAEMON"
tap_is "$?" 0 "the daemon exits 0 at SIGTERM"
collector_stop
kill -TERM "$TCPDUMP"
fm_bg_wait "$TCPDUMP" 10
tap_ok "tcpdump dropped nothing" grep -q "^0 packets dropped by kernel" "$FM_TMP/tcpdump.err"

# --- what the dump and the collector hold ------------------------------------

mkdir -p "$FM_TMP/dump.copy" && B cp -r "$DUMP/." "$FM_TMP/dump.copy/"
soak check "$FM_TMP/dump.copy" "$PCAP" "$IP4_A" "$IP4_B" >"$FM_TMP/check.out" 2>&1
tap_is "$(head -1 "$FM_TMP/check.out")" \
	"flows $((NEXT_PORT - 20000)) bad 0 twice 0 missing 0 extra 0 wrong 0" \
	"every flow of the far end's capture in the dump exactly once, its packets both ways" ||
	tap_diag "$(cat "$FM_TMP/check.out")"
tap_is "$(soak collected "$COLLECTED" 20000 "$UP_LAST")" "$((UP_LAST - 20000)) 0" \
	"the collector holds every flow exported before it went down, once"
tap_is "$(soak collected "$COLLECTED" "$E_FIRST" "$E_LAST")" "$((E_LAST - E_FIRST)) 0" \
	"the collector holds every flow exported after it came back, once"
tap_is "$(grep -c 'failed to write ' "$LOG")/$(grep -c 'written again' "$LOG")" "1/1" \
	"the full dump folder: one line when it fills, one when it frees"
tap_ok "no record lost" grep -q "stopped: [0-9]* records written$" "$LOG"
tap_done
