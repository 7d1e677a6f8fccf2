/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* records.h - the records an engine ends, through the record model and every format. */
#ifndef __FLOWMON_FUZZ_RECORDS_H
#define __FLOWMON_FUZZ_RECORDS_H

#include <stdint.h>
#include "flowmon.h"

struct fuzz_records {
	uint64_t records;	/* merged records written */
	uint64_t packets;	/* their packets, both directions */
};

/* The engine's on_event callback (ctx: struct fuzz_records). */
void fuzz_on_event(void *ctx, const struct flow_event *ev);

/*
 * Every frame the engine was given is counted once: in a record, or in one
 * of the counters of packets not accounted (parse errors, non-IP, full table).
 */
void fuzz_check_conservation(const struct fuzz_records *fr, const uint64_t cnt[CNT_MAX],
			     uint64_t frames);

#endif /* __FLOWMON_FUZZ_RECORDS_H */
