// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* testlib.c - registration and the TAP runner of testlib.h. */
#define _GNU_SOURCE	/* nftw */
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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

/* ---- files and local time -------------------------------------------- */

static char saved_tz[256];
static bool had_tz;

void tl_tz_set(const char *tz)
{
	const char *old = getenv("TZ");

	had_tz = old != NULL;
	if (old)
		snprintf(saved_tz, sizeof(saved_tz), "%s", old);
	setenv("TZ", tz, 1);
	tzset();
}

void tl_tz_restore(void)
{
	if (had_tz)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	tzset();
}

bool tl_mkdtemp(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/flowmon-%s.XXXXXX", tag);
	return mkdtemp(buf) != NULL;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void tl_rm_tree(const char *path)
{
	if (strncmp(path, "/tmp/flowmon-", 13) || strstr(path, ".."))
		return;	/* only ours */
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS))
		printf("#   failed to remove %s\n", path);
}

char *tl_slurp(const char *path)
{
	size_t cap = 0, len = 0;
	char *buf = NULL, *nb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				close(fd);
				return NULL;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		len += n > 0 ? (size_t)n : 0;
	} while (n > 0);
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}
