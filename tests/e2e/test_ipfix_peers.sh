#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_ipfix_peers.sh - every collector reads our IPFIX, with counts equal to
# the JSON records of the same run (tc_flowmon_user replay PCAP -j -x ...):
#   biflow (default), one export to four peers at once: nfcapd + nfdump,
#   tshark (-o cflow.max_template_fields:64: the L2 templates have more than
#   its default 60 fields), libfixbuf's ipfixDump and python3-ipfix (both
#   on the TCP stream, written to a file); records, packets and bytes each
#   way equal the JSON's; python3-ipfix no longer trips on set padding;
#   uniflow (--uniflow, what pmacct needs): nfacctd's records equal the JSON
#   per direction, exactly (key, records, packets, bytes);
#   --pen N: our elements carry N (ipfixDump's template listing).
# The collectors listen on the loopback of a namespace of the test's own.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PCAPS=${FLOWMON_PCAPS:-$FLOWMON_ROOT/../shared/pcaps}
PCAP=$PCAPS/ndpi-1kxun.pcap	# 230 connections, IPv4 and IPv6, TCP, UDP, ICMP, Ethernet
PEERS=$FLOWMON_ROOT/tests/e2e/tools/ipfix_peers.py
P_NFCAPD=9201 P_TSHARK=9202 P_TCP=9203 P_NFACCTD=9204 P_PEN=9205

fm_init
for t in nfcapd nfdump nfacctd tshark tcpdump ipfixDump; do
	command -v "$t" >/dev/null 2>&1 || tap_skip_all "missing $t"
done
"$FM_PY" -c 'import ipfix.reader' 2>/dev/null || tap_skip_all "missing python3-ipfix"
[ -f "$PCAP" ] || tap_skip_all "missing $PCAP"
fm_netns_add "$NS_A" || tap_bail "namespace"

peers() { "$FM_PY" "$PEERS" "$@"; }

# A TCP collector that writes the stream to a file (an IPFIX file: messages back to back).
stream_writer() {	# port file: background, ready file FILE.ready
	rm -f "$2.ready"
	ip netns exec "$NS_A" "$FM_PY" -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[2] + ".ready", "w").close()
s.settimeout(60)
c, _ = s.accept()
c.settimeout(60)
with open(sys.argv[2], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b)
open(sys.argv[2] + ".done", "w").close()' "$1" "$2" &
	FM_PIDS+=("$!")
	fm_wait 10 test -e "$2.ready"
}

# --- biflow: nfcapd, tshark (a capture), the TCP stream (ipfixDump, python3-ipfix) ---
mkdir -p "$FM_TMP/nf"
# ip netns exec, not a shell function: $! must be the collector itself
ip netns exec "$NS_A" nfcapd -b 127.0.0.1 -p "$P_NFCAPD" -w "$FM_TMP/nf" -t 3600 -E \
	>"$FM_TMP/nfcapd.log" 2>&1 &
NFCAPD=$!
FM_PIDS+=("$NFCAPD")
ip netns exec "$NS_A" tcpdump -Z root --immediate-mode -B 16384 -i lo -U -w "$FM_TMP/export.pcap" "udp port $P_TSHARK" \
	>"$FM_TMP/tcpdump.log" 2>&1 &
TCPDUMP=$!
FM_PIDS+=("$TCPDUMP")
fm_bg_ready "$NS_A" "$FM_TMP/drain.ready" udp-sink --bind 127.0.0.1 --port "$P_TSHARK" \
	--out "$FM_TMP/drain.json" || tap_bail "UDP receiver for the tshark capture"
DRAIN=$FM_BG_PID
stream_writer "$P_TCP" "$FM_TMP/stream.ipfix" || tap_bail "TCP collector"
fm_wait 10 grep -q "listening on" "$FM_TMP/tcpdump.log" || tap_bail "tcpdump captures"
nfcapd_up() { fm_in "$NS_A" ss -lun | grep -q "127.0.0.1:$P_NFCAPD"; }
fm_wait 10 nfcapd_up || tap_bail "nfcapd listens" "$(cat "$FM_TMP/nfcapd.log")"

fm_in "$NS_A" "$FM_USER" replay "$PCAP" -j -o "$FM_TMP/bi.json" -l "$FM_TMP/bi.log" \
	-x "127.0.0.1:$P_NFCAPD" -x "127.0.0.1:$P_TSHARK" -x "tcp://127.0.0.1:$P_TCP"
tap_is "$?" 0 "replay with three collectors exits 0"
read -r -a J < <(peers json "$FM_TMP/bi.json")
tap_is "${J[0]}" 230 "230 JSON records"
tap_is "$(grep -c ' 0 not sent' "$FM_TMP/bi.log")" 3 "every collector got every record (log)"

fm_wait 10 test -e "$FM_TMP/stream.ipfix.done"
kill -TERM "$NFCAPD" "$DRAIN" 2>/dev/null
fm_bg_wait "$NFCAPD" 10
fm_bg_wait "$DRAIN" 5
# the capture holds every datagram the receiver got before tcpdump stops
got=$("$FM_PY" -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' \
	"$FM_TMP/drain.json" 2>/dev/null)
captured() { [ "$(tcpdump -r "$FM_TMP/export.pcap" 2>/dev/null | wc -l)" -ge "${got:-1}" ]; }
fm_wait 10 captured
kill -INT "$TCPDUMP" 2>/dev/null
fm_bg_wait "$TCPDUMP" 5

nfdump -R "$FM_TMP/nf" -N -o json >"$FM_TMP/nfdump.json" 2>"$FM_TMP/nfdump.err"
tap_is "$(peers nfdump "$FM_TMP/nfdump.json")" "${J[*]}" \
	"nfcapd/nfdump: records, packets and bytes each way = JSON (${J[*]})"
tshark -r "$FM_TMP/export.pcap" -o cflow.max_template_fields:64 -d "udp.port==$P_TSHARK,cflow" \
	-V >"$FM_TMP/tshark.txt" 2>"$FM_TMP/tshark.err"
tap_is "$(peers tshark "$FM_TMP/tshark.txt")" "${J[*]}" \
	"tshark -o cflow.max_template_fields:64: records, packets and bytes each way = JSON"
ipfixDump --in "$FM_TMP/stream.ipfix" --stats >"$FM_TMP/ipfixdump.txt" 2>&1
tap_is "$(peers ipfixdump "$FM_TMP/ipfixdump.txt")" "${J[0]}" "ipfixDump: ${J[0]} flow records"
tap_is "$(peers pyipfix "$FM_TMP/stream.ipfix" 2>"$FM_TMP/pyipfix.err")" "${J[*]}" \
	"python3-ipfix decodes the stream: records, packets and bytes each way = JSON" ||
	tap_diag "$(tail -3 "$FM_TMP/pyipfix.err")"

# --- uniflow into nfacctd: exactly the JSON, direction by direction ---
cat >"$FM_TMP/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: 127.0.0.1
nfacctd_port: $P_NFACCTD
plugins: print[p]
aggregate[p]: src_host, dst_host, src_port, dst_port, proto, timestamp_start, timestamp_end
print_output[p]: json
print_output_file[p]: $FM_TMP/nfacctd.json
print_output_file_append[p]: true
print_refresh_time[p]: 1
EOF
ip netns exec "$NS_A" nfacctd -f "$FM_TMP/nfacctd.conf" >"$FM_TMP/nfacctd.log" 2>&1 &
NFACCTD=$!
FM_PIDS+=("$NFACCTD")
# ready: the socket bound and the print plugin started (its own process, after the core's
# bind: records that come before it are lost, and the uniflow check failed once in three)
nfacctd_up() {
	fm_in "$NS_A" ss -lun | grep -q "127.0.0.1:$P_NFACCTD" &&
		grep -q '( p/print ): JSON: setting object handlers' "$FM_TMP/nfacctd.log"
}
fm_wait 10 nfacctd_up || tap_bail "nfacctd listens" "$(tail -5 "$FM_TMP/nfacctd.log")"
fm_in "$NS_A" "$FM_USER" replay "$PCAP" -j -o "$FM_TMP/uni.json" -l "$FM_TMP/uni.log" \
	--uniflow -x "127.0.0.1:$P_NFACCTD"
tap_is "$?" 0 "replay --uniflow exits 0"
peers dirs-json "$FM_TMP/uni.json" >"$FM_TMP/dirs.json.txt"
want=$(awk '{ n += $(NF - 2) } END { print n }' "$FM_TMP/dirs.json.txt")
nfacctd_has() { [ "$(cat "$FM_TMP/nfacctd.json" 2>/dev/null | grep -c '^{')" -ge "$want" ]; }
fm_wait 15 nfacctd_has
peers dirs-nfacctd "$FM_TMP/nfacctd.json" >"$FM_TMP/dirs.nfacctd.txt"
tap_ok "nfacctd (uniflow): every direction's records, packets and bytes = JSON ($want records)" \
	cmp -s "$FM_TMP/dirs.json.txt" "$FM_TMP/dirs.nfacctd.txt" ||
	tap_diag "$(diff "$FM_TMP/dirs.json.txt" "$FM_TMP/dirs.nfacctd.txt" | head -10)"

# nfacctd stops on SIGINT (SIGTERM leaves it waiting for its plugin)
kill -INT "$NFACCTD" 2>/dev/null
fm_wait 3 sh -c "! kill -0 $NFACCTD 2>/dev/null" || kill -KILL "$NFACCTD" 2>/dev/null
wait "$NFACCTD" 2>/dev/null

# --- --pen: our elements under another enterprise number ---
stream_writer "$P_PEN" "$FM_TMP/pen.ipfix" || tap_bail "TCP collector for --pen"
fm_in "$NS_A" "$FM_USER" replay "$PCAP" -o /dev/null -q --pen 4242 -x "tcp://127.0.0.1:$P_PEN"
fm_wait 10 test -e "$FM_TMP/pen.ipfix.done"
ipfixDump --in "$FM_TMP/pen.ipfix" --templates >"$FM_TMP/pen.txt" 2>&1
tap_cmp "$(grep -c '4242' "$FM_TMP/pen.txt")" -eq 2 \
	"--pen 4242: our two elements carry PEN 4242 (ipfixDump)" || tap_diag "$(grep -i 'ent' "$FM_TMP/pen.txt" | head -5)"
tap_is "$(grep -c '32473' "$FM_TMP/pen.txt")" 0 "--pen 4242: the documentation PEN 32473 is gone"

tap_done
