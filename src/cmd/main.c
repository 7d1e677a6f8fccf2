// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * main.c - tc_flowmon_user: parse the command line, dispatch through the
 * command table. "tc_flowmon_user COMMAND --help" shows a command's options.
 */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cmds.h"
#include "daemon.h"
#include "log.h"
#include "opts.h"

#ifndef FLOWMON_VERSION
#define FLOWMON_VERSION "unknown"
#endif

typedef int (*cmd_fn)(const struct flowmon_opts *o);

/* The command table: opts.c knows the names and options, this the code. */
static const cmd_fn commands[CMD_MAX] = {
	[CMD_RUN] = cmd_run,
	[CMD_REPLAY] = cmd_replay,
	[CMD_LOAD] = cmd_load,
	[CMD_UNLOAD] = cmd_unload,
	[CMD_PURGE] = cmd_purge,
	[CMD_STATUS] = cmd_status,
	[CMD_TOP] = cmd_top,
	[CMD_PLUGIN] = cmd_plugin,
	[CMD_STOP] = cmd_stop,
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	/* libbpf's own chatter only at -vv; our messages say what failed */
	if (level == LIBBPF_DEBUG && log_level() < LOG_DEBUG)
		return 0;
	if (level != LIBBPF_WARN && log_level() < LOG_DEBUG)
		return 0;
	if (level == LIBBPF_WARN && log_level() < LOG_VERBOSE)
		return 0;
	log_vmsg(level == LIBBPF_WARN ? LOG_ERR : LOG_DEBUG, fmt, args);
	return 0;
}

static int version(void)
{
	printf("tc_flowmon_user (bpfFlowMon) %s, libbpf %u.%u\n", FLOWMON_VERSION,
	       libbpf_major_version(), libbpf_minor_version());
	return 0;
}

int main(int argc, char **argv)
{
	static struct flowmon_opts o;
	char err[512];
	int rc;

	rc = opts_parse(argc, argv, &o, err, sizeof(err));
	if (rc == 1)
		return 0;
	if (rc < 0) {
		fprintf(stderr, "%s: %s (see --help)\n", argv[0], err);
		return 2;
	}
	if (o.cmd == CMD_VERSION)
		return version();
	if (o.cmd == CMD_HELP) {
		if (!o.help_cmd || opts_cmd_usage(stdout, argv[0], o.help_cmd))
			opts_usage(stdout, argv[0]);
		return 0;
	}
	if (o.check)
		return 0;	/* valid, and nothing is done: what a wrapper asks first */
	if (o.cmd == CMD_RUN) {
		/* before anything is opened: the daemon opens its own */
		rc = daemon_start(&o);
		if (rc >= 0)
			return rc;
	}
	/* records on stdout (-o -) keep it to themselves: messages go to stderr */
	if (!o.log_file && o.out_file && !strcmp(o.out_file, "-"))
		o.log_file = "-";
	if (log_open(o.log_file, o.verbose))
		return 1;
	libbpf_set_print(libbpf_print);
	rc = commands[o.cmd](&o);
	daemon_exit();
	log_close();
	return rc;
}
