#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# run.sh - every fuzz harness (tests/fuzz/fuzz_*.c, built by make fuzz-build)
# for FUZZ_TIME seconds each (default 30), from the committed seeds
# (tests/fuzz/corpus/NAME) into a temporary working corpus. Any crash,
# sanitizer report (ASan, UBSan), leak, timeout (10 s per input) or broken
# invariant fails the harness; its input is kept under
# .output/fuzz/findings/NAME/ with the command that replays it. TAP on
# stdout. Usage: tests/fuzz/run.sh [NAME...]
set -u
cd "${FLOWMON_ROOT:-$(dirname "$0")/../..}" || exit 2
FUZZ_TIME=${FUZZ_TIME:-30}
BIN_DIR=.output/fuzz
FINDINGS=$BIN_DIR/findings
NAMES=${*:-pcap linktype native opts ipfix}
TMP=$(mktemp -d /tmp/flowmon-fuzz.XXXXXX) || exit 2
trap 'rm -rf "$TMP"' EXIT
trap 'exit 143' TERM INT

[[ $FUZZ_TIME =~ ^[1-9][0-9]*$ ]] || { echo "invalid FUZZ_TIME '$FUZZ_TIME'" >&2; exit 2; }
n=0
fails=0
for name in $NAMES; do
	n=$((n + 1))
	bin=$BIN_DIR/fuzz_$name
	if [ ! -x "$bin" ]; then
		echo "not ok $n fuzz_$name: not built (make fuzz-build)"
		fails=$((fails + 1))
		continue
	fi
	work=$TMP/$name
	art=$TMP/art-$name
	mkdir -p "$work" "$art"
	# bounded twice: libFuzzer's own clock, and timeout(1) should it hang
	timeout --kill-after=10 $((FUZZ_TIME + 120)) "$bin" -max_total_time="$FUZZ_TIME" \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art/" -print_final_stats=1 \
		"$work" "tests/fuzz/corpus/$name" >"$TMP/$name.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$name.log")
	if [ "$rc" -eq 0 ] && [ -z "$(ls -A "$art")" ]; then
		echo "ok $n fuzz_$name: ${runs:-?} inputs in ${FUZZ_TIME} s, no finding"
		continue
	fi
	fails=$((fails + 1))
	echo "not ok $n fuzz_$name: finding (exit $rc)"
	grep -E 'ERROR|SUMMARY|runtime error|invariant broken|Test unit written' "$TMP/$name.log" |
		head -n 12 | sed 's/^/# /'
	mkdir -p "$FINDINGS/$name"
	cp "$art"/* "$FINDINGS/$name/" 2>/dev/null
	cp "$TMP/$name.log" "$FINDINGS/$name/fuzz.log"
	for f in "$FINDINGS/$name"/*; do
		case $f in *fuzz.log) continue ;; esac
		echo "# replay: $bin $f"
	done
done
echo "1..$n"
[ "$fails" -eq 0 ]
