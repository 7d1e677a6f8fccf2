# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# common.sh - what the capture-comparison scripts share (sourced): the
# prerequisites every one of them needs and a temp folder that is removed
# on exit (with any background job still running).
#
# Only a missing root is a skip ("1..0 # SKIP", counted as skipped by
# tests/run.sh): a missing tool, corpus or binary is a failure, since
# scripts/install-deps.sh installs the tools and CI has the corpus beside.

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# pcap_bail WHY: a broken precondition, one failed test, exit 1.
pcap_bail() {
	echo "not ok 1 precondition: $1"
	echo "1..1"
	exit 1
}

# root, tshark, Debian's python3, the corpus, and the binaries given
pcap_prereqs() {
	local f

	[ "$(id -u)" -eq 0 ] || skip_all "BPF_PROG_TEST_RUN needs root"
	command -v tshark >/dev/null || pcap_bail "tshark is installed (scripts/install-deps.sh)"
	[ -x "$PY" ] || pcap_bail "$PY is installed"
	[ -d "$PCAPS" ] || pcap_bail "the capture corpus is at $PCAPS (FLOWMON_PCAPS)"
	for f; do
		[ -x "$f" ] || [ -f "$f" ] || pcap_bail "$f is built (make build-tests)"
	done
}

pcap_cleanup() {
	local pids

	pids=$(jobs -p)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait 2>/dev/null
	rm -rf "$TMP"
}

# pcap_tmpdir NAME: TMP=/tmp/NAME.XXXXXX, removed on exit or signal
pcap_tmpdir() {
	TMP=$(mktemp -d "/tmp/$1.XXXXXX") || exit 2
	trap pcap_cleanup EXIT
	trap 'exit 143' TERM INT
}
