#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tc_flowmon.sh - the seed's management verbs over tc_flowmon_user's commands:
# load, unload, purge and status are "tc_flowmon_user load|unload|purge|status";
# start and stop run the daemon ("tc_flowmon_user run") with a pid file, the
# only state kept here. The kernel and bpffs say what is attached and loaded.
# Settings: these defaults, then /etc/default/bpfflowmon, then the command
# line (tc_flowmon.sh(8)). Exit codes: 0 ok, 1 runtime error, 2 usage error.
set -u
umask 022
VERSION=0.2.0
PROG=${0##*/}
SELF_DIR=$(dirname -- "$(readlink -f -- "$0" 2>/dev/null || printf '%s' "$0")")
RUNDIR=/run/bpfflowmon
PIN_DIR=/sys/fs/bpf/tc/globals
DEFAULTS_FILE=/etc/default/bpfflowmon
PIDFILE=$RUNDIR/tc_flowmon_user.pid
ERRFILE=$RUNDIR/tc_flowmon_user.err

first_file() {		# the first existing file among the arguments, resolved
	local c; for c in "$@"; do [ -f "$c" ] && { readlink -f -- "$c"; return 0; }; done; return 1
}

IFACE=lo			# comma-separated list, or "all" (every interface that is up)
INTERVAL=10			# daemon scan period, seconds
BPFPROG=$(first_file "$SELF_DIR/../lib/flowmon/tc_flowmon_kern.o" "$SELF_DIR/../tc_flowmon_kern.o" \
	/usr/local/lib/flowmon/tc_flowmon_kern.o /usr/lib/flowmon/tc_flowmon_kern.o)	# "": built in
BPFSEC=auto			# tc/ingress, tc/egress, or auto: both, per DIR
BPFMAP=flowmon_stats		# flow table name under PIN_DIR
DIR=both			# ingress, egress, both, or xdp (ingress at the XDP hook)
TC_MECH=auto			# TC hooks: tcx links (kernel 6.6+), clsact filters, or auto
XDP_MODE=auto			# -d xdp: native, generic, or auto (native where the driver has it)
DUMPDIR=/var/log/bpfflowmon	# <DUMPDIR>/<YYYY-MM-DD>/<HHMMSS>.txt
USERLAND=$(first_file "$SELF_DIR/tc_flowmon_user" "$SELF_DIR/../tc_flowmon_user" \
	"$(command -v tc_flowmon_user)" || echo /usr/local/bin/tc_flowmon_user)
FORMAT=plaintext		# plaintext (text) or json
LOGFILE=/var/log/bpfflowmon.log	# the daemon's log (appended, reopened on SIGHUP)
MAX_FLOWS=			# --max-flows of a new table (empty: the userland's 65536)
DAEMON_OPTS=			# more daemon options, e.g. "--idle-timeout 30 -x host:4739"
DAEMONIZER=auto			# auto, start-stop-daemon or setsid
STOP_TIMEOUT=10			# seconds the daemon gets to write its flows and exit
DEFAULTS_READ=absent
# The defaults file is shell code run as root: only root may be able to change it.
defaults_safe() {
	local owner mode
	read -r owner mode < <(stat -L -c '%u %a' -- "$DEFAULTS_FILE" 2>/dev/null) ||
		{ echo "failed to inspect $DEFAULTS_FILE"; return 1; }
	[ "$owner" = 0 ] || { echo "refusing $DEFAULTS_FILE: owned by uid $owner, not root"; return 1; }
	[ $((8#$mode & 8#022)) -eq 0 ] ||
		{ echo "refusing $DEFAULTS_FILE: writable by group or others (mode $mode)"; return 1; }
}
if [ -e "$DEFAULTS_FILE" ] && ! why=$(defaults_safe); then
	echo "$PROG: $why" >&2
	exit 1
fi
if [ -r "$DEFAULTS_FILE" ]; then
	# shellcheck source=/dev/null
	. "$DEFAULTS_FILE" || { echo "$PROG: failed to read $DEFAULTS_FILE" >&2; exit 1; }
	DEFAULTS_READ="read"
	[ -n "${UPLANED:-}" ] && USERLAND=$UPLANED	# the original script's name for it
fi

usage() {
	cat <<EOF
Usage: $PROG [options] {start|load|stop|unload|purge|status}
  load: attach (tc_flowmon_user load)    start: load, then run the daemon
  stop: stop the daemon (it writes its open flows; the table stays)
  unload: detach from -i/-a, else everywhere; the daemon stops when nothing is left
  purge: stop, unload everywhere, remove the pinned maps    status: daemon and table
  -i, --interface DEV[,DEV...]  interfaces (default: $IFACE); -a, --all: every one that is up
      --int SEC                 daemon scan period, 1-86400 (default: $INTERVAL)
  -p, --program OBJ             BPF object (default: ${BPFPROG:-built into the userland})
  -s, --section SEC             tc/ingress, tc/egress or auto (default: $BPFSEC)
  -m, --map NAME                flow table name under $PIN_DIR (default: $BPFMAP)
  -d, --direction DIR           ingress, egress, both, or xdp: ingress at XDP (default: $DIR)
      --tc-mech MECH            TC hooks through tcx, clsact or auto (default: $TC_MECH)
      --xdp-mode MODE           -d xdp: native, generic or auto (default: $XDP_MODE)
  -w, --write DIR               dump directory (default: $DUMPDIR)
  -u, --userland PROG           userland program (default: $USERLAND)
  -j, --json                    JSON records (default: $FORMAT)
  --show-defaults, --version, -h/--help; settings also from $DEFAULTS_FILE
EOF
}
die() { local rc=$1; shift; echo "$PROG: $*" >&2; exit "$rc"; }
usage_err() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit 2; }

CMD="" SHOW_DEFAULTS=no IFACE_GIVEN=no DIR_GIVEN=no
while [ $# -gt 0 ]; do
	opt=$1 val="" has_val=no
	case $opt in --*=*) val=${opt#*=} opt=${opt%%=*} has_val=yes ;; esac
	case $opt in
	-i | --interface | --int | -p | --program | -s | --section | -m | --map | -d | --direction | \
		-w | --write | -u | --userland | --tc-mech | --xdp-mode)
		if [ $has_val = no ]; then
			[ $# -ge 2 ] || usage_err "option '$opt' needs an argument"
			val=$2; shift
		fi ;;
	-a | --all | -j | --json | --show-defaults | --version | -h | --help)
		[ $has_val = no ] || usage_err "option '$opt' takes no argument" ;;
	-?*) usage_err "unknown option '$opt'" ;;
	esac
	case $opt in
	-i | --interface) IFACE=$val IFACE_GIVEN=yes ;;
	-a | --all) IFACE=all IFACE_GIVEN=yes ;;
	--int) INTERVAL=$val ;;
	-p | --program) BPFPROG=$val ;;
	-s | --section) BPFSEC=$val ;;
	-m | --map) BPFMAP=${val#"$PIN_DIR"/} ;;	# the original's defaults gave a path
	-d | --direction) DIR=$val DIR_GIVEN=yes ;;
	-w | --write) DUMPDIR=$val ;;
	--tc-mech) TC_MECH=$val ;;
	--xdp-mode) XDP_MODE=$val ;;
	-u | --userland) USERLAND=$val ;;
	-j | --json) FORMAT=json ;;
	--show-defaults) SHOW_DEFAULTS=yes ;;
	--version) echo "$PROG (bpfFlowMon) $VERSION"; exit 0 ;;
	-h | --help) usage; exit 0 ;;
	*) [ -z "$CMD" ] || usage_err "one command expected, got '$CMD' and '$opt'"; CMD=$opt ;;
	esac
	shift
done

# -s: one program per hook, in sections tc/ingress and tc/egress; it picks the hook.
case $BPFSEC in
auto | tc | flowmon | "tc/ingress,tc/egress") BPFSEC=auto ;;
xdp)
	[ "$DIR_GIVEN" = no ] || [ "$DIR" = xdp ] || usage_err "section xdp conflicts with direction $DIR"
	DIR=xdp ;;
tc/ingress | ingress | tc/egress | egress)
	[ "$DIR_GIVEN" = no ] || [ "$DIR" = "${BPFSEC#tc/}" ] ||
		usage_err "section $BPFSEC conflicts with direction $DIR"
	BPFSEC=tc/${BPFSEC#tc/} DIR=${BPFSEC#tc/} ;;
*) usage_err "invalid section '$BPFSEC': the object has tc/ingress, tc/egress and xdp (or auto)" ;;
esac
case $DIR in ingress | egress | both | xdp) ;; *) usage_err "invalid direction '$DIR': expected ingress, egress, both or xdp" ;; esac
case $TC_MECH in auto | tcx | clsact) ;; *) usage_err "invalid TC mechanism '$TC_MECH': expected auto, tcx or clsact" ;; esac
case $XDP_MODE in auto | native | generic) ;; *) usage_err "invalid XDP mode '$XDP_MODE': expected auto, native or generic" ;; esac
[[ $INTERVAL =~ ^[1-9][0-9]{0,4}$ ]] && [ "$INTERVAL" -le 86400 ] ||
	usage_err "invalid interval '$INTERVAL': expected seconds (1-86400)"
case $BPFMAP in "" | . | .. | */*) usage_err "invalid map name '$BPFMAP': expected a name under $PIN_DIR" ;; esac
case $FORMAT in plaintext | text) FMT=text ;; json) FMT=json ;; *) usage_err "invalid format '$FORMAT'" ;; esac
abs() { case $1 in /* | "") printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
DUMPDIR=$(abs "$DUMPDIR") LOGFILE=$(abs "$LOGFILE") BPFPROG=$(abs "$BPFPROG") IFLIST=$IFACE
[ "$IFACE" != all ] || IFLIST=$(ip -o link show up | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | paste -sd, -)
ssd() { [ "$DAEMONIZER" = start-stop-daemon ] || { [ "$DAEMONIZER" = auto ] && command -v start-stop-daemon >/dev/null; }; }

if [ "$SHOW_DEFAULTS" = yes ]; then
	printf '%-26s %s\n' "Monitoring interface:" "$IFACE$([ "$IFACE" = all ] && echo " ($IFLIST)")" \
		"Dump interval:" "$INTERVAL" "BPF program:" "${BPFPROG:-built into $USERLAND}" \
		"BPF program section:" "$BPFSEC" "BPF map:" "$PIN_DIR/$BPFMAP" "Direction:" "$DIR" \
		"TC mechanism:" "$TC_MECH" "XDP mode:" "$XDP_MODE" \
		"Dump directory:" "$DUMPDIR" "Userland program:" "$USERLAND" "Data format:" "$FORMAT" \
		"Userland log file:" "$LOGFILE" "Max flows:" "${MAX_FLOWS:-userland default}" \
		"Daemon options:" "${DAEMON_OPTS:-none}" "Daemonizer:" "$(ssd && echo start-stop-daemon || echo setsid)" \
		"Stop timeout:" "$STOP_TIMEOUT" "PID file:" "$PIDFILE" "Defaults file:" "$DEFAULTS_FILE ($DEFAULTS_READ)"
	exit 0
fi
[ -n "$CMD" ] || usage_err "a command is required: start, load, stop, unload, purge or status"
case $CMD in start | load | stop | unload | purge | status) ;; *) usage_err "unknown command '$CMD'" ;; esac
[ "$(id -u)" -eq 0 ] || [ "$CMD" = status ] || die 1 "$CMD needs root"
[ -f "$USERLAND" ] && [ -x "$USERLAND" ] || die 1 "failed to find userland program $USERLAND: not an executable file"
U() { "$USERLAND" "$@" -p "$BPFMAP"; }
if [ "$CMD" != status ]; then	# one changing verb at a time
	mkdir -p "$RUNDIR" && exec 9>"$RUNDIR/lock" && { ! command -v flock >/dev/null || flock -w 60 9; } ||
		die 1 "failed to lock $RUNDIR/lock: another $PROG is running"
fi

daemon_pid() {		# the daemon's pid from the pid file, if it is alive and ours
	local pid; read -r pid 2>/dev/null <"$PIDFILE" && [[ $pid =~ ^[0-9]+$ ]] || return 1
	[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${USERLAND##*/}" ] && echo "$pid"
}
wait_gone() {		# seconds
	local i; for ((i = 0; i < $1 * 10; i++)); do daemon_pid >/dev/null || return 0; sleep 0.1; done
	! daemon_pid >/dev/null
}
hook_args() {		# -d: the TC hooks, or ingress at XDP
	if [ "$DIR" = xdp ]; then echo --hook xdp --xdp-mode "$XDP_MODE"; else echo -D "$DIR"; fi
}
do_load() {
	local args
	read -r -a args <<<"load -I $IFLIST $(hook_args) --tc-mech $TC_MECH"
	[ -n "$BPFPROG" ] && args+=(--obj "$BPFPROG")
	[ -n "$MAX_FLOWS" ] && args+=(--max-flows "$MAX_FLOWS")
	U "${args[@]}"
}
do_start() {
	local pid args extra=()
	do_load || exit
	if pid=$(daemon_pid); then echo "${USERLAND##*/} already running (pid $pid)"; return 0; fi
	mkdir -p "$DUMPDIR" "$(dirname -- "$LOGFILE")" || die 1 "failed to create $DUMPDIR or the log folder"
	set -f
	read -r -a extra <<<"$DAEMON_OPTS"	# split on blanks, no globbing, no evaluation
	set +f
	args=(run -p "$BPFMAP" -i "$INTERVAL" -d "$DUMPDIR" -l "$LOGFILE" --format "$FMT" "${extra[@]}")
	if ssd; then
		start-stop-daemon --start --quiet --background --make-pidfile --pidfile "$PIDFILE" \
			--startas "$USERLAND" --chdir / --output "$ERRFILE" -- "${args[@]}" 9>&- ||
			die 1 "failed to start $USERLAND with start-stop-daemon"
	else	# not a group leader here, so setsid does not fork: $! is the daemon
		(cd / && exec setsid "$USERLAND" "${args[@]}" </dev/null >"$ERRFILE" 2>&1 9>&-) &
		echo $! >"$PIDFILE"
	fi
	sleep 0.5	# a daemon that cannot open its table exits at once
	pid=$(daemon_pid) || { echo "$PROG: failed to start $USERLAND:" >&2; sed 's/^/  /' "$ERRFILE" >&2
		rm -f "$PIDFILE"; exit 1; }
	echo "started ${USERLAND##*/} (pid $pid), flows in $DUMPDIR, log $LOGFILE"
}
do_stop() {
	local pid; pid=$(daemon_pid) || { echo "${USERLAND##*/} not running"; rm -f "$PIDFILE"; return 0; }
	kill -TERM "$pid"
	if ! wait_gone "$STOP_TIMEOUT"; then
		kill -KILL "$pid"
		rm -f "$PIDFILE"
		die 1 "${USERLAND##*/} (pid $pid) did not exit in ${STOP_TIMEOUT}s, killed: its open flows stay in the table"
	fi
	rm -f "$PIDFILE"
	echo "stopped ${USERLAND##*/} (pid $pid)"
}
do_unload() {		# detach first, then stop: the daemon's last scan writes every packet
	local d=$DIR
	[ "$d" != xdp ] || d=ingress	# the XDP hook goes with ingress
	if [ "$IFACE_GIVEN" = yes ]; then U unload -I "$IFLIST" -D "$d"; else U unload --all; fi || return
	if U status -j | grep -q '"attached":\[\]'; then do_stop; else echo "still attached: the daemon keeps running"; fi
}
do_status() {
	local pid; if pid=$(daemon_pid); then echo "daemon: running, pid $pid"; else echo "daemon: not running"; fi
	U status
}
case $CMD in
load) do_load ;;
start) do_start ;;
stop) do_stop ;;
unload) do_unload ;;
purge) do_stop && U purge && rm -f "$ERRFILE" ;;
status) do_status ;;
esac
