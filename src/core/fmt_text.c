// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fmt_text.c - the "text" format: tab-separated columns, one header line
 * per file. Columns 1-81 are the original prototype's, in its order; then
 * the ones added since; then every other field with a text column.
 */
#include <string.h>
#include "fmt_layout.h"
#include "format.h"
#include "sbuf.h"

static const struct field_ref text_refs[] = {
	/* 1-81: the original's columns */
	L_REC(F_SADDR), L_REC(F_DADDR), L_REC(F_PROTO), L_REC(F_SPORT), L_REC(F_DPORT),
	L_PAIR(F_IFNAME), L_PAIR(F_FIRST_SEEN), L_PAIR(F_LAST_SEEN), L_PAIR(F_IAT_MEAN),
	L_PAIR(F_PKTS), L_PAIR(F_IPVER), L_PAIR(F_FLOW_LABEL), L_PAIR(F_TOS), L_PAIR(F_BYTES),
	L_PAIR(F_LEN_MIN), L_PAIR(F_LEN_MAX), SIZES(L_FWD), SIZES(L_REV),
	L_PAIR(F_TTL_MIN), L_PAIR(F_TTL_MAX), TTLS(L_FWD), TTLS(L_REV),
	L_PAIR(F_TCP_FLAGS), L_PAIR(F_RETR_PKTS), L_PAIR(F_RETR_BYTES), L_PAIR(F_OOO_PKTS),
	L_PAIR(F_OOO_BYTES), L_PAIR(F_WIN_MIN), L_PAIR(F_WIN_MAX), L_PAIR(F_MSS),
	L_PAIR(F_WSCALE),
	/* 82-96 */
	L_REC(F_END_REASON), L_REC(F_START_MS), L_REC(F_END_MS), L_REC(F_DURATION_MS),
	L_PAIR(F_IAT_MIN), L_PAIR(F_IAT_MAX), L_PAIR(F_IAT_STDDEV), L_PAIR(F_IFINDEX),
	L_PAIR(F_DIRECTION), L_REC(F_FLOW_ID),
};

_Static_assert(sizeof(text_refs) / sizeof(text_refs[0]) == 81 + 15,
	       "text columns: 81 original + 15");

static struct layout text_layout = { .refs = text_refs,
				     .n = sizeof(text_refs) / sizeof(text_refs[0]) };

/* A column for every form the field has: per direction _f and _b, else one. */
static bool has_column(const struct field *f, int d)
{
	return f->text && ((f->flags & FF_DIR) ? d != FD_REC : d == FD_REC);
}

static const struct field_ref *columns(unsigned int *n)
{
	return layout_walk(&text_layout, has_column, n);
}

/* Start a column: a tab before every column but the first (no trailing tab). */
static void tx_sep(struct sbuf *b)
{
	if (b->items++)
		sb_write(b, "\t", 1);
}

/* A name from outside (interface): a tab or newline in it would shift columns. */
static void tx_str(struct sbuf *b, const char *s)
{
	for (; *s; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;

		sb_write(b, &c, 1);
	}
}

int output_text_header(char *buf, size_t len)
{
	const struct field_ref *c;
	const struct field *f;
	unsigned int i, n;
	struct sbuf b;

	sb_init(&b, buf, len);
	for (c = columns(&n), i = 0; i < n; i++) {
		f = field_at(c[i].field);
		tx_sep(&b);
		sb_puts(&b, f->text);
		if (c[i].dir != FD_REC)
			sb_puts(&b, c[i].dir == FD_FWD ? "_f" : "_b");
	}
	sb_write(&b, "\n", 1);
	return sb_finish(&b);
}

static const char *dir_name(uint64_t dir, bool on)
{
	if (!on)
		return "UNKNOWN";
	return dir == FLOW_DIR_EGRESS ? "egress" : "ingress";
}

static void tx_value(struct sbuf *b, const struct field *f, const struct fval *v, bool on)
{
	switch (f->type) {
	case FT_U64:
		if (f->flags & FF_HEX)
			sb_printf(b, "%08llx", (unsigned long long)v->u);
		else if (f->flags & FF_DIRNAME)
			sb_puts(b, dir_name(v->u, on));
		else
			sb_u64(b, v->u);
		break;
	case FT_I64:
		sb_i64(b, v->i);
		break;
	case FT_STR:
	case FT_ADDR:
		tx_str(b, v->s ? v->s : "");
		break;
	case FT_MAC:
		if (on)
			sb_mac(b, v->b);
		else
			sb_write(b, "-", 1);
		break;
	}
}

int output_text(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len)
{
	const struct field_ref *c;
	const struct field *f;
	struct flow_view v;
	unsigned int i, n;
	struct fval val;
	struct sbuf b;
	bool on;

	flow_view_init(&v, r, ifname);
	sb_init(&b, buf, len);
	for (c = columns(&n), i = 0; i < n; i++) {
		f = field_at(c[i].field);
		memset(&val, 0, sizeof(val));
		on = f->get(f, &v, c[i].dir, &val);
		tx_sep(&b);
		tx_value(&b, f, &val, on);
	}
	sb_write(&b, "\n", 1);
	return sb_finish(&b);
}

const struct record_format fmt_text = {
	.name = "text",
	.help = "tab-separated columns, one header line per file",
	.header = output_text_header,
	.record = output_text,
};
