// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* bench.c - entry point of the benchmark harness, and its shared helpers. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "mapwalk.h"
#include "now.h"

uint64_t bench_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -errno;
	return 0;
}

/* The first number after "name" on a line of file that starts with name. */
static long long proc_field(const char *file, const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long long v = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, name, len)) {
			v = strtoll(line + len, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

long bench_rss_kib(const char *field)
{
	return (long)proc_field("/proc/self/status", field);
}

long long bench_fd_memlock(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return proc_field(path, "memlock:");
}

int bench_test_run(int prog_fd, const struct bench_pkt *p, uint64_t ts, uint32_t repeat,
		   uint32_t *ns)
{
	struct __sk_buff ctx = {
		.tstamp = ts,
		.ifindex = 1,		/* lo, as replay uses */
		.wire_len = p->len,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = p->buf,
		    .data_size_in = p->len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	if (opts.retval != (__u32)-1)	/* TC_ACT_UNSPEC: anything else is a bug */
		return -EPROTO;
	if (ns)
		*ns = opts.duration;
	return 0;
}

#define CLEAR_CHUNK 4096

long bench_map_clear(int fd)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info), cnt;
	__u64 in = 0, out = 0;
	void *keys, *vals;
	long total = 0;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		return -errno;
	keys = malloc((size_t)CLEAR_CHUNK * info.key_size);
	vals = malloc((size_t)CLEAR_CHUNK * info.value_size);
	for (err = keys && vals ? 0 : -ENOMEM; !err; in = out) {
		cnt = CLEAR_CHUNK;
		err = bpf_map_lookup_and_delete_batch(fd, total ? &in : NULL, &out, keys, vals,
						      &cnt, NULL) ? -errno : 0;
		total += cnt;
	}
	free(keys);
	free(vals);
	return err == -ENOENT ? total : err;
}

long bench_map_count(int fd)
{
	return map_count_keys(fd, 1L << 30);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench [--cpu N] [--trials N] [--obj FILE] [--floor FILE] [--nohook FILE]\n"
		"             [--plugins DIR] CMD [ARGS]\n"
		"  kern [established|inserts]   kernel ns/packet of flowmon_ingress, flowmon_xdp,\n"
		"                           and the floor\n"
		"  kern ab                  new flows: --obj against --nohook FILE, in pairs\n"
		"  scan [N...]              userland read/plan/purge ns/flow (default 100000 1000000)\n"
		"  mem                      flow table memlock at 65536 and 1<<20 entries, by profile\n"
		"  exec [--pcap F] [--log F] [--timeout S] [--base-label L] [--base-log F]\n"
		"       -- CMD... [-- BASE...]   wall time, pkts/s, max RSS; with BASE: the two\n"
		"                           in turn, trial by trial, and the ratio\n"
		"  genpcap FILE N           write N one-packet TCP flows (for RSS of -r)\n"
		"  plugins                  each plugin's cost on packets it parses and skips\n"
		"  encode                   userland ns/record of each format and of IPFIX\n");
}

static char verifier_error[200];

const char *bench_verifier_error(void)
{
	return verifier_error;
}

/*
 * libbpf stays quiet (a rejected program would dump its whole verifier
 * log); the verifier's verdict, the line before "processed N insns", is
 * kept for the report.
 */
static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	char *msg = NULL, *end, *start;

	if (level != LIBBPF_WARN || vasprintf(&msg, fmt, args) < 0)
		return 0;
	end = strstr(msg, "\nprocessed ");
	if (end) {
		*end = '\0';
		start = strrchr(msg, '\n');
		snprintf(verifier_error, sizeof(verifier_error), "%s", start ? start + 1 : msg);
	}
	free(msg);
	return 0;
}

/* Global options; returns the index of the subcommand in argv, -1 on error. */
static int parse_global(int argc, char **argv, struct bench_opts *o)
{
	int i;

	for (i = 1; i < argc - 1 && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--cpu"))
			o->cpu = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--trials"))
			o->trials = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--obj"))
			o->obj = argv[i + 1];
		else if (!strcmp(argv[i], "--floor"))
			o->floor = argv[i + 1];
		else if (!strcmp(argv[i], "--nohook"))
			o->nohook = argv[i + 1];
		else if (!strcmp(argv[i], "--plugins"))
			o->plugins = argv[i + 1];
		else
			return -1;
	}
	return i < argc && o->trials > 0 ? i : -1;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.cpu = 1,
		.trials = 5,
		.obj = "tc_flowmon_kern.o",
		.floor = ".output/floor.bpf.o",
		.nohook = ".output/tc_flowmon_kern_nohook.o",
		.plugins = "plugins",
	};
	const char *cmd;
	int i, err;

	i = parse_global(argc, argv, &o);
	if (i < 0) {
		usage(stderr);
		return 2;
	}
	cmd = argv[i];
	libbpf_set_print(libbpf_quiet);
	setvbuf(stdout, NULL, _IOLBF, 0);
	err = bench_pin(o.cpu);
	if (err)
		fprintf(stderr, "failed to pin to CPU %d: %s\n", o.cpu, strerror(-err));
	if (!strcmp(cmd, "kern"))
		return bench_kern(&o, argc - i, argv + i);
	if (!strcmp(cmd, "scan"))
		return bench_scan(&o, argc - i, argv + i);
	if (!strcmp(cmd, "mem"))
		return bench_mem(&o, argc - i, argv + i);
	if (!strcmp(cmd, "exec"))
		return bench_exec(&o, argc - i, argv + i);
	if (!strcmp(cmd, "genpcap"))
		return bench_genpcap(&o, argc - i, argv + i);
	if (!strcmp(cmd, "plugins"))
		return bench_plugins(&o, argc - i, argv + i);
	if (!strcmp(cmd, "encode"))
		return bench_encode(&o, argc - i, argv + i);
	usage(stderr);
	return 2;
}
