// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_opts.c - command line parsing: defaults, every option, every error class, -h. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "flowmon.h"
#include "hostport.h"
#include "opts.h"
#include "testlib.h"

#define MAX_ARGS 32

static struct flowmon_opts o;
static char err[256];

/* Parse a NULL-terminated list of arguments after the program name. */
static int parse_v(const char *const *args)
{
	static char *argv[MAX_ARGS + 2];
	int argc = 0;

	argv[argc++] = "tc_flowmon_user";
	while (*args && argc <= MAX_ARGS)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	memset(err, 0, sizeof(err));
	return opts_parse(argc, argv, &o, err, sizeof(err));
}

#define PARSE(...) parse_v((const char *const[]){ __VA_ARGS__, NULL })
#define PARSE0() parse_v((const char *const[]){ NULL })

/* Parse, expect -1 and exactly this message. */
#define PARSE_ERR(msg, ...)                                                 \
	do {                                                                \
		CHECK_EQ(PARSE(__VA_ARGS__), -1);                           \
		CHECK_STR(err, msg);                                        \
	} while (0)

TEST(opts_defaults)
{
	CHECK_EQ(PARSE0(), 0);
	CHECK_EQ(o.cmd, CMD_RUN);
	CHECK_STR(o.map_path, "/sys/fs/bpf/tc/globals/flowmon_stats");
	CHECK_EQ(o.interval, 1);
	CHECK_STR(o.dump_dir, ".");
	CHECK(o.log_file == NULL);
	CHECK_EQ(o.verbose, 1);
	CHECK(!o.json);
	CHECK(o.out_file == NULL);
	CHECK(o.pcap == NULL);
	CHECK_EQ(o.idle_sec, 15);
	CHECK_EQ(o.active_sec, 1800);
	CHECK_EQ(o.n_collectors, 0);
	CHECK_EQ(o.odid, 0);
	CHECK(!o.uniflow);
	CHECK(o.ifaces == NULL);
	CHECK_EQ(o.hooks, HOOK_BOTH);
	CHECK_EQ(o.max_flows, 65536);
	CHECK(o.obj_path == NULL);
	CHECK_STR(err, "");
}

TEST(opts_short_options)
{
	CHECK_EQ(PARSE("-p", "mytable", "-i", "10", "-d", "/var/dump", "-l", "log.txt", "-j",
		       "-v", "-o", "-", "-x", "127.0.0.1:4739", "-I", "eth0,eth1", "-D",
		       "ingress"), 0);
	CHECK_STR(o.map_path, "/sys/fs/bpf/tc/globals/mytable");
	CHECK_EQ(o.interval, 10);
	CHECK_STR(o.dump_dir, "/var/dump");
	CHECK_STR(o.log_file, "log.txt");
	CHECK(o.json);
	CHECK_EQ(o.verbose, 2);
	CHECK_STR(o.out_file, "-");
	CHECK_EQ(o.n_collectors, 1);
	CHECK_STR(o.collectors[0], "127.0.0.1:4739");
	CHECK_STR(o.ifaces, "eth0,eth1");
	CHECK_EQ(o.hooks, HOOK_INGRESS);
	CHECK_EQ(o.cmd, CMD_RUN);
}

TEST(opts_long_options)
{
	CHECK_EQ(PARSE("--file", "/tmp/map", "--interval=0", "--dir", "d", "--log", "l",
		       "--quiet", "--json", "--output", "out.json",
		       "--export", "tcp://collector:4739", "--iface", "lo", "--direction",
		       "egress", "--idle-timeout", "30", "--active-timeout", "10",
		       "--max-flows", "1024", "--obj", "k.o", "--odid", "4294967295",
		       "--uniflow"), 0);
	CHECK_STR(o.map_path, "/tmp/map");
	CHECK_EQ(o.interval, 0);
	CHECK_STR(o.dump_dir, "d");
	CHECK_STR(o.log_file, "l");
	CHECK_EQ(o.verbose, 0);
	CHECK(o.json);
	CHECK_STR(o.out_file, "out.json");
	CHECK_STR(o.collectors[0], "tcp://collector:4739");
	CHECK_STR(o.ifaces, "lo");
	CHECK_EQ(o.hooks, HOOK_EGRESS);
	CHECK_EQ(o.idle_sec, 30);
	CHECK_EQ(o.active_sec, 10);	/* below idle: allowed */
	CHECK_EQ(o.max_flows, 1024);
	CHECK_STR(o.obj_path, "k.o");
	CHECK_EQ(o.odid, 4294967295u);
	CHECK(o.uniflow);
	/* --read goes without --iface (opts_conflicts) */
	CHECK_EQ(PARSE("--read", "x.pcap", "--json"), 0);
	CHECK_STR(o.pcap, "x.pcap");
	CHECK_EQ(PARSE("--pin-name", "t2", "--verbose", "--direction", "both"), 0);
	CHECK_STR(o.map_path, "/sys/fs/bpf/tc/globals/t2");
	CHECK_EQ(o.hooks, HOOK_BOTH);
}

TEST(opts_verbosity)
{
	CHECK_EQ(PARSE("-v"), 0);
	CHECK_EQ(o.verbose, 2);
	CHECK_EQ(PARSE("-vv"), 0);
	CHECK_EQ(o.verbose, 3);
	CHECK_EQ(PARSE("-vvvv"), 0);
	CHECK_EQ(o.verbose, 3);
	CHECK_EQ(PARSE("-q"), 0);
	CHECK_EQ(o.verbose, 0);
	CHECK_EQ(PARSE("-q", "-v"), 0);
	CHECK_EQ(o.verbose, 2);
	CHECK_EQ(PARSE("-jq"), 0);	/* grouped */
	CHECK(o.json);
	CHECK_EQ(o.verbose, 0);
}

TEST(opts_repeatable_parsing)
{
	CHECK_EQ(PARSE("-j", "-i", "5"), 0);
	CHECK(o.json);
	CHECK_EQ(PARSE("-i", "7"), 0);
	CHECK(!o.json);		/* defaults again, not the previous call's */
	CHECK_EQ(o.interval, 7);
	PARSE_ERR("unknown option '-Z'", "-qZ");
	CHECK_EQ(PARSE("-q"), 0);	/* getopt state reset after an error mid-group */
	CHECK_EQ(o.verbose, 0);
}

TEST(opts_map_paths)
{
	static char longp[5000], name[4200];

	CHECK_EQ(PARSE("-f", "/sys/fs/bpf/other"), 0);
	CHECK_STR(o.map_path, "/sys/fs/bpf/other");
	CHECK_EQ(PARSE("-f", "/a", "-p", "b"), 0);	/* the last one wins */
	CHECK_STR(o.map_path, "/sys/fs/bpf/tc/globals/b");
	memset(longp, 'a', 4095);
	longp[0] = '/';
	CHECK_EQ(PARSE("-f", longp), 0);	/* exactly fits */
	CHECK_EQ(strlen(o.map_path), 4095);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	CHECK_EQ(PARSE("-f", longp), -1);
	CHECK(strstr(err, "invalid map path") && strstr(err, "longer than 4095 bytes"));
	/* -p: the pin folder plus the name must fit as well */
	memset(name, 'n', sizeof(name) - 1);
	CHECK_EQ(PARSE("-p", name), -1);
	CHECK(strstr(err, "longer than 4095 bytes") != NULL);
	PARSE_ERR("invalid pin name 'a/b': expected a file name under /sys/fs/bpf/tc/globals",
		  "-p", "a/b");
	PARSE_ERR("invalid pin name '': expected a file name under /sys/fs/bpf/tc/globals",
		  "-p", "");
	PARSE_ERR("invalid map path '': empty", "-f", "");
}

TEST(opts_numbers)
{
	PARSE_ERR("invalid interval 'abc': not a number", "-i", "abc");
	PARSE_ERR("invalid interval '5x': not a number", "-i", "5x");
	PARSE_ERR("invalid interval '-1': not a number", "-i", "-1");
	PARSE_ERR("invalid interval ' 5': not a number", "-i", " 5");
	PARSE_ERR("invalid interval '': not a number", "-i", "");
	PARSE_ERR("invalid interval '0x10': not a number", "-i", "0x10");
	PARSE_ERR("invalid interval '86401': out of range (0-86400)", "-i", "86401");
	PARSE_ERR("invalid interval '99999999999999999999999': out of range (0-86400)", "-i",
		  "99999999999999999999999");
	CHECK_EQ(PARSE("-i", "86400"), 0);
	CHECK_EQ(o.interval, 86400);
	PARSE_ERR("invalid idle timeout '0': out of range (1-4294967295)", "--idle-timeout", "0");
	PARSE_ERR("invalid active timeout '0': out of range (1-4294967295)",
		  "--active-timeout", "0");
	PARSE_ERR("invalid active timeout '4294967296': out of range (1-4294967295)",
		  "--active-timeout", "4294967296");
	PARSE_ERR("invalid max flows '1023': out of range (1024-67108864)", "--max-flows",
		  "1023");
	PARSE_ERR("invalid max flows '67108865': out of range (1024-67108864)", "--max-flows",
		  "67108865");
	CHECK_EQ(PARSE("--max-flows", "67108864"), 0);
	CHECK_EQ(o.max_flows, 1u << 26);
	PARSE_ERR("invalid odid '4294967296': out of range (0-4294967295)", "--odid",
		  "4294967296");
	PARSE_ERR("invalid odid 'x': not a number", "--odid=x");
}

TEST(opts_collectors)
{
	static const char *const good[] = {
		"127.0.0.1:4739", "collector.example.org:2055", "tcp://10.0.0.1:4739",
		"[::1]:4739", "tcp://[2001:db8::1]:1", "[fe80::1%eth0]:65535", "c_1:9",
		/* without a port: 4739 (docs/IPFIX.md, RFC 7011 10.3.1) */
		"host", "[::1]", "tcp://10.0.0.1", "tcp://[2001:db8::1]", "192.0.2.1",
	};
	static const char *const bad[] = {
		"host:", ":4739", "::1:4739", "[zz]:4739", "[]:1", "[::1", "[::1]x",
		"tcp://:4739", "host name:1", "[fe80::1%]:1", "udp://h:1", "h/x:1", "",
		"tcp://",
	};
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (PARSE("-x", good[i]) != 0)
			FAILF("'%s' rejected: %s", good[i], err);
		else
			CHECK_STR(o.collectors[0], good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (PARSE("-x", bad[i]) != -1 || !strstr(err, "invalid collector"))
			FAILF("'%s' accepted (err '%s')", bad[i], err);
	}
	PARSE_ERR("invalid collector 'host:0': port out of range (1-65535)", "-x", "host:0");
	PARSE_ERR("invalid collector 'host:65536': port out of range (1-65535)", "-x",
		  "host:65536");
	PARSE_ERR("invalid collector 'host:80a': port is not a number", "-x", "host:80a");
	PARSE_ERR("invalid collector 'host:-1': port is not a number", "-x", "host:-1");
	PARSE_ERR("invalid collector 'fd00::1': an IPv6 address goes in brackets, [ADDR][:PORT]",
		  "-x", "fd00::1");
	PARSE_ERR("invalid collector 'h/x': expected HOST[:PORT], tcp://HOST[:PORT] or "
		  "[ADDR][:PORT]", "-x", "h/x");
}

/* --metrics [ADDR:]PORT: a lone port, a name or IPv4 address, an IPv6 literal in brackets. */
TEST(opts_metrics_address)
{
	static const char *const good[] = { "9464", "127.0.0.1:9464", "localhost:1",
					    "[::1]:65535", "[fe80::1%lo]:9464" };
	static const char *const bad[] = { "host name:1", "[::1", "[zz]:1", "h/x:1", "::1:9464",
					   "localhost", "h:x" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (PARSE("run", "--metrics", good[i]) != 0)
			FAILF("'%s' rejected: %s", good[i], err);
		else
			CHECK_STR(o.metrics, good[i]);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (PARSE("run", "--metrics", bad[i]) != -1 || !strstr(err, "expected PORT"))
			FAILF("'%s' accepted or misnamed (err '%s')", bad[i], err);
	PARSE_ERR("invalid metrics address '0': port out of range (1-65535)", "--metrics", "0");
	PARSE_ERR("invalid metrics address '[::1]': no port", "--metrics", "[::1]");
	PARSE_ERR("invalid metrics address 'h:65536': port out of range (1-65535)", "--metrics",
		  "h:65536");
}

/* The split export.c and httpd.c use: the host without brackets, the port, or 0. */
TEST(hostport_split)
{
	static const struct {
		const char *spec;
		bool port_only;
		const char *host;
		unsigned int port;
	} ok[] = {
		{ "[2001:db8::1]:4739", false, "2001:db8::1", 4739 },
		{ "[fe80::1%eth0]", false, "fe80::1%eth0", 0 },
		{ "collector.example.org:2055", false, "collector.example.org", 2055 },
		{ "9464", true, "", 9464 },
		{ "9464", false, "9464", 0 },	/* a collector named 9464, port 0: IPFIX's */
	};
	unsigned int port;
	char host[64];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_EQ(hostport_parse(ok[i].spec, ok[i].port_only, host, sizeof(host), &port), 0);
		CHECK_STR(host, ok[i].host);
		CHECK_EQ(port, ok[i].port);
	}
	CHECK_EQ(hostport_parse("h:x", false, host, sizeof(host), &port), -EDOM);
	CHECK_EQ(hostport_parse("h:0", false, host, sizeof(host), &port), -ERANGE);
	CHECK_EQ(hostport_parse("a-very-long-host-name-that-does-not-fit:1", false, host, 16,
				&port), -EINVAL);
}

/* --engine: which datapath replays; -D: which TC hooks (enum flowmon_hooks). */
TEST(opts_engine_and_direction)
{
	CHECK_EQ(PARSE("replay", "f.pcap"), 0);
	CHECK(!o.kernel_engine);
	CHECK_EQ(PARSE("replay", "--engine", "kernel", "f.pcap"), 0);
	CHECK(o.kernel_engine);
	CHECK_EQ(PARSE("replay", "--engine", "native", "f.pcap"), 0);
	CHECK(!o.kernel_engine);
	PARSE_ERR("invalid engine 'bpf': expected native or kernel", "replay", "--engine", "bpf",
		  "f.pcap");
	CHECK_EQ(PARSE("load", "-I", "lo", "-D", "ingress"), 0);
	CHECK_EQ(o.hooks, 1);
	CHECK_EQ(PARSE("load", "-I", "lo", "-D", "egress"), 0);
	CHECK_EQ(o.hooks, 2);
	CHECK_EQ(PARSE("load", "-I", "lo", "-D", "both"), 0);
	CHECK_EQ(o.hooks, 3);
}

TEST(opts_collectors_repeat_and_limit)
{
	CHECK_EQ(PARSE("-x", "a:1", "-x", "b:2", "--export", "c:3"), 0);
	CHECK_EQ(o.n_collectors, 3);
	CHECK_STR(o.collectors[0], "a:1");
	CHECK_STR(o.collectors[2], "c:3");
	CHECK_EQ(PARSE("-x", "a:1", "-x", "a:2", "-x", "a:3", "-x", "a:4", "-x", "a:5", "-x",
		       "a:6", "-x", "a:7", "-x", "a:8"), 0);
	CHECK_EQ(o.n_collectors, OPTS_MAX_COLLECTORS);
	PARSE_ERR("too many collectors (max 8)", "-x", "a:1", "-x", "a:2", "-x", "a:3", "-x",
		  "a:4", "-x", "a:5", "-x", "a:6", "-x", "a:7", "-x", "a:8", "-x", "a:9");
}

TEST(opts_interfaces_and_direction)
{
	CHECK_EQ(PARSE("-I", "eth0,wlan0,veth-a.100"), 0);
	PARSE_ERR("invalid interface list 'eth0,,x': empty name", "-I", "eth0,,x");
	PARSE_ERR("invalid interface list 'eth0,': empty name", "-I", "eth0,");
	PARSE_ERR("invalid interface list '': empty name", "-I", "");
	PARSE_ERR("invalid interface list 'a,abcdefghijklmnop': 'abcdefghijklmnop' is longer "
		  "than 15 characters", "-I", "a,abcdefghijklmnop");
	CHECK_EQ(PARSE("-I", "abcdefghijklmno"), 0);	/* 15: the kernel's limit */
	PARSE_ERR("invalid direction 'up': expected ingress, egress or both", "-D", "up");
	PARSE_ERR("invalid direction 'Ingress': expected ingress, egress or both",
		  "--direction=Ingress");
}

TEST(opts_commands)
{
	CHECK_EQ(PARSE("--attach", "-I", "eth0"), 0);
	CHECK_EQ(o.cmd, CMD_ATTACH);
	CHECK_EQ(PARSE("-I", "eth0", "--detach", "-D", "egress"), 0);
	CHECK_EQ(o.cmd, CMD_DETACH);
	CHECK_EQ(o.hooks, HOOK_EGRESS);
	CHECK_EQ(PARSE("--status"), 0);
	CHECK_EQ(o.cmd, CMD_STATUS);
	CHECK_EQ(PARSE("--status", "--status"), 0);
	CHECK_EQ(PARSE("-r", "trace.pcap"), 0);
	CHECK_EQ(o.cmd, CMD_RUN);
	PARSE_ERR("--attach needs -I IFACE", "--attach");
	PARSE_ERR("--detach needs -I IFACE", "--detach");
	PARSE_ERR("--detach conflicts with --attach", "--attach", "--detach", "-I", "lo");
	PARSE_ERR("--attach conflicts with --status", "--status", "--attach");
	PARSE_ERR("-r conflicts with --status", "-r", "f.pcap", "--status");
	PARSE_ERR("-r conflicts with --attach", "--attach", "-I", "lo", "--read", "f.pcap");
	PARSE_ERR("-r conflicts with --detach", "-r", "f.pcap", "-I", "lo", "--detach");
	/* an error stays one line, whatever the argument it quotes holds (fuzz_opts) */
	PARSE_ERR("unexpected argument 'a?b'", "run", "a\nb");
	PARSE_ERR("invalid collector 'h?:1': expected HOST[:PORT], tcp://HOST[:PORT] or "
		  "[ADDR][:PORT]", "-x", "h\r:1");
	/* a capture is replayed: an interface given with it would be ignored */
	PARSE_ERR("-I conflicts with -r: a capture is replayed, nothing is attached", "-r",
		  "f.pcap", "-I", "lo");
	PARSE_ERR("-I conflicts with -r: a capture is replayed, nothing is attached", "run",
		  "-I", "lo", "--read", "f.pcap");
}

/* run --daemon, --pid-file and --check: parsed, and the rules between them and the others. */
TEST(opts_daemon_and_check)
{
	CHECK_EQ(PARSE0(), 0);
	CHECK(!o.daemon && o.pid_file == NULL && !o.check);
	CHECK_EQ(PARSE("run", "--daemon", "-l", "/var/log/f.log", "--pid-file", "/run/f.pid"), 0);
	CHECK(o.daemon);
	CHECK_STR(o.pid_file, "/run/f.pid");
	CHECK_EQ(PARSE("--pid-file", "f.pid"), 0);	/* the seed's line is run; no daemon needed */
	CHECK(!o.daemon);
	CHECK_STR(o.pid_file, "f.pid");
	PARSE_ERR("--daemon needs -l FILE: a daemon has no terminal to log to", "run", "--daemon");
	PARSE_ERR("--daemon needs -l FILE: a daemon has no terminal to log to", "run", "--daemon",
		  "-l", "-");
	PARSE_ERR("--daemon conflicts with -o -: a daemon has no terminal", "--daemon", "-l", "f",
		  "-o", "-");
	PARSE_ERR("--daemon conflicts with -i 0: a daemon scans every 1-86400 s", "--daemon",
		  "-l", "f", "-i", "0");
	PARSE_ERR("--daemon conflicts with -r", "--daemon", "-l", "f", "-r", "f.pcap");
	PARSE_ERR("--pid-file conflicts with -r", "-r", "f.pcap", "--pid-file", "p");
	PARSE_ERR("invalid pid file '': empty", "--pid-file", "");
	PARSE_ERR("option '--daemon' is not one of load's options", "load", "-I", "lo",
		  "--daemon");
	PARSE_ERR("option '--pid-file' is not one of status's options", "status", "--pid-file",
		  "p");
	/* the rules after --daemon's still apply */
	PARSE_ERR("--xdp-mode needs --hook xdp", "--daemon", "-l", "f", "--xdp-mode", "native");
	/* --check: every command takes it, and a bad value is still an error */
	CHECK_EQ(PARSE("load", "-I", "lo", "--check"), 0);
	CHECK(o.check);
	CHECK_EQ(o.cmd, CMD_LOAD);
	PARSE_ERR("invalid direction 'up': expected ingress, egress or both", "load", "--check",
		  "-I", "lo", "-D", "up");
	PARSE_ERR("load needs -I IFACE", "load", "--check");
	/* stop: the daemon of a pid file */
	CHECK_EQ(PARSE("stop", "--pid-file", "/run/f.pid"), 0);
	CHECK_EQ(o.cmd, CMD_STOP);
	CHECK_EQ(o.stop_timeout, 10);
	CHECK_EQ(PARSE("stop", "--pid-file", "/run/f.pid", "--timeout", "1"), 0);
	CHECK_EQ(o.stop_timeout, 1);
	PARSE_ERR("stop needs --pid-file FILE", "stop");
	/* 0 would kill before the daemon could write its flows */
	PARSE_ERR("invalid timeout '0': out of range (1-86400)", "stop", "--pid-file", "f",
		  "--timeout", "0");
	PARSE_ERR("invalid timeout '86401': out of range (1-86400)", "stop", "--pid-file", "f",
		  "--timeout", "86401");
	/* -i 0 prints once and exits: no daemon for the file to name */
	PARSE_ERR("--pid-file conflicts with -i 0", "--pid-file", "f", "-i", "0");
	PARSE_ERR("option '-p' is not one of stop's options", "stop", "--pid-file", "f", "-p", "x");
	PARSE_ERR("option '--timeout' is not one of run's options", "run", "--timeout", "3");
}

TEST(opts_unknown_and_missing)
{
	PARSE_ERR("unknown option '--foo'", "--foo");
	PARSE_ERR("unknown option '--foo'", "--foo=1");
	PARSE_ERR("unknown option '-Z'", "-Z");
	PARSE_ERR("option '--json' takes no argument", "--json=yes");
	PARSE_ERR("missing argument for '-i'", "-i");
	PARSE_ERR("missing argument for '-x'", "-q", "-x");
	PARSE_ERR("missing argument for '--interval'", "--interval");
	PARSE_ERR("missing argument for '--odid'", "--odid");
	PARSE_ERR("unexpected argument 'extra'", "-j", "extra");
	PARSE_ERR("unexpected argument 'extra'", "extra", "-j");
	PARSE_ERR("invalid dump directory '': empty", "-d", "");
	PARSE_ERR("invalid pcap file '': empty", "-r", "");
}

TEST(opts_error_buffer_limits)
{
	char *argv[] = { "prog", "--foo", NULL };
	char small[8];

	CHECK_EQ(opts_parse(2, argv, &o, small, sizeof(small)), -1);
	CHECK_STR(small, "unknown");	/* cut, but terminated */
	CHECK_EQ(opts_parse(2, argv, &o, NULL, 0), -1);
}

/* Run fn with stdout sent to a temporary file; returns what it printed. */
static char *capture_stdout(int (*fn)(void), int *ret)
{
	FILE *tmp = tmpfile();
	static char out[8192];
	size_t n;
	int saved;

	if (!tmp)
		return NULL;
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(tmp), 1);
	*ret = fn();
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static int parse_help(void)
{
	return PARSE("-j", "-h", "--bogus");
}

static int parse_long_help(void)
{
	return PARSE("--help");
}

static const char *const every_long[] = {
	"--file", "--pin-name", "--interval", "--dir", "--log", "--quiet", "--verbose",
	"--json", "--help", "--read", "--output", "--export", "--iface", "--direction",
	"--idle-timeout", "--active-timeout", "--max-flows", "--obj", "--odid", "--uniflow",
	"--attach", "--detach", "--status", "--daemon", "--pid-file", "--timeout", "--check",
};

/* Every option on exactly one line. */
static void check_usage(const char *text)
{
	char opt[32];
	const char *p;
	size_t i;
	int lines;

	for (i = 0; i < sizeof(every_long) / sizeof(every_long[0]); i++) {
		snprintf(opt, sizeof(opt), "%s ", every_long[i]);
		for (lines = 0, p = text; (p = strstr(p, opt)); p++)
			lines++;
		if (lines != 1)
			FAILF("%s appears on %d lines of the usage", every_long[i], lines);
	}
	CHECK(strstr(text, "Usage: ") == text);
	CHECK(strstr(text, "(default 1)") != NULL);
	CHECK(strstr(text, "(default 15)") != NULL);
	CHECK(strstr(text, "(default 1800)") != NULL);
	CHECK(strstr(text, "(default 65536)") != NULL);
	CHECK(strstr(text, "(default both; with --hook xdp: ingress)") != NULL);
	CHECK(strstr(text, "/sys/fs/bpf/tc/globals/flowmon_stats") != NULL);
}

TEST(opts_help_on_stdout)
{
	char *out;
	int ret = 0;

	out = capture_stdout(parse_help, &ret);
	REQUIRE(out);
	CHECK_EQ(ret, 1);
	check_usage(out);
	out = capture_stdout(parse_long_help, &ret);
	REQUIRE(out);
	CHECK_EQ(ret, 1);
	CHECK(strstr(out, "Usage: tc_flowmon_user") == out);
}

TEST(opts_usage_text)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	REQUIRE(f);
	opts_usage(f, "flowmon");
	fclose(f);
	REQUIRE(text);
	CHECK(strstr(text, "Usage: flowmon ") == text);
	check_usage(text);
	free(text);
}
