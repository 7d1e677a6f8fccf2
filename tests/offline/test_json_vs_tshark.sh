#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_json_vs_tshark.sh - offline mode's JSON records against tshark, per direction.
#
#   tests/offline/test_json_vs_tshark.sh [FILE...]
#
# For each capture of ../shared/pcaps below (TCP/UDP/SCTP/ICMP/ICMPv6 over
# IPv4 and IPv6, extension headers, VLAN/QinQ, tunnels, fragments, malformed
# packets, every link type the corpus has), as a user would:
#
#   tc_flowmon_user -r FILE -j -o OUT -v --idle-timeout 1000000000
#                   --active-timeout 1000000000      (no timeout splits)
#
# then json_uniflows.py turns each merged record back into its two
# directions (forward = IN_*, reverse = OUT_* under the swapped key; ICMP:
# the peer type) and sums them per direction key, in replay_dump's CSV
# format; tests/pcap/compare.py --no-times checks those sums against
# shared/refkit/tshark_flows.sh (packets and L3 bytes exactly, TCP flags),
# with the modelled, commented rules where the monitor differs from tshark
# on purpose, and the err_*/frag_no_first counters of the -v log line
# "kernel: ..." against the packets its model counts there.
#
# Per file also: exit status 0, nothing on stderr, every record has
# FLOW_END_REASON 3 or 4, IN_PKTS > 0, OUT_PKTS 0 exactly when OUT_BYTES 0,
# each connection is written in one record at end of file (directions
# merged). And flows seen in one direction only are reported (OUT_PKTS 0)
# in the files known to hold some.
#
# TAP on stdout; root is needed (BPF_PROG_TEST_RUN); without it or tshark
# the plan is a SKIP. Leaves nothing behind: one temp folder, no pins
# (offline mode pins nothing); every command bounded by timeout.
set -u

ROOT=${FLOWMON_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SHARED=${FLOWMON_SHARED:-$ROOT/../shared}
PCAPS=$SHARED/pcaps
ORACLE=$SHARED/refkit/tshark_flows.sh
BIN=$ROOT/tc_flowmon_user
COMPARE=$ROOT/tests/pcap/compare.py
UNIFLOWS=$ROOT/tests/offline/json_uniflows.py
PY=/usr/bin/python3
PER_FILE_TIMEOUT=60
NOTIMEOUT=1000000000	# seconds: ~31 years, no idle or active split in any capture

FILES=(
	# Ethernet, plain IPv4/IPv6 TCP/UDP sessions
	zeek-http-get.pcap zeek-wikipedia.pcap tcpdump-dns_udp.pcap tcpdump-dns_tcp.pcap
	arkime-tcp_handshake_synthetic.pcap arkime-v6.pcap ndpi-http_ipv6.pcap ndpi-quic.pcap
	arkime-padded-udp.pcap tcpreplay-test.pcap
	# TCP edge cases: long session, reordered handshake, missing SYN, RST only
	arkime-long-session.pcap zeek-tcp-handshake-reorder.pcap zeek-tcp-missing-syn.pcap
	zeek-tcp-single-rst.pcap zeek-tcp-syn-then-rst.pcap tcpdump-tcp_rst_data.pcap
	zeek-tcp-tcp-fast-open.pcap
	# SCTP; ICMP and ICMPv6 requests/replies (type pairing) and errors
	zeek-communityid-sctp.pcap zeek-communityid-icmp.pcap zeek-communityid-icmp6.pcap
	zeek-icmp-destunreach-udp.pcap zeek-icmp6-ping.pcap zeek-icmp6-toobig.pcap
	tcpdump-icmpv6.pcap ndpi-icmp-tunnel.pcap tcpdump-icmp-length-zero.pcapng
	# IPv6 extension headers, ESP, AH
	zeek-ipv6-hbh-routing0.pcap zeek-ip6_esp.pcap tcpdump-ipv6-srh-ext-header.pcap
	ndpi-ah.pcapng
	# VLAN, QinQ, 802.1ad, MPLS mixed in
	zeek-http-vlan-0.pcap zeek-vlan-qinqinq.pcap zeek-vlan-collisions.pcap
	arkime-dot1ad.pcap zeek-mixed-vlan-mpls.pcap
	# tunnels: the outer header is the flow
	ndpi-4in6tunnel.pcap zeek-tunnels-gre-sample.pcap ndpi-vxlan.pcap
	# IPv4/IPv6 fragments
	zeek-ipv4-fragmented-1.pcap zeek-ipv4-fragmented-syn.pcap zeek-ipv6-fragmented-dns.pcap
	ndpi-dns_fragmented.pcap ndpi-ip_fragmented_garbage.pcap
	# truncated and malformed packets (err_* counters)
	zeek-tcp-truncated-header.pcap tcpdump-ipv4_invalid_hdr_length.pcap ndpi-badpackets.pcap
	# link types and file formats: raw IPv4/IPv6, LINKTYPE_IPV4, SLL2, BSD
	# loopback, NFLOG, multi-interface pcapng, big-endian, nanoseconds, SLL
	tcpdump-LINKTYPE_RAW_ipv4.pcap tcpdump-LINKTYPE_RAW_ipv6.pcap tcpdump-LINKTYPE_IPV4.pcap
	zeek-linux_dlt_sll2.pcap gopacket-test_loopback.pcap zeek-nflog-http.pcap
	zeek-pcapng-multi-interface.pcapng arkime-bigendian.pcap tcpdump-tcp-handshake-nano.pcap
	ndpi-ocs.pcap
	# many flows: scans (one-direction flows), floods, long traces
	ndpi-synscan.pcap zeek-dhcp_flood.pcap zeek-tcp-timeout-with-pings.pcap ndpi-1kxun.pcap
	zeek-echo-connections.pcap
)

# Files with flows seen in one direction only (a SYN scan, a lone RST, an
# ICMP error, a padded UDP datagram, a lone ICMPv6 packet): they must be
# reported with OUT_PKTS 0, not dropped for lack of a reverse.
ONE_WAY=(ndpi-synscan.pcap zeek-tcp-single-rst.pcap zeek-icmp-destunreach-udp.pcap
	arkime-padded-udp.pcap zeek-icmp6-toobig.pcap)
MIN_FILES=20

USER_FILES=$#
[ $# -gt 0 ] && FILES=("$@")

. "$ROOT/tests/pcap/common.sh"

pcap_prereqs
[ -x "$BIN" ] || skip_all "$BIN not built (make)"

pcap_tmpdir flowmon-jsonts

JOBS=$(nproc 2>/dev/null || echo 1)

# One file: its TAP block in $TMP/N.tap; "one-direction N" in $TMP/N.oneway.
check_one() {
	local n=$1 f=$2 d="$TMP/$1" rc why=()
	local pcap=$PCAPS/$f

	case $f in
	*/*) pcap=$f; f=${f##*/} ;;
	esac
	mkdir -p "$d"
	if [ ! -f "$pcap" ]; then
		printf 'not ok %d json-vs-tshark %s\n# no such file %s\n' "$n" "$f" "$pcap" \
			>"$TMP/$n.tap"
		return
	fi
	(cd "$d" && timeout "$PER_FILE_TIMEOUT" "$BIN" -r "$pcap" -j -o "$d/records.jsonl" -v \
		--idle-timeout $NOTIMEOUT --active-timeout $NOTIMEOUT >"$d/log" 2>"$d/err")
	rc=$?
	[ $rc -eq 0 ] || why+=("tc_flowmon_user exited with status $rc")
	[ -s "$d/err" ] && why+=("tc_flowmon_user wrote on stderr: $(head -c 300 "$d/err")")
	[ -f "$d/records.jsonl" ] || : >"$d/records.jsonl"
	timeout "$PER_FILE_TIMEOUT" "$PY" "$UNIFLOWS" "$d/records.jsonl" "$d/uniflows.csv" \
		"$d/log" "$d/counters.txt" >"$d/uniflows.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || why+=("json_uniflows.py: record checks failed (status $rc)")
	sed -n 's/^records [0-9]* one-direction \([0-9]*\) .*/\1/p' "$d/uniflows.out" \
		>"$TMP/$n.oneway"
	if ! timeout "$PER_FILE_TIMEOUT" "$ORACLE" "$pcap" >"$d/oracle.csv" 2>"$d/oracle.err"; then
		why+=("tshark_flows.sh failed: $(head -c 300 "$d/oracle.err")")
	elif [ -f "$d/counters.txt" ]; then
		timeout "$PER_FILE_TIMEOUT" "$PY" "$COMPARE" --no-times "$pcap" "$d/uniflows.csv" \
			"$d/oracle.csv" "$d/counters.txt" >"$d/compare.out" 2>&1
		rc=$?
		[ $rc -eq 0 ] || why+=("compare.py: per-direction sums differ from tshark (status $rc)")
	else
		why+=("no kernel counters in the -v log")
	fi
	{
		if [ ${#why[@]} -eq 0 ]; then
			echo "ok $n json-vs-tshark $f"
		else
			echo "not ok $n json-vs-tshark $f"
			printf '# %s\n' "${why[@]}"
			head -n 40 "$d/uniflows.out" | sed 's/^/#   /'
			[ -f "$d/compare.out" ] && head -n 40 "$d/compare.out" | sed 's/^/#   /'
		fi
	} >"$TMP/$n.tap"
}

n=0
for f in "${FILES[@]}"; do
	n=$((n + 1))
	check_one "$n" "$f" &
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
done
wait
nfiles=$n

fail=0
passed=0
for ((i = 1; i <= nfiles; i++)); do
	if [ -f "$TMP/$i.tap" ]; then
		cat "$TMP/$i.tap"
		if grep -q '^not ok' "$TMP/$i.tap"; then fail=1; else passed=$((passed + 1)); fi
	else
		echo "not ok $i json-vs-tshark ${FILES[$((i - 1))]##*/}"
		echo "# no result (killed?)"
		fail=1
	fi
done
n=$nfiles

# Flows seen in one direction only are still reported.
if [ "$USER_FILES" -eq 0 ]; then
	for f in "${ONE_WAY[@]}"; do
		n=$((n + 1))
		for ((i = 1; i <= nfiles; i++)); do
			[ "${FILES[$((i - 1))]}" = "$f" ] && break
		done
		ow=$(cat "$TMP/$i.oneway" 2>/dev/null)
		if [ -n "$ow" ] && [ "$ow" -gt 0 ]; then
			echo "ok $n one-direction flows reported with OUT_PKTS 0: $f ($ow records)"
		else
			echo "not ok $n one-direction flows reported with OUT_PKTS 0: $f (${ow:-no} records)"
			fail=1
		fi
	done
	n=$((n + 1))
	if [ "$passed" -ge "$MIN_FILES" ]; then
		echo "ok $n at least $MIN_FILES corpus files match tshark exactly ($passed of $nfiles)"
	else
		echo "not ok $n at least $MIN_FILES corpus files match tshark exactly ($passed of $nfiles)"
		fail=1
	fi
fi
echo "1..$n"
exit $fail
