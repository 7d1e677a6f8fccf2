#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_pcaps.sh - every capture of the corpus through tc_flowmon_user -r, judged by tshark.
#
#   tests/pcap/test_pcaps.sh [-v] [-j JOBS] [FILE...]
#
# FILE: a name in the corpus ($FLOWMON_PCAPS, default ../shared/pcaps) or a
# path (default: every corpus file below, and the captures make_synth.py
# crafts for the counting rules and for what the corpus lacks).
#
# For each file, as a user would, with no timeouts (one record per
# connection, written at the end of the file):
#
#   tc_flowmon_user -r FILE -j -o RECORDS -v --idle-timeout N --active-timeout N
#
# must exit 0 with nothing on stderr, and compare.py --eof --metrics
# --counters judges RECORDS by tshark: per direction packets and L3 bytes
# exactly and TCP flags; per connection first/last ms; per direction TTL
# and length ranges and buckets, TOS, flow label, inter-arrival times, MSS,
# window scale, windows and resent segments (metrics.py); each err_* counter and
# frag_no_first against the packets the documented counting rules
# (compare.py RULES, the one list of them) put there; for the crafted files
# every rule must have applied exactly to the packets crafted for it. Then:
# every rule is crafted for at least once, and every file of the corpus is
# either tested here or left out below with its reason.
#
# TAP on stdout: "ok N file", or "not ok N file" followed by the differences
# as "#" lines (-v: the notes of passing files too). Root is needed (the
# replay runs the BPF program); without it the plan is "1..0 # SKIP". A
# missing tool, corpus or binary is a failure. Leaves nothing behind: one
# temp folder; offline mode pins nothing; every command bounded by timeout.
set -u

ROOT=${FLOWMON_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PCAPS=${FLOWMON_PCAPS:-$ROOT/../shared/pcaps}
BIN=$ROOT/tc_flowmon_user
COMPARE=$ROOT/tests/pcap/compare.py
SYNTH=$ROOT/tests/pcap/make_synth.py
PY=/usr/bin/python3
PER_FILE_TIMEOUT=120
NOTIMEOUT=1000000000	# seconds: ~31 years, no idle or active split in any capture

# The files, by what they exercise. Every file of the corpus is here or in
# the left-out list below, with the reason.
FILES=(
	# Ethernet, plain IPv4/IPv6 TCP/UDP sessions
	zeek-http-get.pcap zeek-wikipedia.pcap zeek-var-services-std-ports.pcap
	zeek-communityid-tcp.pcap tcpdump-dns_udp.pcap tcpdump-dns_tcp.pcap
	tcpreplay-test.pcap arkime-tcp_handshake_synthetic.pcap arkime-v6.pcap
	ndpi-http_ipv6.pcap ndpi-quic.pcap arkime-padded-udp.pcap
	# TCP state machine edge cases (flags, 5-tuple reuse, backward time steps)
	arkime-long-session.pcap zeek-tcp-handshake-reorder.pcap zeek-tcp-missing-syn.pcap
	zeek-tcp-single-rst.pcap zeek-tcp-syn-then-rst.pcap zeek-tcp-tcp-fast-open.pcap
	tcpdump-tcp_rst_data.pcap tcpdump-accecn_handshake.pcap
	# SCTP, ICMP and ICMPv6 (type/code as ports; errors quoting other packets)
	zeek-communityid-sctp.pcap zeek-communityid-icmp.pcap zeek-communityid-icmp6.pcap
	zeek-icmp-destunreach-udp.pcap zeek-icmp6-ping.pcap zeek-icmp6-destunreach-ip6ext.pcap
	zeek-icmp6-toobig.pcap tcpdump-icmpv6.pcap ndpi-icmp-tunnel.pcap
	tcpdump-icmp-length-zero.pcapng
	# IPv6 extension headers (HBH, routing, SRH, AH, no next header), ESP, IPv4 AH
	zeek-ipv6-hbh-routing0.pcap zeek-ip6_esp.pcap zeek-ipv6_zero_len_ah.pcap
	tcpdump-ipv6-srh-ext-header.pcap tcpdump-ipv6_no_next_header.pcap ndpi-ah.pcapng
	# VLAN, QinQ (3 tags), 802.1ad, VLAN-agnostic keys; MPLS and PPPoE are non-IP here
	zeek-http-vlan-0.pcap zeek-vlan-qinqinq.pcap zeek-vlan-collisions.pcap
	zeek-vlan-pcp-dei.pcapng arkime-dot1ad.pcap zeek-mixed-vlan-mpls.pcap
	zeek-pppoe-over-qinq.pcap
	# Tunnels: the outer header is the flow (GRE, ERSPAN, IP-in-IP, UDP tunnels)
	ndpi-4in4tunnel.pcap ndpi-4in6tunnel.pcap ndpi-6in4tunnel.pcap
	zeek-tunnels-gre-sample.pcap zeek-tunnels-gre-within-gre.pcap
	zeek-tunnels-gre-pptp.pcap tcpdump-various_gre.pcap zeek-tunnels-gre-over-udp-4754.pcap
	zeek-erspan.pcap arkime-gre-erspan-vxlan.pcap zeek-tunnels-vxlan-encapsulated-http.pcap
	ndpi-vxlan.pcap tcpdump-geneve.pcap zeek-tunnels-geneve-ipv6.pcap
	zeek-gtp1_gn_normal_incl_fragmentation.pcap zeek-tunnels-Teredo.pcap
	zeek-tunnels-geneve-truncated.pcapng
	# IPv4 and IPv6 fragments (later fragments join their first fragment's flow)
	zeek-ipv4-fragmented-1.pcap zeek-ipv4-fragmented-2.pcap zeek-ipv4-fragmented-3.pcap
	zeek-ipv4-fragmented-syn.pcap zeek-ipv6-fragmented-dns.pcap
	zeek-ipv6-http-atomic-frag.pcap zeek-ipv6-reassembly-state-leak.pcap
	ndpi-ip_fragmented_garbage.pcap ndpi-dns_fragmented.pcap
	# Truncated and malformed packets (err_* counters), TSO length 0
	zeek-tcp-truncated-header.pcap zeek-trunc-ip6-ext-trunc.pcap
	zeek-trunc-ipv4-truncated-broken-header.pcap
	zeek-udp-contents-truncated-oob.pcap zeek-unknown-ip-short-payload.pcap
	zeek-mpls-6in6-broken.pcap tcpdump-ipv4_invalid_hdr_length.pcap
	tcpdump-ipv4_invalid_total_length.pcap tcpdump-ipv6-bad-version.pcap
	tcpdump-udp-length-heapoverflow.pcap tcpdump-ipv4_tcp_http_xml_tso.pcap
	tcpdump-empty.pcap ndpi-badpackets.pcap ndpi-fuzz-2006-06-26-2594.pcap
	# Link types (linktype.c): raw IP, IPv4, Linux SLL/SLL2, BSD NULL, NFLOG;
	# file formats: pcapng, several IDBs, big-endian pcap/pcapng, nanoseconds
	tcpdump-LINKTYPE_RAW_ipv4.pcap tcpdump-LINKTYPE_RAW_ipv6.pcap tcpdump-LINKTYPE_IPV4.pcap
	ndpi-ocs.pcap zeek-tcp-timeout-with-pings.pcap zeek-linux_dlt_sll2.pcap
	ndpi-KakaoTalk_chat.pcap ndpi-quic-v2.pcapng tcpdump-tcp-handshake-nano.pcap
	gopacket-test_loopback.pcap ndpi-opc-ua.pcap zeek-nflog-http.pcap
	zeek-pcapng-multi-interface.pcapng arkime-bigendian.pcap gopacket-be-test010.pcapng
	# BIG TCP: 80 KB aggregates, IP length 0 or a jumbo option (the replay
	# carries their whole length on the wire)
	tcpdump-bigtcp-ipv4.pcap tcpdump-bigtcp-ipv6-hbh.pcap
	tcpdump-bigtcp-ipv4-vxlan-ipv6.pcap
	# Larger traces: many flows, hot flows, one-packet flows
	zeek-echo-connections.pcap ndpi-1kxun.pcap ndpi-synscan.pcap ndpi-WebattackRCE.pcap
	ndpi-gnutella.pcap ndpi-srvloc.pcap zeek-dhcp_flood.pcap ndpi-alexa-app.pcapng
	ndpi-reddit.pcap ndpi-netflix.pcap ndpi-opera-vpn.pcapng zeek-modbusBig.pcap
	zeek-http-1000-requests.pcap
)

# Left out, and why (each was run; the last check below keeps this list
# and the corpus in step):
LEFT_OUT=(
	# a frame too short for the IP header its ethertype announces: the
	# kernel's BPF_PROG_TEST_RUN refuses it (EINVAL), so offline mode reports
	# the packet as not replayed (tests/bpf covers err_ip4/err_ip6 there)
	zeek-trunc-ip4-trunc.pcap tcpdump-ipv6_invalid_length.pcap
	# the file ends inside its only packet record: a read error, no flow
	ndpi-fuzz-2021-10-13.pcap
	# tshark stops at a malformed header before the fields that would key
	# the packet (IPv6 payload length 0 with a fragment header; a malformed
	# Home Address option before UDP)
	tcpdump-ipv6_frag6_negative_len.pcap zeek-ipv6-mobility-dst-opts.pcap
)

VERBOSE=0
JOBS=$(nproc 2>/dev/null || echo 1)
while getopts "vj:" opt; do
	case $opt in
	v) VERBOSE=1 ;;
	j) JOBS=$OPTARG ;;
	*) echo "usage: $0 [-v] [-j JOBS] [FILE...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
USER_FILES=$#
[ $# -gt 0 ] && FILES=("$@")

. "$ROOT/tests/pcap/common.sh"

pcap_prereqs "$BIN"
pcap_tmpdir flowmon-pcap

# The crafted captures, unless files were named.
if [ "$USER_FILES" -eq 0 ]; then
	mkdir "$TMP/synth"
	if ! names=$(timeout 60 "$PY" "$SYNTH" "$TMP/synth"); then
		pcap_bail "make_synth.py writes the crafted captures"
	fi
	for f in $names; do
		FILES+=("$TMP/synth/$f")
	done
fi

# Captures whose header says no frame can hold an IP header (snapshot length
# below Ethernet's 14 + 20 bytes): replay refuses them, exit 1, one line
# naming the file and the snapshot length its header gives.
REFUSED=(zeek-trunc-trunc-hdr.pcap)

check_refused() {
	local n=$1 f=$2 pcap=$PCAPS/$2 snap rc

	snap=$("$PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read(24)
print(struct.unpack(("<" if d[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">") + "I", d[16:20])[0])' "$pcap")
	timeout "$PER_FILE_TIMEOUT" "$BIN" -r "$pcap" -j -o "$TMP/$n.json" 2>"$TMP/$n.err" >/dev/null
	rc=$?
	if [ "$rc" = 1 ] && [ "$(wc -l <"$TMP/$n.err")" = 1 ] &&
		grep -q "$f: snapshot length $snap is too short" "$TMP/$n.err"; then
		echo "ok $n $f: refused (snapshot length $snap), one line" >"$TMP/$n.tap"
	else
		printf 'not ok %d %s: refused (snapshot length %s), one line\n# exit %s: %s\n' \
			"$n" "$f" "$snap" "$rc" "$(head -c 300 "$TMP/$n.err")" >"$TMP/$n.tap"
	fi
}

# One file: its TAP block in $TMP/N.tap (N is its test number).
check_one() {
	local n=$1 f=$2 d="$TMP/$1" rc why=() extra=()
	local pcap=$PCAPS/$f

	case $f in
	*/*) pcap=$f; f=${f##*/} ;;
	esac
	mkdir -p "$d"
	if [ ! -f "$pcap" ]; then
		printf 'not ok %d %s\n# no such file %s\n' "$n" "$f" "$pcap" >"$TMP/$n.tap"
		return
	fi
	timeout "$PER_FILE_TIMEOUT" "$BIN" -r "$pcap" -j -o "$d/records.jsonl" -v \
		--idle-timeout $NOTIMEOUT --active-timeout $NOTIMEOUT >"$d/log" 2>"$d/err"
	rc=$?
	[ $rc -eq 0 ] || why+=("tc_flowmon_user -r exited with status $rc")
	[ -s "$d/err" ] && why+=("tc_flowmon_user wrote on stderr: $(head -c 300 "$d/err")")
	[ -f "$d/records.jsonl" ] || : >"$d/records.jsonl"
	if [ -f "$TMP/synth/expected-rules.json" ] && [ "$pcap" = "$TMP/synth/$f" ]; then
		"$PY" -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1])).get(sys.argv[2], {})))' \
			"$TMP/synth/expected-rules.json" "$f" >"$d/crafted.json"
		extra=(--expect-rules "$d/crafted.json")
	fi
	timeout "$PER_FILE_TIMEOUT" "$PY" "$COMPARE" --eof --metrics --counters "$d/log" \
		--rules-out "$TMP/$n.rules" "${extra[@]}" "$pcap" "$d/records.jsonl" \
		>"$d/compare.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || why+=("compare.py: the records differ from tshark (status $rc)")
	{
		if [ ${#why[@]} -eq 0 ]; then
			echo "ok $n $f"
		else
			echo "not ok $n $f"
			printf '# %s\n' "${why[@]}"
		fi
		if [ ${#why[@]} -gt 0 ] || [ $VERBOSE -eq 1 ]; then
			head -n 40 "$d/compare.out" | sed 's/^/#   /'
			grep -h ' kernel: ' "$d/log" | tail -1 | sed 's/^/#   /'
		fi
	} >"$TMP/$n.tap"
	rm -rf "$d"
}

if [ "$USER_FILES" -eq 0 ]; then FILES+=("${REFUSED[@]}"); fi
n=0
for f in "${FILES[@]}"; do
	n=$((n + 1))
	case " ${REFUSED[*]} " in
	*" $f "*) check_refused "$n" "$f" & continue ;;
	esac
	check_one "$n" "$f" &
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
done
wait
nfiles=$n

fail=0
for ((i = 1; i <= nfiles; i++)); do
	if [ -f "$TMP/$i.tap" ]; then
		cat "$TMP/$i.tap"
		grep -q '^not ok' "$TMP/$i.tap" && fail=1
	else
		echo "not ok $i ${FILES[$((i - 1))]##*/}"
		echo "# no result (killed?)"
		fail=1
	fi
done

if [ "$USER_FILES" -eq 0 ]; then
	# every counting rule is crafted for (and so tested) at least once
	n=$((n + 1))
	missing=$("$PY" - "$COMPARE" "$TMP/synth/expected-rules.json" <<'PYEOF'
import json, subprocess, sys
rules = [l.split('\t')[0] for l in subprocess.run(
    ['/usr/bin/python3', sys.argv[1], '--list-rules'], stdout=subprocess.PIPE,
    universal_newlines=True).stdout.splitlines()]
crafted = json.load(open(sys.argv[2]))
print(' '.join(r for r in rules if not any(c.get(r, 0) > 0 for c in crafted.values())))
PYEOF
)
	if [ -z "$missing" ]; then
		echo "ok $n every counting rule of compare.py is exercised by a crafted capture"
	else
		echo "not ok $n every counting rule of compare.py is exercised by a crafted capture"
		echo "# never crafted: $missing"
		fail=1
	fi
	# every corpus file is tested here or left out with a reason
	n=$((n + 1))
	untested=$(cd "$PCAPS" && for f in *.pcap *.pcapng; do
		[ -e "$f" ] || continue
		case " ${FILES[*]##*/} ${LEFT_OUT[*]} " in
		*" $f "*) ;;
		*) echo "$f" ;;
		esac
	done)
	if [ -z "$untested" ]; then
		echo "ok $n every corpus file is tested or left out with its reason"
	else
		echo "not ok $n every corpus file is tested or left out with its reason"
		echo "# neither: $(echo $untested)"
		fail=1
	fi
fi
echo "1..$n"
exit $fail
