// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fuzz_pcap.c - a fuzzed capture file (pcap or pcapng, any link type)
 * read the way `replay` reads it (src/io/replay.c on libpcap, link-type
 * conversion in src/core/linktype.c) into the native engine, then every
 * record through the record model and every format.
 *
 * Invariants: every packet read is replayed, skipped or counted as too
 * short; every replayed frame is counted once, in a record or in a counter
 * of frames not accounted.
 */
#include <stdio.h>
#include "engine.h"
#include "fuzz.h"
#include "records.h"
#include "replay.h"

#define NSEC		1000000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_records fr = { 0 };
	struct fm_native_opts o = {
		.max_flows = 1024,
		.idle_ns = 15 * NSEC,
		.active_ns = 60 * NSEC,
		.features = FLOWMON_F_ALL,
		.on_event = fuzz_on_event,
		.ctx = &fr,
	};
	struct replay_target t = { .prog_fd = -1 };
	struct flowmon_sweep a = { .mode = SWEEP_FLUSH, .idle_ns = 15 * NSEC };
	struct replay_stats st;
	struct capture *c;
	uint64_t cnt[CNT_MAX];
	FILE *f;

	fuzz_quiet();
	if (!size)
		return 0;
	f = fmemopen((void *)data, size, "rb");
	if (!f)
		return 0;
	c = replay_fopen(f, "fuzz");	/* takes f */
	if (!c)
		return 0;
	replay_check_snaplen(c);	/* a verdict only: the replay goes on */
	t.native = fm_native_new(&o);
	fuzz_check(t.native != NULL);
	replay_run(c, &t, NULL, NULL, &st);
	fm_native_sweep(t.native, &a);
	fm_native_counters(t.native, cnt);
	fuzz_check(st.replayed + st.skipped + st.short_link + st.failed == st.packets);
	fuzz_check(st.failed == 0);
	fuzz_check_conservation(&fr, cnt, st.replayed);
	fm_native_free(t.native);
	replay_close(c);
	return 0;
}
