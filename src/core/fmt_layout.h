/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * fmt_layout.h - how a format orders the field table: a layout (a list of
 * field forms) keeps the columns or keys users know in their order, and
 * every other field the format has a name for follows in table order. So a
 * new field is one row in fields.c: it shows up at the end of every format
 * that names it, with no format file to touch.
 */
#ifndef __FLOWMON_FMT_LAYOUT_H
#define __FLOWMON_FMT_LAYOUT_H

#include <stdbool.h>
#include "fields.h"

#define L_REC(f)	{ f, FD_REC }
#define L_FWD(f)	{ f, FD_FWD }
#define L_REV(f)	{ f, FD_REV }
#define L_PAIR(f)	L_FWD(f), L_REV(f)
/* every bucket of the size and TTL histograms, in one form */
#define SIZES(dir) dir(F_SIZE_0), dir(F_SIZE_0 + 1), dir(F_SIZE_0 + 2), dir(F_SIZE_0 + 3), \
	dir(F_SIZE_0 + 4), dir(F_SIZE_0 + 5)
#define TTLS(dir) dir(F_TTLH_0), dir(F_TTLH_0 + 1), dir(F_TTLH_0 + 2), dir(F_TTLH_0 + 3), \
	dir(F_TTLH_0 + 4), dir(F_TTLH_0 + 5), dir(F_TTLH_0 + 6), dir(F_TTLH_0 + 7),     \
	dir(F_TTLH_0 + 8), dir(F_TTLH_0 + 9)

struct layout {
	const struct field_ref *refs;
	unsigned int n;
	/* filled by layout_walk() on first use: fields and forms past the layout */
	bool ready;
	unsigned int gen;	/* fields_generation() it was filled for */
	unsigned int n_all;
	struct field_ref all[3 * (F_MAX + FIELDS_DYN_MAX)];
};

/*
 * The layout, then every form of every field for which has_name() is true
 * that the layout does not list, in table order (record, forward, reverse).
 */
const struct field_ref *layout_walk(struct layout *l, bool (*has_name)(const struct field *f,
									 int d),
				    unsigned int *n);

#endif /* __FLOWMON_FMT_LAYOUT_H */
