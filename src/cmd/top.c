// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * top.c - the top command: a live full-screen view (ncurses) of the flows
 * open in a pinned table, refreshed every second: the busiest connections
 * by rate, bytes or packets, totals per interface, the kernel's counters.
 * It reads the table with batched lookups (flowread.h) and changes
 * nothing: the daemon that meters the table goes on undisturbed.
 * Keys: r rate, b bytes, p packets, q quit.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>
#include "now.h"
#include "cmds.h"
#include "collect.h"
#include "fields.h"
#include "flowread.h"
#include "format.h"
#include "log.h"

#define TOP_MAX_IFACES 16

enum top_sort { SORT_RATE, SORT_BYTES, SORT_PKTS };

/* A connection of the last snapshot, with what the view needs. */
struct top_row {
	const struct flow_record *r;
	uint64_t bytes, pkts;	/* both directions */
	double rate;		/* bytes per second since the previous snapshot */
};

/* Bytes of a connection in the previous snapshot, by key. */
struct top_prev {
	struct flow_key key;
	uint64_t bytes;
};

struct top_iface {
	uint32_t ifindex;
	uint64_t flows, bytes, pkts;
	double rate;
};

struct top {
	const struct flowmon_opts *o;
	struct collector c;
	struct flowread fr;
	struct top_row *rows;
	struct top_prev *prev, *cur;
	size_t nprev;
	double prev_t;
	enum top_sort sort;
	struct top_iface ifs[TOP_MAX_IFACES];
	int nifs;
};

static volatile sig_atomic_t top_stop;

static void on_stop(int sig)
{
	(void)sig;
	top_stop = 1;
}

static double mono_s(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1e9;
}

static int prev_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct top_prev *)a)->key, &((const struct top_prev *)b)->key,
		      sizeof(struct flow_key));
}

static const struct top_prev *prev_find(const struct top *t, const struct flow_key *k)
{
	struct top_prev want = { .key = *k };

	return t->nprev ? bsearch(&want, t->prev, t->nprev, sizeof(want), prev_cmp) : NULL;
}

static enum top_sort sort_by;

static int row_cmp(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;

	if (sort_by == SORT_RATE && x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (sort_by == SORT_PKTS && x->pkts != y->pkts)
		return x->pkts < y->pkts ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return 0;
}

static void iface_add(struct top *t, const struct top_row *row)
{
	uint32_t ifindex = row->r->fwd.ifindex;
	int i;

	for (i = 0; i < t->nifs && t->ifs[i].ifindex != ifindex; i++)
		;
	if (i == t->nifs) {
		if (t->nifs == TOP_MAX_IFACES)
			return;
		memset(&t->ifs[t->nifs++], 0, sizeof(t->ifs[0]));
		t->ifs[i].ifindex = ifindex;
	}
	t->ifs[i].flows++;
	t->ifs[i].bytes += row->bytes;
	t->ifs[i].pkts += row->pkts;
	t->ifs[i].rate += row->rate;
}

/* The rows of a new snapshot, their rates against the previous one, sorted. */
static void build_rows(struct top *t, double now)
{
	double dt = t->prev_t ? now - t->prev_t : 0;
	const struct top_prev *p;
	struct top_prev *swap;
	struct top_row *row;
	size_t i;

	t->nifs = 0;
	for (i = 0; i < t->fr.n; i++) {
		row = &t->rows[i];
		row->r = &t->fr.recs[i];
		row->bytes = row->r->fwd.bytes + (row->r->has_rev ? row->r->rev.bytes : 0);
		row->pkts = row->r->fwd.packets + (row->r->has_rev ? row->r->rev.packets : 0);
		p = prev_find(t, &row->r->key);
		row->rate = dt > 0 && p && row->bytes >= p->bytes ? (row->bytes - p->bytes) / dt :
			    0;
		t->cur[i] = (struct top_prev){ .key = row->r->key, .bytes = row->bytes };
		iface_add(t, row);
	}
	sort_by = t->sort;
	qsort(t->rows, t->fr.n, sizeof(*t->rows), row_cmp);
	qsort(t->cur, t->fr.n, sizeof(*t->cur), prev_cmp);
	swap = t->prev;
	t->prev = t->cur;
	t->cur = swap;
	t->nprev = t->fr.n;
	t->prev_t = now;
}

static void draw_header(struct top *t, int *y)
{
	static const char *const sorts[] = { "rate", "bytes", "packets" };
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	uint64_t cnt[CNT_MAX];
	char name[IF_NAMESIZE], a[16], b[16], c[16];
	int i;

	mvprintw((*y)++, 0, "bpfflowmon top: table %s, %zu entries of %u, %zu connections, "
		 "sorted by %s", t->o->map_path, t->fr.entries, t->c.max_entries, t->fr.n,
		 sorts[t->sort]);
	mvprintw((*y)++, 0, "keys: r rate, b bytes, p packets, q quit");
	for (i = 0; i < t->nifs; i++) {
		if (!if_indextoname(t->ifs[i].ifindex, name))
			snprintf(name, sizeof(name), "if%u", t->ifs[i].ifindex);
		mvprintw((*y)++, 0, "%-12s %6llu flows %8s bytes %8s packets %8s B/s", name,
			 (unsigned long long)t->ifs[i].flows, brief_count(t->ifs[i].bytes, a,
			 sizeof(a)), brief_count(t->ifs[i].pkts, b, sizeof(b)),
			 brief_count((uint64_t)t->ifs[i].rate, c, sizeof(c)));
	}
	collector_counters(&t->c, cnt);
	move((*y)++, 0);
	printw("kernel:");
	for (i = 0; i < CNT_MAX; i++)
		printw(" %s %llu", names[i], (unsigned long long)cnt[i]);
	(*y)++;
}

static void draw_row(int y, const struct top_row *row)
{
	char proto[8], src[64], dst[80], n[5][16], age[16];
	struct flow_view v;

	flow_view_init(&v, row->r, NULL);
	mvprintw(y, 0, "%-5s %-23s %-23s %7s %7s %7s %7s %8s %8s",
		 brief_proto(row->r->key.proto, proto, sizeof(proto)),
		 brief_endpoint(&v, false, src, sizeof(src)),
		 brief_endpoint(&v, true, dst, sizeof(dst)),
		 brief_count(row->r->fwd.packets, n[0], sizeof(n[0])),
		 brief_count(row->r->fwd.bytes, n[1], sizeof(n[1])),
		 brief_count(v.side[1].on ? row->r->rev.packets : 0, n[2], sizeof(n[2])),
		 brief_count(v.side[1].on ? row->r->rev.bytes : 0, n[3], sizeof(n[3])),
		 brief_count((uint64_t)row->rate, n[4], sizeof(n[4])),
		 brief_duration(v.end_ms - v.start_ms, age, sizeof(age)));
}

static void draw(struct top *t)
{
	int y = 0, rows, cols;
	size_t i;

	getmaxyx(stdscr, rows, cols);
	(void)cols;
	erase();
	draw_header(t, &y);
	attron(A_REVERSE);
	mvprintw(y++, 0, "%-5s %-23s %-23s %7s %7s %7s %7s %8s %8s", "PROTO", "SOURCE",
		 "DESTINATION", ">PKTS", ">BYTES", "<PKTS", "<BYTES", "B/S", "AGE");
	attroff(A_REVERSE);
	for (i = 0; i < t->fr.n && y < rows; i++)
		draw_row(y++, &t->rows[i]);
	refresh();
}

static int snapshot(struct top *t)
{
	int err = flowread_snapshot(&t->fr, clock_wall_offset_ns());

	if (err)
		return err;
	build_rows(t, mono_s());
	return 0;
}

/* Keys until the next second; false when the user quits. */
static bool keys(struct top *t, double until)
{
	int ch;

	while (!top_stop && mono_s() < until) {
		ch = getch();
		if (ch == 'q' || ch == 'Q')
			return false;
		if (ch == 'r' || ch == 'b' || ch == 'p') {
			t->sort = ch == 'r' ? SORT_RATE : ch == 'b' ? SORT_BYTES : SORT_PKTS;
			sort_by = t->sort;
			qsort(t->rows, t->fr.n, sizeof(*t->rows), row_cmp);
			draw(t);
		}
	}
	return !top_stop;
}

static int top_loop(struct top *t)
{
	int err = 0;

	initscr();
	cbreak();
	noecho();
	curs_set(0);
	timeout(100);	/* getch() waits at most 0.1 s: signals and the clock are seen */
	while (!err) {
		err = snapshot(t);
		if (err)
			break;
		draw(t);
		if (!keys(t, mono_s() + 1.0))
			break;
	}
	endwin();
	if (err)
		pr_err("failed to read flow table %s: %s\n", t->o->map_path, strerror(-err));
	return err ? 1 : 0;
}

static int top_alloc(struct top *t)
{
	uint32_t n = t->c.max_entries;

	t->rows = calloc(n, sizeof(*t->rows));
	t->prev = calloc(n, sizeof(*t->prev));
	t->cur = calloc(n, sizeof(*t->cur));
	if (!t->rows || !t->prev || !t->cur)
		return -ENOMEM;
	return flowread_init(&t->fr, t->c.flows_fd, n);
}

static void top_free(struct top *t)
{
	flowread_free(&t->fr);
	free(t->rows);
	free(t->prev);
	free(t->cur);
}

int cmd_top(const struct flowmon_opts *o)
{
	struct ft_config cfg = { 0 };
	int flows, counters, events, rc = 1;
	struct sigaction sa = { .sa_handler = on_stop };
	static struct top t;

	if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
		pr_err("failed to start top: not a terminal (status --flows lists the flows)\n");
		return 1;
	}
	if (access(o->map_path, F_OK) && errno == ENOENT) {
		pr_err("failed to start top: table %s not loaded (tc_flowmon_user load, or "
		       "tc_flowmon.sh start)\n", o->map_path);
		return 1;
	}
	if (cmd_open_pinned(o, &flows, &counters, &events))
		return 1;
	if (events >= 0)
		close(events);
	t.o = o;
	if (collector_init(&t.c, flows, counters, -1, -1, &cfg, NULL, NULL))
		goto cleanup;
	if (top_alloc(&t)) {
		pr_err("failed to allocate the view of %u flows: %s\n", t.c.max_entries,
		       strerror(ENOMEM));
		goto cleanup_collector;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = top_loop(&t);
cleanup_collector:
	collector_free(&t.c);
cleanup:
	top_free(&t);
	close(flows);
	if (counters >= 0)
		close(counters);
	return rc;
}
