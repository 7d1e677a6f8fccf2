// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* main.c - tc_flowmon_user: parse the command line, dispatch to a mode. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "opts.h"
#include "run.h"

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
	/* records on stdout (-o -) keep it to themselves: messages go to stderr */
	if (!o.log_file && o.out_file && !strcmp(o.out_file, "-"))
		o.log_file = "-";
	if (log_open(o.log_file, o.verbose))
		return 1;
	libbpf_set_print(libbpf_print);
	switch (o.cmd) {
	case CMD_ATTACH:
		rc = run_attach(&o);
		break;
	case CMD_DETACH:
		rc = run_detach(&o);
		break;
	case CMD_STATUS:
		rc = run_status(&o);
		break;
	default:
		rc = o.pcap ? run_offline(&o) : run_live(&o);
		break;
	}
	log_close();
	return rc;
}
