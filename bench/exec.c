// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * exec.c - run a command several times: wall time, CPU, max RSS, packets/s;
 * with a second command after another "--" (the baseline), the two in
 * turn, trial by trial, and the median of their per-trial ratios.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "bench.h"

#define EXEC_MAX_TRIALS 32

struct exec_opts {
	const char *label;
	const char *pcap;	/* counted for packets/s */
	const char *empty;	/* the same command on this file: startup cost */
	const char *log;	/* child's stdout and stderr (default /dev/null) */
	unsigned int timeout;	/* seconds per run, then SIGKILL */
	char **argv;
	const char *base_label;
	const char *base_log;
	char **base;		/* the baseline command, or NULL */
};

struct run_res {
	double wall_ms;
	double cpu_ms;
	long rss_kib;
	int status;
};

static volatile pid_t child_pid;

static void on_alarm(int sig)
{
	if (child_pid > 0)
		kill(child_pid, SIGKILL);	/* only the child this harness started */
}

static uint32_t swap32(uint32_t v, bool sw)
{
	return sw ? __builtin_bswap32(v) : v;
}

/* Records of a classic pcap file (either byte order), -1 if it is not one. */
static long pcap_count(const char *path)
{
	uint32_t gh[6], rh[4];
	long n = 0;
	bool sw;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fread(gh, sizeof(gh), 1, f) != 1) {
		fclose(f);
		return -1;
	}
	sw = gh[0] == 0xd4c3b2a1 || gh[0] == 0x4d3cb2a1;
	if (!sw && gh[0] != 0xa1b2c3d4 && gh[0] != 0xa1b23c4d)
		n = -1;
	while (n >= 0 && fread(rh, sizeof(rh), 1, f) == 1 &&
	       !fseek(f, swap32(rh[2], sw), SEEK_CUR))
		n++;
	fclose(f);
	return n;
}

static void child_exec(const struct exec_opts *eo, char **argv)
{
	int out = open(eo->log ? eo->log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int in = open("/dev/null", O_RDONLY);

	if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	execvp(argv[0], argv);
	_exit(127);
}

static int run_once(const struct exec_opts *eo, char **argv, struct run_res *r)
{
	struct rusage ru;
	uint64_t t0;
	pid_t pid;
	int rc;

	t0 = bench_now_ns();
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0)
		child_exec(eo, argv);
	child_pid = pid;
	alarm(eo->timeout);
	while ((rc = wait4(pid, &r->status, 0, &ru)) < 0 && errno == EINTR)
		;
	alarm(0);
	child_pid = 0;
	if (rc < 0)
		return -errno;
	r->wall_ms = (bench_now_ns() - t0) / 1e6;
	r->cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	r->rss_kib = ru.ru_maxrss;
	return 0;
}

/* argv with every argument equal to 'from' replaced by 'to'. */
static char **subst(char **argv, const char *from, const char *to)
{
	size_t n = 0, i;
	char **out;

	while (argv[n])
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (i = 0; out && i < n; i++)
		out[i] = from && !strcmp(argv[i], from) ? (char *)to : argv[i];
	return out;
}

struct exec_fig {
	double wall, wall_min, wall_max, cpu;
	long rss_kib;
	int status;	/* first non-zero wait status, else 0 */
};

/* The figures of n trials' wall and CPU times (bench_median sorts them). */
static void fig_medians(struct exec_fig *f, double *wall, double *cpu, int n)
{
	f->wall = bench_median(wall, n);
	f->wall_min = wall[0];
	f->wall_max = wall[n - 1];
	f->cpu = bench_median(cpu, n);
}

/* One trial's status and peak RSS into the figure. */
static void fig_add(struct exec_fig *f, int status, long rss_kib)
{
	f->status = f->status ? f->status : status;
	f->rss_kib = rss_kib > f->rss_kib ? rss_kib : f->rss_kib;
}

static int run_trials(const struct exec_opts *eo, char **argv, int trials, struct exec_fig *f)
{
	double wall[EXEC_MAX_TRIALS], cpu[EXEC_MAX_TRIALS];
	struct run_res r;
	int t, err = 0;

	memset(f, 0, sizeof(*f));
	for (t = 0; t < trials && !err; t++) {
		err = run_once(eo, argv, &r);
		wall[t] = r.wall_ms;
		cpu[t] = r.cpu_ms;
		if (!err)
			fig_add(f, r.status, r.rss_kib);
	}
	if (err)
		return err;
	fig_medians(f, wall, cpu, trials);
	return 0;
}

static void print_status(const char *label, int status)
{
	if (WIFSIGNALED(status))
		printf("  %s: FAILED: killed by signal %d (timeout?)\n", label, WTERMSIG(status));
	else
		printf("  %s: FAILED: exit status %d\n", label, WEXITSTATUS(status));
}

static void print_fig(const struct exec_opts *eo, long pkts, const struct exec_fig *f,
		      const struct exec_fig *e, int trials)
{
	printf("  %s\n    wall %.1f ms (median of %d, %.1f .. %.1f), CPU %.1f ms, max RSS %.1f MiB\n",
	       eo->label, f->wall, trials, f->wall_min, f->wall_max, f->cpu, f->rss_kib / 1024.0);
	if (pkts <= 0)
		return;
	printf("    %ld packets: %.0f pkt/s", pkts, pkts / (f->wall / 1e3));
	if (e && f->wall > e->wall)
		printf("; startup (same command, empty pcap) %.1f ms, %.0f pkt/s without it",
		       e->wall, pkts / ((f->wall - e->wall) / 1e3));
	printf("\n");
}

static int parse(int argc, char **argv, struct exec_opts *eo)
{
	int i;

	memset(eo, 0, sizeof(*eo));
	eo->timeout = 120;
	for (i = 1; i < argc - 1 && strcmp(argv[i], "--"); i += 2) {
		if (!strcmp(argv[i], "--pcap"))
			eo->pcap = argv[i + 1];
		else if (!strcmp(argv[i], "--empty"))
			eo->empty = argv[i + 1];
		else if (!strcmp(argv[i], "--log"))
			eo->log = argv[i + 1];
		else if (!strcmp(argv[i], "--label"))
			eo->label = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout"))
			eo->timeout = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--base-label"))
			eo->base_label = argv[i + 1];
		else if (!strcmp(argv[i], "--base-log"))
			eo->base_log = argv[i + 1];
		else
			return -1;
	}
	if (i >= argc - 1 || strcmp(argv[i], "--"))
		return -1;
	eo->argv = argv + i + 1;
	for (i++; i < argc; i++) {
		if (!strcmp(argv[i], "--") && i + 1 < argc) {
			argv[i] = NULL;	/* the command ends here, the baseline follows */
			eo->base = argv + i + 1;
			break;
		}
	}
	if (!eo->label)
		eo->label = eo->argv[0];
	if (eo->base && !eo->base_label)
		eo->base_label = eo->base[0];
	return 0;
}

/*
 * The command and the baseline in turn (each first every other trial, so
 * that a drift of the machine falls on both): the figures of each, and the
 * median of the per-trial ratios of wall times (command / baseline).
 */
static int run_pairs(const struct exec_opts *eo, int trials, struct exec_fig *f,
		     struct exec_fig *b, double *ratio)
{
	double wf[EXEC_MAX_TRIALS], wb[EXEC_MAX_TRIALS], cf[EXEC_MAX_TRIALS], cb[EXEC_MAX_TRIALS];
	double r[EXEC_MAX_TRIALS];
	struct exec_opts bo = *eo;
	struct exec_fig of, ob;
	int t, err = 0;

	bo.log = eo->base_log;
	memset(f, 0, sizeof(*f));
	memset(b, 0, sizeof(*b));
	for (t = 0; t < trials && !err; t++) {
		if (t & 1)
			err = run_trials(&bo, eo->base, 1, &ob);
		if (!err)
			err = run_trials(eo, eo->argv, 1, &of);
		if (!err && !(t & 1))
			err = run_trials(&bo, eo->base, 1, &ob);
		if (err)
			break;
		wf[t] = of.wall;
		cf[t] = of.cpu;
		wb[t] = ob.wall;
		cb[t] = ob.cpu;
		r[t] = of.wall / ob.wall;
		fig_add(f, of.status, of.rss_kib);
		fig_add(b, ob.status, ob.rss_kib);
	}
	if (err)
		return err;
	*ratio = bench_median(r, trials);
	fig_medians(f, wf, cf, trials);
	fig_medians(b, wb, cb, trials);
	return 0;
}

/* The command and the baseline interleaved: both figures and their ratio. */
static int exec_pairs(const struct exec_opts *eo, long pkts, const struct exec_fig *ep,
		      int trials)
{
	struct exec_opts bo = *eo;
	struct exec_fig f, b;
	double ratio;

	if (run_pairs(eo, trials, &f, &b, &ratio)) {
		fprintf(stderr, "failed to run %s or %s: %s\n", eo->argv[0], eo->base[0],
			strerror(errno));
		return 1;
	}
	if (f.status || b.status) {
		print_status(f.status ? eo->label : eo->base_label, f.status ? f.status : b.status);
		return 1;
	}
	print_fig(eo, pkts, &f, ep, trials);
	bo.label = eo->base_label;
	print_fig(&bo, pkts, &b, NULL, trials);
	printf("    interleaved, median of the %d per-trial ratios: wall %.2fx the baseline's "
	       "(%.2fx its packets/s)\n", trials, ratio, 1 / ratio);
	return 0;
}

int bench_exec(const struct bench_opts *o, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct exec_fig f, e, *ep = NULL;
	struct exec_opts eo;
	int trials = o->trials < EXEC_MAX_TRIALS ? o->trials : EXEC_MAX_TRIALS;
	long pkts;
	char **ev;

	if (parse(argc, argv, &eo))
		return 2;
	sigaction(SIGALRM, &sa, NULL);
	pkts = eo.pcap ? pcap_count(eo.pcap) : 0;
	ev = eo.empty ? subst(eo.argv, eo.pcap, eo.empty) : NULL;
	if (ev && !run_trials(&eo, ev, trials, &e) && !e.status)
		ep = &e;	/* startup cost known */
	if (eo.base) {
		free(ev);
		return exec_pairs(&eo, pkts, ep, trials);
	}
	if (run_trials(&eo, eo.argv, trials, &f)) {
		fprintf(stderr, "failed to run %s: %s\n", eo.argv[0], strerror(errno));
		return 1;
	}
	if (f.status) {
		print_status(eo.label, f.status);
		return 1;
	}
	print_fig(&eo, pkts, &f, ep, trials);
	free(ev);
	return 0;
}
