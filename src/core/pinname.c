// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* pinname.c - the pinned names of one instance's maps (see pinname.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "flowmon.h"
#include "pinname.h"

#define MAP_PREFIX "flowmon"	/* every map of the object is named flowmon_<what> */
#define TABLE_SUFFIX "_stats"

int pin_name(const char *table, const char *map_name, char *out, size_t len)
{
	size_t tlen = strlen(table), slen = strlen(TABLE_SUFFIX);
	const char *what = map_name;
	int n;

	if (!strcmp(map_name, FLOWMON_MAP_FLOWS)) {
		n = snprintf(out, len, "%s", table);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	/* the instance's prefix: the table name less a trailing "_stats" */
	if (tlen > slen && !strcmp(table + tlen - slen, TABLE_SUFFIX))
		tlen -= slen;
	if (!strncmp(map_name, MAP_PREFIX, strlen(MAP_PREFIX)))
		what = map_name + strlen(MAP_PREFIX);
	else
		what = "";	/* not one of ours by name: keep it whole after a '_' */
	n = snprintf(out, len, "%.*s%s%s", (int)tlen, table, *what ? "" : "_",
		     *what ? what : map_name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int pin_sibling_path(const char *table_path, const char *map_name, char *out, size_t len)
{
	const char *slash = strrchr(table_path, '/');
	const char *table = slash ? slash + 1 : table_path;
	int dlen = slash ? (int)(slash - table_path) : 0;
	char name[256];
	int n;

	if (pin_name(table, map_name, name, sizeof(name)))
		return -ENAMETOOLONG;
	n = slash ? snprintf(out, len, "%.*s/%s", dlen, table_path, name) :
		    snprintf(out, len, "%s", name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
