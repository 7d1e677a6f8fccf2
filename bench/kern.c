// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* kern.c - kernel ns/packet of flowmon_ingress and flowmon_xdp against the floor program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowmon.h"
#include "loader.h"
#include "bench.h"

#define EST_REPEAT	1000000		/* runs per established-flow measurement */
#define INS_KEYS	32768		/* distinct new flows per insert measurement */
#define KERN_FLOWS	FLOWMON_DEFAULT_MAX_FLOWS

/* One program under test: its fd, its flow table, and how to read an entry. */
struct subject {
	const char *name;
	int prog_fd;
	int map_fd;		/* -1: no table (nop) */
	bool flowmon;		/* value is struct flow_metrics */
	bool xdp;		/* an XDP program: xdp_md context, XDP_PASS */
};

/*
 * The builds of ours measured next to the floor: the default profile as a
 * daemon runs it, the leanest profile (counters only), every packet reading
 * the clock (what the tick saves), and the knobs of the kernel replay engine.
 */
enum { S_LIVE, S_XDP, S_NOHOOK, S_LEAN, S_PRECISE, S_REPLAY, S_FLOOR, S_NOP, S_MAX };

struct kern_ctx {
	struct flowmon_bpf *ours[S_FLOOR];
	struct bpf_object *floor;
	struct subject s[S_MAX];
	int trials;
};

static const struct variant {
	const char *name;
	bool replay;
	bool lean;
	bool precise;
	bool xdp;
	bool nohook;	/* the object built without the plugin hook (--nohook) */
} variants[S_FLOOR] = {
	[S_LIVE] = { "ours, default profile", false, false, false },
	[S_XDP] = { "ours at XDP, default profile", false, false, false, true },
	[S_NOHOOK] = { "ours, without the plugin hook", false, false, false, false, true },
	[S_LEAN] = { "ours, --features none", false, true, false },
	[S_PRECISE] = { "ours, --precise-clock", false, false, true },
	[S_REPLAY] = { "ours, replay knobs", true, false, false },
};

static int open_ours(const struct bench_opts *o, const struct variant *v, struct flowmon_bpf **fm)
{
	static const char *const xdp_prog[] = { FLOWMON_PROG_XDP, NULL };
	struct loader_opts lo = {
		.progs = v->xdp ? xdp_prog : NULL,
		.obj_path = v->nohook ? o->nohook : o->obj,
		.replay = v->replay,
		.max_flows = KERN_FLOWS,
		.idle_ns = FLOWMON_DEFAULT_IDLE_SEC * NSEC_PER_SEC,
		.active_ns = FLOWMON_DEFAULT_ACTIVE_SEC * NSEC_PER_SEC,
		.pin_dir = NULL,
		.features_set = v->lean,
		.features = 0,
		.precise_clock = v->precise,
	};

	return loader_open(&lo, fm);
}

int bench_open_floor(const char *path, uint32_t max, struct bpf_object **obj)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	*obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(*obj);
	if (err) {
		*obj = NULL;
		fprintf(stderr, "failed to open %s: %s\n", path, strerror(-err));
		return err;
	}
	map = bpf_object__find_map_by_name(*obj, "floor_flows");
	if (!map)
		return -ENOENT;
	bpf_map__set_max_entries(map, max);
	bpf_object__for_each_program(prog, *obj)
		bpf_program__set_type(prog, BPF_PROG_TYPE_SCHED_CLS);
	err = bpf_object__load(*obj);
	if (err)
		fprintf(stderr, "failed to load %s: %s\n", path, strerror(-err));
	return err;
}

static int floor_fd(struct bpf_object *obj, const char *prog)
{
	return bpf_program__fd(bpf_object__find_program_by_name(obj, prog));
}

static int kern_open(const struct bench_opts *o, struct kern_ctx *k)
{
	int i, err;

	memset(k, 0, sizeof(*k));
	k->trials = o->trials;
	for (i = 0; i < S_FLOOR; i++) {
		k->s[i] = (struct subject){ variants[i].name, -1, -1, true, variants[i].xdp };
		err = open_ours(o, &variants[i], &k->ours[i]);
		if (err) {
			fprintf(stderr, "  %s: does not load: %s\n", variants[i].name,
				bench_verifier_error());
			if (i == S_LIVE)
				return err;
			continue;
		}
		k->s[i].prog_fd = variants[i].xdp ? loader_xdp_fd(k->ours[i]) :
						    loader_prog_fd(k->ours[i], true);
		k->s[i].map_fd = loader_flows_fd(k->ours[i]);
	}
	err = bench_open_floor(o->floor, KERN_FLOWS, &k->floor);
	if (err)
		return err;
	k->s[S_FLOOR] = (struct subject){ "floor", floor_fd(k->floor, "floor_count"),
					  bpf_map__fd(bpf_object__find_map_by_name(k->floor,
									   "floor_flows")),
					  false, false };
	k->s[S_NOP] = (struct subject){ "nop (harness cost)", floor_fd(k->floor, "floor_nop"),
					-1, false, false };
	return 0;
}

static void kern_close(struct kern_ctx *k)
{
	int i;

	for (i = 0; i < S_FLOOR; i++)
		loader_close(k->ours[i]);
	bpf_object__close(k->floor);
}

/* The flow_key the programs build for template p. */
static void key_of(const struct bench_pkt *p, struct flow_key *k)
{
	const uint8_t *b = p->buf;
	size_t alen = p->ipver == 4 ? 4 : 16;
	size_t soff = p->ipver == 4 ? 12 : 8;

	memset(k, 0, sizeof(*k));
	memcpy(k->saddr, b + p->l3 + soff, alen);
	memcpy(k->daddr, b + p->l3 + soff + alen, alen);
	k->sport = b[p->l4] << 8 | b[p->l4 + 1];
	k->dport = b[p->l4 + 2] << 8 | b[p->l4 + 3];
	k->proto = p->ipver == 4 ? b[p->l3 + 9] : b[p->l3 + 6];
	k->ipver = p->ipver;
}

/* Packets the subject's table holds for p's flow (0 if none). */
static uint64_t entry_packets(const struct subject *s, const struct bench_pkt *p)
{
	struct flow_metrics m;
	struct flow_key k;
	__u64 v[2];

	key_of(p, &k);
	if (s->flowmon)
		return bpf_map_lookup_elem(s->map_fd, &k, &m) ? 0 : m.packets;
	return bpf_map_lookup_elem(s->map_fd, &k, v) ? 0 : v[0];
}


/* An XDP run of the same frame: ingress on lo, XDP_PASS expected. */
static int xdp_test_run(int prog_fd, const struct bench_pkt *p, uint32_t repeat, uint32_t *ns)
{
	struct xdp_md ctx = { .data = 0, .data_end = p->len, .ingress_ifindex = 1 };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = p->buf,
		    .data_size_in = p->len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	if (opts.retval != 2)	/* XDP_PASS: anything else is a bug */
		return -EPROTO;
	if (ns)
		*ns = opts.duration;
	return 0;
}

/* One test run of the subject (ts: the time of a TC run; XDP has none). */
static int run(const struct subject *s, const struct bench_pkt *p, uint64_t ts, uint32_t repeat,
	       uint32_t *ns)
{
	if (s->xdp)
		return xdp_test_run(s->prog_fd, p, repeat, ns);
	return bench_test_run(s->prog_fd, p, ts, repeat, ns);
}

/*
 * Established flow: one run creates the entry (setup), then every trial is
 * one run of EST_REPEAT: the kernel's average per run.
 */
static int est_setup(const struct subject *s, const struct bench_pkt *p)
{
	if (s->map_fd >= 0)
		bench_map_clear(s->map_fd);
	return run(s, p, BENCH_T0, 1, NULL);
}

static int est_trial(const struct subject *s, struct bench_pkt *p, int t, double *v)
{
	uint32_t ns;
	int err = run(s, p, BENCH_T0, EST_REPEAT, &ns);

	*v = ns;
	return err;
}

static int est_check(const struct subject *s, const struct bench_pkt *p, int trials)
{
	if (s->map_fd >= 0 && entry_packets(s, p) != 1 + (uint64_t)trials * EST_REPEAT) {
		fprintf(stderr, "%s: entry does not hold every run: not the update path\n",
			s->name);
		return -EPROTO;
	}
	return 0;
}

/* INS_KEYS distinct flows of trial t through the subject once; *sum gets their ns. */
static int one_pass(const struct subject *s, struct bench_pkt *p, uint32_t t, uint64_t ts,
		    uint64_t *sum)
{
	uint32_t ns, i;
	int err = 0;

	for (i = 0, *sum = 0; i < INS_KEYS && !err; i++) {
		bench_pkt_set_flow(p, t * INS_KEYS + i);
		err = run(s, p, ts + i, 1, &ns);
		*sum += ns;
	}
	if (!err && s->map_fd >= 0 && bench_map_count(s->map_fd) != INS_KEYS) {
		fprintf(stderr, "%s: not every run inserted a flow\n", s->name);
		err = -EPROTO;
	}
	return err;
}

/*
 * Many flows, repeat=1 per run, the kernel's time of each, mean per trial.
 * The table is emptied before every trial (so it is never more than half
 * full), then filled by pass 1; with passes == 2 the second pass over the
 * same flows is the one timed: updates of flows that are not hot in the
 * cache, unlike the repeat loop of the established case.
 */
static int spread(const struct subject *s, struct bench_pkt *p, int t, double *v, int passes)
{
	uint64_t sum = 0;
	int pass, err = 0;

	if (s->map_fd >= 0)
		bench_map_clear(s->map_fd);
	for (pass = 0; pass < passes && !err; pass++)
		err = one_pass(s, p, t, BENCH_T0 + (uint64_t)pass * INS_KEYS, &sum);
	*v = (double)sum / INS_KEYS;
	return err;
}

static int ins_trial(const struct subject *s, struct bench_pkt *p, int t, double *v)
{
	return spread(s, p, t, v, 1);
}

static int upd_trial(const struct subject *s, struct bench_pkt *p, int t, double *v)
{
	return spread(s, p, t, v, 2);
}

typedef int (*trial_fn)(const struct subject *s, struct bench_pkt *p, int t, double *v);

/* One packet shape: how to measure it. */
struct kern_case {
	const char *title;
	int ipver;
	enum bench_l4 kind;
	uint32_t payload;
	bool established;
	int (*setup)(const struct subject *s, const struct bench_pkt *p);
	trial_fn trial;
	int (*check)(const struct subject *s, const struct bench_pkt *p, int trials);
};

struct figure {
	double med, min, max;
	double ratio, ratio_net;	/* medians of the per-trial ratios to the floor */
};

static void print_fig(const char *what, const struct figure *f, const struct figure *nop)
{
	printf("  %-34s %8.1f  [%6.1f .. %6.1f]  %8.1f\n", what, f->med, f->min, f->max,
	       f->med - nop->med);
}

static void print_ratios(const struct kern_ctx *k, const struct figure *f)
{
	int i;

	for (i = 0; i < S_FLOOR; i++) {
		if (k->s[i].prog_fd < 0 || i == S_REPLAY)
			continue;
		printf("  ratio %-28s %8.2fx %28.2fx\n", k->s[i].name, f[i].ratio, f[i].ratio_net);
	}
}


/*
 * The ratio of subject v to the floor, trial by trial (trial t of each ran
 * one right after the other: the machine's drift hits both), then the
 * median; net: with the nop of the same trial subtracted from both.
 */
static void ratios_of(const double *v, const double *floor, const double *nop, int n,
		      struct figure *f)
{
	double r[64], rn[64];
	int t;

	for (t = 0; t < n; t++) {
		r[t] = v[t] / floor[t];
		rn[t] = floor[t] > nop[t] ? (v[t] - nop[t]) / (floor[t] - nop[t]) : 0;
	}
	f->ratio = bench_median(r, n);
	f->ratio_net = bench_median(rn, n);
}

static void figure_of(double *v, int n, struct figure *f)
{
	f->med = bench_median(v, n);	/* sorts v */
	f->min = v[0];
	f->max = v[n - 1];
}

/*
 * One packet shape through every subject, trials interleaved (trial t of
 * each subject, then trial t + 1), so that the machine's drift hits them
 * alike; prints a line each and the ratios to the floor.
 */
static int compare(const struct kern_ctx *k, const struct kern_case *c,
		   const struct bench_pkt *tmpl)
{
	int i, t, n = k->trials < 64 ? k->trials : 64, err = 0;
	struct bench_pkt p[S_MAX];
	struct figure f[S_MAX];
	double v[S_MAX][64], hook[64];

	printf("%s\n", c->title);
	for (i = 0; i < S_MAX; i++) {
		p[i] = *tmpl;
		f[i] = (struct figure){ 0 };
		if (k->s[i].prog_fd >= 0 && c->setup)
			err = err ? err : c->setup(&k->s[i], &p[i]);
	}
	for (t = 0; t < n && !err; t++) {
		for (i = 0; i < S_MAX && !err; i++) {
			if (k->s[i].prog_fd >= 0)
				err = c->trial(&k->s[i], &p[i], t, &v[i][t]);
			if (err)
				fprintf(stderr, "failed to measure %s: %s\n", k->s[i].name,
					strerror(-err));
		}
	}
	for (i = 0; i < S_MAX && !err; i++) {
		if (k->s[i].prog_fd >= 0 && c->check)
			err = c->check(&k->s[i], &p[i], n);
	}
	if (err)
		return err;
	for (i = 0; i < S_FLOOR; i++) {
		if (k->s[i].prog_fd >= 0)
			ratios_of(v[i], v[S_FLOOR], v[S_NOP], n, &f[i]);
	}
	for (t = 0; t < n && k->s[S_NOHOOK].prog_fd >= 0; t++)
		hook[t] = v[S_LIVE][t] - v[S_NOHOOK][t];
	for (i = 0; i < S_MAX; i++) {
		if (k->s[i].prog_fd >= 0)
			figure_of(v[i], n, &f[i]);
	}
	for (i = 0; i < S_MAX; i++) {
		if (k->s[i].prog_fd >= 0)
			print_fig(k->s[i].name, &f[i], &f[S_NOP]);
	}
	print_ratios(k, f);
	if (k->s[S_NOHOOK].prog_fd >= 0)
		printf("  plugin hook, no plugin loaded: %+.1f ns/pkt (default profile - without the "
		       "hook, per trial)\n", bench_median(hook, n));
	return 0;
}

/* The packet shapes measured, in report order. */
static const struct kern_case cases[] = {
	{ "established TCP/IPv4, ACK|PSH + 100 B payload", 4, BL4_TCP_ACK, 100, true, est_setup,
	  est_trial, est_check },
	{ "established UDP/IPv6, 100 B payload", 6, BL4_UDP, 100, true, est_setup, est_trial,
	  est_check },
	{ "established TCP/IPv6, ACK|PSH + 100 B payload", 6, BL4_TCP_ACK, 100, true, est_setup,
	  est_trial, est_check },
	{ "new flow: TCP/IPv4 SYN with 20 B of options", 4, BL4_TCP_SYN, 0, false, NULL,
	  ins_trial, NULL },
	{ "new flow: UDP/IPv4, 100 B payload", 4, BL4_UDP, 100, false, NULL, ins_trial, NULL },
	{ "existing flows, not cache-hot: TCP/IPv4 ACK, 32768 flows, repeat=1", 4, BL4_TCP_ACK,
	  100, false, NULL, upd_trial, NULL },
};

/*
 * What the plugin hook costs with no plugin loaded: the default build and
 * the build without the hook (--nohook), many short trials in pairs, one
 * right after the other; the median of the pairs' differences cancels the
 * machine's drift that a shared host adds to either figure alone.
 */
#define HOOK_PAIRS	64
#define HOOK_REPEAT	100000

static int hook_cost(const struct kern_ctx *k)
{
	static const struct { const char *title; int ipver; enum bench_l4 kind; } shapes[] = {
		{ "established TCP/IPv4, ACK|PSH + 100 B", 4, BL4_TCP_ACK },
		{ "established UDP/IPv6, 100 B", 6, BL4_UDP },
	};
	const struct subject *a = &k->s[S_LIVE], *b = &k->s[S_NOHOOK];
	double d[HOOK_PAIRS], va[HOOK_PAIRS], vb[HOOK_PAIRS];
	struct bench_pkt p;
	uint32_t na, nb;
	size_t i;
	int t, err = 0;

	if (a->prog_fd < 0 || b->prog_fd < 0)
		return 0;
	printf("plugin hook with no plugin loaded: %d pairs of %d runs (the default build and the "
	       "build without the hook, in turn), median of the differences\n", HOOK_PAIRS,
	       HOOK_REPEAT);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]) && !err; i++) {
		bench_pkt_build(&p, shapes[i].ipver, shapes[i].kind, 100);
		err = est_setup(a, &p) ? -EIO : est_setup(b, &p);
		for (t = 0; t < HOOK_PAIRS && !err; t++) {
			/* each build first in every other pair: no order bias */
			const struct subject *x = t & 1 ? b : a, *y = t & 1 ? a : b;
			uint32_t *nx = t & 1 ? &nb : &na, *ny = t & 1 ? &na : &nb;

			err = bench_test_run(x->prog_fd, &p, BENCH_T0, HOOK_REPEAT, nx);
			if (!err)
				err = bench_test_run(y->prog_fd, &p, BENCH_T0, HOOK_REPEAT, ny);
			d[t] = (double)na - nb;
			va[t] = na;
			vb[t] = nb;
		}
		if (err)
			break;
		printf("  %-40s %+6.1f ns/pkt (with %.1f, without %.1f)\n", shapes[i].title,
		       bench_median(d, HOOK_PAIRS), bench_median(va, HOOK_PAIRS),
		       bench_median(vb, HOOK_PAIRS));
	}
	return err;
}

/*
 * `kern ab`: new flows through the meter (--obj) and a build of it to
 * compare (--nohook FILE), in pairs, each first in every other pair; the
 * medians of the per-pair differences and ratios. Two tables of the same
 * shape side by side differ by more than a small change costs, in a run of
 * interleaved trials; pairs in alternating order cancel that, and the
 * machine's drift.
 */
#define AB_PAIRS	40

static int ab_inserts(const struct kern_ctx *k)
{
	static const struct { const char *title; enum bench_l4 kind; } shapes[] = {
		{ "new flow, TCP/IPv4 SYN with 20 B of options", BL4_TCP_SYN },
		{ "new flow, UDP/IPv4, 100 B", BL4_UDP },
	};
	const struct subject *a = &k->s[S_LIVE], *b = &k->s[S_NOHOOK];
	double d[AB_PAIRS], r[AB_PAIRS], va, vb;
	struct bench_pkt pa, pb;
	size_t i;
	int t, err = 0;

	if (a->prog_fd < 0 || b->prog_fd < 0)
		return -ENOENT;
	printf("%s against %s: %d pairs of %d new flows, in turn, medians of the pairs\n",
	       a->name, b->name, AB_PAIRS, INS_KEYS);
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]) && !err; i++) {
		bench_pkt_build(&pa, 4, shapes[i].kind, 100);
		pb = pa;
		for (t = 0; t < AB_PAIRS && !err; t++) {
			if (t & 1) {
				err = ins_trial(b, &pb, t, &vb) ?: ins_trial(a, &pa, t, &va);
			} else {
				err = ins_trial(a, &pa, t, &va) ?: ins_trial(b, &pb, t, &vb);
			}
			d[t] = va - vb;
			r[t] = va / vb;
		}
		if (!err)
			printf("  %-44s %+7.1f ns/pkt, %.3fx\n", shapes[i].title,
			       bench_median(d, AB_PAIRS), bench_median(r, AB_PAIRS));
	}
	return err;
}

int bench_kern(const struct bench_opts *o, int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;	/* "established" or "many" */
	struct bench_pkt p;
	struct kern_ctx k;
	size_t i;
	int err;

	err = kern_open(o, &k);
	if (err) {
		kern_close(&k);
		return 1;
	}
	if (only && !strcmp(only, "ab")) {
		err = ab_inserts(&k);
		kern_close(&k);
		return err ? 1 : 0;
	}
	printf("kernel cost per packet: BPF_PROG_TEST_RUN on CPU %d, opts.duration (ns/run),\n"
	       "median of %d trials, the subjects' trials interleaved; established: %d runs\n"
	       "per trial (repeat); new and existing flows: %d distinct keys per trial,\n"
	       "repeat=1 each (the timer's own cost is in the nop line), mean per trial;\n"
	       "tables %u entries. Ratios: median of the per-trial ratios to the floor's\n"
	       "trial, then the same with each trial's nop subtracted\n",
	       o->cpu, o->trials, EST_REPEAT, INS_KEYS, KERN_FLOWS);
	printf("  %-34s %8s  %-18s  %8s\n", "", "ns/pkt", "[min .. max]", "- nop");
	for (i = 0; !err && i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* "established": the repeat-loop cases only; "many": the others; "hook": none */
		if (only && (!strcmp(only, "hook") ||
			     cases[i].established != !strcmp(only, "established")))
			continue;
		bench_pkt_build(&p, cases[i].ipver, cases[i].kind, cases[i].payload);
		err = compare(&k, &cases[i], &p);
	}
	if (!err && (!only || !strcmp(only, "established") || !strcmp(only, "hook")))
		err = hook_cost(&k);
	kern_close(&k);
	return err ? 1 : 0;
}
