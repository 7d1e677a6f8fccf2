// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* records.c - records of a fuzzed replay: decoded, formatted, counted (records.h). */
#include <string.h>
#include "flowtable.h"
#include "format.h"
#include "fuzz.h"
#include "records.h"

/* Each format writes one line that ends the buffer's text with its only newline. */
static void format_all(const struct flow_record *r)
{
	static char buf[65536];
	const struct record_format *f;
	int i, n;

	for (i = 0; (f = format_at(i)); i++) {
		n = f->record(r, NULL, buf, sizeof(buf));
		fuzz_check(n > 0 && (size_t)n < sizeof(buf));
		fuzz_check(buf[n - 1] == '\n' && memchr(buf, '\n', n) == buf + n - 1);
	}
}

void fuzz_on_event(void *ctx, const struct flow_event *ev)
{
	struct fuzz_records *fr = ctx;
	struct flow_record r;

	if (!flow_record_from_event(&r, ev, 0))
		return;
	fr->records++;
	fr->packets += r.fwd.packets + (r.has_rev ? r.rev.packets : 0);
	format_all(&r);
}

void fuzz_check_conservation(const struct fuzz_records *fr, const uint64_t cnt[CNT_MAX],
			     uint64_t frames)
{
	uint64_t aside = cnt[CNT_NON_IP] + cnt[CNT_TABLE_FULL_PKTS] + cnt[CNT_ERR_L2] +
			 cnt[CNT_ERR_IP4] + cnt[CNT_ERR_IP6] + cnt[CNT_ERR_IP6_EXT] +
			 cnt[CNT_ERR_L4] + cnt[CNT_RACE_LOST];

	fuzz_check(fr->packets + aside == frames);
}
