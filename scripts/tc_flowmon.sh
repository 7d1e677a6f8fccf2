#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tc_flowmon.sh - the seed's verbs over tc_flowmon_user: load, unload, purge and status are
# its commands; start is load, then "run --daemon --pid-file" (the only state kept); stop is
# "stop --pid-file". tc_flowmon_user checks every value (--check) before anything changes.
# Settings: these defaults, then /etc/default/bpfflowmon, then the command line
# (tc_flowmon.sh(8)). Exit codes: 0 ok, 1 runtime error, 2 usage error.
set -u; umask 022
PROG=${0##*/}
SELF_DIR=$(dirname -- "$(readlink -f -- "$0" 2>/dev/null || printf '%s' "$0")")
RUNDIR=/run/bpfflowmon PIN_DIR=/sys/fs/bpf/tc/globals DEFAULTS_FILE=/etc/default/bpfflowmon
PIDFILE=/run/bpfflowmon/tc_flowmon_user.pid

first_file() {		# the first existing file among the arguments, resolved
	local c; for c in "$@"; do [ -f "$c" ] && { readlink -f -- "$c"; return 0; }; done; return 1
}

IFACE=lo			# comma-separated list, or "all" (every interface that is up)
INTERVAL=10			# daemon scan period, seconds
BPFPROG=				# "": the object built into the userland (its skeleton)
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
STOP_TIMEOUT=10			# seconds the daemon gets to write its flows and exit
DEFAULTS_READ=absent		# (a DAEMONIZER= of older versions is ignored: the daemon forks itself)
die() { local rc=$1; shift; echo "$PROG: $*" >&2; exit "$rc"; }
usage_err() { echo "$PROG: $*" >&2; echo "Try '$PROG --help'." >&2; exit 2; }
if [ -e "$DEFAULTS_FILE" ]; then	# shell code run as root: only root may be able to change it
	read -r OWNER MODE < <(stat -L -c '%u %a' -- "$DEFAULTS_FILE") || die 1 "failed to inspect $DEFAULTS_FILE"
	[ "$OWNER" = 0 ] || die 1 "refusing $DEFAULTS_FILE: owned by uid $OWNER, not root"
	[ $((8#$MODE & 8#022)) -eq 0 ] || die 1 "refusing $DEFAULTS_FILE: writable by group or others (mode $MODE)"
fi
if [ -r "$DEFAULTS_FILE" ]; then	# (a user who cannot read it runs status with the defaults)
	# shellcheck source=/dev/null
	. "$DEFAULTS_FILE" || die 1 "failed to read $DEFAULTS_FILE"
	DEFAULTS_READ=read USERLAND=${UPLANED:-$USERLAND}	# UPLANED: the original script's name
fi

usage() {
	cat <<EOF
Usage: $PROG [options] {start|load|stop|unload|purge|status}   (tc_flowmon.sh(8))
  load: attach   start: load, then run the daemon   stop: the daemon writes its flows, exits
  unload: detach from -i, else the -m table's hooks (its daemon stops when none are left)
  purge: stop, unload the table's hooks, remove its maps   status: hooks, table and daemon
  -i, --interface DEV[,DEV...] (default: $IFACE)   -a, --all: every interface that is up
  --int SEC: scan period, 1-86400 (default: $INTERVAL)   -w, --write DIR (default: $DUMPDIR)
  -p, --program OBJ: BPF object (default: ${BPFPROG:-built into the userland})
  -s, --section SEC: tc/ingress, tc/egress or auto (default: $BPFSEC)
  -m, --map NAME: flow table under $PIN_DIR (default: $BPFMAP)
  -d, --direction DIR: ingress, egress, both, or xdp: ingress at XDP (default: $DIR)
  --tc-mech tcx|clsact|auto (default: $TC_MECH)   --xdp-mode native|generic|auto (default: $XDP_MODE)
  -u, --userland PROG: the userland (default: $USERLAND)
  -j, --json: JSON records (default: $FORMAT)
  --show-defaults, --version, -h/--help; settings also from $DEFAULTS_FILE
EOF
}
ARGS=$(getopt -n "$PROG" -o i:ap:s:m:d:w:u:jh -l interface:,all,int:,program:,section:,map: \
	-l direction:,tc-mech:,xdp-mode:,write:,userland:,json,show-defaults,version,help -- "$@") ||
	{ echo "Try '$PROG --help'." >&2; exit 2; }
eval set -- "$ARGS"
SHOW_DEFAULTS=no IFACE_GIVEN=no DIR_GIVEN=no VERSION=no
while [ "$1" != -- ]; do	# getopt put each value right after its option
	case $1 in
	-i | --interface) IFACE=$2 IFACE_GIVEN=yes ;;	-d | --direction) DIR=$2 DIR_GIVEN=yes ;;
	--int) INTERVAL=$2 ;;	-p | --program) BPFPROG=$2 ;;	-s | --section) BPFSEC=$2 ;;
	-m | --map) BPFMAP=$2 ;;	-w | --write) DUMPDIR=$2 ;;	-u | --userland) USERLAND=$2 ;;
	--tc-mech) TC_MECH=$2 ;;	--xdp-mode) XDP_MODE=$2 ;;
	-a | --all) IFACE=all IFACE_GIVEN=yes; shift; continue ;;
	-j | --json) FORMAT=json; shift; continue ;;
	--show-defaults) SHOW_DEFAULTS=yes; shift; continue ;;
	--version) VERSION=yes; shift; continue ;;	# after every option: -u may follow it
	-h | --help) usage; exit 0 ;;
	esac
	shift 2
done
shift
if [ "$VERSION" = yes ]; then	# the userland's version is ours
	V=$("$USERLAND" --version) || die 1 "failed to run $USERLAND --version"
	V=${V#* } && echo "$PROG ${V%%,*}" && exit 0
fi
[ $# -le 1 ] || usage_err "one command expected, got '$1' and '$2'"
CMD=${1:-}

# -s: one program per hook, in sections tc/ingress and tc/egress (and xdp); it picks the hook.
case $BPFSEC in
auto | tc | flowmon | "tc/ingress,tc/egress") ;;
tc/ingress | ingress | tc/egress | egress | xdp) [ "$DIR_GIVEN" = no ] || [ "$DIR" = "${BPFSEC#tc/}" ] ||
	usage_err "section $BPFSEC conflicts with direction $DIR"; DIR=${BPFSEC#tc/} ;;
*) usage_err "invalid section '$BPFSEC': the object has tc/ingress, tc/egress and xdp (or auto)" ;;
esac
BPFMAP=${BPFMAP#"$PIN_DIR"/} IFLIST=$IFACE	# the original's defaults gave the map as a path
[ "$BPFMAP" = flowmon_stats ] || PIDFILE=$RUNDIR/tc_flowmon_user-$BPFMAP.pid	# a daemon per -m
[ "$IFACE" != all ] ||	# every interface that is up, as ip link names it (without @ifN)
	IFLIST=$(ip -o link show up | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | paste -sd, -)

if [ "$SHOW_DEFAULTS" = yes ]; then
	printf '%-26s %s\n' "Monitoring interface:" "$IFACE$([ "$IFACE" = all ] && echo " ($IFLIST)")" \
		"Dump interval:" "$INTERVAL" "BPF program:" "${BPFPROG:-built into $USERLAND}" \
		"BPF program section:" "$BPFSEC" "BPF map:" "$PIN_DIR/$BPFMAP" "Direction:" "$DIR" \
		"TC mechanism:" "$TC_MECH" "XDP mode:" "$XDP_MODE" "Dump directory:" "$DUMPDIR" \
		"Userland program:" "$USERLAND" "Data format:" "$FORMAT" "Userland log file:" "$LOGFILE" \
		"Max flows:" "${MAX_FLOWS:-userland default}" "Daemon options:" "${DAEMON_OPTS:-none}" \
		"Stop timeout:" "$STOP_TIMEOUT" "PID file:" "$PIDFILE" \
		"Defaults file:" "$DEFAULTS_FILE ($DEFAULTS_READ)"
	exit 0
fi
[ -n "$CMD" ] || usage_err "a command is required: start, load, stop, unload, purge or status"
case $CMD in start | load | stop | unload | purge | status) ;; *) usage_err "unknown command '$CMD'" ;; esac
[ -f "$USERLAND" ] && [ -x "$USERLAND" ] || die 1 "failed to find userland program $USERLAND: not executable"
U() { "$USERLAND" "$@" -p "$BPFMAP"; }
[ -n "$IFLIST" ] || ! [[ $CMD =~ ^(load|start)$ ]] || die 1 "failed to find an interface: none is up"

# What load and the daemon get; tc_flowmon_user checks every value before anything changes.
if [ "$DIR" = xdp ]; then HOOK=(--hook xdp --xdp-mode "$XDP_MODE"); else HOOK=(-D "$DIR"); fi
LOAD=(load -I "$IFLIST" "${HOOK[@]}" --tc-mech "$TC_MECH" ${BPFPROG:+--obj "$BPFPROG"}
	${MAX_FLOWS:+--max-flows "$MAX_FLOWS"})
read -r -a EXTRA <<<"$DAEMON_OPTS"	# split on blanks (read neither globs nor evaluates)
RUN=(run --daemon --pid-file "$PIDFILE" -i "$INTERVAL" -d "$DUMPDIR" -l "$LOGFILE" --format "$FORMAT"
	"${EXTRA[@]}")
STOP=("$USERLAND" stop --pid-file "$PIDFILE" --timeout "$STOP_TIMEOUT")	# then SIGKILL, exit 1
U "${LOAD[@]}" --check && U "${RUN[@]}" --check && "${STOP[@]}" --check &&
	U load -I lo --hook xdp --xdp-mode "$XDP_MODE" --check || exit 2	# used with -d xdp only
[ "$(id -u)" -eq 0 ] || [ "$CMD" = status ] || die 1 "failed to $CMD: needs root"
[ "$CMD" = status ] ||	# one changing verb at a time
	{ mkdir -p "$RUNDIR" && exec 9>"$RUNDIR/lock" && { ! command -v flock >/dev/null || flock -w 60 9; }; } ||
	die 1 "failed to lock $RUNDIR/lock: another $PROG is running"

daemon_pid() {		# the daemon's pid from the pid file, if it is alive and ours
	local pid; read -r pid 2>/dev/null <"$PIDFILE" && [[ $pid =~ ^[0-9]+$ ]] || return 1
	[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${USERLAND##*/}" ] && echo "$pid"
}
do_start() {		# the daemon returns once its table is open, or fails with its error
	local pid; U "${LOAD[@]}" || exit
	if pid=$(daemon_pid); then echo "${USERLAND##*/} already running (pid $pid)"; return 0; fi
	mkdir -p "$(dirname -- "$LOGFILE")" || die 1 "failed to create the folder of $LOGFILE"
	U "${RUN[@]}" 9>&- || die 1 "failed to start $USERLAND"
	echo "started ${USERLAND##*/} (pid $(daemon_pid)), flows in $DUMPDIR, log $LOGFILE"
}
do_unload() {		# detach first, then stop: the daemon's last scan writes every packet
	if [ "$IFACE_GIVEN" = yes ] && [ "$IFACE" != all ]; then	# the XDP hook goes with ingress
		U unload -I "$IFLIST" -D "${DIR/xdp/ingress}"
	else U unload --all; fi || return	# -a: wherever we are, up or down
	U status -j | grep -q '"attached":\[\]' || { echo "still attached: the daemon runs on"; return 0; }
	"${STOP[@]}"
}
case $CMD in	# status: hooks, table, and the daemon's own report (its stats file)
load) U "${LOAD[@]}" ;;	start) do_start ;;	stop) "${STOP[@]}" ;;
unload) do_unload ;;	purge) "${STOP[@]}" && U purge ;;	status) U status ;;
esac
