# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# common.sh - what the capture-comparison scripts share (sourced):
# skip_all, the prerequisites every one of them needs, and a temp folder
# that is removed on exit (with any background job still running).

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# root, tshark, Debian's python3, the corpus and the oracle script
pcap_prereqs() {
	[ "$(id -u)" -eq 0 ] || skip_all "BPF_PROG_TEST_RUN needs root"
	command -v tshark >/dev/null || skip_all "tshark not installed"
	[ -x "$PY" ] || skip_all "$PY not installed"
	[ -d "$PCAPS" ] || skip_all "no capture files in $PCAPS"
	[ -x "$ORACLE" ] || skip_all "no oracle $ORACLE"
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
