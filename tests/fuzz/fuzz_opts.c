// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fuzz_opts.c - the command line parser (src/core/opts.c): fuzzed
 * arguments, split at NUL bytes, after the program's name.
 *
 * Invariants: the result is 0, 1 (help) or -1; an error is one line; an
 * accepted command line satisfies the rules between options (a capture
 * only with run or replay and never with -I, at most 8 collectors, an
 * interval within 0-86400) unless it asked for help or the version; every
 * accepted command has its usage.
 */
#include <string.h>
#include "fuzz.h"
#include "opts.h"

#define MAX_ARGS	64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096 + 1];
	static struct flowmon_opts o;
	char *argv[MAX_ARGS + 2], err[512], *p;
	int argc = 0, rc;
	size_t n = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;

	fuzz_quiet();
	memcpy(buf, data, n);
	buf[n] = '\0';
	argv[argc++] = "tc_flowmon_user";
	for (p = buf; argc <= MAX_ARGS && p <= buf + n; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	rc = opts_parse(argc, argv, &o, err, sizeof(err));
	fuzz_check(rc == 0 || rc == 1 || rc == -1);
	if (rc == -1)
		fuzz_check(err[0] && !strchr(err, '\n'));
	if (rc != 0)
		return 0;
	fuzz_check(o.cmd < CMD_MAX);
	if (o.cmd >= CMD_HELP)
		return 0;	/* help and --version stop at once, whatever came before */
	fuzz_check(!o.pcap || o.cmd == CMD_RUN || o.cmd == CMD_REPLAY);
	fuzz_check(!(o.pcap && o.ifaces));
	fuzz_check(o.n_collectors >= 0 && o.n_collectors <= OPTS_MAX_COLLECTORS);
	fuzz_check(o.interval <= 86400);
	fuzz_check(!opts_cmd_usage(stdout, argv[0], opts_cmd_str(o.cmd)));
	return 0;
}
