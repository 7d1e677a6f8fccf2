#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# live.sh - `make bench` part 5: ns per program run on a live veth, from the
# kernel's own accounting (kernel.bpf_stats_enabled: run_time_ns / run_cnt),
# for tc_flowmon_kern.o and the floor program attached the same way (TC
# ingress and egress of one end of a veth pair, loaded by iproute2), in
# turn: ours, floor, ours, floor, ... Each round sends one TCP transfer
# between two network namespaces this script creates and deletes.
#   LIVE_ROUNDS=N   rounds per program (7: a round is 0.3 s of traffic, noisy alone)
#   LIVE_MB=N       megabytes per transfer (200)
set -u
cd "$(dirname "$0")/.." || exit 2
# iproute2 pins our maps: in a private mount namespace with its own bpffs
if [ -z "${LIVE_MNTNS:-}" ]; then
	LIVE_MNTNS=1 exec unshare -m --propagation private "$0" "$@"
fi
mount -t bpf bpf /sys/fs/bpf || exit 1
ROUNDS=${LIVE_ROUNDS:-7}
MB=${LIVE_MB:-200}
OBJ=${LIVE_OBJ:-$PWD/tc_flowmon_kern.o}
FLOOR=$PWD/.output/floor.bpf.o
TAG=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
A=fmlive-a-$TAG
B=fmlive-b-$TAG
STATS_WAS=$(cat /proc/sys/kernel/bpf_stats_enabled)

cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for t in tc bpftool nc timeout; do
	command -v $t >/dev/null || { echo "  live: $t is missing"; exit 1; }
done
ip netns add "$A" && ip netns add "$B" || exit 1
ip link add veth-a netns "$A" type veth peer name veth-b netns "$B" || exit 1
ip -n "$A" addr add 198.18.0.1/30 dev veth-a
ip -n "$B" addr add 198.18.0.2/30 dev veth-b
ip -n "$A" link set veth-a up
ip -n "$B" link set veth-b up
ip -n "$A" link set lo up
ip -n "$B" link set lo up
sysctl -qw kernel.bpf_stats_enabled=1

# tc in A's network namespace, in our mount namespace: iproute2 pins the
# maps in our bpffs (under "ip netns exec" a fresh /sys would hide it).
tcA() {
	nsenter --net=/run/netns/"$A" tc "$@"
}

# Attach (iproute2) ours or the floor on both hooks of veth-a.
attach() {	# ours|floor
	tcA qdisc add dev veth-a clsact 2>/dev/null
	if [ "$1" = ours ]; then
		tcA filter replace dev veth-a ingress pref 1 handle 1 bpf da \
			obj "$OBJ" sec tc/ingress &&
			tcA filter replace dev veth-a egress pref 1 handle 1 bpf da \
				obj "$OBJ" sec tc/egress
	else
		tcA filter replace dev veth-a ingress pref 1 handle 1 bpf da \
			obj "$FLOOR" sec tc &&
			tcA filter replace dev veth-a egress pref 1 handle 1 bpf da \
				obj "$FLOOR" sec tc
	fi
}

detach() {
	tcA qdisc del dev veth-a clsact 2>/dev/null
}

# Sum of run_time_ns and run_cnt of the programs on veth-a's two hooks.
prog_stats() {
	local id t=0 c=0 line
	for id in $( (tcA filter show dev veth-a ingress;
		tcA filter show dev veth-a egress) |
		sed -n 's/.* id \([0-9]*\) .*/\1/p'); do
		line=$(bpftool prog show id "$id")
		t=$((t + $(echo "$line" | sed -n 's/.*run_time_ns \([0-9]*\).*/\1/p')))
		c=$((c + $(echo "$line" | sed -n 's/.*run_cnt \([0-9]*\).*/\1/p')))
	done
	echo "$t $c"
}

# One transfer of MB megabytes from A to B; prints ns per program run.
round() {	# ours|floor
	local s
	attach "$1" || { echo "  live: cannot attach $1"; return 1; }
	ip netns exec "$B" timeout 60 nc -l 198.18.0.2 5201 >/dev/null &
	for _ in $(seq 50); do
		ip netns exec "$B" ss -Hltn 'sport = :5201' | grep -q . && break
		sleep 0.05
	done
	head -c "${MB}M" /dev/zero | ip netns exec "$A" timeout 60 nc -N 198.18.0.2 5201
	wait
	s=$(prog_stats)
	detach
	awk -v s="$s" 'BEGIN { split(s, a, " "); printf "%.1f %d\n", a[2] ? a[1] / a[2] : 0, a[2] }'
}

echo "  one TCP transfer of $MB MB per round between two namespaces over a veth pair;"
echo "  the program on both TC hooks of the sender's end, loaded by iproute2;"
echo "  kernel.bpf_stats_enabled: run_time_ns / run_cnt; $ROUNDS rounds each, interleaved"
ours=()
floor=()
ratio=()
for r in $(seq "$ROUNDS"); do
	read -r o oc < <(round ours) || exit 1
	read -r f fc < <(round floor) || exit 1
	printf '  round %d: ours %6.1f ns/run (%d runs)   floor %6.1f ns/run (%d runs)\n' \
		"$r" "$o" "$oc" "$f" "$fc"
	ours+=("$o")
	floor+=("$f")
	ratio+=("$(awk -v o="$o" -v f="$f" 'BEGIN { printf "%.4f", f > 0 ? o / f : 0 }')")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
mo=$(med "${ours[@]}")
mf=$(med "${floor[@]}")
mr=$(med "${ratio[@]}")
# the ratio of each round to the floor's round right after it, then the median
awk -v o="$mo" -v f="$mf" -v r="$mr" 'BEGIN {
	printf "  median: ours %.1f, floor %.1f ns/run; median of the rounds'"'"' ratios %.2fx\n", o, f, r }'
