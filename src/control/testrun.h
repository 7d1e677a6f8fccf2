/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* testrun.h - one frame through the kernel's program by BPF_PROG_TEST_RUN. */
#ifndef __FLOWMON_TESTRUN_H
#define __FLOWMON_TESTRUN_H

#include <stdint.h>

/* Run one Ethernet frame through prog_fd at time ts_ns (epoch ns). 0 or -errno. */
int replay_packet(int prog_fd, const uint8_t *eth, uint32_t len, uint64_t ts_ns);
/*
 * The same, for a frame whose packet was wire_len bytes long before capture
 * cut it; fake_l2: its Ethernet header was made up (another link type).
 */
int replay_frame(int prog_fd, const uint8_t *eth, uint32_t len, uint32_t wire_len,
		 uint64_t ts_ns, int fake_l2);

#endif /* __FLOWMON_TESTRUN_H */
