#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_inputs.sh - what replay reads, and the command lines around it (issue 12).
#
#  - a capture from a pipe: "replay -", "-r -", "-r /dev/stdin", tcpdump -w -
#    piped in, and a FIFO: each gives the records of the file itself (the
#    capture is opened once, read once);
#  - a capture whose link type cannot carry IP as we read it (999, 147,
#    65535, 2^31-1) or whose snapshot length cannot hold an IP header (1,
#    14): exit 1, one line naming the file and the link type or snapshot
#    length, no dump file;
#  - frames shorter than their link header or than the IP header their
#    ethertype announces: both engines write the same records, count the
#    same err_ip4/err_ip6 and say how many there were;
#  - the same file replayed twice gives byte-identical output (order and
#    FLOW_ID), over the whole capture corpus;
#  - -x HOST without a port exports to 4739 (RFC 7011 10.3.1, docs/IPFIX.md);
#    --obj of a file that is not a BPF object says so; -r with -I is refused.
#
# The expected flows come from the generator below (hand-built packets), the
# IPFIX port from a socket bound to 4739; never from the program's output.
# Everything runs on files under a temp folder; the export goes to
# 127.0.0.1 inside a network namespace of its own (unshare -n). TAP on stdout.
set -u
cd "${FLOWMON_ROOT:-$(dirname "$0")/../..}" || exit 1
BIN=$PWD/tc_flowmon_user
PY=/usr/bin/python3
PCAPS=${FLOWMON_PCAPS:-$PWD/../shared/pcaps}
TMP=$(mktemp -d /tmp/flowmon-inputs.XXXXXX) || exit 2
FIFO_PID=
cleanup() {
	[ -n "$FIFO_PID" ] && kill "$FIFO_PID" 2>/dev/null && wait "$FIFO_PID" 2>/dev/null
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
check() {	# NAME CMD...
	local name=$1

	shift
	if "$@"; then ok "$name"; else notok "$name"; return 1; fi
}

if [ ! -x "$BIN" ]; then
	echo "1..0 # SKIP $BIN not built (make)"
	exit 0
fi

# --- the captures, built here -------------------------------------------------

# gen.py OUTDIR: flows.pcap (5 UDP flows of 1-5 packets, known), its
# expectation flows.txt ("sport packets bytes" per flow), short.pcap (the
# same flows plus 3 frames too short to meter), and captures with unusual
# link types and snapshot lengths.
cat >"$TMP/gen.py" <<'EOF'
import struct, sys
out = sys.argv[1]

def pcap(path, frames, lt=1, snap=65535):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snap, lt))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def udp4(sport, dport, payload):
    u = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0,
                    bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]) + b'\x08\x00'
    return eth + h + u

frames, expect = [], []
for i in range(5):
    sport, count, size = 40000 + i, i + 1, 10 * (i + 1)
    for _ in range(count):
        frames.append(udp4(sport, 53, bytes(size)))
    expect.append('%d %d %d' % (sport, count, count * (28 + size)))
pcap(out + '/flows.pcap', frames)
with open(out + '/flows.txt', 'w') as f:
    f.write('\n'.join(expect) + '\n')
eth = bytes([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1])
short = list(frames)
short.insert(2, (eth + b'\x08\x00' + bytes([0x45]) + bytes(30))[:24])    # IPv4: 10 of 20 bytes
short.insert(4, (eth + b'\x86\xdd' + bytes([0x60]) + bytes(39))[:34])    # IPv6: 20 of 40 bytes
short.insert(5, eth[:10])                                                # not even Ethernet
pcap(out + '/short.pcap', short)
for lt in (999, 147, 65535, 2 ** 31 - 1):
    pcap(out + '/lt%d.pcap' % lt, [frames[0]], lt=lt)
for snap in (1, 14):
    pcap(out + '/snap%d.pcap' % snap, [frames[0][:snap]], snap=snap)
EOF
$PY "$TMP/gen.py" "$TMP" || { echo "not ok 1 gen.py failed"; exit 1; }

# records FILE: "sport packets bytes" per record of a JSON dump, sorted
records() {
	$PY -c '
import json, sys
rows = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.append("%d %d %d" % (r["L4_SRC_PORT"], r["IN_PKTS"], r["IN_BYTES"]))
print("\n".join(sorted(rows)))' "$1" 2>/dev/null
}

# same_flows NAME OUT: the records of OUT are those of flows.txt
same_flows() {
	local got

	got=$(records "$2")
	if [ "$got" = "$(sort "$TMP/flows.txt")" ]; then
		ok "$1"
	else
		notok "$1"
		diag "got:" "$got" "expected:" "$(sort "$TMP/flows.txt")"
	fi
}

# --- captures from pipes --------------------------------------------------------

timeout 30 "$BIN" replay "$TMP/flows.pcap" -j -o "$TMP/file.json" 2>"$TMP/file.err"
same_flows "replay FILE: the generator's 5 flows" "$TMP/file.json"

timeout 30 "$BIN" replay - -j -o "$TMP/dash.json" <"$TMP/flows.pcap" 2>"$TMP/dash.err"
same_flows "replay - (standard input): the same flows" "$TMP/dash.json"

cat "$TMP/flows.pcap" | timeout 30 "$BIN" -r - -j -o "$TMP/pipe.json" 2>"$TMP/pipe.err"
same_flows "cat FILE | -r -: the same flows" "$TMP/pipe.json"

timeout 30 "$BIN" -r /dev/stdin -j -o "$TMP/stdin.json" <"$TMP/flows.pcap" 2>"$TMP/stdin.err"
same_flows "-r /dev/stdin: the same flows" "$TMP/stdin.json"

if command -v tcpdump >/dev/null; then
	tcpdump -r "$TMP/flows.pcap" -w - 2>/dev/null |
		timeout 30 "$BIN" -r - -j -o "$TMP/tcpdump.json" 2>"$TMP/tcpdump.err"
	same_flows "tcpdump -w - | -r -: the same flows" "$TMP/tcpdump.json"
else
	skip "tcpdump -w - | -r -" "no tcpdump"
fi

if command -v editcap >/dev/null && editcap -F pcapng "$TMP/flows.pcap" "$TMP/flows.pcapng"; then
	timeout 30 "$BIN" replay - -j -o "$TMP/ng.json" <"$TMP/flows.pcapng" 2>"$TMP/ng.err"
	same_flows "pcapng on standard input: the same flows" "$TMP/ng.json"
else
	skip "pcapng on standard input" "no editcap"
fi

mkfifo "$TMP/fifo"
cat "$TMP/flows.pcap" >"$TMP/fifo" &
FIFO_PID=$!
timeout 30 "$BIN" -r "$TMP/fifo" -j -o "$TMP/fifo.json" 2>"$TMP/fifo.err"
rc=$?
wait "$FIFO_PID" 2>/dev/null
FIFO_PID=
[ "$rc" -eq 0 ] || diag "exit $rc: $(cat "$TMP/fifo.err")"
same_flows "-r FIFO: the same flows (the FIFO is opened once)" "$TMP/fifo.json"

# --- captures that cannot be read -----------------------------------------------

# refused NAME FILE WORDS...: exit 1, one stderr line naming the file and WORDS, no dump
refused() {
	local name=$1 file=$2 rc lines

	shift 2
	rm -rf "$TMP/dump"
	timeout 30 "$BIN" replay "$file" -d "$TMP/dump" >"$TMP/r.out" 2>"$TMP/r.err"
	rc=$?
	lines=$(wc -l <"$TMP/r.err")
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -qF -- "$file" "$TMP/r.err" &&
		grep -qF -- "$*" "$TMP/r.err" && [ ! -e "$TMP/dump" ]; then
		ok "$name"
	else
		notok "$name"
		diag "exit $rc, $lines lines:" "$(cat "$TMP/r.err")" "dump: $(ls -R "$TMP/dump" 2>&1)"
	fi
}

for lt in 999 147 65535 2147483647; do
	refused "link type $lt: exit 1, one line naming the file and the link type" \
		"$TMP/lt$lt.pcap" "unsupported link type $lt"
done
for snap in 1 14; do
	refused "snapshot length $snap: exit 1, one line naming the file and the length" \
		"$TMP/snap$snap.pcap" "snapshot length $snap is too short"
done

# --- frames too short to meter: both engines alike ---------------------------

if [ "$(id -u)" -eq 0 ]; then
	engines="native kernel"
else
	engines="native"
	skip "kernel engine on short frames" "needs root (BPF_PROG_TEST_RUN)"
fi
for e in $engines; do
	timeout 60 "$BIN" replay "$TMP/short.pcap" --engine "$e" -j -o "$TMP/short-$e.json" -v \
		>"$TMP/short-$e.log" 2>&1
	rc=$?
	# the generator put 1 IPv4 and 1 IPv6 frame cut inside the IP header, 1 inside Ethernet
	if [ "$rc" -eq 0 ] &&
		grep -q "short.pcap: 2 frames shorter than their IPv4 or IPv6 header: counted as err_ip4 (1) and err_ip6 (1)" "$TMP/short-$e.log" &&
		grep -q "short.pcap: 1 frames shorter than their link header: not metered" "$TMP/short-$e.log" &&
		grep -q "kernel:.* err_ip4 1 err_ip6 1 " "$TMP/short-$e.log" &&
		! grep -q "failed" "$TMP/short-$e.log"; then
		ok "$e engine: short frames counted (err_ip4 1, err_ip6 1, 1 not Ethernet) and said, exit 0"
	else
		notok "$e engine: short frames counted (err_ip4 1, err_ip6 1, 1 not Ethernet) and said, exit 0"
		diag "exit $rc" "$(cat "$TMP/short-$e.log")"
	fi
	same_flows "$e engine: the 5 flows around the short frames" "$TMP/short-$e.json"
done
# the same records, every field but FLOW_ID (the kernel's table walks in its own order)
same_records() {
	$PY -c '
import json, sys
def load(p):
    rows = []
    for line in open(p):
        r = json.loads(line)
        r.pop("FLOW_ID")
        rows.append(json.dumps(r, sort_keys=True))
    return sorted(rows)
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)' "$1" "$2"
}
if [[ " $engines " == *" kernel "* ]]; then
	check "short frames: both engines write the same records" \
		same_records "$TMP/short-native.json" "$TMP/short-kernel.json"
fi

# --- the same output twice ---------------------------------------------------------

if [ -d "$PCAPS" ]; then
	differ=() files=0 written=0 rcs=()
	for f in "$PCAPS"/*.pcap "$PCAPS"/*.pcapng; do
		[ -f "$f" ] || continue
		files=$((files + 1))
		for fmt in json text; do
			for k in 1 2; do
				timeout 60 "$BIN" replay "$f" --format "$fmt" -o - \
					>"$TMP/det.$k" 2>/dev/null
				rcs[k]=$?
			done
			# the same exit status twice (a refused file is refused both times)
			[ "${rcs[1]}" = "${rcs[2]}" ] && cmp -s "$TMP/det.1" "$TMP/det.2" ||
				differ+=("$(basename "$f") $fmt")
			[ "$fmt" = json ] && [ -s "$TMP/det.1" ] && written=$((written + 1))
		done
	done
	# two empty outputs are identical too: most captures (106 of the 120 now) give records
	if [ "${#differ[@]}" -eq 0 ] && [ "$files" -gt 0 ] && [ $((written * 5)) -ge $((files * 4)) ]; then
		ok "replay twice: byte-identical output (records, order, FLOW_ID) for $files captures"
	else
		notok "replay twice: byte-identical output (records, order, FLOW_ID)"
		diag "differ: ${differ[*]:0:10}" "captures: $files, with records: $written"
	fi
else
	skip "replay twice: byte-identical output" "no corpus at $PCAPS"
fi

# --- command lines ---------------------------------------------------------------

timeout 30 "$BIN" replay "$TMP/flows.pcap" --obj /etc/passwd -o "$TMP/obj.out" 2>"$TMP/obj.err"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$TMP/obj.err")" -eq 1 ] &&
	grep -q "/etc/passwd: not a BPF object" "$TMP/obj.err"; then
	ok "--obj /etc/passwd: exit 1, one line saying it is not a BPF object"
else
	notok "--obj /etc/passwd: exit 1, one line saying it is not a BPF object"
	diag "exit $rc" "$(cat "$TMP/obj.err")"
fi

timeout 30 "$BIN" -r "$TMP/flows.pcap" -I lo -o "$TMP/ri.out" >"$TMP/ri.stdout" 2>"$TMP/ri.err"
rc=$?
if [ "$rc" -eq 2 ] && [ "$(wc -l <"$TMP/ri.err")" -eq 1 ] &&
	grep -q -- "-I conflicts with -r" "$TMP/ri.err" && [ ! -e "$TMP/ri.out" ]; then
	ok "-r FILE -I IF: refused (exit 2, one line)"
else
	notok "-r FILE -I IF: refused (exit 2, one line)"
	diag "exit $rc" "$(cat "$TMP/ri.err")"
fi

# -x HOST: a socket on 127.0.0.1:4739 in a network namespace of our own gets IPFIX
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	cat >"$TMP/sink.py" <<'EOF'
import socket, struct, subprocess, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 4739))
s.settimeout(20)
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)  # its log lines
try:
    data = s.recv(65536)
    version = struct.unpack("!H", data[:2])[0]
except socket.timeout:
    version = 0
print(rc, version)
EOF
	got=$(unshare -n sh -c 'ip link set lo up && exec "$@"' sh timeout 60 \
		$PY "$TMP/sink.py" "$BIN" replay "$TMP/flows.pcap" -x 127.0.0.1 -o /dev/null \
		2>"$TMP/x.err")
	if [ "$got" = "0 10" ]; then
		ok "-x 127.0.0.1 (no port): IPFIX (version 10) arrives at port 4739"
	else
		notok "-x 127.0.0.1 (no port): IPFIX (version 10) arrives at port 4739"
		diag "exit status and version: '$got'" "$(cat "$TMP/x.err")"
	fi
else
	skip "-x HOST without a port" "needs root for a network namespace"
fi

echo "1..$n"
[ "$fails" -eq 0 ]
