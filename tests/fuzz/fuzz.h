/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share (make fuzz).
 *
 * Each harness is one LLVMFuzzerTestOneInput over one part of the code,
 * built with clang -fsanitize=fuzzer,address,undefined; a finding is a
 * crash, a sanitizer report, a leak, or a broken invariant (fuzz_check
 * aborts). The program's own messages (pr_err, help text) go to the
 * stdio streams, which the harnesses send to /dev/null; libFuzzer and the
 * sanitizers write to the file descriptors themselves, so their reports
 * still reach the terminal.
 */
#ifndef __FLOWMON_FUZZ_H
#define __FLOWMON_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* stdout and stderr (the FILE streams, not fds 1 and 2) to /dev/null, once. */
void fuzz_quiet(void);

/* A broken invariant: say which, then abort (libFuzzer keeps the input). */
#define fuzz_check(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fuzz_fail(__FILE__, __LINE__, #cond);                 \
		}                                                             \
	} while (0)
void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* A reader over the fuzzer's bytes: values run out as zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t left;
};

uint8_t fuzz_u8(struct fuzz_in *in);
uint16_t fuzz_u16(struct fuzz_in *in);
uint32_t fuzz_u32(struct fuzz_in *in);
uint64_t fuzz_u64(struct fuzz_in *in);
/* Up to n bytes into out (zeros past the end); returns how many were real. */
size_t fuzz_bytes(struct fuzz_in *in, void *out, size_t n);

#endif /* __FLOWMON_FUZZ_H */
