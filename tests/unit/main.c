// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* main.c - unit tests (no root): every TEST() linked into test_unit. */
#include "testlib.h"

int main(int argc, char **argv)
{
	return testlib_main(argc, argv);
}
