/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * now.h - userland's clock readings, in one place: nanoseconds of a
 * clock, and the offset from the kernel's clock (CLOCK_MONOTONIC, what
 * bpf_ktime_get_ns() and the flow table's times read) to wall-clock time.
 */
#ifndef __FLOWMON_NOW_H
#define __FLOWMON_NOW_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Add to a CLOCK_MONOTONIC time to get nanoseconds since the Unix epoch. */
static inline int64_t clock_wall_offset_ns(void)
{
	uint64_t mono = clock_ns(CLOCK_MONOTONIC);

	return (int64_t)(clock_ns(CLOCK_REALTIME) - mono);
}

#endif /* __FLOWMON_NOW_H */
