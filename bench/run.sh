#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# run.sh - `make bench`: kernel ns/packet, userland ns/flow, replay packets/s
# and memory, each next to its baseline measured in the same run; prints a
# report. Builds nothing (make does); leaves no pins, processes or files.
#   BENCH_CPU=N      CPU the harness and the replayed tools are pinned to (1)
#   BENCH_TRIALS=N   trials per figure, the median is reported (7)
#   FLOWMON_PCAPS=D  the shared pcap corpus (../shared/pcaps)
set -u
cd "$(dirname "$0")/.." || exit 2

BENCH=.output/bench
FLOOR=.output/floor.bpf.o
NOHOOK=.output/tc_flowmon_kern_nohook.o	# the meter without the plugin hook (its cost)
OBJ=tc_flowmon_kern.o
USER_BIN=./tc_flowmon_user
CPU=${BENCH_CPU:-1}
TRIALS=${BENCH_TRIALS:-7}
PCAPS=${FLOWMON_PCAPS:-$PWD/../shared/pcaps}
# pcaps-notes.md section 4: the throughput and flow-table benchmark files
CORPUS_FILES=(zeek-echo-connections.pcap zeek-modbusBig.pcap zeek-http-1000-requests.pcap
	ndpi-synscan.pcap ndpi-WebattackRCE.pcap ndpi-gnutella.pcap ndpi-srvloc.pcap
	zeek-dhcp_flood.pcap ndpi-1kxun.pcap ndpi-alexa-app.pcapng ndpi-opera-vpn.pcapng
	ndpi-netflix.pcap ndpi-reddit.pcap)

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF_PROG_TEST_RUN, map creation)" >&2
	exit 1
fi
for f in "$BENCH" "$FLOOR" "$OBJ" "$NOHOOK" plugins/dns.bpf.o plugins/tls.bpf.o plugins/rtt.bpf.o; do
	[ -e "$f" ] || { echo "bench: $f is missing: run 'make bench'" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/flowmon-bench.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
B=("$BENCH" --cpu "$CPU" --trials "$TRIALS" --obj "$OBJ" --floor "$FLOOR" --nohook "$NOHOOK"
	--plugins plugins)
rc=0

section() {
	printf '\n== %s\n' "$*"
}

# Run one harness step under a time limit; a failed step is reported, not fatal.
step() {	# seconds, command...
	local t=$1
	shift
	timeout --kill-after=5 "$t" "$@" || {
		echo "  (step failed or timed out: $*)"
		rc=1
	}
}

machine() {
	section "machine"
	echo "  $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs:" \
		"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "  memory $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)," \
		"hypervisor: $(lscpu | sed -n 's/^Hypervisor vendor: *//p' | grep . || echo none)," \
		"bpf_jit_enable $(cat /proc/sys/net/core/bpf_jit_enable)"
	echo "  $(clang --version | head -1); gcc $(gcc -dumpfullversion);" \
		"libbpf $(pkg-config --modversion libbpf 2>/dev/null || echo '?');" \
		"softflowd $(softflowd -h 2>&1 | sed -n 's/.*version \([0-9][0-9.]*[0-9]\).*/\1/p')"
	echo "  pinned to CPU $CPU; $TRIALS trials per figure, medians"
	echo "  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" \
		"(other work on the machine shows up as noise)"
}

# tc_flowmon_user -r works: exits 0 and writes records for a one-flow file.
user_replay_ok() {
	[ -x "$USER_BIN" ] || { echo "  $USER_BIN is not built"; return 1; }
	timeout 30 "$USER_BIN" -r "$PCAPS/zeek-http-get.pcap" -j -o "$TMP/check.json" \
		>"$TMP/check.log" 2>&1 && [ -s "$TMP/check.json" ] && return 0
	echo "  $USER_BIN -r is not functional yet: $(head -c 300 "$TMP/check.log" | head -3)"
	return 1
}

free_udp_port() {
	local p
	for _ in 1 2 3 4 5 6 7 8; do
		p=$((20000 + RANDOM % 30000))
		ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
	echo 47390
}

replay() {
	local long=$TMP/long.pcap empty=$PCAPS/tcpdump-empty.pcap port files=()
	section "3. offline replay throughput (whole process, wall clock)"
	for f in "${CORPUS_FILES[@]}"; do files+=("$PCAPS/$f"); done
	/usr/bin/python3 bench/long_pcap.py "$long" 1000000 "${files[@]}" | sed 's/^/  /' ||
		{ rc=1; return; }
	echo "  (bench/long_pcap.py: the Ethernet frames of the pcaps-notes.md section 4 files,"
	echo "  looped on one clock, passes 60 s apart: $(($(stat -c %s "$long") / 1048576)) MiB," \
		"temporary)"
	port=$(free_udp_port)
	# ours and softflowd in turn, trial by trial: the ratio, whatever the VM does meanwhile
	if user_replay_ok; then
		step 300 "${B[@]}" exec --pcap "$long" --empty "$empty" --log "$TMP/user.log" \
			--label "tc_flowmon_user replay FILE -j -o /dev/null (native engine)" \
			--base-log "$TMP/sf.log" \
			--base-label "softflowd -r FILE -n 127.0.0.1:$port (NetFlow v5: IPv4 only)" \
			-- \
			"$USER_BIN" replay "$long" -j -o /dev/null -- \
			softflowd -r "$long" -n "127.0.0.1:$port"
		step 300 "${B[@]}" --trials 3 exec --pcap "$long" --empty "$empty" \
			--log "$TMP/userk.log" \
			--label "tc_flowmon_user replay --engine kernel FILE -j -o /dev/null" -- \
			"$USER_BIN" replay --engine kernel "$long" -j -o /dev/null
	else
		rc=1
	fi
	sed -n 's/^\(Packets processed\|Ignored packets\|Flows exported\)/    softflowd: &/p' \
		"$TMP/sf.log" | head -3
	step 120 "${B[@]}" exec --pcap "$long" --empty "$empty" --log "$TMP/sf10.log" \
		--label "softflowd -v 10 -r FILE -n 127.0.0.1:$port (IPFIX: IPv6 too)" -- \
		softflowd -v 10 -r "$long" -n "127.0.0.1:$port"
	rm -f "$long"
}

# Peak RSS of the real binary over a 1M-flow table: replay, end-of-file scan, flush.
user_rss() {
	local f=$TMP/flows1m.pcap
	echo "tc_flowmon_user -r over 1,000,000 flows (--max-flows 1048576, output to /dev/null):"
	user_replay_ok || { rc=1; return; }
	"$BENCH" genpcap "$f" 1000000 || { rc=1; return; }
	step 240 "$BENCH" --cpu "$CPU" --trials 1 exec --pcap "$f" \
		--label "tc_flowmon_user -r (1M one-packet flows, 500 ns apart)" -- \
		"$USER_BIN" -r "$f" --max-flows 1048576 -j -o /dev/null
	rm -f "$f"
}

machine
section "1. kernel cost per packet (flowmon_ingress and flowmon_xdp vs bench/floor.bpf.c)"
step 180 "${B[@]}" kern
section "1b. BPF feature plugins: each one's cost on packets it parses and skips"
step 180 "${B[@]}" plugins
section "2. scan, merge and purge (collector_scan: the sweeper in the kernel, records built)"
step 240 "${B[@]}" --trials 5 scan 100000 1000000
section "2b. record encoding (userland ns per record: the formats and IPFIX)"
step 60 "${B[@]}" --trials 9 encode
replay
section "4. kernel cost per packet on a live veth (bpf_stats)"
step 300 bench/live.sh
section "5. memory"
step 60 "${B[@]}" mem
user_rss
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
