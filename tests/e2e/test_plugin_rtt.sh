#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_plugin_rtt.sh - the TCP handshake RTT plugin (plugins/rtt.bpf.c) over a
# delay line. This kernel has no netem: two namespaces each have a tun
# device, and a relay (a small Python program) moves packets between them,
# holding every packet from A to B for 20 ms and passing B to A at once. A
# meter with --plugin runs on each tun device. A's meter (next to the
# client) must measure SYN -> SYN-ACK = the 20 ms the test set, within 2 ms
# (the issue's accuracy bound), and SYN-ACK -> ACK under 2 ms; B's meter
# (next to the server) the other way round.
set -u
source "$(dirname "$0")/lib.sh"

fm_init
trap fm_cleanup EXIT
fm_need_tools chrt ping
PLUG=$FLOWMON_ROOT/plugins/rtt.bpf.o
[ -f "$PLUG" ] || tap_bail "plugins/rtt.bpf.o is built" "run make"
DELAY_MS=20
BOUND_NS=2000000
TUN_A=fmta$FM_TAG
TUN_B=fmtb$FM_TAG
IP_A=198.18.7.1
IP_B=198.18.7.2
N=3	# connections

fm_netns_add "$NS_A" && fm_netns_add "$NS_B" || tap_bail "two namespaces"

cat >"$FM_TMP/relay.py" <<'PYEOF'
"""relay.py NS_A TUN_A NS_B TUN_B DELAY_MS READY: a delay line between two tun devices.

Opens TUN_A inside netns NS_A and TUN_B inside NS_B (a tun device is found
by name in the opener's namespace), then moves IP packets: A -> B after
DELAY_MS, B -> A at once. Runs until SIGTERM (at most 120 s)."""
import ctypes, fcntl, heapq, os, select, signal, struct, sys, time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)

def open_tun(ns, name):
    fd = os.open("/run/netns/" + ns, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + ns)
    os.close(fd)
    t = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(t, 0x400454ca, struct.pack("16sH", name.encode(), 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN | IFF_NO_PI
    return t

stop = False
def on_term(*_):
    global stop
    stop = True

ns_a, tun_a, ns_b, tun_b, delay, ready = sys.argv[1:7]
delay = float(delay) / 1000
signal.signal(signal.SIGTERM, on_term)
a = open_tun(ns_a, tun_a)
b = open_tun(ns_b, tun_b)
with open(ready, "w") as f:
    f.write("ready\n")
held, seq, end, late = [], 0, time.monotonic() + 120, []
while not stop and time.monotonic() < end:
    now = time.monotonic()
    while held and held[0][0] <= now:
        t, _, pkt = heapq.heappop(held)
        os.write(b, pkt)
        late.append(time.monotonic() - t)
    wait = max(0.0, held[0][0] - now) if held else 0.2
    r, _, _ = select.select([a, b], [], [], wait)
    if a in r:
        heapq.heappush(held, (time.monotonic() + delay, seq, os.read(a, 65536)))
        seq += 1
    if b in r:
        os.write(a, os.read(b, 65536))
with open(ready + ".late", "w") as f:    # how late each held packet left, for the log
    f.write("held %d packets, latest %.3f ms late\n" % (len(late), max(late or [0]) * 1000))
PYEOF

# the tun devices exist (persistent, so the addresses can be set before the relay opens them)
setup_tun() {	# netns dev local peer
	fm_in "$1" ip tuntap add dev "$2" mode tun &&
		fm_in "$1" ip addr add "$3/32" peer "$4/32" dev "$2" &&
		fm_in "$1" ip link set "$2" up
}
setup_tun "$NS_A" "$TUN_A" "$IP_A" "$IP_B" || tap_bail "precondition: tun device in A"
setup_tun "$NS_B" "$TUN_B" "$IP_B" "$IP_A" || tap_bail "precondition: tun device in B"
# real-time priority: on a busy host the delay line holds its 20 ms to well under a millisecond
chrt -f 50 "$FM_PY" "$FM_TMP/relay.py" "$NS_A" "$TUN_A" "$NS_B" "$TUN_B" "$DELAY_MS" \
	"$FM_TMP/relay.ready" 2>"$FM_TMP/relay.err" &
RELAY=$!
FM_PIDS+=("$RELAY")
fm_wait 10 test -e "$FM_TMP/relay.ready" || tap_bail "precondition: the relay runs" \
	"$(cat "$FM_TMP/relay.err")"
fm_need "a ping crosses the delay line" fm_in "$NS_A" ping -c 1 -W 2 "$IP_B"

fm_meter_start "$NS_A" "$TUN_A" both "$FM_TMP/a.json" --plugin "$PLUG" ||
	tap_bail "precondition: the meter next to the client" "$(cat "$FM_TMP/a.json.err")"
METER_A=$FM_METER_PID
fm_meter_start "$NS_B" "$TUN_B" both "$FM_TMP/b.json" --plugin "$PLUG" ||
	tap_bail "precondition: the meter next to the server" "$(cat "$FM_TMP/b.json.err")"
METER_B=$FM_METER_PID

for ((i = 0; i < N; i++)); do
	fm_bg_ready "$NS_B" "$FM_TMP/sink$i.ready" tcp-sink --bind "$IP_B" --port $((6000 + i)) \
		--out "$FM_TMP/sink$i.out" || tap_bail "precondition: a TCP server listens"
	fm_need "connection $i completes" fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" tcp-send \
		--dst "$IP_B" --port $((6000 + i)) --bytes 1000
	fm_wait 10 fm_tcp_closed "$NS_A" $((6000 + i))
done
fm_meter_stop "$METER_A"
fm_meter_stop "$METER_B"
kill -TERM "$RELAY"
fm_bg_wait "$RELAY" 5
tap_diag "relay: $(cat "$FM_TMP/relay.ready.late" 2>/dev/null)"

# per connection: "server_ns client_ns syns" of the record whose destination port is 600x
rtt_of() {	# file port
	"$FM_PY" -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("PROTOCOL") == 6 and r.get("L4_DST_PORT") == int(sys.argv[2]):
        print(r.get("TCP_RTT_SERVER_NS", "-"), r.get("TCP_RTT_CLIENT_NS", "-"),
              r.get("TCP_HANDSHAKE_SYNS", "-"))
        break
else:
    print("- - -")' "$1" "$2"
}
near() {	# value expected: |value - expected| <= BOUND_NS
	[[ $1 =~ ^[0-9]+$ ]] && [ $(($1 > $2 ? $1 - $2 : $2 - $1)) -le "$BOUND_NS" ]
}
for ((i = 0; i < N; i++)); do
	read -r srv cli syns <<<"$(rtt_of "$FM_TMP/a.json" $((6000 + i)))"
	tap_ok "next to the client: SYN -> SYN-ACK ${srv} ns = ${DELAY_MS} ms within 2 ms" \
		near "$srv" $((DELAY_MS * 1000000))
	tap_ok "next to the client: SYN-ACK -> ACK ${cli} ns = 0 within 2 ms" near "$cli" 0
	tap_is "$syns" 1 "next to the client: one SYN"
	read -r srv cli syns <<<"$(rtt_of "$FM_TMP/b.json" $((6000 + i)))"
	tap_ok "next to the server: SYN-ACK -> ACK ${cli} ns = ${DELAY_MS} ms within 2 ms" \
		near "$cli" $((DELAY_MS * 1000000))
	tap_ok "next to the server: SYN -> SYN-ACK ${srv} ns = 0 within 2 ms" near "$srv" 0
done
tap_done
