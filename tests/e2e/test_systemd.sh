#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# test_systemd.sh - the systemd units and the logrotate snippet, where PID 1
# is not systemd:
#   make install DESTDIR: both units pass "systemd-analyze verify";
#   bpfflowmon.service's Exec lines run the way systemd runs them
#   (tools/unitrun.py: Environment=, then /etc/default/bpfflowmon, systemd's
#   variable expansion, the unit's capability bounding set, NOTIFY_SOCKET) in
#   namespace A with its own bpffs, /run, /var/log and /etc/default:
#   READY=1 comes once our filter is on the interface; the daemon holds only
#   CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN; ExecReload gives RELOADING=1 then
#   READY=1 and a new dump file; logrotate -f with the installed snippet
#   rotates the log and a dump file and the daemon writes new ones;
#   a flow that ended idle is in a dump file; SIGTERM exits 0, ExecStopPost takes our filter off; the JSON records
#   (rotated ones included) count exactly what the sender sent and the
#   receiver echoed.
. "$(dirname "$0")/lib.sh"

cleanup() {
	fm_cleanup
}
trap cleanup EXIT

PORT=7100
UNITRUN=$FLOWMON_ROOT/tests/e2e/tools/unitrun.py

mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
		make -C "$FLOWMON_ROOT" --no-print-directory "$@"
}

fm_init
for t in systemd-analyze setpriv logrotate; do
	command -v "$t" >/dev/null 2>&1 || tap_skip_all "missing $t"
done
fm_pair || tap_bail "namespaces and veth pair"
fm_mntns "$NS_A" || tap_bail "persistent mount namespace for $NS_A"

# --- install, verify ---
DEST=$FM_TMP/dest
mk install DESTDIR="$DEST" PREFIX=/usr >"$FM_TMP/install.log" 2>&1 ||
	tap_bail "make install DESTDIR" "$(tail -5 "$FM_TMP/install.log")"
UNITDIR=$DEST$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
mkdir -p "$FM_TMP/units"
for u in bpfflowmon.service bpfflowmon@.service; do
	# the installed binary, where DESTDIR put it
	sed "s|/usr/bin/tc_flowmon_user|$DEST/usr/bin/tc_flowmon_user|g" "$UNITDIR/$u" >"$FM_TMP/units/$u"
done
MANPATH=$DEST/usr/share/man systemd-analyze verify "$FM_TMP/units/bpfflowmon.service" \
	>"$FM_TMP/verify.out" 2>&1
tap_is "$?/$(wc -c <"$FM_TMP/verify.out")" 0/0 "systemd-analyze verify bpfflowmon.service" ||
	tap_diag "$(head -10 "$FM_TMP/verify.out")"
MANPATH=$DEST/usr/share/man systemd-analyze verify "$FM_TMP/units/bpfflowmon@$VETH_A.service" \
	>"$FM_TMP/verify.out" 2>&1
tap_is "$?/$(wc -c <"$FM_TMP/verify.out")" 0/0 "systemd-analyze verify bpfflowmon@$VETH_A.service" ||
	tap_diag "$(head -10 "$FM_TMP/verify.out")"
tap_is "$(grep -c '^Type=notify$' "$FM_TMP/units/bpfflowmon.service")" 1 "the service is Type=notify"

# --- the settings, as an operator writes them (the shipped file, edited) ---
sed -e "s|^IFACE=.*|IFACE=$VETH_A|" -e 's|^INTERVAL=.*|INTERVAL=1|' -e 's|^FORMAT=.*|FORMAT=json|' \
	-e 's|^DAEMON_OPTS=.*|DAEMON_OPTS=-v --idle-timeout 2|' "$DEST/etc/default/bpfflowmon" \
	>"$FM_TMP/root.$NS_A/default/bpfflowmon"

# --- start: the Exec lines under unitrun.py ---
CTL=$FM_TMP/ctl
mkdir -p "$CTL"
fm_mnt "$NS_A" "$FM_PY" "$UNITRUN" "$FM_TMP/units/bpfflowmon.service" --ctl "$CTL" --timeout 60 \
	>"$FM_TMP/unitrun.out" 2>&1 &
RUNNER=$!
FM_PIDS+=("$RUNNER")
fm_wait 30 test -e "$CTL/ready" -o -e "$CTL/failed" -o -e "$CTL/stopped"
tap_ok "READY=1 from the daemon (sd_notify)" test -e "$CTL/ready" ||
	tap_bail "the service started" "$(cat "$FM_TMP/unitrun.out" "$FM_TMP/root.$NS_A/log/bpfflowmon/bpfflowmon.log" 2>/dev/null | tail -20)"
tap_ok "our filter is on $VETH_A ingress and egress when READY=1 comes" fm_attached "$NS_A" "$VETH_A" both
MAINPID=$(cat "$CTL/mainpid")
# setpriv execs the daemon: the main pid is the daemon itself
tap_is "$(cat "/proc/$MAINPID/comm" 2>/dev/null)" tc_flowmon_user "the main process is tc_flowmon_user (MAINPID)"
caps=$(awk '/^CapEff:/ { print $2 }' "/proc/$MAINPID/status")
# CAP_NET_ADMIN (12), CAP_PERFMON (38), CAP_BPF (39)
tap_is "$caps" 000000c000001000 "the daemon holds CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN only"
tap_is "$(awk '/^CapBnd:/ { print $2 }' "/proc/$MAINPID/status")" 000000c000001000 \
	"its bounding set is the unit's CapabilityBoundingSet"

# --- traffic ---
fm_bg_ready "$NS_B" "$FM_TMP/sink.ready" udp-sink --bind "$IP4_B" --port "$PORT" \
	--out "$FM_TMP/sink.json" --echo || tap_bail "UDP echo in $NS_B"
SINK=$FM_BG_PID
got=$(fm_in "$NS_A" "$FM_PY" "$FM_TMP/fmtool.py" udp-send --dst "$IP4_B" --dport "$PORT" \
	--sport 41000 --count 20 --size 100 --replies)
tap_is "$got" 20 "20 datagrams echoed by $NS_B"
DUMP=$FM_TMP/root.$NS_A/log/bpfflowmon
has_record() {
	find "$DUMP" -name '*.txt' -size +0 | grep -q .
}
tap_ok "the flow ended idle (2 s) and was written to a dump file" fm_wait 15 has_record

# --- reload: SIGHUP, RELOADING=1 then READY=1, a new dump file ---
nfiles() { find "$DUMP" -name '*.txt' | wc -l; }
before=$(nfiles)
sleep 1.1	# dump files are named by the second: the reload's file gets a new name
touch "$CTL/reload"
fm_wait 20 test -e "$CTL/reloaded" -o -e "$CTL/failed"
tap_ok "ExecReload: RELOADING=1, then READY=1" test -e "$CTL/reloaded" ||
	tap_diag "$(cat "$CTL/notify.log")"
tap_cmp "$(nfiles)" -gt "$before" "the reload opened a new dump file"

# --- logrotate with the installed snippet (the script's pid file names the daemon) ---
echo "$MAINPID" >"$FM_TMP/root.$NS_A/run.pid"
fm_mnt "$NS_A" sh -c "cp '$FM_TMP/root.$NS_A/run.pid' /run/bpfflowmon/tc_flowmon_user.pid"
sleep 1.1
find "$DUMP" -name '*.txt' | sort >"$FM_TMP/dumps.before"
fm_mnt "$NS_A" logrotate -f -s "$FM_TMP/logrotate.state" "$DEST/etc/logrotate.d/bpfflowmon" \
	>"$FM_TMP/logrotate.out" 2>&1
tap_is "$?" 0 "logrotate -f with the installed snippet" || tap_diag "$(cat "$FM_TMP/logrotate.out")"
tap_ok "the log was rotated and the daemon writes a new one" \
	fm_wait 10 test -s "$DUMP/bpfflowmon.log" -a -e "$DUMP/bpfflowmon.log.1"
tap_cmp "$(find "$DUMP" -name '*.txt.1.gz' | wc -l)" -ge 1 "dump files were rotated and compressed"
new_dump() {	# a dump file that was not there before logrotate
	find "$DUMP" -name '*.txt' | sort | comm -13 "$FM_TMP/dumps.before" - | grep -q .
}
tap_ok "the daemon opened a new dump file after the rotation (SIGHUP from postrotate)" \
	fm_wait 10 new_dump

# --- stop: SIGTERM, exit 0, ExecStopPost detaches ---
kill -TERM "$SINK" 2>/dev/null
touch "$CTL/stop"
fm_wait 30 test -e "$CTL/stopped"
tap_is "$(cat "$CTL/stopped" 2>/dev/null)" "main=0 poststop=0" "SIGTERM: exit 0, ExecStopPost ok"
fm_bg_wait "$RUNNER" 10
tap_is "$(fm_count_ours fm_mnt "$NS_A" "$VETH_A" ingress)/$(fm_count_ours fm_mnt "$NS_A" "$VETH_A" egress)" \
	0/0 "ExecStopPost took our filter off $VETH_A"

# --- the records: every datagram, in the dump files (rotated ones too) ---
mkdir -p "$FM_TMP/all"
i=0
for f in $(find "$DUMP" -name '*.txt' -o -name '*.txt.1.gz'); do
	i=$((i + 1))
	case $f in
	*.gz) gzip -dc "$f" >"$FM_TMP/all/$i.txt" ;;
	*) cp "$f" "$FM_TMP/all/$i.txt" ;;
	esac
done
read -r -a s < <(fm_sum --proto 17 --src "$IP4_A" --dst "$IP4_B" --sport 41000 --dport "$PORT" \
	"$FM_TMP/all")
tap_is "${s[1]}/${s[2]}/${s[3]}/${s[4]}" "20/2560/20/2560" \
	"JSON records: 20 packets, 2560 bytes each way (20 datagrams of 100 bytes sent, 20 echoed)"
tap_is "$(python3 -c 'import json,sys; print(sum(json.load(open(sys.argv[1])).values()))' \
	"$FM_TMP/sink.json")" 20 "the receiver got 20"

tap_done
