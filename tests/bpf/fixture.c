// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* fixture.c - load tc_flowmon_kern.o unpinned and run packets through it. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fixture.h"
#include "loader.h"

/* Where the object under test is: $FLOWMON_BPF_OBJ, else the tree this binary was built in. */
const char *fx_obj_path(void)
{
	static char path[PATH_MAX];
	char exe[PATH_MAX], *slash;
	const char *env = getenv("FLOWMON_BPF_OBJ");
	ssize_t n;

	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');	/* .output/tests/test_bpf */
		if (slash) {
			*slash = '\0';
			if (snprintf(path, sizeof(path), "%.*s/../../tc_flowmon_kern.o",
				     (int)(sizeof(path) - 32), exe) < (int)sizeof(path) &&
			    access(path, R_OK) == 0)
				return path;
		}
	}
	return "tc_flowmon_kern.o";
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

bool fx_xdp;

int fx_open(struct fx *f, const struct fx_cfg *cfg)
{
	static const char *const xdp_prog[] = { FLOWMON_PROG_XDP, NULL };
	struct loader_opts o = {
		.obj_path = fx_obj_path(),
		.replay = !(cfg && cfg->live),
		.max_flows = cfg && cfg->max_flows ? cfg->max_flows : 1024,
		.idle_ns = cfg ? cfg->idle_ns : 0,
		.active_ns = cfg ? cfg->active_ns : 0,
		.pin_dir = NULL,
		.precise_clock = cfg && cfg->precise_clock,
		.features_set = cfg && cfg->features_set,
		.features = cfg ? cfg->features : 0,
		.progs = fx_xdp ? xdp_prog : NULL,
	};
	int err;

	memset(f, 0, sizeof(*f));
	libbpf_set_print(quiet_print);
	err = loader_open(&o, &f->fm);
	if (err) {
		printf("#   loader_open(%s): %s\n", o.obj_path, strerror(-err));
		return err;
	}
	f->prog_xdp = fx_xdp ? loader_xdp_fd(f->fm) : -1;
	f->prog_in = loader_prog_fd(f->fm, true);
	f->prog_eg = loader_prog_fd(f->fm, false);
	f->flows_fd = loader_flows_fd(f->fm);
	f->cnt_fd = loader_counters_fd(f->fm);
	f->ev_fd = loader_events_fd(f->fm);
	f->ncpus = libbpf_num_possible_cpus();
	if ((fx_xdp && f->prog_xdp < 0) || f->prog_in < 0 || f->prog_eg < 0 || f->flows_fd < 0 || f->cnt_fd < 0 ||
	    f->ev_fd < 0 || f->ncpus <= 0) {
		loader_close(f->fm);
		f->fm = NULL;
		return -ENOENT;
	}
	return 0;
}

void fx_close(struct fx *f)
{
	ring_buffer__free(f->rb);
	f->rb = NULL;
	loader_close(f->fm);
	f->fm = NULL;
}

/* An ingress run at the XDP hook: the replay time in the metadata before the frame. */
static int run_xdp(struct fx *f, const void *data, size_t len, const struct fx_run *r,
		   uint32_t *retval)
{
	static __thread uint8_t in[FX_XDP_META + PKT_MAX], out[FX_XDP_META + PKT_MAX + 256];
	struct xdp_md ctx = {
		.data = FX_XDP_META,
		.data_end = FX_XDP_META + (__u32)len,
		.ingress_ifindex = r->ifindex ? r->ifindex : 1,
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in,
		.data_size_in = FX_XDP_META + (__u32)len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = r->repeat,
	);
	int err;

	if (r->gso_segs > 1 || r->wire_len || len > PKT_MAX) {
		printf("#   an XDP run has no GSO, no replayed wire length, at most %d bytes\n",
		       PKT_MAX);
		return -ENOTSUP;
	}
	memcpy(in, &r->ts, FX_XDP_META);
	memcpy(in + FX_XDP_META, data, len);
	err = bpf_prog_test_run_opts(f->prog_xdp, &opts);
	if (err)
		return err < 0 ? err : -errno;
	if (retval)
		*retval = opts.retval;
	if (opts.data_size_out != FX_XDP_META + len || memcmp(out, in, FX_XDP_META + len))
		return -EILSEQ;
	return 0;
}

int fx_run_raw(struct fx *f, const void *data, size_t len, const struct fx_run *r,
	       uint32_t *retval)
{
	struct __sk_buff ctx = {
		.tstamp = r->ts,
		.ifindex = r->ifindex ? r->ifindex : 1,
		.gso_segs = r->gso_segs,
		.gso_size = r->gso_size,
		.wire_len = r->wire_len > 65535 ? 65535 : r->wire_len,
		.cb = { r->wire_len },	/* the replayed packet's length (testrun.c) */
	};
	static __thread uint8_t out[PKT_MAX + 256];
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = data,
		.data_size_in = (__u32)len,
		.data_out = out,
		.data_size_out = sizeof(out),
		.ctx_in = &ctx,
		.ctx_size_in = sizeof(ctx),
		.repeat = r->repeat,
	);
	int err;

	if (fx_xdp && !r->egress)
		return run_xdp(f, data, len, r, retval);
	err = bpf_prog_test_run_opts(r->egress ? f->prog_eg : f->prog_in, &opts);
	if (err)
		return err < 0 ? err : -errno;
	if (retval)
		*retval = opts.retval;
	if (opts.data_size_out != len || memcmp(out, data, len))
		return -EILSEQ;	/* the program changed the packet */
	return 0;
}

int fx_run_at(struct fx *f, const struct pkt *p, const struct fx_run *r, const char *file,
	      int line)
{
	uint32_t retval = 0;
	int err;

	if (p->overflow) {
		printf("#   %s:%d: packet builder overflow\n", file, line);
		testlib_failed = 1;
		return -1;
	}
	/* the data buffer is per call, the repeat runs share it: fine for threads too */
	err = fx_run_raw(f, p->buf, p->len, r, &retval);
	if (err == -EILSEQ) {
		printf("#   %s:%d: the program changed the packet data\n", file, line);
		testlib_failed = 1;
		return -1;
	}
	if (err) {
		printf("#   %s:%d: BPF_PROG_TEST_RUN: %s\n", file, line, strerror(-err));
		testlib_failed = 1;
		return -1;
	}
	if (fx_xdp && !r->egress && retval != FX_XDP_PASS) {
		printf("#   %s:%d: retval %d, expected XDP_PASS\n", file, line, (int)retval);
		testlib_failed = 1;
		return -1;
	}
	if ((!fx_xdp || r->egress) && retval != TC_ACT_UNSPEC_U) {
		printf("#   %s:%d: retval %d, expected TC_ACT_UNSPEC (-1)\n", file, line,
		       (int)retval);
		testlib_failed = 1;
		return -1;
	}
	return 0;
}

int fx_lookup(struct fx *f, const struct flow_key *k, struct flow_side *out)
{
	struct flow_metrics m;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));	/* a short table's entries fill the start only */
	if (bpf_map_lookup_elem(f->flows_fd, k, &m))
		return -errno;
	flow_side_decode(&m, out);
	out->ipver = k->ipver;
	return 0;
}

int fx_lookup_raw(struct fx *f, const struct flow_key *k, struct flow_metrics *out)
{
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(f->flows_fd, k, out))
		return -errno;
	return 0;
}

const char *fx_key_str(const struct flow_key *k)
{
	static __thread char buf[160];
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int af = k->ipver == 6 ? AF_INET6 : AF_INET;

	inet_ntop(af, k->saddr, s, sizeof(s));
	inet_ntop(af, k->daddr, d, sizeof(d));
	snprintf(buf, sizeof(buf), "v%u proto %u %s:%u > %s:%u", k->ipver, k->proto, s, k->sport,
		 d, k->dport);
	return buf;
}

int fx_check_flow(struct fx *f, const struct flow_key *k, uint64_t pkts, uint64_t bytes,
		  struct flow_side *out, const char *file, int line)
{
	struct flow_side s;
	int err = fx_lookup(f, k, &s);

	if (out)
		*out = s;
	if (err) {
		printf("#   %s:%d: no entry for %s: %s\n", file, line, fx_key_str(k),
		       strerror(-err));
		testlib_failed = 1;
		return -1;
	}
	if (s.packets != pkts || s.bytes != bytes) {
		printf("#   %s:%d: %s: packets %llu bytes %llu, expected %llu and %llu\n", file,
		       line, fx_key_str(k), (unsigned long long)s.packets,
		       (unsigned long long)s.bytes, (unsigned long long)pkts,
		       (unsigned long long)bytes);
		testlib_failed = 1;
		return -1;
	}
	return 0;
}

int fx_count_flows(struct fx *f)
{
	struct flow_key k, next;
	int n = 0, err;

	err = bpf_map_get_next_key(f->flows_fd, NULL, &next);
	while (!err) {
		n++;
		k = next;
		err = bpf_map_get_next_key(f->flows_fd, &k, &next);
	}
	return n;
}

uint64_t fx_counter(struct fx *f, int idx)
{
	uint64_t *v = calloc((size_t)f->ncpus, sizeof(*v)), sum = 0;
	__u32 key = (__u32)idx;
	int i;

	if (!v)
		return UINT64_MAX;
	if (bpf_map_lookup_elem(f->cnt_fd, &key, v)) {
		free(v);
		return UINT64_MAX;
	}
	for (i = 0; i < f->ncpus; i++)
		sum += v[i];
	free(v);
	return sum;
}

void fx_counters(struct fx *f, uint64_t out[CNT_MAX])
{
	int i;

	for (i = 0; i < CNT_MAX; i++)
		out[i] = fx_counter(f, i);
}

void fx_check_counters(struct fx *f, const uint64_t exp[CNT_MAX], const char *file, int line)
{
	static const char *const names[CNT_MAX] = FLOWMON_COUNTER_NAMES;
	uint64_t got[CNT_MAX];
	int i;

	fx_counters(f, got);
	for (i = 0; i < CNT_MAX; i++) {
		if (got[i] == exp[i])
			continue;
		printf("#   %s:%d: counter %s == %llu, expected %llu\n", file, line, names[i],
		       (unsigned long long)got[i], (unsigned long long)exp[i]);
		testlib_failed = 1;
	}
}

struct ev_sink {
	struct fx_event *ev;
	int max;
	int n;
};

static void ev_half(struct ev_sink *s, const struct flow_key *k, const struct flow_metrics *m,
		    uint8_t reason)
{
	if (s->n < s->max) {
		s->ev[s->n].key = *k;
		s->ev[s->n].stats = *m;
		s->ev[s->n].reason = reason;
	}
	s->n++;
}

static struct ev_sink *cur_sink;

static int ev_cb(void *ctx, void *data, size_t size)
{
	struct ev_sink *s = cur_sink;
	struct flow_event ev, *e = &ev;

	if (size != sizeof(struct flow_event) && size != FLOW_EVENT_HALF) {
		printf("#   ring buffer record of %zu bytes, expected %zu or %zu\n", size,
		       sizeof(struct flow_event), (size_t)FLOW_EVENT_HALF);
		testlib_failed = 1;
		return 0;
	}
	memcpy(&ev, data, size);
	if (size == FLOW_EVENT_HALF)
		ev.has_b = 0;
	if (e->has_a)
		ev_half(s, &e->key_a, &e->a, e->reason);
	if (e->has_b)
		ev_half(s, &e->key_b, &e->b, e->reason);
	if (!e->has_a && !e->has_b) {
		printf("#   ring buffer record with no half\n");
		testlib_failed = 1;
	}
	return 0;
}

int fx_events(struct fx *f, struct fx_event *ev, int max)
{
	struct ev_sink s = { .ev = ev, .max = max };
	int err;

	if (!f->rb) {
		f->rb = ring_buffer__new(f->ev_fd, ev_cb, NULL, NULL);
		if (!f->rb)
			return -errno;
	}
	cur_sink = &s;
	err = ring_buffer__consume(f->rb);
	cur_sink = NULL;
	return err < 0 ? err : s.n;
}

uint32_t fx_next_seq(struct fx *f, const struct flow_key *k)
{
	struct flow_metrics m;

	return fx_lookup_raw(f, k, &m) ? 0xdeadbeef : m.next_seq;
}

uint32_t fx_hole_seq(struct fx *f, const struct flow_key *k)
{
	struct flow_metrics m;

	return fx_lookup_raw(f, k, &m) ? 0xdeadbeef : m.hole_seq;
}

void key_v4(struct flow_key *k, uint8_t proto, const char *s, const char *d, uint16_t sport,
	    uint16_t dport)
{
	uint32_t a;

	memset(k, 0, sizeof(*k));
	a = ip4_addr(s);
	memcpy(k->saddr, &a, 4);
	a = ip4_addr(d);
	memcpy(k->daddr, &a, 4);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->ipver = 4;
}

void key_v6(struct flow_key *k, uint8_t proto, const char *s, const char *d, uint16_t sport,
	    uint16_t dport)
{
	memset(k, 0, sizeof(*k));
	ip6_addr(s, k->saddr);
	ip6_addr(d, k->daddr);
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	k->ipver = 6;
}

static __thread cpu_set_t saved_set;
static __thread int saved;

int fx_pin_cpu(int cpu)
{
	cpu_set_t set;
	int err;

	if (!saved && !pthread_getaffinity_np(pthread_self(), sizeof(saved_set), &saved_set))
		saved = 1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	return -err;
}

void fx_unpin(void)
{
	if (saved)
		pthread_setaffinity_np(pthread_self(), sizeof(saved_set), &saved_set);
	saved = 0;
}

uint32_t fx_other_ifindex(char *name, size_t len)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	uint32_t idx = 0;

	if (!ifs)
		return 0;
	for (i = ifs; i->if_index; i++) {
		if (i->if_index != 1 && strcmp(i->if_name, "lo")) {
			idx = i->if_index;
			if (name)
				snprintf(name, len, "%s", i->if_name);
			break;
		}
	}
	if_freenameindex(ifs);
	return idx;
}

void mk_v4_udp(struct pkt *p, const char *s, const char *d, uint16_t sport, uint16_t dport,
	       size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = s, .daddr = d });
	pkt_udp(p, sport, dport);
	pkt_payload(p, payload);
	pkt_finish(p);
}

void mk_v6_udp(struct pkt *p, const char *s, const char *d, uint16_t sport, uint16_t dport,
	       size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = s, .daddr = d });
	pkt_udp(p, sport, dport);
	pkt_payload(p, payload);
	pkt_finish(p);
}

void mk_v4_tcp(struct pkt *p, const char *s, const char *d, const struct tcp_opts *t,
	       size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = s, .daddr = d });
	pkt_tcp(p, t);
	pkt_payload(p, payload);
	pkt_finish(p);
}

void mk_v6_tcp(struct pkt *p, const char *s, const char *d, const struct tcp_opts *t,
	       size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = s, .daddr = d });
	pkt_tcp(p, t);
	pkt_payload(p, payload);
	pkt_finish(p);
}
