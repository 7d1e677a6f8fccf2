/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * engine.h - the datapath of tc_flowmon_kern.o compiled into userland: the
 * offline engine of `tc_flowmon_user -r`. The same parsers, accounting and
 * sweeper (src/datapath) run over tables in process memory, on capture
 * time, with no system call per packet.
 */
#ifndef __FLOWMON_ENGINE_H
#define __FLOWMON_ENGINE_H

#include <stdint.h>
#include "flowmon.h"

typedef void (*fm_event_fn)(void *ctx, const struct flow_event *ev);

struct fm_native_opts {
	uint32_t max_flows;		/* 0: FLOWMON_DEFAULT_MAX_FLOWS */
	uint64_t idle_ns;		/* record split on idle (0: off) */
	uint64_t active_ns;		/* record split on active timeout (0: off) */
	uint8_t features;		/* FLOWMON_F_* */
	fm_event_fn on_event;		/* every record the datapath ends */
	void *ctx;
};

struct fm_native;

/* NULL when out of memory. Only one engine may exist at a time. */
struct fm_native *fm_native_new(const struct fm_native_opts *o);
void fm_native_free(struct fm_native *e);

/*
 * One captured frame: an Ethernet header first (fake_l2: made up by a link
 * type converter), caplen bytes of it in memory, wire_len on the wire,
 * captured at ts_ns. Metered as the kernel's replay meters it: ingress of
 * interface 1.
 */
void fm_native_packet(struct fm_native *e, const uint8_t *frame, uint32_t caplen,
		      uint32_t wire_len, uint64_t ts_ns, int fake_l2);
/* One pass of the sweeper (sweep.h) over the table. */
void fm_native_sweep(struct fm_native *e, struct flowmon_sweep *a);
void fm_native_counters(const struct fm_native *e, uint64_t out[CNT_MAX]);
uint32_t fm_native_flows(const struct fm_native *e);
uint32_t fm_native_max_flows(const struct fm_native *e);

#endif /* __FLOWMON_ENGINE_H */
