#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_reliability.sh - issue 12 end to end, in namespaces made here:
#
#  1. The dump folder fills up (a 16 MiB tmpfs in the persistent mount
#     namespace of B, fm_mntns, filled with a file): the meter says once that it cannot
#     write, holds the records, says once that it writes again when the
#     file is removed, and in the end the dump holds every flow sent, once
#     each, as whole JSON lines; its final count is the number of lines.
#  2. Another party's filter in our TC slot (priority 1, handle 0x464d: a
#     classic BPF filter, another BPF program, a u32 filter at priority 1)
#     is never replaced or removed by load, unload, unload --all or run -I;
#     each clash is one clear error line; our own filter is still
#     recognised and replaced in place.
#  3. /etc/default/bpfflowmon is shell code tc_flowmon.sh runs as root: it
#     is refused when writable by group or others, or not owned by root.
#
# Expected values come from what the test sent and from tc filter show,
# never from the meter's own output (its log is used to wait for events).
# Every wait is bounded; the namespaces, mounts and processes go at exit.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PORT=9
fm_init
fm_pair || tap_bail "two namespaces joined by a veth pair"

# flows.py FIRST COUNT: one UDP datagram of 20 bytes from each source port
# FIRST..FIRST+COUNT-1 of A to B (COUNT flows of 1 packet, 48 IP bytes each).
cat >"$FM_TMP/flows.py" <<EOF
import socket, sys
first, count = int(sys.argv[1]), int(sys.argv[2])
for p in range(first, first + count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("$IP4_A", p))
    s.sendto(b"f" * 20, ("$IP4_B", $PORT))
    s.close()
EOF
flows() {
	fm_in "$NS_A" "$FM_PY" "$FM_TMP/flows.py" "$1" "$2"
}

# ---------------------------------------------------------------------------
# 1. The dump folder fills up and frees
# ---------------------------------------------------------------------------
DUMP=$FM_TMP/dump
LOG=$FM_TMP/meter.log
B() {		# a command in B's network and mount namespaces, where the small tmpfs is
	fm_mnt "$NS_B" "$@"
}
mkdir -p "$DUMP" && fm_mntns "$NS_B" &&
	B mount -t tmpfs -o size=16m,mode=0755 tmpfs "$DUMP" ||
	tap_bail "a 16 MiB tmpfs for the dump folder, in B's mount namespace"

dump_cat() {
	B find "$DUMP" -name '*.txt' -exec cat {} + 2>/dev/null
}
lines_in_dump() {	# every record (IPv6 neighbour traffic of the veth too)
	dump_cat | wc -l
}
sent_in_dump() {	# the records of our UDP flows
	dump_cat |
		grep -c "\"IPV4_DST_ADDR\":\"$IP4_B\",\"PROTOCOL\":17,.*\"L4_DST_PORT\":$PORT,"
}
dump_has() {		# N: the dump holds at least N records of our flows
	[ "$(sent_in_dump)" -ge "$1" ]
}
log_has() {		# fixed string in the meter's log
	grep -qF -- "$1" "$LOG" 2>/dev/null
}
accounted() {		# N: the last period line has written + held >= N
	awk -v n="$1" '/ flows: / { for (i = 1; i < NF; i++) { if ($i == "written") w = $(i + 1);
		if ($i == "held") h = $(i + 1) } } END { exit !(w + h >= n) }' "$LOG" 2>/dev/null
}

# loaded and pinned (B's own bpffs), so that status sees the daemon's counts
B "$FM_USER" load -I "$VETH_B" -D ingress --idle-timeout 1 >/dev/null ||
	tap_bail "load on $VETH_B ingress"
# fm_mnt's nsenter, not through a function: $! must be the daemon itself
nsenter --net="/run/netns/$NS_B" --mount="$FM_TMP/mnt/$NS_B" -- "$FM_USER" run -j -d "$DUMP" \
	-i 1 -v -l "$LOG" --idle-timeout 1 2>"$FM_TMP/meter.err" &
METER=$!
FM_PIDS+=("$METER")
fm_wait 15 log_has "started:" || tap_bail "the daemon started" "$(cat "$FM_TMP/meter.err")"
status_json() {		# KEY: a number or boolean of the daemon's part of status -j
	B "$FM_USER" status -j | "$FM_PY" -c 'import json, sys
print(str(json.load(sys.stdin).get("daemon", {}).get(sys.argv[1])).lower())' "$1"
}

flows 20000 200
fm_wait 30 dump_has 200
tap_is "$(sent_in_dump)" 200 "before: the 200 flows sent are in the dump"

# fill the dump folder: dd stops at ENOSPC
B dd if=/dev/zero of="$DUMP/filler" bs=64k 2>/dev/null
tap_cmp "$(B df --output=avail "$DUMP" | tail -1 | tr -d ' ')" -lt 64 "the dump folder is full"
flows 30000 2000
fm_wait 30 log_has "failed to write " || tap_diag "no 'failed to write' line in $LOG"
fm_wait 30 accounted 2200 || tap_diag "the meter did not account for 2200 records"
# The dump file's last page may still take one record (tmpfs pages are its own): no more.
tap_cmp "$(sent_in_dump)" -le 201 "full: the flows sent since are not written"
tap_is "$(status_json dump_failing)" true "status -j: the dump cannot be written"
tap_cmp "$(status_json records_held)" -ge 1999 "status -j: the flows sent since are held"
B "$FM_USER" status >"$FM_TMP/status.txt"
tap_ok "status: says records are held in memory" \
	grep -q "^daemon: pid $METER, .*records written .*, [0-9]* held, 0 lost (the dump cannot be written" \
	"$FM_TMP/status.txt"
B rm -f "$DUMP/filler"
fm_wait 30 log_has "written again" || tap_diag "no 'written again' line in $LOG"
flows 40000 100
fm_wait 30 dump_has 2300
fm_meter_stop "$METER"
tap_is "$?" 0 "the meter exits 0 at SIGTERM"

# Every line a whole JSON record; every flow sent exactly once, 1 packet of 48 bytes.
mkdir -p "$FM_TMP/dump.copy" && B cp -r "$DUMP/." "$FM_TMP/dump.copy/"
"$FM_PY" - "$FM_TMP/dump.copy" "$IP4_B" "$PORT" >"$FM_TMP/check.out" 2>&1 <<'EOF'
import json, os, sys
dst, port = sys.argv[2], int(sys.argv[3])
sent = set(range(20000, 20200)) | set(range(30000, 32000)) | set(range(40000, 40100))
seen, bad = {}, []
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        for i, line in enumerate(open(os.path.join(d, f))):
            try:
                r = json.loads(line)
                assert line.endswith("}\n")
                if r.get("IPV4_DST_ADDR") != dst or r["L4_DST_PORT"] != port:
                    continue    # the veth's own IPv6 neighbour traffic
                k = r["L4_SRC_PORT"]
                assert r["IN_PKTS"] == 1 and r["IN_BYTES"] == 48
            except Exception as e:
                bad.append("%s:%d %r" % (f, i + 1, line[:80]))
                continue
            seen[k] = seen.get(k, 0) + 1
twice = [k for k, v in seen.items() if v > 1]
missing = sorted(sent - set(seen))
extra = sorted(set(seen) - sent)
print("lines-bad", len(bad), "twice", len(twice), "missing", len(missing), "extra", len(extra))
for b in bad[:3]:
    print("bad", b)
print("missing", missing[:10], "twice", twice[:10])
EOF
tap_is "$(head -1 "$FM_TMP/check.out")" "lines-bad 0 twice 0 missing 0 extra 0" \
	"after: whole JSON lines, every one of the 2300 flows sent exactly once" ||
	tap_diag "$(cat "$FM_TMP/check.out")"
tap_is "$(grep -c 'failed to write ' "$LOG")" 1 "one 'cannot write' line for the episode"
tap_is "$(grep -c 'written again' "$LOG")" 1 "one 'written again' line for the episode"
tap_ok "the held records are written, none lost" \
	grep -q "written again: [0-9]* held records written, 0 lost" "$LOG"
tap_ok "the final count is the number of records in the dump" \
	grep -q "stopped: $(lines_in_dump) records written$" "$LOG"
tap_is "$(B "$FM_USER" status -j | "$FM_PY" -c 'import json, sys
print(json.load(sys.stdin).get("daemon", "absent"))')" None \
	"status -j after a clean stop: no daemon (its counts are in its log)"
B "$FM_USER" purge >/dev/null
tap_ok "purge: no pin left (the daemon's counts too)" B test ! -e /sys/fs/bpf/tc

# ---------------------------------------------------------------------------
# 2. Another party's filter in our slot
# ---------------------------------------------------------------------------
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"
U() {		# tc_flowmon_user in namespace A; stderr in $FM_TMP/u.err
	fm_mnt "$NS_A" "$FM_USER" "$@" >"$FM_TMP/u.out" 2>"$FM_TMP/u.err"
}
filters() {	# the filters on a hook of VETH_A, as tc shows them
	fm_mnt "$NS_A" tc filter show dev "$VETH_A" "$1" | grep -o 'pref [0-9]* [a-z0-9]* .*handle [0-9a-fx:]*\( [a-z_]*\)\?' | sort
}
snapshot() {
	echo "ingress: $(filters ingress | tr '\n' ';') egress: $(filters egress | tr '\n' ';')"
}
err_lines() {
	wc -l <"$FM_TMP/u.err"
}

# another BPF program (not ours by name) for the egress slot
cat >"$FM_TMP/other.c" <<'EOF'
__attribute__((section("tc"), used)) int other_prog(void *skb) { return -1; }
char _license[] __attribute__((section("license"), used)) = "GPL";
EOF
clang -O2 -target bpf -c "$FM_TMP/other.c" -o "$FM_TMP/other.o" 2>"$FM_TMP/clang.err" ||
	tap_bail "a foreign BPF program builds" "$(cat "$FM_TMP/clang.err")"
fm_mnt "$NS_A" tc qdisc add dev "$VETH_A" clsact &&
	fm_mnt "$NS_A" tc filter add dev "$VETH_A" ingress prio 1 handle 0x464d bpf \
		bytecode '1,6 0 0 0,' &&
	fm_mnt "$NS_A" tc filter add dev "$VETH_A" egress prio 1 handle 0x464d bpf da \
		obj "$FM_TMP/other.o" sec tc || tap_bail "foreign filters at priority 1 handle 0x464d"
BEFORE=$(snapshot)
tap_ok "the foreign filters are in place" sh -c "echo '$BEFORE' | grep -q 'bytecode\|bpf' &&
	echo '$BEFORE' | grep -q 'egress: pref 1 bpf'"

# the clsact slot: tcx links (the default on this kernel) never meet these filters
U load --tc-mech clsact -I "$VETH_A"
rc=$?
tap_is "$rc/$(err_lines)" "1/1" "load over a foreign filter: exit 1, one error line" ||
	tap_diag "$(cat "$FM_TMP/u.err")"
tap_ok "load: the error says what holds the slot" \
	grep -q "failed to attach to $VETH_A ingress: priority 1 .*holds a classic BPF filter (handle 0x464d), not ours; left in place" "$FM_TMP/u.err"
tap_is "$(snapshot)" "$BEFORE" "load: the foreign filters are unchanged, nothing of ours added"

U unload -I "$VETH_A"
rc=$?
tap_is "$rc/$(err_lines)" "1/2" "unload -I over foreign filters: exit 1, one line per hook" ||
	tap_diag "$(cat "$FM_TMP/u.err")"
tap_ok "unload: the egress error names the other program" \
	grep -q "egress: .*BPF program 'other_prog'" "$FM_TMP/u.err"
tap_is "$(snapshot)" "$BEFORE" "unload -I: the foreign filters stay"
U unload --all
tap_is "$?" 0 "unload --all: exit 0 (nothing of ours anywhere)"
tap_is "$(snapshot)" "$BEFORE" "unload --all: the foreign filters stay"
fm_mnt "$NS_A" timeout 20 "$FM_USER" -I "$VETH_A" --tc-mech clsact -i 0 -o /dev/null >/dev/null 2>"$FM_TMP/u.err"
tap_is "$?/$(err_lines)" "1/1" "run -I over a foreign filter: exit 1, one error line"
tap_is "$(snapshot)" "$BEFORE" "run -I: the foreign filters stay"
tap_ok "the clsact qdisc stays under the foreign filters" \
	sh -c "ip netns exec '$NS_A' tc qdisc show dev '$VETH_A' | grep -q clsact"

# ours again once the slot is free: recognised by name, replaced in place
fm_mnt "$NS_A" tc filter del dev "$VETH_A" ingress prio 1
fm_mnt "$NS_A" tc filter del dev "$VETH_A" egress prio 1
U load --tc-mech clsact -I "$VETH_A" && U load --tc-mech clsact -I "$VETH_A"
tap_is "$?" 0 "load twice on a free slot: exit 0"
tap_is "$(fm_count_ours fm_mnt "$NS_A" "$VETH_A" ingress)/$(fm_count_ours fm_mnt "$NS_A" "$VETH_A" egress)" \
	"1/1" "load twice: one filter of ours per hook"
tap_ok "our filters run flowmon_ingress and flowmon_egress" sh -c "
	ip netns exec '$NS_A' tc filter show dev '$VETH_A' ingress | grep -q 'name flowmon_ingress' &&
	ip netns exec '$NS_A' tc filter show dev '$VETH_A' egress | grep -q 'name flowmon_egress'"
U unload -I "$VETH_A"
tap_is "$?/$(fm_count_ours fm_mnt "$NS_A" "$VETH_A" ingress)" "0/0" "unload: ours removed"

# a classifier of another kind at priority 1 takes the priority: a clear error too
fm_mnt "$NS_A" tc qdisc add dev "$VETH_A" clsact 2>/dev/null
fm_mnt "$NS_A" tc filter add dev "$VETH_A" ingress prio 1 protocol all u32 match u32 0 0 ||
	tap_bail "a u32 filter at priority 1"
BEFORE=$(snapshot)
U load --tc-mech clsact -I "$VETH_A" -D ingress
tap_is "$?/$(err_lines)" "1/1" "load next to a u32 filter at priority 1: exit 1, one line"
tap_ok "the error names the u32 filter" grep -q "holds a u32 filter" "$FM_TMP/u.err"
U unload -I "$VETH_A"
tap_is "$?" 0 "unload -I with a u32 filter at priority 1: nothing of ours, exit 0"
tap_is "$(snapshot)" "$BEFORE" "the u32 filter stays"
fm_mnt "$NS_A" tc qdisc del dev "$VETH_A" clsact

# ---------------------------------------------------------------------------
# 3. /etc/default/bpfflowmon: root's, writable by root only
# ---------------------------------------------------------------------------
DEFAULTS=$FM_TMP/root.$NS_A/default/bpfflowmon
SOURCED=$FM_TMP/sourced
printf 'INTERVAL=7\ntouch %s\n' "$SOURCED" >"$DEFAULTS"
defaults() {	# expected-rc name: --show-defaults with the file as it is now
	local rc

	rm -f "$SOURCED"
	fm_mnt "$NS_A" "$FM_SCRIPT" --show-defaults >"$FM_TMP/d.out" 2>"$FM_TMP/d.err"
	rc=$?
	tap_is "$rc" "$1" "$2" || tap_diag "$(cat "$FM_TMP/d.err")"
}
chown 0:0 "$DEFAULTS" && chmod 0644 "$DEFAULTS"
defaults 0 "defaults file root's, 0644: read"
tap_ok "defaults file 0644: its settings apply" grep -q "Dump interval: *7$" "$FM_TMP/d.out"
chmod 0666 "$DEFAULTS"
defaults 1 "defaults file writable by others: refused (exit 1)"
tap_ok "writable by others: one line saying why, nothing of it run" sh -c "
	[ \$(wc -l <'$FM_TMP/d.err') -eq 1 ] && grep -q 'writable by group or others' '$FM_TMP/d.err' &&
	[ ! -e '$SOURCED' ]"
chmod 0664 "$DEFAULTS"
defaults 1 "defaults file writable by its group: refused (exit 1)"
chmod 0644 "$DEFAULTS" && chown 65534:0 "$DEFAULTS"
defaults 1 "defaults file owned by another user: refused (exit 1)"
tap_ok "owned by another user: one line naming the owner, nothing of it run" sh -c "
	grep -q 'owned by uid 65534, not root' '$FM_TMP/d.err' && [ ! -e '$SOURCED' ]"

tap_done
