// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* format.c - the one place where record formats are registered. */
#include <string.h>
#include "format.h"

extern const struct record_format fmt_text, fmt_json, fmt_brief;

static const struct record_format *const formats[] = { &fmt_text, &fmt_json, &fmt_brief };

const struct record_format *format_at(int i)
{
	return i >= 0 && i < (int)(sizeof(formats) / sizeof(formats[0])) ? formats[i] : NULL;
}

const struct record_format *format_find(const char *name)
{
	const struct record_format *f;
	int i;

	for (i = 0; (f = format_at(i)); i++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}
