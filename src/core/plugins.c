// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* plugins.c - a plugin's fields from its tags; the loaded plugins in the field table. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fields.h"
#include "plugins.h"

#define TAG_PREFIX "flowmon."

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err && len) {
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A copy that must fit: names and keys are never cut silently. */
static int set_str(char *dst, size_t len, const char *v, const char *what, char *err,
		   size_t errlen)
{
	if (strlen(v) >= len)
		return fail(err, errlen, "invalid %s '%s': longer than %zu characters", what, v,
			    len - 1);
	snprintf(dst, len, "%s", v);
	return 0;
}

/* JSON keys and text columns: letters, digits and '_' (no quoting, no tab). */
static int set_name(char *dst, size_t len, const char *v, const char *what, char *err,
		    size_t errlen)
{
	const char *p;

	if (!*v)
		return fail(err, errlen, "invalid %s: empty", what);
	for (p = v; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return fail(err, errlen, "invalid %s '%s': only letters, digits and _",
				    what, v);
	return set_str(dst, len, v, what, err, errlen);
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* "6,17": up to PLUGIN_MAX_FILTER numbers, each at most max. */
static int parse_list(const char *s, uint32_t max, uint32_t *out, int *n)
{
	char buf[128], *tok, *save = NULL;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == PLUGIN_MAX_FILTER || parse_u32(tok, max, &out[*n]))
			return -1;
		(*n)++;
	}
	return *n ? 0 : -1;
}

/* "pen:id" of FM_IPFIX. */
static int parse_ie(struct plugin_field *f, const char *v)
{
	char buf[32], *colon;
	uint32_t pen, id;

	if (snprintf(buf, sizeof(buf), "%s", v) >= (int)sizeof(buf))
		return -1;
	colon = strchr(buf, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (parse_u32(buf, 0xffffffffu, &pen) || parse_u32(colon + 1, 0x7fff, &id) || !id)
		return -1;
	f->pen = pen;
	f->ie = (uint16_t)id;
	return 0;
}

static int type_tag(struct plugin_desc *d, const char *k, const char *v, char *err, size_t len)
{
	uint32_t vals[PLUGIN_MAX_FILTER];
	int i, n;

	if (!strcmp(k, "plugin"))
		return set_name(d->name, sizeof(d->name), v, "plugin name", err, len);
	if (!strcmp(k, "doc"))
		return set_str(d->doc, sizeof(d->doc), v, "plugin doc", err, len);
	if (!strcmp(k, "protos") || !strcmp(k, "ports")) {
		bool ports = k[1] == 'o';

		if (parse_list(v, ports ? 65535 : 255, vals, &n))
			return fail(err, len, "invalid %s '%s': up to %d numbers, comma-separated",
				    k, v, PLUGIN_MAX_FILTER);
		for (i = 0; i < n; i++) {
			if (ports)
				d->ports[i] = (uint16_t)vals[i];
			else
				d->protos[i] = (uint8_t)vals[i];
		}
		if (ports)
			d->n_ports = n;
		else
			d->n_protos = n;
		return 0;
	}
	return fail(err, len, "unknown plugin tag '%s' on the value type", k);
}

static int member_tag(struct plugin_field *f, const char *k, const char *v, char *err, size_t len)
{
	if (!strcmp(k, "json"))
		return set_name(f->json, sizeof(f->json), v, "JSON key", err, len);
	if (!strcmp(k, "text"))
		return set_name(f->text, sizeof(f->text), v, "text column", err, len);
	if (!strcmp(k, "doc"))
		return set_str(f->doc, sizeof(f->doc), v, "doc", err, len);
	if (!strcmp(k, "when"))
		return set_str(f->when, sizeof(f->when), v, "when", err, len);
	if (!strcmp(k, "ipfix"))
		return parse_ie(f, v) ? fail(err, len, "invalid IPFIX element '%s': expected "
					     "PEN:ID, ID 1-32767", v) : 0;
	return fail(err, len, "unknown tag '%s' on member %s", k, f->member);
}

bool plugin_is_tag(const char *tag)
{
	return !strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX));
}

int plugin_tag(struct plugin_desc *d, struct plugin_field *f, const char *tag, char *err,
	       size_t errlen)
{
	char k[32];
	const char *eq;

	if (!plugin_is_tag(tag))
		return 1;
	tag += strlen(TAG_PREFIX);
	eq = strchr(tag, '=');
	if (!eq || eq == tag || (size_t)(eq - tag) >= sizeof(k))
		return fail(err, errlen, "invalid tag '%s': expected flowmon.KEY=VALUE", tag);
	snprintf(k, sizeof(k), "%.*s", (int)(eq - tag), tag);
	return f ? member_tag(f, k, eq + 1, err, errlen) : type_tag(d, k, eq + 1, err, errlen);
}

struct plugin_field *plugin_field_of(struct plugin_desc *d, const char *name)
{
	int i;

	for (i = 0; i < d->n_fields; i++)
		if (!strcmp(d->f[i].member, name))
			return &d->f[i];
	return NULL;
}

int plugin_desc_finish(struct plugin_desc *d, char *err, size_t errlen)
{
	const struct plugin_field *g;
	struct plugin_field *f;
	int i, j;
	char *p;

	for (i = 0; i < d->n_fields; i++) {
		f = &d->f[i];
		f->when_off = -1;
		if (!f->json[0] && (f->text[0] || f->ie || f->doc[0] || f->when[0]))
			return fail(err, errlen, "member %s has tags but no FM_JSON key", f->member);
		if (f->off + f->size > d->value_size || !f->size)
			return fail(err, errlen, "member %s lies outside the value", f->member);
		if (f->json[0] && !f->text[0]) {
			snprintf(f->text, sizeof(f->text), "%s", f->json);
			for (p = f->text; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		}
		if (f->when[0]) {
			g = plugin_field_of(d, f->when);
			if (!g || g->type == PF_STR || g->size > 8)
				return fail(err, errlen, "member %s: FM_WHEN(%s) names no integer "
					    "member", f->member, f->when);
			f->when_off = (int32_t)g->off;
			f->when_size = g->size;
		}
		if (f->type != PF_STR && f->size > 8)
			return fail(err, errlen, "member %s: integers of at most 8 bytes", f->member);
		for (j = 0; j < i; j++)
			if (f->json[0] && (!strcmp(d->f[j].json, f->json) ||
					   !strcmp(d->f[j].text, f->text)))
				return fail(err, errlen, "member %s: JSON key or text column used "
					    "twice", f->member);
	}
	return 0;
}

bool plugin_wants(const struct plugin_desc *d, const struct flow_key *k)
{
	bool ok = !d->n_protos;
	int i;

	for (i = 0; i < d->n_protos; i++)
		ok |= d->protos[i] == k->proto;
	if (!ok || !d->n_ports)
		return ok;
	for (i = 0; i < d->n_ports; i++)
		if (d->ports[i] == k->sport || d->ports[i] == k->dport)
			return true;
	return false;
}

/* ---- the loaded plugins in the field table ------------------------------- */

static struct plugin_desc installed[PLUGIN_MAX];
static int n_installed;
static char field_names[FIELDS_DYN_MAX][FLOWMON_PLUGIN_NAME_LEN + 72];

/* Little-endian hosts and BPF agree on the layout: the member's bytes as they are. */
static uint64_t read_uint(const uint8_t *p, uint32_t size)
{
	uint64_t v = 0;

	memcpy(&v, p, size > 8 ? 8 : size);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v >>= (8 - size) * 8;
#endif
	return v;
}

static int64_t read_int(const uint8_t *p, uint32_t size)
{
	uint64_t v = read_uint(p, size);

	if (size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ULL << (size * 8);
	return (int64_t)v;
}

/*
 * A plugin field of the record: absent when the plugin has no result for
 * it, its FM_WHEN gate is 0, or (strings) it is empty.
 */
static bool get_plugin(const struct field *fd, const struct flow_view *v, int d,
		       struct fval *o)
{
	static char str[PLUGIN_MAX_VALUE + 1];
	const struct plugin_desc *pd = &installed[fd->arg >> 8];
	const struct plugin_field *f = &pd->f[fd->arg & 0xff];
	const uint8_t *val;

	(void)d;
	if (!v->r->plug || !(val = v->r->plug->val[fd->arg >> 8]))
		return false;
	if (f->when_off >= 0 && !read_uint(val + f->when_off, f->when_size))
		return false;
	switch (f->type) {
	case PF_STR:
		memcpy(str, val + f->off, f->size);
		str[f->size] = '\0';
		o->s = str;
		return str[0] != '\0';
	case PF_INT:
		o->i = read_int(val + f->off, f->size);
		o->u = (uint64_t)o->i;
		return true;
	default:
		o->u = read_uint(val + f->off, f->size);
		o->i = (int64_t)o->u;
		return true;
	}
}

/* The field table's row of plugin pi's field fi. */
static void field_of(struct field *out, int pi, int fi, char *name, size_t len)
{
	const struct plugin_desc *d = &installed[pi];
	const struct plugin_field *f = &d->f[fi];

	snprintf(name, len, "%s.%s", d->name, f->member);
	memset(out, 0, sizeof(*out));
	out->name = name;
	out->type = f->type == PF_STR ? FT_STR : f->type == PF_INT ? FT_I64 : FT_U64;
	out->flags = FF_OPT;
	out->text = f->text;
	out->json[FD_REC] = f->json;
	if (f->ie) {
		out->ie.id = f->ie;
		out->ie.id6 = f->ie;
		/* strings: variable length (RFC 7011 7); numbers: reduced size */
		out->ie.len = f->type == PF_STR ? 0 : (uint8_t)f->size;
		out->ie.len6 = out->ie.len;
		out->ie.pen = f->pen;
		out->ie.flags = IE_PLUGIN;
		out->ie.name = f->json;
	}
	out->arg = pi << 8 | fi;
	out->get = get_plugin;
	out->doc = f->doc;
}

int plugins_install(const struct plugin_desc *d, int n)
{
	static struct field rows[FIELDS_DYN_MAX];
	unsigned int k = 0;
	int i, j;

	if (n < 0 || n > PLUGIN_MAX)
		return -1;
	for (i = 0; i < n; i++)
		for (j = 0; j < d[i].n_fields; j++)
			if (d[i].f[j].json[0] && k++ >= FIELDS_DYN_MAX)
				return -1;
	if (n)
		memcpy(installed, d, n * sizeof(*d));
	n_installed = n;
	for (i = 0, k = 0; i < n; i++)
		for (j = 0; j < d[i].n_fields; j++)
			if (d[i].f[j].json[0]) {
				field_of(&rows[k], i, j, field_names[k], sizeof(field_names[k]));
				k++;
			}
	return fields_set_dynamic(rows, k);
}

bool plugin_values_any(const struct flow_record *r)
{
	int i;

	for (i = 0; r->plug && i < n_installed; i++)
		if (r->plug->val[i])
			return true;
	return false;
}

int plugins_installed(void)
{
	return n_installed;
}

