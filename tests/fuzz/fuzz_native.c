// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fuzz_native.c - the datapath's general parser and accounting compiled
 * natively (src/native/engine.c, src/datapath/parse.h with FM_NATIVE): a
 * run of fuzzed frames, each with its own flags and time, through
 * fm_native_packet(), then the sweeper; every record through the record
 * model and every format.
 *
 * Input: frames, each [u16 length][u8 flags][u16 time step ms][u16 extra
 * wire bytes][frame]. Flags: bit 0 the Ethernet header was made up (another
 * link type), bit 1 a scan sweep after the frame.
 *
 * Invariant: every frame is counted once, in a record or in a counter of
 * frames not accounted.
 */
#include <string.h>
#include "engine.h"
#include "fuzz.h"
#include "records.h"

#define MAX_FRAMES	512
#define NSEC		1000000000ULL

static void sweep(struct fm_native *e, uint32_t mode, uint64_t now)
{
	struct flowmon_sweep a = {
		.now = now,
		.idle_ns = 15 * NSEC,
		.linger_ns = 2 * NSEC,
		.mode = mode,
		.lazy_idle = 1,
	};

	fm_native_sweep(e, &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[65536];
	struct fuzz_in in = { data, size };
	struct fuzz_records fr = { 0 };
	struct fm_native_opts o = {
		.max_flows = 1024,	/* the smallest the command line allows: a full table too */
		.idle_ns = 15 * NSEC,
		.active_ns = 60 * NSEC,
		.features = FLOWMON_F_ALL,
		.on_event = fuzz_on_event,
		.ctx = &fr,
	};
	uint64_t cnt[CNT_MAX], ts = 1700000000ULL * NSEC, frames = 0;
	struct fm_native *e;
	int i;

	fuzz_quiet();
	e = fm_native_new(&o);
	fuzz_check(e != NULL);
	for (i = 0; i < MAX_FRAMES && in.left >= 7; i++) {
		uint16_t len = fuzz_u16(&in);
		uint8_t flags = fuzz_u8(&in);
		uint16_t step = fuzz_u16(&in);
		uint16_t extra = fuzz_u16(&in);
		size_t got = fuzz_bytes(&in, frame, len);

		ts += (uint64_t)step * 1000000ULL;
		/* the engine reads only what it is given: caplen bytes, no more */
		fm_native_packet(e, frame, (uint32_t)got, (uint32_t)got + extra, ts, flags & 1);
		frames++;
		if (flags & 2)
			sweep(e, SWEEP_SCAN, ts);
	}
	sweep(e, SWEEP_SCAN, ts + 3 * NSEC);
	sweep(e, SWEEP_FLUSH, ts);
	fuzz_check(fm_native_flows(e) == 0);	/* the flush ended everything */
	fm_native_counters(e, cnt);
	fuzz_check_conservation(&fr, cnt, frames);
	fm_native_free(e);
	return 0;
}
