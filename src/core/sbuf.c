// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* sbuf.c - a bounded string writer: no half record ever reaches a caller. */
#include <stdarg.h>
#include <stdbool.h>
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

/* Length of the valid UTF-8 sequence at s (RFC 3629 table), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* beyond U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* Bytes a JSON string carries as they are: printable ASCII but '"' and '\\'. */
static const bool plain[256] = {
	[0x20 ... 0x21] = true, [0x23 ... 0x5b] = true, [0x5d ... 0x7e] = true,
};

/* A JSON string: quotes, backslashes and controls escaped, bad UTF-8 as U+FFFD. */
void sb_json_str(struct sbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	for (n = 0; plain[s[n]]; n++)
		;
	sb_write(b, "\"", 1);
	sb_write(b, str, n);	/* the plain part at once: addresses, names */
	s += n;
	while (*s) {
		if (*s == '"' || *s == '\\') {
			sb_printf(b, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			sb_printf(b, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			sb_write(b, (const char *)s++, 1);
		} else if ((n = utf8_len(s))) {
			sb_write(b, (const char *)s, n);
			s += n;
		} else {
			sb_write(b, "\\ufffd", 6);
			s++;
		}
	}
	sb_write(b, "\"", 1);
}
