// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * gen_docs.c - "make docs": rewrite the generated sections of the files
 * named (see src/core/docgen.h); --check only reports the stale ones.
 */
#include <stdio.h>
#include <string.h>
#include "docgen.h"

int main(int argc, char **argv)
{
	bool write = !(argc > 1 && !strcmp(argv[1], "--check"));
	int i, n, rc = 0;

	for (i = write ? 1 : 2; i < argc; i++) {
		n = docgen_file(argv[i], write);
		if (n < 0) {
			fprintf(stderr, "failed to generate %s: %s\n", argv[i], strerror(-n));
			rc = 1;
		} else if (n) {
			printf("%s: %d section(s) %s\n", argv[i], n,
			       write ? "updated" : "out of date");
			rc |= !write;
		}
	}
	return rc;
}
