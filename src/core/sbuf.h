/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* sbuf.h - a bounded string writer for the record formats. */
#ifndef __FLOWMON_SBUF_H
#define __FLOWMON_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A bounded writer: the first piece that does not fit marks the buffer
 * full, and the caller gets -1 instead of a truncated record.
 */
struct sbuf {
	char *buf;
	size_t len;
	size_t pos;
	bool full;
	unsigned int items;	/* columns or JSON members written so far */
};

void sb_init(struct sbuf *b, char *buf, size_t len);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_write(struct sbuf *b, const char *s, size_t n);
void sb_puts(struct sbuf *b, const char *s);
/* Decimal digits without printf: a record has about 200 numbers. */
void sb_u64(struct sbuf *b, uint64_t v);
void sb_i64(struct sbuf *b, int64_t v);
/* Bytes written, or -1 (and an empty buffer) when something did not fit. */
int sb_finish(struct sbuf *b);
/* "aa:bb:cc:dd:ee:ff" */
void sb_mac(struct sbuf *b, const uint8_t *mac);
/* A JSON string: quotes, backslashes and controls escaped, bad UTF-8 as U+FFFD. */
void sb_json_str(struct sbuf *b, const char *str);

#endif /* __FLOWMON_SBUF_H */
