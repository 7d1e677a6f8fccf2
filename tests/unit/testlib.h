/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * testlib.h - a tiny TAP test harness shared by the C test tiers.
 *
 *   TEST(merge_icmp_echo) { CHECK_EQ(a, b); ... }
 *
 * Tests register themselves (constructor); testlib_main() runs them (or
 * those whose name contains argv[1]) and prints TAP: "ok N name",
 * "not ok N name", "ok N name # SKIP reason". tests/run.sh counts them.
 */
#ifndef __FLOWMON_TESTLIB_H
#define __FLOWMON_TESTLIB_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);

struct test_case {
	const char *name;
	test_fn fn;
};

void testlib_register(const char *name, test_fn fn);
int testlib_main(int argc, char **argv);

/* Helpers of tests that touch files and local time (testlib.c). */
#include <stdbool.h>
/* TZ for one test; tl_tz_restore() puts back what it was (other tests read local time). */
void tl_tz_set(const char *tz);
void tl_tz_restore(void);
/* A new folder /tmp/flowmon-TAG.XXXXXX into buf. */
bool tl_mkdtemp(char *buf, size_t len, const char *tag);
/* rm -r of a folder tl_mkdtemp made (nothing outside /tmp/flowmon-). */
void tl_rm_tree(const char *path);
/* A whole file (or what a pipe gives until its end), malloc'ed; NULL if unreadable. */
char *tl_slurp(const char *path);

/* State of the running test. */
extern int testlib_failed;
extern const char *testlib_skip;

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void register_##name(void)      \
	{                                                                   \
		testlib_register(#name, test_##name);                       \
	}                                                                   \
	static void test_##name(void)

#define FAILF(fmt, ...)                                                     \
	do {                                                                \
		printf("#   %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__); \
		testlib_failed = 1;                                         \
	} while (0)

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond))                                                \
			FAILF("CHECK(%s) failed", #cond);                   \
	} while (0)

#define CHECK_EQ(a, b)                                                      \
	do {                                                                \
		unsigned long long _a = (unsigned long long)(a);            \
		unsigned long long _b = (unsigned long long)(b);            \
		if (_a != _b)                                               \
			FAILF("%s == %llu, expected %s == %llu", #a, _a, #b, _b); \
	} while (0)

#define CHECK_STR(a, b)                                                     \
	do {                                                                \
		const char *_a = (a), *_b = (b);                            \
		if (!_a || !_b || strcmp(_a, _b))                           \
			FAILF("%s == \"%s\", expected \"%s\"", #a, _a ? _a : "(null)", \
			      _b ? _b : "(null)");                          \
	} while (0)

/* Stop the current test here (after a fatal failure). */
#define REQUIRE(cond)                                                       \
	do {                                                                \
		if (!(cond)) {                                              \
			FAILF("REQUIRE(%s) failed", #cond);                 \
			return;                                             \
		}                                                           \
	} while (0)

#define SKIP(reason)                                                        \
	do {                                                                \
		testlib_skip = (reason);                                    \
		return;                                                     \
	} while (0)

#endif /* __FLOWMON_TESTLIB_H */
