// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fuzz_linktype.c - frame_to_eth() (src/core/linktype.c): a fuzzed packet
 * of any link type into an Ethernet frame, into an output buffer of a
 * fuzzed size.
 *
 * Input: [u8 link type choice][u32 raw link type][u16 output size][packet].
 * Invariants: a link type linktype_supported() refuses gives 0; a frame is
 * never longer than the buffer and never shorter than an Ethernet header;
 * one built for another link type announces IPv4, IPv6 or a VLAN tag.
 */
#include <string.h>
#include "fuzz.h"
#include "linktype.h"

static const int known[] = { 0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 228, 229, 239, 276 };
#define N_KNOWN (int)(sizeof(known) / sizeof(known[0]))

static int ethertype_ok(const uint8_t *eth)
{
	uint16_t t = (uint16_t)(eth[12] << 8 | eth[13]);

	return t == 0x0800 || t == 0x86DD || t == 0x8100 || t == 0x88A8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[262144 + 64];
	struct fuzz_in in = { data, size };
	uint8_t choice = fuzz_u8(&in);
	uint32_t raw = fuzz_u32(&in);
	uint32_t outsz = fuzz_u16(&in) % 2048;
	int lt = choice < N_KNOWN ? known[choice] : (int)raw, n;

	if (choice == N_KNOWN)
		outsz = sizeof(out);	/* the size replay.c gives */
	n = frame_to_eth(lt, in.p, (uint32_t)in.left, out, outsz);
	fuzz_check(n >= -1 && n <= (int)outsz);
	if (!linktype_supported(lt))
		fuzz_check(n == 0);
	if (n > 0) {
		fuzz_check(n >= 14);
		if (lt != 1)
			fuzz_check(ethertype_ok(out));
		else
			fuzz_check(!memcmp(out, in.p, n));
	}
	fuzz_check(!linktype_supported(lt) || linktype_min_snaplen(lt) >= 20);
	return 0;
}
