// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* testlib.c - registration and the TAP runner of testlib.h. */
#include <stdlib.h>
#include "testlib.h"

#define MAX_TESTS 1024

static struct test_case tests[MAX_TESTS];
static int n_tests;
int testlib_failed;
const char *testlib_skip;

void testlib_register(const char *name, test_fn fn)
{
	if (n_tests < MAX_TESTS)
		tests[n_tests++] = (struct test_case){ name, fn };
}

int testlib_main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int i, n = 0, bad = 0;

	for (i = 0; i < n_tests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		testlib_failed = 0;
		testlib_skip = NULL;
		tests[i].fn();
		fflush(stdout);
		n++;
		if (testlib_skip)
			printf("ok %d %s # SKIP %s\n", n, tests[i].name, testlib_skip);
		else if (testlib_failed)
			printf("not ok %d %s\n", n, tests[i].name);
		else
			printf("ok %d %s\n", n, tests[i].name);
		bad += testlib_failed && !testlib_skip;
	}
	printf("1..%d\n", n);
	return bad ? 1 : 0;
}
