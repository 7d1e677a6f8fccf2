// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_profiles.c - BPF_PROG_TEST_RUN: a table's entries are as long as the
 * blocks of its profile (include/flowmon.h), and each profile counts the same
 * packets and bytes and meters what it says, in the table and in the records
 * the kernel ends (an idle split copies an entry into the ring).
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "fixture.h"
#include "loader.h"

#define A4 "10.9.0.1"
#define B4 "10.9.0.2"
#define MS 1000000ULL
#define F_TCP FLOWMON_F_TCP
#define F_L2 FLOWMON_F_L2
#define F_IAT FLOWMON_F_IAT
#define F_HIST FLOWMON_F_HIST

/*
 * Entry sizes worked out by hand from the layout: 64 hot bytes, then TCP
 * (5 x 4 + 4 x 2 + 1 + 3 pad + 2 x 8 = 48), L2 (6 + 6 + 2 x 2 = 16), IAT
 * (3 x 8 = 24), HIST (14 x 4 = 56); an entry ends with its last block on.
 */
static const struct {
	const char *name;
	uint8_t features;
	uint32_t size;
} profs[] = {
	{ "none", 0, 64 },
	{ "tcp", F_TCP, 112 },
	{ "l2", F_L2, 128 },
	{ "tcp,l2", F_TCP | F_L2, 128 },
	{ "iat", F_IAT, 152 },
	{ "tcp,iat", F_TCP | F_IAT, 152 },
	{ "hist", F_HIST, 208 },
	{ "all", FLOWMON_F_ALL, 208 },
};

static uint32_t value_size(struct fx *f)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(f->flows_fd, &info, &len) ? 0 : info.value_size;
}

/* SYN with MSS 1460 and window scale 7 (IP 48 B), then three 100-byte segments 1 ms apart. */
static void exchange(struct fx *f, uint64_t t0)
{
	struct tcp_optbuf_b o = { 0 };
	struct tcp_opts t = { .sport = 5000, .dport = 80, .seq = 1000, .flags = TH_SYN,
			      .window = 64240, .opt = &o };
	struct pkt p;
	int i;

	tcpopt_mss(&o, 1460);
	tcpopt_ws(&o, 7);
	mk_v4_tcp(&p, A4, B4, &t, 0);
	RUN(f, &p, .ts = t0);
	t.opt = NULL;
	t.flags = TH_ACK;
	t.seq = 1001;
	for (i = 1; i <= 3; i++, t.seq += 100) {
		mk_v4_tcp(&p, A4, B4, &t, 100);
		RUN(f, &p, .ts = t0 + i * MS);
	}
}

/* What each feature meters, from the exchange above (absent: a fresh record's values). */
static void check_side(const char *what, uint8_t feat, const struct flow_side *s)
{
	if (s->mss != (feat & F_TCP ? 1460 : 0) ||
	    s->wscale != (feat & F_TCP ? 7 : FLOW_WSCALE_NONE) ||
	    s->syn_win != (feat & F_TCP ? 64240 : 0))
		FAILF("%s: mss %u wscale %u syn_win %u", what, s->mss, s->wscale, s->syn_win);
	if (s->iat_min != (feat & F_IAT ? MS : ~0ULL) || s->iat_max != (feat & F_IAT ? MS : 0))
		FAILF("%s: iat %llu-%llu", what, (unsigned long long)s->iat_min,
		      (unsigned long long)s->iat_max);
	/* sizes: SYN 48 B (< 128), three 140 B (128-255) */
	if (s->size_hist[0] != (feat & F_HIST ? 1u : 0u) ||
	    s->size_hist[1] != (feat & F_HIST ? 3u : 0u))
		FAILF("%s: size buckets %u %u", what, s->size_hist[0], s->size_hist[1]);
	if (s->has_l2 != !!(feat & F_L2))
		FAILF("%s: has_l2 %d", what, s->has_l2);
}

BPF_TEST(profile_entry_size_and_metrics)
{
	struct fx_event ev[4];
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	char what[64];
	size_t i;

	key_v4(&k, PROTO_TCP, A4, B4, 5000, 80);
	for (i = 0; i < sizeof(profs) / sizeof(profs[0]); i++) {
		REQUIRE(fx_open(&f, &(struct fx_cfg){ .features_set = true,
						      .features = profs[i].features,
						      .idle_ns = NSEC_PER_SEC }) == 0);
		if (value_size(&f) != profs[i].size)
			FAILF("%s: entries of %u bytes, expected %u", profs[i].name,
			      value_size(&f), profs[i].size);
		exchange(&f, T0);
		snprintf(what, sizeof(what), "%s, in the table", profs[i].name);
		CHECK_FLOW(&f, &k, 4, 48 + 3 * 140, &s);
		check_side(what, profs[i].features, &s);

		/* 2 s later: the record ends idle, copied into the ring */
		mk_v4_tcp(&p, A4, B4, &(struct tcp_opts){ .sport = 5000, .dport = 80, .seq = 1301,
							  .flags = TH_ACK }, 0);
		RUN(&f, &p, .ts = T0 + 2 * NSEC_PER_SEC);
		if (fx_events(&f, ev, 4) != 1) {
			FAILF("%s: no idle record", profs[i].name);
		} else {
			snprintf(what, sizeof(what), "%s, the record ended", profs[i].name);
			flow_side_decode(&ev[0].stats, &s);
			if (s.packets != 4 || s.bytes != 48 + 3 * 140 ||
			    ev[0].stats.features != profs[i].features)
				FAILF("%s: %llu packets %llu bytes features 0x%x", what,
				      (unsigned long long)s.packets, (unsigned long long)s.bytes,
				      ev[0].stats.features);
			check_side(what, profs[i].features, &s);
		}
		CHECK_FLOW(&f, &k, 1, 40, NULL);	/* the new record: the last packet */
		fx_close(&f);
	}
}

/*
 * A hash table of our shape whose BTF puts next_seq at off_bytes: the
 * order of the blocks before entries followed the profile had it at 144.
 */
static int table_with_layout(uint32_t off_bytes, struct btf **out)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo);
	struct btf *btf = btf__new_empty();
	int u32, u64, key, val;

	*out = btf;
	if (!btf)
		return -1;
	u32 = btf__add_int(btf, "unsigned int", 4, 0);
	u64 = btf__add_int(btf, "unsigned long long", 8, 0);
	key = btf__add_struct(btf, "flow_key", sizeof(struct flow_key));
	btf__add_field(btf, "w", u64, 0, 0);
	val = btf__add_struct(btf, "flow_metrics", sizeof(struct flow_metrics));
	btf__add_field(btf, "owner", u32, 0, 0);
	btf__add_field(btf, "next_seq", u32, off_bytes * 8, 0);
	if (u32 < 0 || u64 < 0 || key < 0 || val < 0 || btf__load_into_kernel(btf))
		return -1;
	mo.btf_fd = btf__fd(btf);
	mo.btf_key_type_id = key;
	mo.btf_value_type_id = val;
	return bpf_map_create(BPF_MAP_TYPE_HASH, "flowmon_stats", sizeof(struct flow_key),
			      sizeof(struct flow_metrics), 64, &mo);
}

/* A table of the older layout is refused (an upgrade that kept it pinned); ours is taken. */
BPF_TEST(profile_refuses_older_layout)
{
	static const struct {
		uint32_t off;
		bool loads;
	} cases[] = { { 144, false }, { 64, true } };
	struct flowmon_bpf *fm;
	struct btf *btf;
	size_t i;
	int fd;

	for (i = 0; i < 2; i++) {
		struct loader_opts o = { .obj_path = fx_obj_path(), .replay = true,
					 .max_flows = 64 };

		fd = table_with_layout(cases[i].off, &btf);
		REQUIRE(fd > 0);
		o.flows_fd = fd;
		if ((loader_open(&o, &fm) == 0) != cases[i].loads)
			FAILF("next_seq at %u: loads %d, expected %d", cases[i].off,
			      !cases[i].loads, cases[i].loads);
		else if (cases[i].loads)
			loader_close(fm);
		close(fd);
		btf__free(btf);
	}
}
