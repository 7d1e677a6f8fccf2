#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_table_full.sh - a full flow table end to end, and a later load that
# adopts the pinned table's capacity.
#
# README: "Nothing is ever silently lost: packets of flows a full table
# cannot take ... are counted in per-CPU counters" (table_full_pkts,
# table_full_bytes); DESIGN.md: "a later load adopts the pinned table's
# capacity". Two namespaces joined by a veth, IPv6 off (nothing but the
# test's datagrams on the wire). A sends FLOWS UDP flows one after the
# other (consecutive source ports, PER datagrams each, no replies) to a
# sink in B; the table holds MAX = 1024 entries (the smallest --max-flows).
#  - pinned: "tc_flowmon_user --attach -I veth --max-flows 1024" in a private
#    mount namespace with its own bpffs, then "--attach --max-flows 4096"
#    again: --status says "of 1024 entries" (adopted). After the traffic:
#    --status 1024 of 1024 entries, table_full_pkts = (FLOWS - MAX) * PER,
#    table_full_bytes that times the L3 size; "-i 0" prints the first MAX
#    flows sent, PER packets each; a daemon run (-i 1, SIGTERM) writes them
#    and empties the table; the flows refused before are counted now.
#  - self-contained: "tc_flowmon_user -I veth --max-flows 1024 -v": after
#    SIGTERM the records are the first MAX flows, and its last logged
#    counters say what the table refused, as above.
# Reason 5 (lack of resources) is documented (README) but the design names
# no case that produces it: a full table refuses new flows and counts their
# packets; it ends no record. This test checks that no record says 5.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

MAX=1024
FLOWS=1100
PER=2
SIZE=100
L3=$((28 + SIZE))
SPORT0=20000
PORT=5001
PIN=/sys/fs/bpf/tc/globals/flowmon_stats

M() {
	fm_mnt "$NS_A" "$@"
}
quiet() {
	"$@" >/dev/null 2>&1
}
status() {		# counter name, or "entries"
	M "$FM_USER" --status 2>/dev/null | awk -v c="$1" '
		c == "entries" && /^table / { print $(NF - 3) " of " $(NF - 1); exit }
		$1 == c { print $2; exit }'
}
# FLOWS flows from source ports SPORT0.., PER datagrams each; the sink has them all
traffic() {		# first-sport flows
	local want=$(($2 * PER)) sink

	fm_bg_ready "$NS_B" "$FM_TMP/s.ready" udp-sink --bind "$IP4_B" --port "$PORT" \
		--expect "$want" --out "$FM_TMP/s.json" || tap_bail "precondition: the sink listens"
	sink=$FM_BG_PID
	fm_need "$2 flows sent" fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-flows \
		--bind "$IP4_A" --first-sport "$1" --flows "$2" --per-flow "$PER" --size "$SIZE" \
		--dst "$IP4_B" --dport "$PORT"
	fm_bg_wait "$sink" 20
	fm_need "the sink received all $want datagrams (they passed the hook)" "$FM_PY" -c '
import json, sys
sys.exit(sum(json.load(open(sys.argv[1])).values()) != int(sys.argv[2]))' "$FM_TMP/s.json" "$want"
}
# "records packets ports-ok reasons": records of the test's flows in a file;
# ports-ok is 1 when they are exactly the first n source ports, PER packets each
records() {		# file n
	"$FM_PY" - "$1" "$2" "$SPORT0" "$PER" "$IP4_A" <<'PYEOF'
import json, sys
path, n, p0, per, src = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
recs = [r for r in (json.loads(l) for l in open(path) if l.startswith("{"))
        if r.get("IPV4_SRC_ADDR") == src and r["PROTOCOL"] == 17]
ports = sorted(r["L4_SRC_PORT"] for r in recs)
ok = ports == list(range(p0, p0 + n)) and all(r["IN_PKTS"] == per for r in recs)
print(len(recs), sum(r["IN_PKTS"] for r in recs), int(ok),
      ",".join(sorted(set(str(r["FLOW_END_REASON"]) for r in recs))) or "-")
PYEOF
}
scans() {		# log n: the meter logged at least n scans
	[ "$(grep -c ' kernel: ' "$1" 2>/dev/null)" -ge "$2" ]
}

fm_init
fm_pair || tap_bail "two namespaces joined by a veth pair"
for ns in "$NS_A" "$NS_B"; do
	fm_need "IPv6 off in $ns" fm_in "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done

# --- pinned table, adopted by a later load ---
fm_mntns "$NS_A" || tap_bail "a private mount namespace with its own bpffs"
tap_ok "--attach -I $VETH_A --max-flows $MAX" quiet M "$FM_USER" --attach -I "$VETH_A" --max-flows "$MAX"
tap_is "$(status entries)" "0 of $MAX" "--status: an empty table of $MAX entries"
tap_ok "--attach again with --max-flows 4096" quiet M "$FM_USER" --attach -I "$VETH_A" --max-flows 4096
tap_is "$(status entries)" "0 of $MAX" "the later load adopted the pinned table's $MAX entries"

traffic "$SPORT0" "$FLOWS"
tap_is "$(status entries)" "$MAX of $MAX" "--status: the table is full"
tap_is "$(status table_full_pkts)" $(((FLOWS - MAX) * PER)) \
	"table_full_pkts == the $((FLOWS - MAX)) refused flows x $PER datagrams sent"
tap_is "$(status table_full_bytes)" $(((FLOWS - MAX) * PER * L3)) \
	"table_full_bytes == their datagrams x $L3 bytes"
M "$FM_USER" -f "$PIN" -i 0 -j -o - >"$FM_TMP/once.json" 2>"$FM_TMP/once.err"
tap_is "$(records "$FM_TMP/once.json" "$MAX")" "$MAX $((MAX * PER)) 1 0" \
	"-i 0: the first $MAX flows sent, $PER packets each, open (reason 0)"

# a daemon run writes them and empties the table
DOUT=$FM_TMP/daemon.json
nsenter --net="/run/netns/$NS_A" --mount="$FM_TMP/mnt/$NS_A" -- \
	"$FM_USER" -f "$PIN" -i 1 -v -j -o "$DOUT" -l "$FM_TMP/daemon.log" 2>"$FM_TMP/daemon.err" &
DPID=$!
FM_PIDS+=("$DPID")
fm_need "the daemon scans" fm_wait 10 scans "$FM_TMP/daemon.log" 1
fm_meter_stop "$DPID"
tap_is "$?" 0 "the daemon exits 0 on SIGTERM"
tap_is "$(records "$DOUT" "$MAX")" "$MAX $((MAX * PER)) 1 4" \
	"SIGTERM: the $MAX flows written, reason 4; no record says 5"
tap_is "$(status entries)" "0 of $MAX" "the table is empty again"
traffic $((SPORT0 + MAX)) $((FLOWS - MAX))
M "$FM_USER" -f "$PIN" -i 0 -j -o - >"$FM_TMP/again.json" 2>/dev/null
tap_is "$("$FM_PY" -c 'import json, sys
print(sum(1 for l in open(sys.argv[1]) if l.startswith("{") and
          json.loads(l)["L4_SRC_PORT"] >= int(sys.argv[2])))' "$FM_TMP/again.json" \
	$((SPORT0 + MAX)))" $((FLOWS - MAX)) "room again: the $((FLOWS - MAX)) flows refused before are counted now"
tap_ok "--detach" quiet M "$FM_USER" --detach -I "$VETH_A"

# --- self-contained run ---
OUT=$FM_TMP/flows.json
fm_meter_start "$NS_A" "$VETH_A" both "$OUT" --max-flows "$MAX" -v ||
	tap_bail "the self-contained meter attaches with --max-flows $MAX"
traffic "$SPORT0" "$FLOWS"
n=$(grep -c ' kernel: ' "$OUT.log" 2>/dev/null)
fm_need "the meter scans after the traffic" fm_wait 5 scans "$OUT.log" $((n + 2))
fm_meter_stop
tap_is "$?" 0 "-I --max-flows $MAX: exits 0 on SIGTERM"
tap_is "$(records "$OUT" "$MAX")" "$MAX $((MAX * PER)) 1 4" \
	"-I --max-flows $MAX: the first $MAX flows written, $PER packets each, reason 4"
tap_is "$(grep ' kernel: ' "$OUT.log" | tail -1 | sed -n 's/.* table_full_pkts \([0-9]*\) table_full_bytes \([0-9]*\) .*/\1 \2/p')" \
	"$(((FLOWS - MAX) * PER)) $(((FLOWS - MAX) * PER * L3))" \
	"-I --max-flows $MAX: table_full_pkts/bytes == what the refused flows sent"

tap_done
