// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* sbuf.c - a bounded string writer: no half record ever reaches a caller. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sbuf.h"


void sb_init(struct sbuf *b, char *buf, size_t len)
{
	b->buf = buf;
	b->len = buf ? len : 0;
	b->pos = 0;
	b->full = !b->len;
	b->items = 0;
	if (b->len)
		buf[0] = '\0';
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->pos) {
		b->full = true;
		return;
	}
	b->pos += n;
}

void sb_write(struct sbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (n >= b->len - b->pos) {
		b->full = true;
		return;
	}
	memcpy(b->buf + b->pos, s, n);
	b->pos += n;	/* sb_finish() ends the string */
}

/* Two digits per divide: a record has about 200 numbers, most of them small. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

void sb_u64(struct sbuf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	if (v < 10 && !b->full && b->len - b->pos > 1) {
		b->buf[b->pos++] = (char)('0' + v);	/* the most common number */
		return;
	}
	while (v >= 100) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + (v % 100) * 2, 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + v * 2, 2);
	} else {
		tmp[--i] = (char)('0' + v);
	}
	sb_write(b, tmp + i, sizeof(tmp) - i);
}

void sb_i64(struct sbuf *b, int64_t v)
{
	if (v < 0) {
		sb_write(b, "-", 1);
		sb_u64(b, -(uint64_t)v);
		return;
	}
	sb_u64(b, (uint64_t)v);
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_write(b, s, strlen(s));
}

int sb_finish(struct sbuf *b)
{
	if (!b->full)
		b->buf[b->pos] = '\0';	/* sb_write() left room for it */
	if (b->full) {
		if (b->len)
			b->buf[0] = '\0';	/* no half record for a careless caller */
		return -1;
	}
	return (int)b->pos;
}


void sb_mac(struct sbuf *b, const uint8_t *m)
{
	static const char hex[] = "0123456789abcdef";
	char s[17];
	int i;

	for (i = 0; i < 6; i++) {
		s[3 * i] = hex[m[i] >> 4];
		s[3 * i + 1] = hex[m[i] & 15];
		if (i < 5)
			s[3 * i + 2] = ':';
	}
	sb_write(b, s, sizeof(s));
}
