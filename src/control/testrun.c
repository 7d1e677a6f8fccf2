// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * testrun.c - one frame through the program with BPF_PROG_TEST_RUN.
 * Apart from replay.c: libpcap's <pcap/bpf.h> and <linux/bpf.h> collide.
 */
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "testrun.h"

/*
 * BPF_PROG_TEST_RUN takes at most about a page of packet data, and copies
 * what it takes. The program reads headers only (at most Ethernet, 8 VLAN
 * tags, 40 + 512 bytes of IPv6 headers and 60 of TCP: under 700), and byte
 * counts come from the IP length fields, so a frame is cut at 1 KiB; its
 * real length travels in cb[0], for the packets
 * whose IP length field is 0 (TSO/BIG TCP captures) and the check that
 * a length field stays inside the frame.
 */
#define REPLAY_MAX_FRAME 1024
#define ETH_HDR_LEN 14

int replay_frame(int prog_fd, const uint8_t *eth, uint32_t len, uint32_t wire_len,
		 uint64_t ts_ns, int fake_l2)
{
	struct __sk_buff ctx = {
		.tstamp = ts_ns,
		.ifindex = 1,		/* lo: exists in every network namespace */
		/* the kernel rejects wire_len above 64 KiB (GSO_LEGACY_MAX_SIZE) */
		.wire_len = wire_len > 65535 ? 65535 : wire_len,
		/* so the original length travels here (tc_flowmon_kern.c) */
		.cb = { wire_len, !!fake_l2 },
	};
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = eth,
		    .data_size_in = len > REPLAY_MAX_FRAME ? REPLAY_MAX_FRAME : len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	if (len < ETH_HDR_LEN)
		return -EINVAL;
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	return 0;
}

int replay_packet(int prog_fd, const uint8_t *eth, uint32_t len, uint64_t ts_ns)
{
	return replay_frame(prog_fd, eth, len, len, ts_ns, 0);
}

