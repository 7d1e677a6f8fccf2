// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* common.c - the harnesses' shared helpers (fuzz.h), and what they link without libbpf. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "fuzz.h"
#include "replay.h"

void fuzz_quiet(void)
{
	static int done;
	FILE *null;

	if (done++)
		return;
	null = fopen("/dev/null", "w");
	if (!null)
		return;
	stdout = null;
	stderr = null;
}

void fuzz_fail(const char *file, int line, const char *what)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "%s:%d: invariant broken: %s\n", file, line, what);

	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg));
	abort();
}

uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	fuzz_bytes(in, &v, 1);
	return v;
}

uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v = 0;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v = 0;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v = 0;

	fuzz_bytes(in, &v, sizeof(v));
	return v;
}

size_t fuzz_bytes(struct fuzz_in *in, void *out, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	if (k)
		memcpy(out, in->p, k);
	if (n > k)
		memset((uint8_t *)out + k, 0, n - k);
	in->p += k;
	in->left -= k;
	return k;
}

/* The kernel engine is libbpf's: the harnesses replay natively only. */
int replay_frame(int prog_fd, const uint8_t *eth, uint32_t len, uint32_t wire_len,
		 uint64_t ts_ns, int fake_l2)
{
	return -EOPNOTSUPP;
}
