#!/bin/bash
# SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
# tc_flowmon.sh - load, start, stop, unload and purge bpfFlowMon on TC hooks.
#
# A thin wrapper: attaching and detaching is done by
# "tc_flowmon_user --attach/--detach/--status" (libbpf TC API, filter handle
# 0x464d prio 1), the script keeps the list of interfaces, the daemon and
# the clean-up of what it created. See tc_flowmon.sh(8).
#
# Exit codes: 0 ok, 1 runtime error, 2 usage error.
set -u
umask 022

PROG=${0##*/}
SELF=$(readlink -f -- "$0" 2>/dev/null || printf '%s' "$0")
SELF_DIR=$(dirname -- "$SELF")

# Fixed paths: tc_flowmon_user writes its clsact markers in RUNDIR and pins
# its maps in PIN_DIR, so these are not settings.
RUNDIR=/run/bpfflowmon
PIN_DIR=/sys/fs/bpf/tc/globals
DEFAULTS_FILE=/etc/default/bpfflowmon
IFACE_LIST=$RUNDIR/iface.list
PIDFILE=$RUNDIR/tc_flowmon_user.pid
ERRFILE=$RUNDIR/tc_flowmon_user.err
LOCKFILE=$RUNDIR/lock
PINNED_MAPS=(flowmon_stats flowmon_counters flowmon_events flowmon_frags flowmon_tick)
SECTIONS=(tc/ingress tc/egress)

# --- where make install (or a build tree) put the userland and the object ---

find_userland() {
	local c

	for c in "$SELF_DIR/tc_flowmon_user" "$SELF_DIR/../tc_flowmon_user" \
		/usr/local/bin/tc_flowmon_user /usr/bin/tc_flowmon_user; do
		if [ -f "$c" ] && [ -x "$c" ]; then
			readlink -f -- "$c"
			return 0
		fi
	done
	c=$(command -v tc_flowmon_user 2>/dev/null) && { readlink -f -- "$c"; return 0; }
	printf '%s\n' /usr/local/bin/tc_flowmon_user
}

find_object() {
	local c

	for c in "$SELF_DIR/../lib/flowmon/tc_flowmon_kern.o" "$SELF_DIR/../tc_flowmon_kern.o" \
		/usr/local/lib/flowmon/tc_flowmon_kern.o /usr/lib/flowmon/tc_flowmon_kern.o; do
		if [ -f "$c" ]; then
			readlink -f -- "$c"
			return 0
		fi
	done
	printf '%s\n' /usr/local/lib/flowmon/tc_flowmon_kern.o
}

# --- defaults: the script, then /etc/default/bpfflowmon, then the command line ---

IFACE=lo			# comma-separated list, or "all" (every interface that is up)
INTERVAL=10			# scan period of the daemon, seconds
BPFPROG=$(find_object)		# tc_flowmon_kern.o
BPFSEC=auto			# tc/ingress, tc/egress, or auto: both, per DIR
BPFMAP=flowmon_stats		# flow table name under PIN_DIR
DIR=both			# ingress, egress or both
DUMPDIR=/var/log/bpfflowmon	# <DUMPDIR>/<YYYY-MM-DD>/<HHMMSS>.txt
USERLAND=$(find_userland)	# tc_flowmon_user
FORMAT=plaintext		# plaintext or json
LOGFILE=/var/log/bpfflowmon.log	# statistics log of the daemon (appended)
MAX_FLOWS=			# --max-flows for a new table (empty: the userland's 65536)
DAEMON_OPTS=			# more daemon options, e.g. "--idle-timeout 30 -x host:4739"
DAEMONIZER=auto			# auto, start-stop-daemon or setsid
STOP_TIMEOUT=10			# seconds to wait for the daemon to write its flows and exit

DEFAULTS_READ=no
if [ -f "$DEFAULTS_FILE" ] && [ -r "$DEFAULTS_FILE" ]; then
	# shellcheck source=/dev/null
	. "$DEFAULTS_FILE" || { echo "$PROG: failed to read $DEFAULTS_FILE" >&2; exit 1; }
	DEFAULTS_READ=yes
	# the original script's name for the userland
	[ -n "${UPLANED:-}" ] && USERLAND=$UPLANED
fi

usage() {
	cat <<EOF
Usage: $PROG [options] {start|load|stop|unload|purge|status}

Commands:
  load      attach the flow monitor to the interfaces (idempotent)
  start     load, then run tc_flowmon_user as a daemon
  stop      stop the daemon (it writes its open flows); the table is kept
  unload    detach our filters (stops the daemon when nothing stays attached)
  purge     unload everything, then remove the pinned maps
  status    attachments, daemon, table occupancy and kernel counters

Options:
  -i, --interface DEV[,DEV...]  interfaces (default: $IFACE)
  -a, --all                     every interface that is up, lo included
      --int SEC                 daemon scan period, 1-86400 (default: $INTERVAL)
  -p, --program OBJ             BPF object (default: $BPFPROG)
  -s, --section SEC             tc/ingress, tc/egress or auto (default: $BPFSEC)
  -m, --map NAME                flow table name under $PIN_DIR (default: $BPFMAP)
  -d, --direction DIR           ingress, egress or both (default: $DIR)
  -w, --write DIR               dump directory (default: $DUMPDIR)
  -u, --userland PROG           userland program (default: $USERLAND)
  -j, --json                    JSON records (default: $FORMAT)
      --show-defaults           print the effective settings and exit
  -h, --help                    print this help and exit

Settings are read from $DEFAULTS_FILE when it exists.
EOF
}

die() {		# exit code, message
	local rc=$1

	shift
	echo "$PROG: $*" >&2
	exit "$rc"
}

usage_err() {
	echo "$PROG: $*" >&2
	echo "Try '$PROG --help'." >&2
	exit 2
}

# --- command line ---

CMD=
SHOW_DEFAULTS=no
IFACE_GIVEN=no
DIR_GIVEN=no

parse_args() {
	local opt val has_val

	while [ $# -gt 0 ]; do
		opt=$1
		has_val=no
		val=
		case $opt in
		--*=*)
			val=${opt#*=}
			opt=${opt%%=*}
			has_val=yes ;;
		esac
		case $opt in
		-i | --interface | --int | -p | --program | -s | --section | -m | --map | \
			-d | --direction | -w | --write | -u | --userland)
			if [ "$has_val" = no ]; then
				[ $# -ge 2 ] || usage_err "option '$opt' needs an argument"
				val=$2
				shift
			fi ;;
		-a | --all | -j | --json | --show-defaults | -h | --help)
			[ "$has_val" = no ] || usage_err "option '$opt' takes no argument" ;;
		-?*)
			usage_err "unknown option '$opt'" ;;
		esac
		case $opt in
		-i | --interface) IFACE=$val; IFACE_GIVEN=yes ;;
		-a | --all) IFACE=all; IFACE_GIVEN=yes ;;
		--int) INTERVAL=$val ;;
		-p | --program) BPFPROG=$val ;;
		-s | --section) BPFSEC=$val ;;
		-m | --map) BPFMAP=$val ;;
		-d | --direction) DIR=$val; DIR_GIVEN=yes ;;
		-w | --write) DUMPDIR=$val ;;
		-u | --userland) USERLAND=$val ;;
		-j | --json) FORMAT=json ;;
		--show-defaults) SHOW_DEFAULTS=yes ;;
		-h | --help) usage; exit 0 ;;
		*)
			[ -z "$CMD" ] || usage_err "one command expected, got '$CMD' and '$opt'"
			CMD=$opt ;;
		esac
		shift
	done
}

# The pinned name of the table: a plain name, or (original defaults files)
# a path under PIN_DIR.
check_map() {
	case $BPFMAP in
	"$PIN_DIR"/*) BPFMAP=${BPFMAP#"$PIN_DIR"/} ;;
	esac
	case $BPFMAP in
	"" | . | .. | */*) usage_err "invalid map name '$BPFMAP': expected a name under $PIN_DIR" ;;
	esac
}

# -s: the object has one program per hook, in sections tc/ingress and
# tc/egress. A section picks the hook; "auto" (or the original's "flowmon",
# or "tc") follows -d.
check_section() {
	local want

	case $BPFSEC in
	auto | tc | flowmon | "tc/ingress,tc/egress") BPFSEC=auto; return 0 ;;
	tc/ingress | ingress) want=ingress ;;
	tc/egress | egress) want=egress ;;
	*) usage_err "invalid section '$BPFSEC': the object has ${SECTIONS[*]} (or auto)" ;;
	esac
	BPFSEC=tc/$want
	if [ "$DIR_GIVEN" = yes ] && [ "$DIR" != "$want" ]; then
		usage_err "section $BPFSEC conflicts with direction $DIR"
	fi
	DIR=$want
}

check_settings() {
	case $DIR in
	ingress | egress | both) ;;
	*) usage_err "invalid direction '$DIR': expected ingress, egress or both" ;;
	esac
	check_section
	case $INTERVAL in
	'' | *[!0-9]*) usage_err "invalid interval '$INTERVAL': expected seconds (1-86400)" ;;
	esac
	if [ "${#INTERVAL}" -gt 5 ] || [ "$INTERVAL" -lt 1 ] || [ "$INTERVAL" -gt 86400 ]; then
		usage_err "invalid interval '$INTERVAL': expected seconds (1-86400)"
	fi
	check_map
	case $FORMAT in
	plaintext | json) ;;
	*) usage_err "invalid format '$FORMAT': expected plaintext or json" ;;
	esac
	case $STOP_TIMEOUT in
	'' | *[!0-9]*) usage_err "invalid STOP_TIMEOUT '$STOP_TIMEOUT'" ;;
	esac
	[ -n "$DUMPDIR" ] || usage_err "invalid dump directory ''"
	[ -n "$LOGFILE" ] || usage_err "invalid log file ''"
}

check_userland() {
	if [ ! -f "$USERLAND" ] || [ ! -x "$USERLAND" ]; then
		die 1 "failed to find userland program $USERLAND: not an executable file"
	fi
}

# The object must exist and hold the sections the hooks need.
check_object() {
	local s out

	if [ ! -f "$BPFPROG" ] || [ ! -r "$BPFPROG" ]; then
		die 1 "failed to find BPF object $BPFPROG: not a readable file"
	fi
	command -v readelf >/dev/null 2>&1 || return 0
	out=$(readelf -SW -- "$BPFPROG" 2>/dev/null) || die 1 "failed to read BPF object $BPFPROG"
	for s in "${SECTIONS[@]}"; do
		case $s in
		tc/ingress) [ "$DIR" = egress ] && continue ;;
		tc/egress) [ "$DIR" = ingress ] && continue ;;
		esac
		grep -qF " $s " <<<"$out" || die 1 "failed to find section $s in $BPFPROG"
	done
}

# --- interfaces ---

# Every interface that is up, as "ip -o link" names them, "@ifN" removed.
up_interfaces() {
	ip -o link show up 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

iface_exists() {
	ip link show dev "$1" >/dev/null 2>&1
}

# IFACE -> IFACES array; every name is checked before anything is attached.
resolve_interfaces() {
	local name missing=() list=()

	IFACES=()
	if [ "$IFACE" = all ]; then
		mapfile -t list < <(up_interfaces)
	else
		IFS=', ' read -r -a list <<<"$IFACE"
	fi
	for name in "${list[@]}"; do
		[ -n "$name" ] || continue
		name=${name%%@*}
		case " ${IFACES[*]} " in *" $name "*) continue ;; esac
		if [ "${#name}" -gt 15 ] || ! iface_exists "$name"; then
			missing+=("$name")
			continue
		fi
		IFACES+=("$name")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		die 1 "unknown interface(s): ${missing[*]} (nothing attached)"
	fi
	[ ${#IFACES[@]} -gt 0 ] || die 1 "no interface to attach to"
}

join_comma() {
	local IFS=,

	printf '%s' "$*"
}

# iface.list: one "NAME DIRECTION" line per interface we attached to.
list_read() {		# -> LIST_NAMES, LIST_DIRS (parallel arrays)
	local n d

	LIST_NAMES=()
	LIST_DIRS=()
	[ -f "$IFACE_LIST" ] || return 0
	while read -r n d; do
		[ -n "$n" ] || continue
		LIST_NAMES+=("$n")
		LIST_DIRS+=("${d:-both}")
	done <"$IFACE_LIST"
}

list_write() {
	local i tmp

	if [ ${#LIST_NAMES[@]} -eq 0 ]; then
		rm -f "$IFACE_LIST"
		return 0
	fi
	tmp=$IFACE_LIST.tmp.$$
	for i in "${!LIST_NAMES[@]}"; do
		printf '%s %s\n' "${LIST_NAMES[$i]}" "${LIST_DIRS[$i]}"
	done >"$tmp" && mv -f "$tmp" "$IFACE_LIST"
}

dir_union() {
	if [ "$1" = "$2" ]; then
		printf '%s' "$1"
	else
		printf '%s' both
	fi
}

list_add() {		# name direction
	local i

	for i in "${!LIST_NAMES[@]}"; do
		if [ "${LIST_NAMES[$i]}" = "$1" ]; then
			LIST_DIRS[i]=$(dir_union "${LIST_DIRS[$i]}" "$2")
			return 0
		fi
	done
	LIST_NAMES+=("$1")
	LIST_DIRS+=("$2")
}

list_remove() {		# name
	local i names=() dirs=()

	for i in "${!LIST_NAMES[@]}"; do
		[ "${LIST_NAMES[$i]}" = "$1" ] && continue
		names+=("${LIST_NAMES[$i]}")
		dirs+=("${LIST_DIRS[$i]}")
	done
	LIST_NAMES=("${names[@]}")
	LIST_DIRS=("${dirs[@]}")
}

# Interfaces where the kernel has our filter, from tc_flowmon_user --status.
attached_interfaces() {
	"$USERLAND" --status -p "$BPFMAP" 2>/dev/null |
		awk '/^attached:/ { on = 1; next } on && /^  / { print $1; next } { on = 0 }'
}

# --- locking and the daemon ---

take_lock() {
	mkdir -p "$RUNDIR" || die 1 "failed to create $RUNDIR"
	command -v flock >/dev/null 2>&1 || return 0
	exec 9>"$LOCKFILE" || die 1 "failed to open $LOCKFILE"
	flock -w 60 9 || die 1 "failed to lock $LOCKFILE: another $PROG is running"
}

# Pid of the running daemon from the pid file, or nothing.
daemon_pid() {
	local pid state

	[ -f "$PIDFILE" ] || return 1
	read -r pid <"$PIDFILE" 2>/dev/null || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	[ -d "/proc/$pid" ] || return 1
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)
	[ "$state" != Z ] || return 1
	daemon_is_ours "$pid" || return 1
	printf '%s\n' "$pid"
}

# A recycled pid must not be killed: the process must be a tc_flowmon_user.
daemon_is_ours() {
	local comm exe

	comm=$(cat "/proc/$1/comm" 2>/dev/null)
	exe=$(readlink -f "/proc/$1/exe" 2>/dev/null)
	[ "$comm" = tc_flowmon_user ] && return 0
	[ -n "$exe" ] && [ "$exe" = "$(readlink -f -- "$USERLAND" 2>/dev/null)" ]
}

pid_gone() {
	local state

	[ -d "/proc/$1" ] || return 0
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -z "$state" ] || [ "$state" = Z ]
}

# Wait up to $2 seconds (tenths) for pid $1 to exit.
wait_gone() {
	local i

	for ((i = 0; i < $2 * 10; i++)); do
		pid_gone "$1" && return 0
		sleep 0.1
	done
	pid_gone "$1"
}

use_ssd() {
	case $DAEMONIZER in
	start-stop-daemon) return 0 ;;
	setsid) return 1 ;;
	esac
	command -v start-stop-daemon >/dev/null 2>&1
}

daemon_args() {
	local extra=()

	DARGS=(-p "$BPFMAP" -i "$INTERVAL" -d "$DUMPDIR" -l "$LOGFILE")
	[ "$FORMAT" = json ] && DARGS+=(-j)
	if [ -n "$DAEMON_OPTS" ]; then
		# split on blanks, no globbing, no evaluation
		set -f
		IFS=$' \t\n' read -r -a extra <<<"$DAEMON_OPTS"
		set +f
		DARGS+=("${extra[@]}")
	fi
}

spawn_daemon() {
	local pid

	: >"$ERRFILE"
	if use_ssd; then
		start-stop-daemon --start --quiet --background --make-pidfile \
			--pidfile "$PIDFILE" --startas "$USERLAND" --chdir / \
			--output "$ERRFILE" -- "${DARGS[@]}" 9>&- ||
			die 1 "failed to start $USERLAND with start-stop-daemon"
		return 0
	fi
	# not a process group leader (no job control here), so setsid does not
	# fork and $! is the daemon's pid
	if command -v setsid >/dev/null 2>&1; then
		(cd / && exec setsid "$USERLAND" "${DARGS[@]}" </dev/null >"$ERRFILE" 2>&1 9>&-) &
	else
		(cd / && exec nohup "$USERLAND" "${DARGS[@]}" </dev/null >"$ERRFILE" 2>&1 9>&-) &
	fi
	pid=$!
	printf '%s\n' "$pid" >"$PIDFILE" || die 1 "failed to write $PIDFILE"
}

# A daemon that cannot open the table exits at once: wait a moment for that.
check_started() {
	local pid i

	for ((i = 0; i < 10; i++)); do
		[ -s "$PIDFILE" ] && break
		sleep 0.1
	done
	sleep 0.5
	if ! pid=$(daemon_pid); then
		echo "$PROG: failed to start $USERLAND:" >&2
		sed 's/^/  /' "$ERRFILE" >&2 2>/dev/null
		rm -f "$PIDFILE"
		exit 1
	fi
	echo "started $USERLAND_NAME (pid $pid), flows in $DUMPDIR, log $LOGFILE"
}

# --- commands ---

do_load() {
	local name args

	check_userland
	check_object
	resolve_interfaces
	take_lock
	args=(--attach -I "$(join_comma "${IFACES[@]}")" -D "$DIR" --obj "$BPFPROG" -p "$BPFMAP")
	[ -n "$MAX_FLOWS" ] && args+=(--max-flows "$MAX_FLOWS")
	# tc_flowmon_user attaches on every interface or on none
	"$USERLAND" "${args[@]}" || die 1 "failed to attach to ${IFACES[*]}"
	list_read
	for name in "${IFACES[@]}"; do
		list_add "$name" "$DIR"
	done
	list_write || die 1 "failed to write $IFACE_LIST"
}

do_start() {
	local pid

	do_load
	if pid=$(daemon_pid); then
		echo "$USERLAND_NAME already running (pid $pid)"
		return 0
	fi
	mkdir -p "$DUMPDIR" || die 1 "failed to create dump directory $DUMPDIR"
	mkdir -p "$(dirname -- "$LOGFILE")" || die 1 "failed to create the folder of $LOGFILE"
	[ -e "$PIN_DIR/$BPFMAP" ] || die 1 "failed to find the flow table $PIN_DIR/$BPFMAP"
	daemon_args
	spawn_daemon
	check_started
}

stop_daemon() {
	local pid rc=0

	if ! pid=$(daemon_pid); then
		[ -f "$PIDFILE" ] && echo "$USERLAND_NAME not running (stale pid file removed)" ||
			echo "$USERLAND_NAME not running"
		rm -f "$PIDFILE"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null
	if ! wait_gone "$pid" "$STOP_TIMEOUT"; then
		echo "$PROG: $USERLAND_NAME (pid $pid) did not exit in ${STOP_TIMEOUT}s, killed:" \
			"its open flows stay in the table" >&2
		kill -KILL "$pid" 2>/dev/null
		wait_gone "$pid" 5
		rc=1
	else
		echo "stopped $USERLAND_NAME (pid $pid)"
	fi
	rm -f "$PIDFILE"
	return "$rc"
}

do_stop() {
	take_lock
	stop_daemon
}

hook_empty() {		# interface, ingress|egress
	[ -z "$(tc filter show dev "$1" "$2" 2>/dev/null)" ]
}

# Remove the clsact qdisc only if we created it and nobody else uses it.
release_qdisc() {
	local name=$1 marker=$RUNDIR/clsact.$1

	if ! iface_exists "$name"; then
		rm -f "$marker"
		return 0
	fi
	[ -e "$marker" ] || return 0
	if ! tc qdisc show dev "$name" 2>/dev/null | grep -q 'clsact'; then
		rm -f "$marker"
		return 0
	fi
	if hook_empty "$name" ingress && hook_empty "$name" egress; then
		if tc qdisc del dev "$name" clsact 2>/dev/null; then
			rm -f "$marker"
			echo "removed clsact qdisc of $name"
		else
			echo "$PROG: failed to remove clsact qdisc of $name" >&2
		fi
	else
		echo "kept clsact qdisc of $name: other filters use it"
	fi
}

# Detach from the given interfaces (all we know of with $1 = all).
unload_ifaces() {
	local scope=$1 name targets=() present=() rc=0

	list_read
	if [ "$scope" = all ]; then
		targets=("${LIST_NAMES[@]}")
		while read -r name; do
			[ -n "$name" ] || continue
			case " ${targets[*]} " in *" $name "*) ;; *) targets+=("$name") ;; esac
		done < <(attached_interfaces)
	else
		targets=("${IFACES[@]}")
	fi
	for name in "${targets[@]}"; do
		if iface_exists "$name"; then
			present+=("$name")
		else
			echo "$name is gone: nothing to detach"
		fi
	done
	if [ ${#present[@]} -gt 0 ]; then
		"$USERLAND" --detach -I "$(join_comma "${present[@]}")" -D both >/dev/null ||
			{ echo "$PROG: failed to detach from ${present[*]}" >&2; rc=1; }
	fi
	for name in "${targets[@]}"; do
		release_qdisc "$name"
		list_remove "$name"
		echo "unloaded $name"
	done
	[ ${#targets[@]} -gt 0 ] || echo "nothing attached"
	list_write
	return "$rc"
}

do_unload() {
	local rc=0 scope=all

	check_userland
	take_lock
	if [ "$IFACE_GIVEN" = yes ]; then
		if [ "$IFACE" = all ]; then
			scope=all
		else
			IFS=', ' read -r -a IFACES <<<"$IFACE"
			IFACES=("${IFACES[@]%%@*}")
			scope=some
		fi
	fi
	# detach first, then stop: the daemon's last scan writes every packet
	unload_ifaces "$scope" || rc=1
	list_read
	if [ ${#LIST_NAMES[@]} -eq 0 ]; then
		stop_daemon || rc=1
	else
		echo "still attached to ${LIST_NAMES[*]}: $USERLAND_NAME keeps running"
	fi
	return "$rc"
}

do_purge() {
	local rc=0 m

	check_userland
	take_lock
	[ "$IFACE_GIVEN" = yes ] && echo "purge unloads every interface: -i/-a ignored"
	unload_ifaces all || rc=1
	stop_daemon || rc=1
	for m in "${PINNED_MAPS[@]}" "$BPFMAP"; do
		if [ -e "$PIN_DIR/$m" ]; then
			rm -f -- "$PIN_DIR/$m" || { echo "$PROG: failed to remove $PIN_DIR/$m" >&2; rc=1; }
		fi
	done
	rmdir -- "$PIN_DIR" 2>/dev/null && rmdir -- "${PIN_DIR%/*}" 2>/dev/null
	rm -f "$ERRFILE"
	echo "removed the pinned maps from $PIN_DIR"
	return "$rc"
}

do_status() {
	local pid i out

	check_userland
	list_read
	echo "interface list ($IFACE_LIST):"
	if [ ${#LIST_NAMES[@]} -eq 0 ]; then
		echo "  (none)"
	fi
	for i in "${!LIST_NAMES[@]}"; do
		echo "  ${LIST_NAMES[$i]} ${LIST_DIRS[$i]}"
	done
	if pid=$(daemon_pid); then
		echo "daemon: running, pid $pid"
	elif [ -f "$PIDFILE" ]; then
		echo "daemon: not running (stale pid file $PIDFILE)"
	else
		echo "daemon: not running"
	fi
	out=$("$USERLAND" --status -p "$BPFMAP" 2>&1)
	printf '%s\n' "$out" | grep -v '^failed to open pinned map'
	if [ ! -e "$PIN_DIR/$BPFMAP" ]; then
		echo "table $PIN_DIR/$BPFMAP: not loaded"
	fi
	return 0
}

show_defaults() {
	local ifs=$IFACE sec=$BPFSEC ssd=setsid

	[ "$IFACE" = all ] && ifs="all ($(up_interfaces | paste -sd, -))"
	[ "$BPFSEC" = auto ] && sec="auto (tc/ingress and/or tc/egress per direction)"
	use_ssd && ssd=start-stop-daemon
	printf '%-26s %s\n' \
		"Monitoring interface:" "$ifs" \
		"Dump interval:" "$INTERVAL" \
		"BPF program:" "$BPFPROG" \
		"BPF program section:" "$sec" \
		"BPF map:" "$PIN_DIR/$BPFMAP" \
		"Direction:" "$DIR" \
		"Dump directory:" "$DUMPDIR" \
		"Userland program:" "$USERLAND" \
		"Data format:" "$FORMAT" \
		"Userland log file:" "$LOGFILE" \
		"Max flows:" "${MAX_FLOWS:-userland default}" \
		"Daemon options:" "${DAEMON_OPTS:-none}" \
		"Daemonizer:" "$ssd" \
		"Stop timeout:" "$STOP_TIMEOUT" \
		"PID file:" "$PIDFILE" \
		"Interface list:" "$IFACE_LIST" \
		"Defaults file:" "$DEFAULTS_FILE ($([ "$DEFAULTS_READ" = yes ] && echo read || echo absent))"
}

abs_path() {
	case $1 in
	/*) printf '%s' "$1" ;;
	*) printf '%s/%s' "$PWD" "$1" ;;
	esac
}

main() {
	parse_args "$@"
	USERLAND_NAME=${USERLAND##*/}
	check_settings
	DUMPDIR=$(abs_path "$DUMPDIR")
	LOGFILE=$(abs_path "$LOGFILE")
	BPFPROG=$(abs_path "$BPFPROG")
	if [ "$SHOW_DEFAULTS" = yes ]; then
		show_defaults
		exit 0
	fi
	[ -n "$CMD" ] || usage_err "a command is required: start, load, stop, unload, purge or status"
	[ "$(id -u)" -eq 0 ] || [ "$CMD" = status ] || die 1 "$CMD needs root"
	case $CMD in
	load) do_load ;;
	start) do_start ;;
	stop) do_stop ;;
	unload) do_unload ;;
	purge) do_purge ;;
	status) do_status ;;
	*) usage_err "unknown command '$CMD'" ;;
	esac
}

main "$@"
