// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* main.c - BPF_PROG_TEST_RUN tier: every BPF_TEST, then a check that bpffs is as it was. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "fixture.h"

#define BPFFS		"/sys/fs/bpf"
#define MAX_ENTRIES	4096

struct listing {
	char *name[MAX_ENTRIES];
	int n;
};

static struct listing before;

/* Every path under /sys/fs/bpf (two levels: pin dirs such as tc/globals hold the pins). */
static void list_dir(struct listing *l, const char *dir, int depth)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d)) && l->n < MAX_ENTRIES) {
		char path[4096];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		l->name[l->n++] = strdup(path);
		if (depth < 3 && !lstat(path, &st) && S_ISDIR(st.st_mode))
			list_dir(l, path, depth + 1);
	}
	closedir(d);
}

static int listed(const struct listing *l, const char *path)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (l->name[i] && !strcmp(l->name[i], path))
			return 1;
	return 0;
}

/* Registered from main(), after every constructor: it runs last. */
static void test_no_bpffs_entries_left(void)
{
	struct listing after = { 0 };
	int i;

	if (geteuid() != 0)
		SKIP("not root");
	list_dir(&after, BPFFS, 0);
	for (i = 0; i < after.n; i++) {
		if (!listed(&before, after.name[i]))
			FAILF("new bpffs entry left behind: %s", after.name[i]);
		free(after.name[i]);
	}
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() == 0)
		list_dir(&before, BPFFS, 0);
	else
		printf("# not root: every BPF_PROG_TEST_RUN test is skipped\n");
	testlib_register("no_bpffs_entries_left", test_no_bpffs_entries_left);
	return testlib_main(argc, argv);
}
