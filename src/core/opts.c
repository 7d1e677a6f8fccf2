// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * opts.c - command line of tc_flowmon_user: one option table with the
 * commands that take each option and its help line; getopt_long over the
 * options of the chosen command; full validation, one-line errors.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "flowmon.h"
#include "format.h"
#include "hostport.h"
#include "opts.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_INTERVAL	86400
#define MIN_MAX_FLOWS	1024
#define MAX_MAX_FLOWS	(1u << 26)

/* Long-only options: values outside the char range. */
enum {
	OPT_IDLE = 256,
	OPT_ACTIVE,
	OPT_MAX_FLOWS,
	OPT_OBJ,
	OPT_ODID,
	OPT_UNIFLOW,
	OPT_ATTACH,
	OPT_DETACH,
	OPT_STATUS,
	OPT_FORMAT,
	OPT_ALL,
	OPT_VERSION,
	OPT_ENGINE,
	OPT_FEATURES,
	OPT_PRECISE_CLOCK,
	OPT_PEN,
	OPT_METRICS,
	OPT_FLOWS,
	OPT_HOOK,
	OPT_XDP_MODE,
	OPT_TC_MECH,
	OPT_PLUGIN,
	OPT_PLUGIN_ENTRIES,
	OPT_DAEMON,
	OPT_PID_FILE,
	OPT_CHECK,
	OPT_TIMEOUT,
};

#define C(x)	(1u << CMD_##x)
#define C_ALL	(C(RUN) | C(REPLAY) | C(LOAD) | C(UNLOAD) | C(PURGE) | C(STATUS) | C(TOP) | C(PLUGIN) | \
		 C(STOP))
#define C_MAP	(C(RUN) | C(LOAD) | C(UNLOAD) | C(PURGE) | C(STATUS) | C(TOP) | C(PLUGIN))
#define C_OUT	(C(RUN) | C(REPLAY))
#define C_KERN	(C(RUN) | C(REPLAY) | C(LOAD))	/* what loads the object */
#define C_SEED	(1u << CMD_MAX)			/* the seed's command line only */

struct opt_def {
	const char *name;	/* long name */
	int val;		/* short option character or OPT_* */
	const char *arg;	/* metavariable, NULL: no argument */
	unsigned int cmds;	/* C(...) of the commands that take it */
	const char *help;
};

/* Every option, in help order. */
static const struct opt_def opt_defs[] = {
	{ "file", 'f', "PATH", C_MAP, "pinned flow table (default " FLOWMON_PIN_DIR "/"
		FLOWMON_MAP_FLOWS ")" },
	{ "pin-name", 'p', "NAME", C_MAP, "flow table NAME under " FLOWMON_PIN_DIR
		" (its other maps: NAME_counters, ...)" },
	{ "interval", 'i', "SEC", C(RUN), "scan period, 0-86400; 0: print the flows once and "
		"exit (default 1)" },
	{ "dir", 'd', "DIR", C_OUT, "base directory of the dated dump files (default .)" },
	{ "output", 'o', "FILE", C_OUT, "write flows to FILE, - for stdout (default "
		"DIR/DATE/TIME.txt)" },
	{ "json", 'j', NULL, C_OUT | C(STATUS) | C(PLUGIN), "JSON lines instead of "
		"tab-separated text (default text)" },
	{ "format", OPT_FORMAT, "NAME", C_OUT | C(STATUS), "record format: " FORMAT_NAMES
		" (default text; brief for -o - on a terminal and for status --flows)" },
	{ "log", 'l', "FILE", C_ALL, "log messages to FILE, reopened on SIGHUP (default stdout)" },
	{ "quiet", 'q', NULL, C_ALL, "errors only (default: log)" },
	{ "verbose", 'v', NULL, C_ALL, "more messages, -vv adds libbpf debug (default: normal)" },
	{ "read", 'r', "FILE", C(RUN) | C(REPLAY), "offline: replay a pcap/pcapng file "
		"(default: live)" },
	{ "export", 'x', "HOST[:PORT]", C_OUT, "IPFIX collector over UDP; tcp://HOST[:PORT], "
		"[ADDR][:PORT]; port 4739 if left out; up to 8 (default none)" },
	{ "odid", OPT_ODID, "N", C_OUT, "IPFIX observation domain id (default 0)" },
	{ "uniflow", OPT_UNIFLOW, NULL, C_OUT, "IPFIX: one record per direction, for pmacct "
		"(default: biflow, RFC 5103)" },
	{ "pen", OPT_PEN, "N", C_OUT, "IPFIX: enterprise number of our own elements "
		"(default 32473, the documentation PEN)" },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", C(RUN), "serve Prometheus metrics on "
		"http://ADDR:PORT/metrics (default: off)" },
	{ "daemon", OPT_DAEMON, NULL, C(RUN), "run in the background once the table is open "
		"and the dump writable; start-up errors and exit status go to the caller; needs -l "
		"(default: foreground)" },
	{ "pid-file", OPT_PID_FILE, "FILE", C(RUN) | C(STOP), "run: write the pid to FILE once "
		"ready, remove it on exit; refuse to start while another run holds FILE (locked); "
		"stop: the daemon to stop (default none)" },
	{ "timeout", OPT_TIMEOUT, "SEC", C(STOP), "stop: seconds the daemon gets to write its "
		"flows before SIGKILL, 1-86400 (default 10)" },
	{ "flows", OPT_FLOWS, NULL, C(STATUS), "status: list the open flows of the table" },
	{ "iface", 'I', "IF[,IF...]", C(RUN) | C(LOAD) | C(UNLOAD), "interfaces to attach to "
		"(default none)" },
	{ "direction", 'D', "DIR", C(RUN) | C(LOAD) | C(UNLOAD), "hooks: ingress, egress or "
		"both (default both; with --hook xdp: ingress)" },
	{ "hook", OPT_HOOK, "HOOK", C(RUN) | C(LOAD), "ingress hook: tc, or xdp (before the "
		"stack, ingress only: -D both adds TC egress) (default tc)" },
	{ "xdp-mode", OPT_XDP_MODE, "MODE", C(RUN) | C(LOAD), "--hook xdp: native, generic, or "
		"auto: native where the driver has it (default auto)" },
	{ "tc-mech", OPT_TC_MECH, "MECH", C(RUN) | C(LOAD), "TC hooks through tcx links "
		"(kernel 6.6+) or clsact filters; auto: tcx where the kernel has it (default auto)" },
	{ "all", OPT_ALL, NULL, C(UNLOAD), "unload: every hook where a program using the -p table is" },
	{ "idle-timeout", OPT_IDLE, "SEC", C_KERN, "end flows idle for SEC seconds "
		"(default 15)" },
	{ "active-timeout", OPT_ACTIVE, "SEC", C_KERN, "split records of flows older than SEC "
		"(default 1800)" },
	{ "max-flows", OPT_MAX_FLOWS, "N", C_KERN, "flow table entries, 1024-67108864 "
		"(default 65536)" },
	{ "obj", OPT_OBJ, "FILE", C_KERN, "load this tc_flowmon_kern.o, not the one built in "
		"(replay: implies --engine kernel) (default: built in)" },
	{ "engine", OPT_ENGINE, "ENGINE", C(RUN) | C(REPLAY), "replay with the datapath "
		"compiled natively (native) or in the kernel with BPF_PROG_TEST_RUN (kernel) "
		"(default native)" },
	{ "features", OPT_FEATURES, "LIST", C_KERN, "what is metered: all, none, or a list of "
		"iat, hist, tcp, l2 (default all, or a pinned table's)" },
	{ "precise-clock", OPT_PRECISE_CLOCK, NULL, C(RUN) | C(LOAD), "read the clock on "
		"every packet (default: the kernel's stamps and a 1 ms tick)" },
	{ "plugin", OPT_PLUGIN, "FILE", C_KERN, "a BPF feature plugin, repeatable, up to 8 "
		"(run: for this run; load: stays loaded; replay: implies --engine kernel) "
		"(default none)" },
	{ "plugin-entries", OPT_PLUGIN_ENTRIES, "N", C_KERN | C(PLUGIN), "records with "
		"results a plugin holds at once, 1024-67108864 (default: the plugin's own)" },
	{ "attach", OPT_ATTACH, NULL, C_SEED, "the load command: load, pin and attach on the "
		"-I interfaces, then exit" },
	{ "detach", OPT_DETACH, NULL, C_SEED, "the unload command: remove our filters from the "
		"-I interfaces, then exit" },
	{ "status", OPT_STATUS, NULL, C_SEED, "the status command: attachments, table "
		"occupancy and counters, then exit" },
	{ "check", OPT_CHECK, NULL, C_ALL | C_SEED, "check the command line, then exit: 0 if "
		"valid, else 2 and the error; nothing is opened or changed" },
	{ "version", OPT_VERSION, NULL, C_ALL | C_SEED, "print the version and exit" },
	{ "help", 'h', NULL, C_ALL | C_SEED, "print this help and exit" },
};

struct cmd_def {
	const char *name;
	const char *args;	/* positional arguments, for the usage line */
	const char *help;
};

static const struct cmd_def cmd_defs[CMD_MAX] = {
	[CMD_RUN] = { "run", "", "meter: scan the pinned table (or attach to -I for this run) "
		"and write records (default)" },
	[CMD_REPLAY] = { "replay", " FILE...", "replay pcap/pcapng files through the program, "
		"each in turn" },
	[CMD_LOAD] = { "load", "", "load the program, pin its maps, attach to the -I "
		"interfaces" },
	[CMD_UNLOAD] = { "unload", "", "remove our filters from -I interfaces or --all; "
		"an empty clsact qdisc goes too" },
	[CMD_PURGE] = { "purge", "", "unload the table's hooks (as --all), then remove the pinned maps" },
	[CMD_STATUS] = { "status", "", "where we are attached, table occupancy, kernel "
		"counters (-j: JSON)" },
	[CMD_TOP] = { "top", "", "live view of the open flows, refreshed every second (q quits)" },
	[CMD_PLUGIN] = { "plugin", " load FILE | unload NAME | list", "BPF feature plugins of "
		"the running meter: load one, unload one, list them (-j: JSON)" },
	[CMD_STOP] = { "stop", "", "stop the daemon of --pid-file: SIGTERM, then wait while it "
		"writes its open flows (SIGKILL after --timeout)" },
	[CMD_HELP] = { "help", " [COMMAND]", "this help, or one command's" },
	[CMD_VERSION] = { "version", "", "print the version" },
};

struct parse_ctx {
	char *err;
	size_t errlen;
};

/*
 * One line, whatever the arguments it quotes hold: a control character
 * (a newline in an argument) is shown as '?', so that the message stays one
 * line in a log and cannot forge another.
 */
__attribute__((format(printf, 2, 3)))
static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
		for (p = c->err; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = '?';
	}
	return -1;
}

/* Decimal only; strtoul alone would take "-1", " 5" and "5x". */
static int parse_ulong(struct parse_ctx *c, const char *what, const char *s,
		       unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return fail(c, "invalid %s '%s': not a number", what, s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return fail(c, "invalid %s '%s': not a number", what, s);
	if (errno == ERANGE || v < min || v > max)
		return fail(c, "invalid %s '%s': out of range (%lu-%lu)", what, s, min, max);
	*out = v;
	return 0;
}

static int parse_uint(struct parse_ctx *c, const char *what, const char *s,
		      unsigned long min, unsigned long max, unsigned int *out)
{
	unsigned long v;

	if (parse_ulong(c, what, s, min, max, &v))
		return -1;
	*out = (unsigned int)v;	/* max fits: checked above */
	return 0;
}

static int set_path(struct parse_ctx *c, struct flowmon_opts *o, const char *dir,
		    const char *name)
{
	int n;

	if (dir)
		n = snprintf(o->map_path, sizeof(o->map_path), "%s/%s", dir, name);
	else
		n = snprintf(o->map_path, sizeof(o->map_path), "%s", name);
	if (n < 0 || (size_t)n >= sizeof(o->map_path))
		return fail(c, "invalid map path '%.32s...': longer than %zu bytes", name,
			    sizeof(o->map_path) - 1);
	return 0;
}

static int opt_file(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	if (!*s)
		return fail(c, "invalid map path '': empty");
	return set_path(c, o, NULL, s);
}

/* A name under the pin folder, not a path: -f is for paths. */
static int opt_pin_name(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	if (!*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
		return fail(c, "invalid pin name '%s': expected a file name under %s", s,
			    FLOWMON_PIN_DIR);
	return set_path(c, o, FLOWMON_PIN_DIR, s);
}

static int opt_string(struct parse_ctx *c, const char *what, const char *s, const char **out)
{
	if (!*s)
		return fail(c, "invalid %s '': empty", what);
	*out = s;
	return 0;
}

/*
 * HOST[:PORT], tcp://HOST[:PORT], [ADDR][:PORT]; port 1-65535, 4739 when
 * left out (RFC 7011 10.3.1, the IANA IPFIX port; export.c adds it).
 */
static int opt_collector(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	const char *hp = s;
	unsigned int port;
	char host[256];
	int err;

	if (o->n_collectors >= OPTS_MAX_COLLECTORS)
		return fail(c, "too many collectors (max %d)", OPTS_MAX_COLLECTORS);
	if (!strncmp(hp, "tcp://", 6))
		hp += 6;
	err = hostport_parse(hp, false, host, sizeof(host), &port);
	if (err && hp[0] != '[' && strchr(hp, ':') != strrchr(hp, ':'))
		return fail(c, "invalid collector '%s': an IPv6 address goes in brackets, "
			    "[ADDR][:PORT]", s);
	if (err == -EDOM)
		return fail(c, "invalid collector '%s': port is not a number", s);
	if (err == -ERANGE)
		return fail(c, "invalid collector '%s': port out of range (1-65535)", s);
	if (err)
		return fail(c, "invalid collector '%s': expected HOST[:PORT], tcp://HOST[:PORT] "
			    "or [ADDR][:PORT]", s);
	o->collectors[o->n_collectors++] = s;
	return 0;
}

/* IF[,IF...]: no empty names, each short enough for the kernel (IFNAMSIZ). */
static int opt_ifaces(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	const char *p = s;
	size_t n;

	for (;;) {
		n = strcspn(p, ",");
		if (!n)
			return fail(c, "invalid interface list '%s': empty name", s);
		if (n >= IF_NAMESIZE)
			return fail(c, "invalid interface list '%s': '%.*s' is longer than %d "
				    "characters", s, (int)n, p, IF_NAMESIZE - 1);
		if (!p[n])
			break;
		p += n + 1;
	}
	o->ifaces = s;
	return 0;
}

/* One of names (NULL-terminated): its index into *out. */
static int opt_choice(struct parse_ctx *c, const char *what, const char *s,
		      const char *const *names, const char *expected, int *out)
{
	int i;

	for (i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*out = i;
			return 0;
		}
	}
	return fail(c, "invalid %s '%s': expected %s", what, s, expected);
}

static int opt_hook(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	static const char *const names[] = { "tc", "xdp", NULL };
	int v = 0;

	if (opt_choice(c, "hook", s, names, "tc or xdp", &v))
		return -1;
	o->xdp = v == 1;
	return 0;
}

static int opt_hooks(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	/* in enum flowmon_hooks order, from HOOK_INGRESS */
	static const char *const names[] = { "ingress", "egress", "both", NULL };
	int v = 0;

	o->hooks_given = true;
	if (opt_choice(c, "direction", s, names, "ingress, egress or both", &v))
		return -1;
	o->hooks = HOOK_INGRESS + v;
	return 0;
}

const char *opts_cmd_str(enum flowmon_cmd cmd)
{
	return cmd < CMD_MAX ? cmd_defs[cmd].name : NULL;
}

static int cmd_find(const char *name)
{
	int i;

	for (i = 0; i < CMD_MAX; i++)
		if (!strcmp(cmd_defs[i].name, name))
			return i;
	return -1;
}

/* The seed's --attach, --detach and --status select a command. */
static int opt_seed_cmd(struct parse_ctx *c, struct flowmon_opts *o, enum flowmon_cmd cmd,
			const char *name)
{
	if (o->cmd != CMD_RUN && o->cmd != cmd)
		return fail(c, "%s conflicts with %s", name, o->cmd_name);
	o->cmd = cmd;
	o->cmd_name = name;
	return 0;
}

static void opts_defaults(struct flowmon_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = CMD_RUN;
	o->cmd_name = "run";
	snprintf(o->map_path, sizeof(o->map_path), "%s/%s", FLOWMON_PIN_DIR, FLOWMON_MAP_FLOWS);
	o->interval = 1;
	o->dump_dir = ".";
	o->verbose = 1;
	o->format = "text";
	o->idle_sec = FLOWMON_DEFAULT_IDLE_SEC;
	o->active_sec = FLOWMON_DEFAULT_ACTIVE_SEC;
	o->hooks = HOOK_BOTH;
	o->max_flows = FLOWMON_DEFAULT_MAX_FLOWS;
	o->features = -1;
	o->stop_timeout = 10;
}

/* --engine: which datapath replays a capture. */
static int opt_engine(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	static const char *const names[] = { "native", "kernel", NULL };
	int v = 0;

	if (opt_choice(c, "engine", s, names, "native or kernel", &v))
		return -1;
	o->kernel_engine = v == 1;
	return 0;
}

/* --features names: the four features, then the two words for all and none. */
static const struct {
	const char *name;
	int bits;
} feature_names[] = { { "iat", FLOWMON_F_IAT }, { "hist", FLOWMON_F_HIST },
		      { "tcp", FLOWMON_F_TCP }, { "l2", FLOWMON_F_L2 },
		      { "all", FLOWMON_F_ALL }, { "none", 0 } };

const char *opts_features_str(uint8_t f, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < 4; i++)
		if (f & feature_names[i].bits)
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
				      feature_names[i].name);
	return n ? buf : "none";
}

/* --features: the metering profile, "all", "none" or a list of iat,hist,tcp,l2. */
static int opt_features(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	const char *p = s;
	int f = 0;
	size_t i, n;

	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < ARRAY_SIZE(feature_names); i++) {
			if (strlen(feature_names[i].name) == n &&
			    !strncmp(p, feature_names[i].name, n))
				break;
		}
		if (i == ARRAY_SIZE(feature_names))
			return fail(c, "invalid features '%s': expected all, none, or a list of "
				    "iat, hist, tcp, l2", s);
		f |= feature_names[i].bits;
		p += n + (p[n] == ',');
	}
	o->features = f;
	return 0;
}

static int opt_format(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	if (!strcmp(s, "plaintext"))	/* FORMAT= of /etc/default/bpfflowmon, as the script says it */
		s = "text";
	if (!format_find(s))
		return fail(c, "invalid format '%s': expected one of " FORMAT_NAMES, s);
	o->format = s;
	o->format_set = true;
	o->json = !strcmp(s, "json");
	return 0;
}

/* --metrics [ADDR:]PORT: PORT, IPV4:PORT, [IPV6]:PORT or NAME:PORT; port 1-65535. */
static int opt_metrics(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	unsigned int port;
	char host[256];
	int err = hostport_parse(s, true, host, sizeof(host), &port);

	if (err == -EINVAL || err == -EDOM)
		return fail(c, "invalid metrics address '%s': expected PORT, ADDR:PORT or "
			    "[ADDR]:PORT", s);
	if (err)
		return fail(c, "invalid metrics address '%s': port out of range (1-65535)", s);
	if (!port)
		return fail(c, "invalid metrics address '%s': no port", s);
	o->metrics = s;
	return 0;
}

/* Options with a numeric argument. */
static int opt_number(struct parse_ctx *c, struct flowmon_opts *o, int opt, const char *s)
{
	unsigned long v;

	switch (opt) {
	case 'i':
		return parse_uint(c, "interval", s, 0, MAX_INTERVAL, &o->interval);
	case OPT_TIMEOUT:
		return parse_uint(c, "timeout", s, 1, MAX_INTERVAL, &o->stop_timeout);
	case OPT_IDLE:
		return parse_uint(c, "idle timeout", s, 1, UINT_MAX, &o->idle_sec);
	case OPT_ACTIVE:
		return parse_uint(c, "active timeout", s, 1, UINT_MAX, &o->active_sec);
	case OPT_MAX_FLOWS:
		if (parse_ulong(c, "max flows", s, MIN_MAX_FLOWS, MAX_MAX_FLOWS, &v))
			return -1;
		o->max_flows = (uint32_t)v;
		return 0;
	case OPT_ODID:
		if (parse_ulong(c, "odid", s, 0, UINT32_MAX, &v))
			return -1;
		o->odid = (uint32_t)v;
		return 0;
	case OPT_PEN:
		if (parse_ulong(c, "enterprise number", s, 1, UINT32_MAX, &v))
			return -1;
		o->pen = (uint32_t)v;
		return 0;
	case OPT_PLUGIN_ENTRIES:
		if (parse_ulong(c, "plugin entries", s, MIN_MAX_FLOWS, MAX_MAX_FLOWS, &v))
			return -1;
		o->plugin_entries = (uint32_t)v;
		return 0;
	}
	return 1;	/* not a numeric option */
}

/* Options without an argument. */
static int opt_flag(struct parse_ctx *c, struct flowmon_opts *o, int opt)
{
	switch (opt) {
	case 'q':
		o->verbose = 0;
		return 0;
	case 'v':
		/* -q then -v counts from the default level: the last one wins */
		if (o->verbose < 1)
			o->verbose = 1;
		if (o->verbose < 3)
			o->verbose++;
		return 0;
	case 'j':
		return opt_format(c, o, "json");
	case OPT_UNIFLOW:
		o->uniflow = true;
		return 0;
	case OPT_ALL:
		o->all = true;
		return 0;
	case OPT_PRECISE_CLOCK:
		o->precise_clock = true;
		return 0;
	case OPT_FLOWS:
		o->flows = true;
		return 0;
	case OPT_DAEMON:
		o->daemon = true;
		return 0;
	case OPT_CHECK:
		o->check = true;
		return 0;
	case OPT_ATTACH:
		return opt_seed_cmd(c, o, CMD_LOAD, "--attach");
	case OPT_DETACH:
		return opt_seed_cmd(c, o, CMD_UNLOAD, "--detach");
	case OPT_STATUS:
		return opt_seed_cmd(c, o, CMD_STATUS, "--status");
	}
	return fail(c, "unhandled option %d", opt);
}

/* Options that take a string. */
static int opt_other(struct parse_ctx *c, struct flowmon_opts *o, int opt, const char *s)
{
	switch (opt) {
	case 'f':
		return opt_file(c, o, s);
	case 'p':
		return opt_pin_name(c, o, s);
	case 'd':
		return opt_string(c, "dump directory", s, &o->dump_dir);
	case 'l':
		return opt_string(c, "log file", s, &o->log_file);
	case 'o':
		return opt_string(c, "output file", s, &o->out_file);
	case 'r':
		return opt_string(c, "pcap file", s, &o->pcap);
	case OPT_OBJ:
		return opt_string(c, "object file", s, &o->obj_path);
	case OPT_PID_FILE:
		return opt_string(c, "pid file", s, &o->pid_file);
	case OPT_FORMAT:
		return opt_format(c, o, s);
	case OPT_ENGINE:
		return opt_engine(c, o, s);
	case OPT_FEATURES:
		return opt_features(c, o, s);
	case OPT_METRICS:
		return opt_metrics(c, o, s);
	case 'x':
		return opt_collector(c, o, s);
	case 'I':
		return opt_ifaces(c, o, s);
	case 'D':
		return opt_hooks(c, o, s);
	case OPT_HOOK:
		return opt_hook(c, o, s);
	case OPT_XDP_MODE:
		return opt_choice(c, "XDP mode", s, (const char *const[]){ "auto", "native",
			"generic", NULL }, "auto, native or generic", &o->xdp_mode);
	case OPT_TC_MECH:
		return opt_choice(c, "TC mechanism", s, (const char *const[]){ "auto", "clsact",
			"tcx", NULL }, "auto, tcx or clsact", &o->tc_mech);
	case OPT_PLUGIN:
		if (o->n_plugins == OPTS_MAX_PLUGINS)
			return fail(c, "too many plugins (max %d)", OPTS_MAX_PLUGINS);
		return opt_string(c, "plugin file", s, &o->plugins[o->n_plugins++]);
	}
	return opt_flag(c, o, opt);
}

/* The option as the user wrote it, for messages: "-x" or "--foo" (without "=value"). */
static const char *opt_word(int argc, char **argv, int *n)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";

	*n = (int)strcspn(arg, "=");
	return arg;
}

/* An option of the table that this command does not take. */
static const struct opt_def *other_cmd_opt(const char *arg, int n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(opt_defs); i++) {
		if (!strncmp(arg, "--", 2) ? (int)strlen(opt_defs[i].name) == n - 2 &&
						     !strncmp(arg + 2, opt_defs[i].name, n - 2) :
					     opt_defs[i].val == optopt)
			return &opt_defs[i];
	}
	return NULL;
}

/* cmd: the command's name when one was given (its options only), else NULL. */
static int bad_option(struct parse_ctx *c, const char *cmd, int opt, int argc, char **argv)
{
	int n;
	const char *arg = opt_word(argc, argv, &n);

	if (!strncmp(arg, "--", 2)) {
		if (opt == ':')
			return fail(c, "missing argument for '%.*s'", n, arg);
		if (optopt && arg[n] == '=')	/* a known option, given a value */
			return fail(c, "option '%.*s' takes no argument", n, arg);
		if (cmd && other_cmd_opt(arg, n))
			return fail(c, "option '%.*s' is not one of %s's options", n, arg, cmd);
		return fail(c, "unknown option '%.*s'", n, arg);
	}
	if (opt == ':')
		return fail(c, "missing argument for '-%c'", optopt);
	if (optopt > 0 && optopt < 256 && isprint(optopt)) {
		if (cmd && other_cmd_opt("-", 1))
			return fail(c, "option '-%c' is not one of %s's options", optopt, cmd);
		return fail(c, "unknown option '-%c'", optopt);
	}
	return fail(c, "unknown option '%s'", arg);
}

/* A daemon has no terminal: it logs to a file and writes no records to stdout. */
static int check_daemon(struct parse_ctx *c, const struct flowmon_opts *o)
{
	if (!o->log_file || !strcmp(o->log_file, "-"))
		return fail(c, "--daemon needs -l FILE: a daemon has no terminal to log to");
	if (o->out_file && !strcmp(o->out_file, "-"))
		return fail(c, "--daemon conflicts with -o -: a daemon has no terminal");
	if (!o->interval)
		return fail(c, "--daemon conflicts with -i 0: a daemon scans every 1-%u s",
			    MAX_INTERVAL);
	return 0;
}

/* Rules between options, checked once all of them are known. */
static int opts_check(struct parse_ctx *c, struct flowmon_opts *o)
{
	if (o->cmd == CMD_LOAD && !o->ifaces)
		return fail(c, "%s needs -I IFACE", o->cmd_name);
	if (o->cmd == CMD_UNLOAD && !o->ifaces && !o->all)
		return fail(c, "%s needs -I IFACE%s", o->cmd_name,
			    strcmp(o->cmd_name, "unload") ? "" : " or --all");
	if (o->cmd == CMD_UNLOAD && o->ifaces && o->all)
		return fail(c, "--all conflicts with -I");
	if (o->pcap && o->cmd != CMD_RUN && o->cmd != CMD_REPLAY)
		return fail(c, "-r conflicts with %s", o->cmd_name);
	/* a capture is replayed, not an interface's traffic: -I would be ignored */
	if (o->pcap && o->ifaces)
		return fail(c, "-I conflicts with -r: a capture is replayed, nothing is attached");
	if (o->cmd == CMD_REPLAY && !o->pcap)
		return fail(c, "replay needs a FILE");
	if (o->pcap && (o->daemon || o->pid_file))
		return fail(c, "%s conflicts with -r", o->daemon ? "--daemon" : "--pid-file");
	if (o->daemon && check_daemon(c, o))
		return -1;
	/* -i 0 prints and exits: there is no daemon for a pid file to name */
	if (o->pid_file && o->cmd == CMD_RUN && o->interval == 0)
		return fail(c, "--pid-file conflicts with -i 0");
	if (o->cmd == CMD_STOP && !o->pid_file)
		return fail(c, "stop needs --pid-file FILE");
	if (o->xdp && o->hooks == HOOK_EGRESS)
		return fail(c, "--hook xdp conflicts with -D egress: XDP sees ingress only");
	if (o->xdp && !o->hooks_given)
		o->hooks = HOOK_INGRESS;	/* XDP alone, unless -D both asks for TC egress too */
	if (o->xdp_mode && !o->xdp)
		return fail(c, "--xdp-mode needs --hook xdp");
	if (o->xdp && !o->ifaces)
		return fail(c, "--hook xdp needs -I IFACE");
	if (o->cmd == CMD_PLUGIN && !o->plugin_action)
		return fail(c, "plugin needs an action: load FILE, unload NAME or list");
	if (o->cmd == CMD_PLUGIN && strcmp(o->plugin_action, "list") && !o->plugin_arg)
		return fail(c, "plugin %s needs a %s", o->plugin_action,
			    strcmp(o->plugin_action, "load") ? "NAME" : "FILE");
	return 0;
}

/* plugin ACTION [ARG]: load FILE, unload NAME, list. */
static int plugin_positional(struct parse_ctx *c, struct flowmon_opts *o, const char *arg)
{
	if (!o->plugin_action) {
		if (strcmp(arg, "load") && strcmp(arg, "unload") && strcmp(arg, "list"))
			return fail(c, "invalid plugin action '%s': expected load, unload or list",
				    arg);
		o->plugin_action = arg;
		return 0;
	}
	if (!o->plugin_arg && strcmp(o->plugin_action, "list"))
		return opt_string(c, "plugin argument", arg, &o->plugin_arg);
	return fail(c, "unexpected argument '%s'", arg);
}

/* getopt tables of the options that cmd takes (C_SEED: the seed's line). */
static void build_getopt(unsigned int mask, char *shorts, struct option *longs)
{
	size_t i, s = 0, l = 0;

	shorts[s++] = mask & C_SEED ? '+' : '-';	/* seed: stop at the first non-option */
	shorts[s++] = ':';				/* report missing arguments */
	for (i = 0; i < ARRAY_SIZE(opt_defs); i++) {
		const struct opt_def *d = &opt_defs[i];

		if (!(d->cmds & mask))
			continue;
		longs[l++] = (struct option){ d->name, d->arg ? required_argument : no_argument,
					      NULL, d->val };
		if (d->val < 256) {
			shorts[s++] = (char)d->val;
			if (d->arg)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	longs[l] = (struct option){ NULL, 0, NULL, 0 };
}

static bool pcaps_have(const struct flowmon_opts *o, const char *name)
{
	int i;

	for (i = 0; i < o->n_pcaps; i++)
		if (!strcmp(o->pcaps[i], name))
			return true;
	return false;
}

static int positional(struct parse_ctx *c, struct flowmon_opts *o, const char *arg)
{
	if (o->cmd == CMD_REPLAY && (!o->pcap || o->n_pcaps)) {
		if (o->n_pcaps == OPTS_MAX_PCAPS)
			return fail(c, "invalid pcap file '%s': more than %d files", arg,
				    OPTS_MAX_PCAPS);
		if (!o->n_pcaps && opt_string(c, "pcap file", arg, &o->pcap))
			return -1;
		/* standard input is read once: a second '-' would find it empty */
		if (!strcmp(arg, "-") && o->n_pcaps && pcaps_have(o, "-"))
			return fail(c, "invalid pcap file '-': standard input given twice");
		o->pcaps[o->n_pcaps++] = arg;
		return 0;
	}
	if (o->cmd == CMD_PLUGIN)
		return plugin_positional(c, o, arg);
	if (o->cmd == CMD_HELP && !o->help_cmd) {
		if (cmd_find(arg) < 0)
			return fail(c, "unknown command '%s'", arg);
		o->help_cmd = arg;
		return 0;
	}
	return fail(c, "unexpected argument '%s'", arg);
}

/* "tc_flowmon_user COMMAND ...": the command, or -1 for the seed's line. */
static int take_command(int argc, char **argv, struct flowmon_opts *o)
{
	int cmd = argc > 1 && argv[1][0] != '-' ? cmd_find(argv[1]) : -1;

	if (cmd < 0)
		return -1;
	o->cmd = cmd;
	o->cmd_name = cmd_defs[cmd].name;
	return cmd;
}

static int help(const struct flowmon_opts *o, const char *prog, int seed)
{
	if (seed || o->cmd == CMD_HELP)
		opts_usage(stdout, prog);
	else
		opts_cmd_usage(stdout, prog, o->cmd_name);
	return 1;
}

static int parse_loop(struct parse_ctx *c, struct flowmon_opts *o, int argc, char **argv,
		      unsigned int mask, const char *prog)
{
	static struct option longs[ARRAY_SIZE(opt_defs) + 1];
	char shorts[2 * ARRAY_SIZE(opt_defs) + 3];
	int opt, ret;

	build_getopt(mask, shorts, longs);
	while ((opt = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (opt == 'h')
			return help(o, prog, mask & C_SEED);
		if (opt == OPT_VERSION) {
			o->cmd = CMD_VERSION;
			return 0;
		}
		if (opt == '?' || opt == ':')
			return bad_option(c, mask & C_SEED ? NULL : o->cmd_name, opt, argc, argv);
		if (opt == 1)	/* a positional argument, in order ('-' above) */
			ret = positional(c, o, optarg);
		else if ((ret = opt_number(c, o, opt, optarg)) > 0)
			ret = opt_other(c, o, opt, optarg);
		if (ret)
			return -1;
	}
	if (optind < argc)
		return fail(c, "unexpected argument '%s'", argv[optind]);
	return 2;
}

int opts_parse(int argc, char **argv, struct flowmon_opts *o, char *err, size_t errlen)
{
	struct parse_ctx c = { .err = err, .errlen = errlen };
	const char *prog = argc > 0 && argv[0] ? argv[0] : "tc_flowmon_user";
	unsigned int mask = C_ALL | C_SEED;
	int cmd, ret;

	opts_defaults(o);
	if (err && errlen)
		err[0] = '\0';
	opterr = 0;	/* our messages, not getopt's */
	optind = 0;	/* glibc: full re-initialisation, so parsing can run again */
	cmd = take_command(argc, argv, o);
	if (cmd >= 0) {
		/* getopt starts at argv[1]: hide the command word behind the program name */
		argv++;
		argc--;
		mask = cmd < CMD_HELP ? 1u << cmd : 0;
	}
	ret = parse_loop(&c, o, argc, argv, mask, prog);
	if (ret != 2)
		return ret;
	if (o->cmd == CMD_RUN && o->pcap && cmd < 0)
		o->cmd_name = "-r";
	return opts_check(&c, o);
}

/* "  -f, --file PATH           help" */
static void usage_line(FILE *f, const struct opt_def *d)
{
	char left[48];

	snprintf(left, sizeof(left), "%s%c%s--%s%s%s", d->val < 256 ? "-" : " ",
		 d->val < 256 ? d->val : ' ', d->val < 256 ? ", " : "  ", d->name,
		 d->arg ? " " : "", d->arg ? d->arg : "");
	fprintf(f, "  %-26s%s\n", left, d->help);
}

void opts_usage(FILE *f, const char *prog)
{
	size_t i;

	prog = prog ? prog : "tc_flowmon_user";
	fprintf(f, "Usage: %s [COMMAND] [OPTIONS]\n", prog);
	fprintf(f, "Meter network flows on the TC hook and write them as text, JSON or IPFIX.\n\n");
	fprintf(f, "Commands (\"%s COMMAND --help\" lists a command's options):\n", prog);
	for (i = 0; i < CMD_MAX; i++)
		fprintf(f, "  %-8s%s\n", cmd_defs[i].name, cmd_defs[i].help);
	fprintf(f, "\nOptions:\n");
	for (i = 0; i < ARRAY_SIZE(opt_defs); i++)
		usage_line(f, &opt_defs[i]);
}

int opts_cmd_usage(FILE *f, const char *prog, const char *name)
{
	int cmd = cmd_find(name);
	size_t i;

	if (cmd < 0)
		return -1;
	if (cmd >= CMD_HELP) {
		opts_usage(f, prog);
		return 0;
	}
	fprintf(f, "Usage: %s %s [OPTIONS]%s\n%s\n\nOptions:\n", prog ? prog : "tc_flowmon_user",
		cmd_defs[cmd].name, cmd_defs[cmd].args, cmd_defs[cmd].help);
	for (i = 0; i < ARRAY_SIZE(opt_defs); i++)
		if (opt_defs[i].cmds & (1u << cmd))
			usage_line(f, &opt_defs[i]);
	return 0;
}
