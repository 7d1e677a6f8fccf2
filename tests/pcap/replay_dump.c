// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* replay_dump.c - replay one capture through tc_flowmon_kern.o and dump the flow table as CSV. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowmon.h"
#include "loader.h"
#include "replay.h"

#define DEFAULT_MAX_FLOWS	131072

static const char *usage =
	"usage: replay_dump [-o tc_flowmon_kern.o] [-n max_flows] FILE\n"
	"Replays FILE (pcap/pcapng) through the TC program with BPF_PROG_TEST_RUN\n"
	"(no timeouts, nothing pinned) and prints every flow-table entry as CSV on\n"
	"stdout, the replay and kernel counters on stderr. ICMP type/code are\n"
	"printed as sport 0, dport type*256+code (the refkit oracle convention).\n";

struct row {
	struct flow_key key;
	struct flow_metrics m;
};

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return memcmp(&x->key, &y->key, sizeof(x->key));
}

static void addr_str(const struct flow_key *k, const uint8_t *a, char *buf, size_t len)
{
	inet_ntop(k->ipver == 6 ? AF_INET6 : AF_INET, a, buf, len);
}

/* Every entry, read under its spin lock, sorted by key: one CSV line each. */
static int dump_flows(int fd)
{
	struct flow_key key, next, *prev = NULL;
	struct row *rows = NULL, *tmp;
	size_t n = 0, cap = 0, i;
	int err;

	while (!(err = bpf_map_get_next_key(fd, prev, &next))) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			tmp = realloc(rows, cap * sizeof(*rows));
			if (!tmp) {
				free(rows);
				fprintf(stderr, "failed to allocate flow rows: %s\n", strerror(ENOMEM));
				return -ENOMEM;
			}
			rows = tmp;
		}
		rows[n].key = next;
		if (bpf_map_lookup_elem(fd, &next, &rows[n].m)) {
			err = -errno;
			free(rows);
			fprintf(stderr, "failed to look up flow entry: %s\n", strerror(-err));
			return err;
		}
		n++;
		key = next;
		prev = &key;
	}
	if (err != -ENOENT && errno != ENOENT) {
		err = err < 0 ? err : -errno;
		free(rows);
		fprintf(stderr, "failed to walk flow table: %s\n", strerror(-err));
		return err;
	}
	qsort(rows, n, sizeof(*rows), row_cmp);
	printf("ipver,proto,src,sport,dst,dport,packets,l3_bytes,first,last,tcp_flags\n");
	for (i = 0; i < n; i++) {
		const struct flow_key *k = &rows[i].key;
		const struct flow_metrics *m = &rows[i].m;
		char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
		unsigned int sport = k->sport, dport = k->dport;

		if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
			dport = sport * 256 + dport;	/* type in sport, code in dport */
			sport = 0;
		}
		addr_str(k, k->saddr, src, sizeof(src));
		addr_str(k, k->daddr, dst, sizeof(dst));
		printf("%u,%u,%s,%u,%s,%u,%llu,%llu,%llu.%06llu,%llu.%06llu,0x%02x\n", k->ipver,
		       k->proto, src, sport, dst, dport, (unsigned long long)m->packets,
		       (unsigned long long)m->bytes,
		       (unsigned long long)(m->first_seen / 1000000000ULL),
		       (unsigned long long)(m->first_seen % 1000000000ULL / 1000),
		       (unsigned long long)(m->last_seen / 1000000000ULL),
		       (unsigned long long)(m->last_seen % 1000000000ULL / 1000), m->tcp_flags);
	}
	free(rows);
	return 0;
}

/* The per-CPU counters, summed, on one line. */
static int dump_counters(int fd)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;
	__u32 i;
	int c;

	if (ncpu < 1) {
		fprintf(stderr, "failed to count CPUs: %s\n", strerror(-ncpu));
		return ncpu;
	}
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals) {
		fprintf(stderr, "failed to allocate counter values: %s\n", strerror(ENOMEM));
		return -ENOMEM;
	}
	fprintf(stderr, "counters:");
	for (i = 0; i < CNT_MAX; i++) {
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &i, vals)) {
			c = -errno;
			fprintf(stderr, "\nfailed to read counter %s: %s\n", names[i], strerror(-c));
			free(vals);
			return c;
		}
		for (c = 0; c < ncpu; c++)
			sum += vals[c];
		fprintf(stderr, " %s=%llu", names[i], (unsigned long long)sum);
	}
	fprintf(stderr, "\n");
	free(vals);
	return 0;
}

int main(int argc, char **argv)
{
	struct loader_opts lo = {
		.replay = true,
		.max_flows = DEFAULT_MAX_FLOWS,
		.idle_ns = 0,		/* no kernel-side record splits: one entry per flow */
		.active_ns = 0,
		.pin_dir = NULL,
	};
	struct flowmon_bpf *fm = NULL;
	struct replay_stats st;
	char *end;
	int opt, err;

	while ((opt = getopt(argc, argv, "o:n:h")) != -1) {
		switch (opt) {
		case 'o':
			lo.obj_path = optarg;
			break;
		case 'n':
			errno = 0;
			lo.max_flows = strtoul(optarg, &end, 0);
			if (errno || *end || !lo.max_flows) {
				fprintf(stderr, "failed to parse max_flows %s: invalid number\n",
					optarg);
				return 2;
			}
			break;
		default:
			fputs(usage, opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return 2;
	}
	libbpf_set_print(libbpf_print);
	err = loader_open(&lo, &fm);
	if (err)
		return 1;
	struct replay_target t = { .prog_fd = loader_prog_fd(fm, true) };

	err = replay_file(argv[optind], &t, NULL, NULL, &st);
	fprintf(stderr, "replay: packets=%llu replayed=%llu skipped=%llu\n",
		(unsigned long long)st.packets, (unsigned long long)st.replayed,
		(unsigned long long)st.skipped);
	if (!err)
		err = dump_flows(loader_flows_fd(fm));
	if (!err)
		err = dump_counters(loader_counters_fd(fm));
	loader_close(fm);
	return err ? 1 : 0;
}
