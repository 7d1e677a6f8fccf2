/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * format.h - the local record formats (--format NAME, -j = json). A format
 * is one file (fmt_<name>.c) that walks the field table (fields.h) and is
 * registered in one place, the table in format.c. IPFIX is not one of them:
 * it is an export (ipfix.c), driven by the same field table.
 */
#ifndef __FLOWMON_FORMAT_H
#define __FLOWMON_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include "flowrec.h"
#include "output.h"

/* For help and error messages: every registered name. */
#define FORMAT_NAMES "text, json, brief"

struct record_format {
	const char *name;
	const char *help;
	/* Header line of each new file (NULL: none). Bytes written, or -1 if len is too small. */
	int (*header)(char *buf, size_t len);
	/* One record, one line ending in "\n". Bytes written, or -1 if len is too small. */
	int (*record)(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len);
};

/* The brief format's pieces, which top also draws with (fmt_brief.c). */
struct flow_view;
const char *brief_proto(uint8_t proto, char *buf, size_t len);
const char *brief_count(uint64_t v, char *buf, size_t len);
const char *brief_duration(int64_t ms, char *buf, size_t len);
const char *brief_reason(uint8_t reason);
const char *brief_endpoint(const struct flow_view *v, bool dst, char *buf, size_t len);

/* The format named name, NULL if there is none. */
const struct record_format *format_find(const char *name);
/* Registered formats, in FORMAT_NAMES order; NULL past the end. */
const struct record_format *format_at(int i);

#endif /* __FLOWMON_FORMAT_H */
