#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_refkit.sh - offline mode on the refkit pcap (make_test_pcap.py) with
# --idle-timeout 30 --active-timeout 60 gives the records, splits and end
# reasons of the independent oracle refkit/pcap_flows.py --biflow; and a
# broken capture file fails with one line naming it, after writing what
# was read before the damage.
set -u
cd "${FLOWMON_ROOT:-$(dirname "$0")/../..}" || exit 1
PCAPS=${FLOWMON_PCAPS:-../shared/pcaps}
REFKIT=${REFKIT:-$(cd "$PCAPS/../refkit" 2>/dev/null && pwd)}
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/flowmon-offline.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); echo "not ok $n $1"; }
check() { if [ "$1" -eq 0 ]; then ok "$2"; else notok "$2"; fi; }

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the replay runs the BPF program)"
	exit 0
fi
# a missing oracle or scapy is a failure, not a skip (docs/TESTING.md)
if [ ! -f "$REFKIT/pcap_flows.py" ] || [ ! -f "$REFKIT/make_test_pcap.py" ]; then
	echo "not ok 1 precondition: the refkit oracles are at $REFKIT"
	echo "1..1"
	exit 1
fi
if ! $PY -c 'import scapy' 2>/dev/null; then
	echo "not ok 1 precondition: $PY has scapy (python3-scapy, scripts/install-deps.sh)"
	echo "1..1"
	exit 1
fi
$PY "$REFKIT/make_test_pcap.py" "$TMP/t.pcap" "$TMP/truth.csv" > /dev/null
$PY "$REFKIT/pcap_flows.py" "$TMP/t.pcap" --idle 30 --active 60 --biflow > "$TMP/oracle.csv"
./tc_flowmon_user -r "$TMP/t.pcap" -j -o "$TMP/ours.jsonl" --idle-timeout 30 \
	--active-timeout 60 > "$TMP/log" 2>&1
check $? "refkit: offline run exits 0"
$PY tests/offline/refkit_check.py "$TMP/oracle.csv" "$TMP/ours.jsonl" > "$TMP/cmp" 2>&1
rc=$?
cat "$TMP/cmp"
check $rc "refkit: records, splits and end reasons equal pcap_flows.py --biflow"

# The same file without timeouts: one record per connection, 4 for UDP/ICMP.
$PY "$REFKIT/pcap_flows.py" "$TMP/t.pcap" --biflow > "$TMP/oracle0.csv"
./tc_flowmon_user -r "$TMP/t.pcap" -j -o "$TMP/ours0.jsonl" --idle-timeout 100000 \
	--active-timeout 100000 > "$TMP/log0" 2>&1
$PY tests/offline/refkit_check.py "$TMP/oracle0.csv" "$TMP/ours0.jsonl" > "$TMP/cmp0" 2>&1
rc=$?
cat "$TMP/cmp0"
check $rc "refkit: without timeouts, records equal pcap_flows.py --biflow"

# A capture cut in the middle of a packet record: error names the file and
# the packet, the flows read before it are written, exit status 1.
size=$(stat -c %s "$TMP/t.pcap")
head -c $((size - 30)) "$TMP/t.pcap" > "$TMP/cut.pcap"
./tc_flowmon_user -r "$TMP/cut.pcap" -j -o "$TMP/cut.jsonl" > "$TMP/cut.out" 2> "$TMP/cut.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "cut.pcap: packet 53" "$TMP/cut.err" &&
	[ "$(wc -l < "$TMP/cut.err")" -eq 1 ]
check $? "truncated pcap: exit 1 and one error line naming file and packet 53"
total=$($PY -c 'import json,sys; print(sum(json.loads(l)["IN_PKTS"]+json.loads(l)["OUT_PKTS"] for l in open(sys.argv[1])))' "$TMP/cut.jsonl")
[ "$total" = 50 ]	# 52 frames before the cut, 2 of them ARP
check $? "truncated pcap: the 50 IP packets before the damage are written ($total)"

printf 'not a pcap file at all\n' > "$TMP/junk.pcap"
./tc_flowmon_user -r "$TMP/junk.pcap" -j -o "$TMP/junk.jsonl" 2> "$TMP/junk.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "junk.pcap" "$TMP/junk.err" && [ "$(wc -l < "$TMP/junk.err")" -eq 1 ]
check $? "not a pcap: exit 1 and one error line naming the file"
echo "1..$n"
