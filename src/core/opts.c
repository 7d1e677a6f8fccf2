// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* opts.c - command line of tc_flowmon_user: getopt_long, full validation, one-line errors. */
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
#include "opts.h"

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
	OPT_ENGINE,
	OPT_FEATURES,
	OPT_PRECISE_CLOCK,
};

/* '+': stop at the first non-option (no argv permutation); ':': report missing arguments. */
static const char short_opts[] = "+:f:p:i:d:l:qvjhr:o:x:I:D:";

static const struct option long_opts[] = {
	{ "file", required_argument, NULL, 'f' },
	{ "pin-name", required_argument, NULL, 'p' },
	{ "interval", required_argument, NULL, 'i' },
	{ "dir", required_argument, NULL, 'd' },
	{ "log", required_argument, NULL, 'l' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ "read", required_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
	{ "export", required_argument, NULL, 'x' },
	{ "iface", required_argument, NULL, 'I' },
	{ "direction", required_argument, NULL, 'D' },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "active-timeout", required_argument, NULL, OPT_ACTIVE },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "obj", required_argument, NULL, OPT_OBJ },
	{ "odid", required_argument, NULL, OPT_ODID },
	{ "uniflow", no_argument, NULL, OPT_UNIFLOW },
	{ "attach", no_argument, NULL, OPT_ATTACH },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "engine", required_argument, NULL, OPT_ENGINE },
	{ "features", required_argument, NULL, OPT_FEATURES },
	{ "precise-clock", no_argument, NULL, OPT_PRECISE_CLOCK },
	{ NULL, 0, NULL, 0 },
};

struct parse_ctx {
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parse_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
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

static bool host_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '-' || ch == '.' || ch == '_';
}

static bool host_chars(const char *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!host_char(h[i]))
			return false;
	return n > 0;
}

/* "[ADDR]" or "[ADDR%ZONE]" with an IPv6 literal, else a name or IPv4 address. */
static bool host_valid(const char *h, size_t n)
{
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	size_t alen;

	if (!n || h[0] != '[')
		return host_chars(h, n);
	if (n < 3 || h[n - 1] != ']')
		return false;
	alen = strcspn(h + 1, "%]");
	if (alen >= sizeof(addr))
		return false;
	memcpy(addr, h + 1, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return false;
	if (h[1 + alen] == ']')
		return 1 + alen == n - 1;
	return host_chars(h + 2 + alen, n - 3 - alen);	/* the zone */
}

/* HOST:PORT, tcp://HOST:PORT, [ADDR]:PORT; port 1-65535. */
static int opt_collector(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	const char *hp = s, *colon;
	unsigned long port;
	char *end;

	if (o->n_collectors >= OPTS_MAX_COLLECTORS)
		return fail(c, "too many collectors (max %d)", OPTS_MAX_COLLECTORS);
	if (!strncmp(hp, "tcp://", 6))
		hp += 6;
	colon = strrchr(hp, ':');
	if (!colon || !host_valid(hp, colon - hp))
		return fail(c, "invalid collector '%s': expected HOST:PORT, tcp://HOST:PORT "
			    "or [ADDR]:PORT", s);
	if (!isdigit((unsigned char)colon[1]))
		return fail(c, "invalid collector '%s': port is not a number", s);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end)
		return fail(c, "invalid collector '%s': port is not a number", s);
	if (errno == ERANGE || port < 1 || port > 65535)
		return fail(c, "invalid collector '%s': port out of range (1-65535)", s);
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

static int opt_hooks(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	if (!strcmp(s, "ingress"))
		o->hooks = HOOK_INGRESS;
	else if (!strcmp(s, "egress"))
		o->hooks = HOOK_EGRESS;
	else if (!strcmp(s, "both"))
		o->hooks = HOOK_BOTH;
	else
		return fail(c, "invalid direction '%s': expected ingress, egress or both", s);
	return 0;
}

static const char *cmd_name(enum flowmon_cmd cmd)
{
	switch (cmd) {
	case CMD_ATTACH:
		return "--attach";
	case CMD_DETACH:
		return "--detach";
	case CMD_STATUS:
		return "--status";
	default:
		return "run";
	}
}

static int opt_cmd(struct parse_ctx *c, struct flowmon_opts *o, enum flowmon_cmd cmd)
{
	if (o->cmd != CMD_RUN && o->cmd != cmd)
		return fail(c, "%s conflicts with %s", cmd_name(cmd), cmd_name(o->cmd));
	o->cmd = cmd;
	return 0;
}

static void opts_defaults(struct flowmon_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cmd = CMD_RUN;
	snprintf(o->map_path, sizeof(o->map_path), "%s/%s", FLOWMON_PIN_DIR, FLOWMON_MAP_FLOWS);
	o->interval = 1;
	o->dump_dir = ".";
	o->verbose = 1;
	o->idle_sec = FLOWMON_DEFAULT_IDLE_SEC;
	o->active_sec = FLOWMON_DEFAULT_ACTIVE_SEC;
	o->hooks = HOOK_BOTH;
	o->max_flows = FLOWMON_DEFAULT_MAX_FLOWS;
	o->features = -1;
}

/* --engine: which datapath replays a capture (-r). */
static int opt_engine(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	if (!strcmp(s, "native"))
		o->kernel_engine = false;
	else if (!strcmp(s, "kernel"))
		o->kernel_engine = true;
	else
		return fail(c, "invalid engine '%s': native or kernel", s);
	return 0;
}

/* --features: the metering profile, "all", "none" or a list of iat,hist,tcp,l2. */
static int opt_features(struct parse_ctx *c, struct flowmon_opts *o, const char *s)
{
	static const struct {
		const char *name;
		int bit;
	} names[] = { { "iat", FLOWMON_F_IAT }, { "hist", FLOWMON_F_HIST },
		      { "tcp", FLOWMON_F_TCP }, { "l2", FLOWMON_F_L2 },
		      { "all", FLOWMON_F_ALL }, { "none", 0 } };
	const char *p = s;
	int f = 0;
	size_t i, n;

	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == n && !strncmp(p, names[i].name, n))
				break;
		}
		if (i == sizeof(names) / sizeof(names[0]))
			return fail(c, "invalid features '%s': a list of iat, hist, tcp, l2, "
				    "all, none", s);
		f |= names[i].bit;
		p += n + (p[n] == ',');
	}
	o->features = f;
	return 0;
}

/* Options with a numeric argument. */
static int opt_number(struct parse_ctx *c, struct flowmon_opts *o, int opt, const char *s)
{
	unsigned long v;

	switch (opt) {
	case 'i':
		return parse_uint(c, "interval", s, 0, MAX_INTERVAL, &o->interval);
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
		o->json = true;
		return 0;
	case OPT_UNIFLOW:
		o->uniflow = true;
		return 0;
	case OPT_ATTACH:
		return opt_cmd(c, o, CMD_ATTACH);
	case OPT_DETACH:
		return opt_cmd(c, o, CMD_DETACH);
	case OPT_STATUS:
		return opt_cmd(c, o, CMD_STATUS);
	case OPT_PRECISE_CLOCK:
		o->precise_clock = true;
		return 0;
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
	case OPT_ENGINE:
		return opt_engine(c, o, s);
	case OPT_FEATURES:
		return opt_features(c, o, s);
	case 'x':
		return opt_collector(c, o, s);
	case 'I':
		return opt_ifaces(c, o, s);
	case 'D':
		return opt_hooks(c, o, s);
	}
	return opt_flag(c, o, opt);
}

/* The option as the user wrote it, for messages: "-x" or "--foo" (without "=value"). */
static int bad_option(struct parse_ctx *c, int opt, int argc, char **argv)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	int n = (int)strcspn(arg, "=");

	if (!strncmp(arg, "--", 2)) {
		if (opt == ':')
			return fail(c, "missing argument for '%.*s'", n, arg);
		if (optopt && arg[n] == '=')	/* a known option, given a value */
			return fail(c, "option '%.*s' takes no argument", n, arg);
		return fail(c, "unknown option '%.*s'", n, arg);
	}
	if (opt == ':')
		return fail(c, "missing argument for '-%c'", optopt);
	if (optopt > 0 && optopt < 256 && isprint(optopt))
		return fail(c, "unknown option '-%c'", optopt);
	return fail(c, "unknown option '%s'", arg);
}

/* Rules between options, checked once all of them are known. */
static int opts_check(struct parse_ctx *c, const struct flowmon_opts *o)
{
	if ((o->cmd == CMD_ATTACH || o->cmd == CMD_DETACH) && !o->ifaces)
		return fail(c, "%s needs -I IFACE", cmd_name(o->cmd));
	if (o->pcap && o->cmd != CMD_RUN)
		return fail(c, "-r conflicts with %s", cmd_name(o->cmd));
	return 0;
}

int opts_parse(int argc, char **argv, struct flowmon_opts *o, char *err, size_t errlen)
{
	struct parse_ctx c = { .err = err, .errlen = errlen };
	const char *prog = argc > 0 && argv[0] ? argv[0] : "tc_flowmon_user";
	int opt, ret;

	opts_defaults(o);
	if (err && errlen)
		err[0] = '\0';
	opterr = 0;	/* our messages, not getopt's */
	optind = 0;	/* glibc: full re-initialisation, so parsing can run again */
	while ((opt = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (opt == 'h') {
			opts_usage(stdout, prog);
			return 1;
		}
		if (opt == '?' || opt == ':')
			return bad_option(&c, opt, argc, argv);
		ret = opt_number(&c, o, opt, optarg);
		if (ret > 0)
			ret = opt_other(&c, o, opt, optarg);
		if (ret)
			return -1;
	}
	if (optind < argc)
		return fail(&c, "unexpected argument '%s'", argv[optind]);
	return opts_check(&c, o);
}

static const char *const usage_lines[] = {
	"  -f, --file PATH           pinned flow table (default " FLOWMON_PIN_DIR "/"
		FLOWMON_MAP_FLOWS ")",
	"  -p, --pin-name NAME       flow table NAME under " FLOWMON_PIN_DIR,
	"  -i, --interval SEC        scan period, 0-86400; 0: print the flows once and exit "
		"(default 1)",
	"  -d, --dir DIR             base directory of the dated dump files (default .)",
	"  -o, --output FILE         write flows to FILE, - for stdout (default DIR/DATE/TIME.txt)",
	"  -j, --json                JSON lines instead of tab-separated text (default text)",
	"  -l, --log FILE            statistics log (default stdout)",
	"  -q, --quiet               no statistics log (default: log)",
	"  -v, --verbose             more messages, -vv adds libbpf debug (default: normal)",
	"  -r, --read FILE           offline: replay a pcap/pcapng file (default: live)",
	"  -x, --export HOST:PORT    IPFIX collector over UDP; tcp://HOST:PORT, [ADDR]:PORT; "
		"up to 8 (default none)",
	"      --odid N              IPFIX observation domain id (default 0)",
	"      --uniflow             IPFIX: one record per direction (default: biflow, RFC 5103)",
	"  -I, --iface IF[,IF...]    interfaces to attach to (default none)",
	"  -D, --direction DIR       hooks: ingress, egress or both (default both)",
	"      --idle-timeout SEC    end flows idle for SEC seconds (default 15)",
	"      --active-timeout SEC  split records of flows older than SEC (default 1800)",
	"      --max-flows N         flow table entries, 1024-67108864 (default 65536)",
	"      --obj FILE            tc_flowmon_kern.o to load (default: next to the binary, "
		"then the library dir)",
	"      --engine ENGINE       -r runs the datapath natively (native) or in the kernel "
		"with BPF_PROG_TEST_RUN (kernel) (default native)",
	"      --features LIST       what is metered: all, none, or iat,hist,tcp,l2 "
		"(default all)",
	"      --precise-clock       read the clock on every packet (default: the kernel's "
		"stamps and a 1 ms tick)",
	"      --attach              load, pin and attach on the -I interfaces, then exit",
	"      --detach              remove our filters from the -I interfaces, then exit",
	"      --status              print attachments, table occupancy and counters, then exit",
	"  -h, --help                print this help and exit",
};

void opts_usage(FILE *f, const char *prog)
{
	size_t i;

	fprintf(f, "Usage: %s [OPTIONS]\n", prog ? prog : "tc_flowmon_user");
	fprintf(f, "Meter network flows on the TC hook and write them as text, JSON or IPFIX.\n\n");
	for (i = 0; i < sizeof(usage_lines) / sizeof(usage_lines[0]); i++)
		fprintf(f, "%s\n", usage_lines[i]);
}
