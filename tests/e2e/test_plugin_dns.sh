#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_plugin_dns.sh - the DNS plugin (plugins/dns.bpf.c) live: dnsmasq answers
# in one namespace, dig asks from the other, the meter runs with --plugin next
# to dig and exports IPFIX. For every query (A, AAAA without answer, NXDOMAIN,
# MX, TXT, over IPv6, over TCP) its flow's JSON record and IPFIX record carry
# the name, type, ID, response code and answer count that tshark reads in a
# capture of the DNS traffic, and the latency tshark's timestamps give.
set -u
source "$(dirname "$0")/lib.sh"

fm_init
trap fm_cleanup EXIT
fm_need_tools dnsmasq dig tshark tcpdump
PLUG=$FLOWMON_ROOT/plugins/dns.bpf.o
[ -f "$PLUG" ] || tap_bail "plugins/dns.bpf.o is built" "run make"
fm_pair || tap_bail "two namespaces joined by a veth pair"
CHECK=("$FM_PY" "$(dirname "$0")/plugin_check.py")
OUT=$FM_TMP/records.json

# dnsmasq: www has an A record only (AAAA: NOERROR, no answer), the rest of fm.test is
# NXDOMAIN; it answers before the captures and the meter start
fm_in "$NS_B" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
	--bind-interfaces --listen-address="$IP4_B" --listen-address="$IP6_B" --port 53 \
	--local=/fm.test/ --host-record=www.fm.test,198.18.9.9 \
	--mx-host=fm.test,mail.fm.test,10 --txt-record=txt.fm.test,v=1 \
	--pid-file="$FM_TMP/dnsmasq.pid" --log-facility="$FM_TMP/dnsmasq.log" >/dev/null 2>&1 &
FM_PIDS+=($!)
dns_up() {
	fm_in "$NS_A" dig +tries=1 +time=1 @"$IP4_B" www.fm.test A | grep -q "status: NOERROR"
}
fm_need "dnsmasq answers" fm_wait 10 dns_up

fm_capture "$NS_A" "$VETH_A" "$FM_TMP/dns.pcap" port 53 ||
	tap_bail "precondition: a capture of the DNS traffic" "$(cat "$FM_TMP/dns.pcap.err")"
DNS_CAP=$FM_CAP_PID
fm_capture "$NS_A" lo "$FM_TMP/export.pcap" udp port 4739 ||
	tap_bail "precondition: a capture of the IPFIX export" "$(cat "$FM_TMP/export.pcap.err")"
# a collector that listens (a closed port would refuse the datagrams)
fm_bg_ready "$NS_A" "$FM_TMP/collector.ready" udp-sink --bind 127.0.0.1 --port 4739 \
	--out "$FM_TMP/collector.json" || tap_bail "precondition: a UDP collector listens"
fm_meter_start "$NS_A" "$VETH_A" both "$OUT" --plugin "$PLUG" -x 127.0.0.1:4739 ||
	tap_bail "precondition: the meter starts with the DNS plugin" "$(cat "$OUT.err")"

# each dig a flow of its own (a fresh source port); what dig says is kept for the log
QUERIES=("$IP4_B www.fm.test A" "$IP4_B www.fm.test AAAA" "$IP4_B nope.fm.test A"
	"$IP4_B fm.test MX" "$IP4_B txt.fm.test TXT" "$IP6_B www.fm.test A" "+tcp $IP4_B www.fm.test A")
for q in "${QUERIES[@]}"; do
	set -- $q
	if [ "$1" = +tcp ]; then
		fm_in "$NS_A" dig +tries=1 +time=2 +tcp @"$2" "$3" "$4" >>"$FM_TMP/dig.txt"
	else
		fm_in "$NS_A" dig +tries=1 +time=2 @"$1" "$2" "$3" >>"$FM_TMP/dig.txt"
	fi
done
# a flow that is not DNS, for the plugin to leave alone
fm_in "$NS_A" ping -c 2 -i 0.2 -W 1 "$IP4_B" >/dev/null
# dig has its answers: every packet passed the hook. SIGTERM writes every record.
fm_meter_stop
fm_capture_stop "$DNS_CAP" "$FM_TMP/dns.pcap" ||
	tap_bail "precondition: the DNS capture ends" "$(cat "$FM_TMP/dns.pcap.err")"
"${CHECK[@]}" dns "$FM_TMP/dns.pcap" >"$FM_TMP/expected.txt"
tap_is "$(wc -l <"$FM_TMP/expected.txt")" 7 "tshark sees 7 queries, each in a flow of its own" ||
	tap_diag "$(cat "$FM_TMP/expected.txt")"
export_has() {
	[ "$(tshark -o cflow.max_template_fields:128 -r "$FM_TMP/export.pcap" \
		-d udp.port==4739,cflow -Y cflow.pie.ntop.dns_query -T fields -e cflow.srcport 2>/dev/null |
		tr ',' '\n' | grep -c .)" -ge 7 ]
}
fm_need "the export reached the capture" fm_wait 10 export_has

KEYS=(DNS_QUERY DNS_QUERY_TYPE DNS_QUERY_ID DNS_RET_CODE DNS_NUM_ANSWERS)
while read -r port name qtype id rcode answers lat; do
	rec=$("${CHECK[@]}" json "$OUT" "$port" "${KEYS[@]}" DNS_QUERIES DNS_RESPONSES DNS_LATENCY_NS)
	read -r jname jtype jid jrcode jans jq jr jlat <<<"$rec"
	tap_is "$jname $jtype $jid $jrcode $jans" "$name $qtype $id $rcode $answers" \
		"JSON: port $port asked $name type $qtype, got rcode $rcode with $answers answers"
	tap_is "$jq $jr" "1 1" "JSON: port $port one query, one response"
	# the capture taps the packets next to the hook, not at it: microseconds apart
	diff=$((jlat - lat))
	tap_cmp "${diff#-}" -lt 1000000 "JSON: port $port latency $jlat ns, tshark $lat ns (1 ms bound)"
	tap_is "$("${CHECK[@]}" ipfix-dns "$FM_TMP/export.pcap" "$port")" \
		"$name $qtype $id $rcode $answers" "IPFIX (tshark): port $port the same DNS elements"
done <"$FM_TMP/expected.txt"

# the cases the issue names, in the records themselves
case_of() {	# name qtype: "rcode answers" of that query's record
	awk -v n="$1" -v t="$2" '$2 == n && $3 == t { print $1 }' "$FM_TMP/expected.txt" | tail -1
}
port=$(case_of nope.fm.test 1)
tap_is "$("${CHECK[@]}" json "$OUT" "$port" DNS_RET_CODE DNS_NUM_ANSWERS)" "3 0" \
	"NXDOMAIN: rcode 3, no answer"
port=$(case_of www.fm.test 28)
tap_is "$("${CHECK[@]}" json "$OUT" "$port" DNS_RET_CODE DNS_NUM_ANSWERS)" "0 0" \
	"a query with no answer (AAAA of an A-only name): NOERROR, 0 answers"
# a record without DNS carries no DNS keys: the ping's
tap_is "$(grep -c '"PROTOCOL":1,' "$OUT")" 1 "the ping is one record"
tap_is "$(grep '"PROTOCOL":1,' "$OUT" | grep -c DNS_)" 0 "the ping's record has no DNS fields"
tap_is "$(grep -v '"L4_DST_PORT":53,' "$OUT" | grep -c DNS_QUERY)" 0 \
	"records of other flows have no DNS fields"
tap_done
