// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* fmt_layout.c - a format's fixed order, then the fields it does not list. */
#include <string.h>
#include "fmt_layout.h"

static bool listed(const struct layout *l, unsigned int f, int d)
{
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (l->refs[i].field == f && l->refs[i].dir == d)
			return true;
	return false;
}

const struct field_ref *layout_walk(struct layout *l, bool (*has_name)(const struct field *f,
									 int d),
				    unsigned int *n)
{
	unsigned int f;
	int d;

	/* again when the plugins' fields changed */
	if (!l->ready || l->gen != fields_generation()) {
		memcpy(l->all, l->refs, l->n * sizeof(l->refs[0]));
		l->n_all = l->n;
		for (f = 0; f < field_count(); f++)
			for (d = FD_REC; d <= FD_REV; d++)
				if (has_name(field_at(f), d) && !listed(l, f, d))
					l->all[l->n_all++] = (struct field_ref){ f, d };
		l->ready = true;
		l->gen = fields_generation();
	}
	*n = l->n_all;
	return l->all;
}
