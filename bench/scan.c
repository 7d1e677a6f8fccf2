// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* scan.c - ns/flow of a scan that ends nothing, and of one that ends and purges every flow. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include "collect.h"
#include "flowtable.h"
#include "loader.h"
#include "bench.h"

#define SCAN_MAX_FLOWS	(1u << 20)	/* table capacity: 1,000,000 flows fill 95 % */
#define SCAN_REPS	3		/* idle scans per fill (they end nothing) */
#define SCAN_MAX_FILLS	16
#define FILL_GAP_NS	1000		/* packet clock step while filling */

/* What one child measured on one filled table. */
struct scan_sample {
	double idle_ns[SCAN_REPS];	/* collector_scan with nothing due */
	double scan_ns;		/* collector_scan ending and purging every flow */
	long read;		/* entries the idle scan visited */
	long ends;		/* records the purging scan wrote */
	long purged;		/* entries deleted by the scan */
	long written;		/* records it built */
	long left;		/* entries left in the table afterwards */
	long start_kib;		/* RSS of the child before the collector */
	long maps_kib;		/* RSS of kernel map pages mapped in (the event ring) */
	int err;
};

struct scan_env {
	struct flowmon_bpf *fm;
	bool replay;	/* replay knobs: the table's clock is the packets' time */
};

/* Scan time: a second after the last packet, on the table's clock. */
static uint64_t scan_now(const struct scan_env *e, uint32_t n)
{
	struct timespec ts;

	if (e->replay)
		return BENCH_T0 + (uint64_t)n * FILL_GAP_NS + NSEC_PER_SEC;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec + NSEC_PER_SEC;
}

/*
 * RSS of the BPF maps mapped into this process, in KiB. libbpf maps the
 * event ring's data twice (so that a record never wraps) and every page of
 * both copies is resident from the start: 2x the ring, kernel memory that
 * memlock already counts, not the daemon's.
 */
static long maps_rss_kib(void)
{
	char line[256];
	bool bpf = false;
	long kib, sum = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (isdigit(line[0]) || (line[0] >= 'a' && line[0] <= 'f'))	/* a mapping */
			bpf = strstr(line, "anon_inode:bpf-map") != NULL;
		else if (bpf && sscanf(line, "Rss: %ld kB", &kib) == 1)
			sum += kib;
	}
	fclose(f);
	return sum;
}

/* Entries 0..n-1 through the program; returns the mean wall ns per test run. */
static double fill(int prog_fd, uint32_t n)
{
	struct bench_pkt p;
	uint64_t t0 = bench_now_ns();
	uint32_t j;

	for (j = 0; j < n; j++) {
		bench_fill_pkt(&p, j, n);
		if (bench_test_run(prog_fd, &p, BENCH_T0 + (uint64_t)j * FILL_GAP_NS, 1, NULL))
			return -1;
	}
	return (double)(bench_now_ns() - t0) / n;
}

/* Records are built (flow_record_from_event), then dropped: no formatting. */
static int count_record(void *ctx, struct flow_record *r)
{
	(*(long *)ctx)++;
	return 0;
}

/*
 * In the child: SCAN_REPS scans with nothing due (the cost of every scan
 * period), then one with an idle timeout of 1 ns: it ends every connection,
 * builds its record from the event, and deletes both entries.
 */
static void measure(const struct scan_env *e, uint32_t n, struct scan_sample *s)
{
	uint64_t now = scan_now(e, n), t0;
	struct flowmon_bpf *fm = e->fm;
	struct ft_config cfg = { .idle_ns = 3600 * NSEC_PER_SEC, .linger_ns = 0 };
	struct collector c;
	long records = 0;
	int r;

	s->err = collector_init(&c, loader_flows_fd(fm), loader_counters_fd(fm),
				loader_events_fd(fm), loader_sweep_fd(fm), &cfg, count_record,
				&records);
	if (s->err)
		return;
	for (r = 0; r < SCAN_REPS && !s->err; r++) {
		t0 = bench_now_ns();
		s->err = collector_scan(&c, now);
		s->idle_ns[r] = bench_now_ns() - t0;
	}
	s->read = c.last_entries;
	c.cfg.idle_ns = 1;
	t0 = bench_now_ns();
	s->err = s->err ? s->err : collector_scan(&c, now);
	s->scan_ns = bench_now_ns() - t0;
	s->ends = records;
	s->purged = c.purged;
	s->written = c.written;
	s->left = bench_map_count(c.flows_fd);
	s->maps_kib = maps_rss_kib();
	collector_free(&c);
}

/* Measure in a child process, so that its peak RSS is the scan's alone. */
static int measure_child(const struct scan_env *e, uint32_t n, struct scan_sample *s,
			 long *maxrss_kib)
{
	struct rusage ru;
	int fd[2], status;
	pid_t pid;

	if (pipe(fd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		cpu_set_t all;

		/* as a daemon runs: the collector reads the ring in a second thread */
		CPU_ZERO(&all);
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
			CPU_SET(cpu, &all);
		sched_setaffinity(0, sizeof(all), &all);
		close(fd[0]);
		memset(s, 0, sizeof(*s));
		s->start_kib = bench_rss_kib("VmRSS:");
		measure(e, n, s);
		_exit(write(fd[1], s, sizeof(*s)) == sizeof(*s) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], s, sizeof(*s)) != sizeof(*s))
		s->err = -EPIPE;
	close(fd[0]);
	if (wait4(pid, &status, 0, &ru) < 0)
		return -errno;
	*maxrss_kib = ru.ru_maxrss;
	return s->err;
}

/* Expected plan for the fill of bench_fill_pkt: n/4 pairs, n/2 one-way flows. */
static long expect_ends(uint32_t n)
{
	uint32_t half = n / 2 & ~1u;

	return half / 2 + (n - half);
}

static int check(uint32_t n, const struct scan_sample *s)
{
	if (s->read != n || s->ends != expect_ends(n) || s->purged != n ||
	    s->written != expect_ends(n) || s->left != 0) {
		fprintf(stderr, "scan of %u flows: visited %ld, records %ld (expected %ld), "
			"purged %ld, written %ld, left %ld\n", n, s->read, s->ends, expect_ends(n),
			s->purged, s->written, s->left);
		return -EPROTO;
	}
	return 0;
}

struct scan_fig {
	double fill, idle, scan;
	long rss_kib;		/* peak RSS of the child */
	long own_kib;		/* of which the daemon's own: less the start and the ring */
	int fills;
};

static int scan_one(const struct scan_env *e, uint32_t n, int fills, struct scan_fig *f)
{
	double fl[SCAN_MAX_FILLS], id[SCAN_MAX_FILLS * SCAN_REPS], sc[SCAN_MAX_FILLS];
	struct scan_sample s;
	int i, r, err;
	long rss = 0;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < fills; i++) {
		fl[i] = fill(loader_prog_fd(e->fm, true), n);
		err = fl[i] < 0 ? -EIO : measure_child(e, n, &s, &rss);
		err = err ? err : check(n, &s);
		if (err)
			return err;
		for (r = 0; r < SCAN_REPS; r++)
			id[i * SCAN_REPS + r] = s.idle_ns[r] / n;
		sc[i] = s.scan_ns / n;
		f->rss_kib = rss > f->rss_kib ? rss : f->rss_kib;
		rss -= s.start_kib + s.maps_kib;
		f->own_kib = rss > f->own_kib ? rss : f->own_kib;
	}
	f->fills = fills;
	f->fill = bench_median(fl, fills);
	f->idle = bench_median(id, fills * SCAN_REPS);
	f->scan = bench_median(sc, fills);
	return 0;
}

static void print_header(const struct bench_opts *o, const struct scan_env *e)
{
	printf("scan (collector_scan: the kernel's sweeper, the event ring, records built):\n"
	       "tc_flowmon_kern.o unpinned (%s knobs), table %u entries; N entries = N/4\n"
	       "two-way connections + N/2 one-way flows; CLOCK_MONOTONIC on CPU %d; %d scans\n"
	       "with nothing due, then one that ends and purges everything, per fill, in a child\n"
	       "free to use every CPU (the collector reads the ring in a second thread); medians.\n"
	       "Daemon: what the scan adds to the child's RSS (peak less the RSS at its start\n"
	       "and less the mapped ring, kernel memory in memlock: bench mem); per flow\n",
	       e->replay ? "replay" : "live", SCAN_MAX_FLOWS, o->cpu, SCAN_REPS);
	printf("  %9s %5s %12s %12s %12s %10s %8s %8s\n", "flows", "fills", "idle scan",
	       "scan+purge", "fill/pkt", "max RSS", "daemon", "daemon");
	printf("  %9s %5s %12s %12s %12s %10s %8s %8s\n", "", "", "ns/flow", "ns/flow", "ns",
	       "MiB", "MiB", "B/flow");
}

/* Replay knobs as -r loads them; the live ones (boot clock) if those are rejected. */
static int scan_open(const struct bench_opts *o, struct scan_env *e)
{
	static const char *const progs[] = { FLOWMON_PROG_SWEEP, NULL };
	struct loader_opts lo = { .obj_path = o->obj, .replay = true, .max_flows = SCAN_MAX_FLOWS,
				  .progs = progs };

	e->replay = true;
	if (!loader_open(&lo, &e->fm))
		return 0;
	fprintf(stderr, "  replay knobs rejected (%s): scanning with live knobs\n",
		bench_verifier_error());
	e->replay = false;
	lo.replay = false;
	return loader_open(&lo, &e->fm);
}

int bench_scan(const struct bench_opts *o, int argc, char **argv)
{
	static const char *def[] = { "scan", "100000", "1000000" };
	struct scan_env e;
	struct scan_fig f;
	int i, fills, err = 0;
	uint32_t n;

	if (argc < 2) {
		argc = 3;
		argv = (char **)def;
	}
	if (scan_open(o, &e))
		return 1;
	print_header(o, &e);
	printf("  (harness before the scans: RSS %ld KiB)\n", bench_rss_kib("VmRSS:"));
	for (i = 1; i < argc && !err; i++) {
		n = strtoul(argv[i], NULL, 10);
		fills = n >= 500000 ? 3 : o->trials;
		fills = fills > SCAN_MAX_FILLS ? SCAN_MAX_FILLS : fills;
		if (n == 0 || n > SCAN_MAX_FLOWS || (err = scan_one(&e, n, fills, &f))) {
			fprintf(stderr, "failed to benchmark a scan of %u flows\n", n);
			err = err ? err : -EINVAL;
			break;
		}
		printf("  %9u %5d %12.1f %12.1f %12.1f %10.1f %8.1f %8.1f\n", n, f.fills, f.idle,
		       f.scan, f.fill, f.rss_kib / 1024.0, f.own_kib / 1024.0,
		       f.own_kib * 1024.0 / n);
	}
	loader_close(e.fm);
	return err ? 1 : 0;
}
