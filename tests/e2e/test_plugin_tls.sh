#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_plugin_tls.sh - the TLS plugin (plugins/tls.bpf.c) live: openssl s_server
# in one namespace, openssl s_client in the other with -servername and -alpn,
# TLS 1.3 and 1.2, over IPv4 and IPv6. Each connection's JSON and IPFIX record
# carries the SNI, ALPN, offered versions that tshark reads in a capture of
# the ClientHello, and the JA4 fingerprint plugin_check.py computes from
# tshark's fields (FoxIO's specification, hashlib's SHA-256). A ClientHello
# sent in two segments is marked TLS_CLIENT_HELLO_SPLIT and not parsed.
set -u
source "$(dirname "$0")/lib.sh"

fm_init
trap fm_cleanup EXIT
fm_need_tools openssl tshark tcpdump
PLUG=$FLOWMON_ROOT/plugins/tls.bpf.o
[ -f "$PLUG" ] || tap_bail "plugins/tls.bpf.o is built" "run make"
fm_pair || tap_bail "two namespaces joined by a veth pair"
CHECK=("$FM_PY" "$(dirname "$0")/plugin_check.py")
OUT=$FM_TMP/records.json
PORT=4433


fm_need "a certificate" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$FM_TMP/key.pem" -out "$FM_TMP/cert.pem" -days 1 -subj /CN=fm.test
ip netns exec "$NS_B" openssl s_server -accept "$PORT" -cert "$FM_TMP/cert.pem" \
	-key "$FM_TMP/key.pem" -alpn h2,http/1.1 -naccept 5 -quiet >/dev/null 2>&1 </dev/null &
FM_PIDS+=($!)
listening() {
	[ -n "$(fm_in "$NS_B" ss -Htln "sport = :$PORT")" ]
}
fm_need "openssl s_server listens" fm_wait 10 listening
fm_capture "$NS_A" "$VETH_A" "$FM_TMP/tls.pcap" tcp port "$PORT" ||
	tap_bail "precondition: a capture of the TLS traffic" "$(cat "$FM_TMP/tls.pcap.err")"
TLS_CAP=$FM_CAP_PID
fm_capture "$NS_A" lo "$FM_TMP/export.pcap" udp port 4739 ||
	tap_bail "precondition: a capture of the IPFIX export" "$(cat "$FM_TMP/export.pcap.err")"
fm_bg_ready "$NS_A" "$FM_TMP/collector.ready" udp-sink --bind 127.0.0.1 --port 4739 \
	--out "$FM_TMP/collector.json" || tap_bail "precondition: a UDP collector listens"
fm_meter_start "$NS_A" "$VETH_A" both "$OUT" --plugin "$PLUG" -x 127.0.0.1:4739 ||
	tap_bail "precondition: the meter starts with the TLS plugin" "$(cat "$OUT.err")"

# s_client: the handshake completes (its own report), then it ends at EOF
client() {	# address options...
	local addr=$1

	shift
	fm_in "$NS_A" openssl s_client -brief -connect "$addr:$PORT" "$@" </dev/null \
		>"$FM_TMP/client.txt" 2>&1
	grep -qE "Protocol version: TLSv1\.[23]" "$FM_TMP/client.txt"
}
fm_need "TLS 1.3 over IPv4 (SNI, ALPN h2 and http/1.1)" \
	client "$IP4_B" -servername www.fm.test -alpn h2,http/1.1
fm_need "TLS 1.3 over IPv6" client "[$IP6_B]" -servername v6.fm.test -alpn http/1.1
fm_need "TLS 1.2 over IPv4" client "$IP4_B" -tls1_2 -servername old.fm.test -alpn h2
fm_need "TLS 1.2 over IPv6, no SNI, no ALPN" client "[$IP6_B]" -tls1_2 -noservername

# the first ClientHello again, from a plain socket in two segments (TCP_NODELAY)
hello=$(tshark -r "$FM_TMP/tls.pcap" -Y "tls.handshake.type == 1" -T fields -e tcp.payload \
	2>/dev/null | head -1)
fm_need "the first ClientHello in the capture" test -n "$hello"
split_send() {
	fm_in "$NS_A" "$FM_PY" -c '
import socket, sys, time
b = bytes.fromhex(sys.argv[2])
s = socket.create_connection((sys.argv[1], 4433))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.send(b[:100])
time.sleep(0.05)        # the first segment leaves on its own (NODELAY sends it at once)
s.send(b[100:])
s.settimeout(5)
try:
    s.recv(4096)        # the server answers: it has the whole ClientHello
except OSError:
    pass
s.close()' "$IP4_B" "$hello"
}
fm_need "a ClientHello in two segments" split_send
fm_wait 5 fm_tcp_closed "$NS_A" "$PORT"
fm_meter_stop
fm_capture_stop "$TLS_CAP" "$FM_TMP/tls.pcap" ||
	tap_bail "precondition: the TLS capture ends" "$(cat "$FM_TMP/tls.pcap.err")"
"${CHECK[@]}" tls "$FM_TMP/tls.pcap" >"$FM_TMP/expected.txt"
# tshark reassembles the split one: five ClientHellos, one line per client port
tap_is "$(wc -l <"$FM_TMP/expected.txt")" 5 "tshark sees 5 ClientHellos" ||
	tap_diag "$(cat "$FM_TMP/expected.txt")"
export_has() {
	[ "$(tshark -o cflow.max_template_fields:128 -r "$FM_TMP/export.pcap" -d udp.port==4739,cflow \
		-V -O cflow 2>/dev/null | grep -c "Type 2204")" -ge 4 ]
}
fm_need "the export reached the capture" fm_wait 10 export_has

# the split one: the port of the last connection in the capture
SPLIT=$(tail -1 "$FM_TMP/expected.txt" | cut -d' ' -f1)
KEYS=(TLS_SERVER_NAME TLS_ALPN TLS_SUPPORTED_VERSIONS TLS_VERSION TLS_JA4)
n=0
while read -r port sni alpn vers ver ja4; do
	[ "$port" = "$SPLIT" ] && continue
	n=$((n + 1))
	tap_is "$("${CHECK[@]}" json "$OUT" "$port" "${KEYS[@]}")" "$sni $alpn $vers $ver $ja4" \
		"JSON: port $port SNI $sni, ALPN $alpn, versions $vers, JA4 $ja4"
	tap_is "$("${CHECK[@]}" json "$OUT" "$port" TLS_CLIENT_HELLOS TLS_CLIENT_HELLO_SPLIT)" "1 0" \
		"JSON: port $port one ClientHello, parsed"
	tap_is "$("${CHECK[@]}" ipfix-tls "$FM_TMP/export.pcap" "$port")" "$sni $alpn $vers $ja4" \
		"IPFIX (tshark): port $port the same SNI, ALPN, versions, JA4"
done <"$FM_TMP/expected.txt"
tap_is "$n" 4 "four handshakes checked (TLS 1.3 and 1.2, IPv4 and IPv6)"
tap_is "$("${CHECK[@]}" json "$OUT" "$SPLIT" TLS_CLIENT_HELLO_SPLIT TLS_CLIENT_HELLOS TLS_JA4)" \
	"1 0 -" "a ClientHello in two segments: marked split, not parsed, no JA4"
# the versions the issue names are among them
tap_is "$(awk '{ print $5 }' "$FM_TMP/expected.txt" | sort -u | tr '\n' ' ')" "771 772 " \
	"the handshakes offered TLS 1.3 (772) and TLS 1.2 only (771)"
tap_done
