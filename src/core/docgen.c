// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* docgen.c - keep the docs' field lists equal to the field table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "docgen.h"
#include "fields.h"
#include "ipfix.h"

#define BEGIN_TAG "BEGIN GENERATED "
#define END_TAG "END GENERATED"

/* The elements only the L2 templates carry. */
static void doc_l2(FILE *out)
{
	const struct field *f;
	int i;

	fprintf(out, "| IE | len | name | value |\n| --- | --- | --- | --- |\n");
	for (i = 0; i < F_MAX; i++) {
		f = &flow_fields[i];
		if (f->ie.flags & IE_L2)
			fprintf(out, "| %u | %u | %s | %s |\n", f->ie.id, f->ie.len, f->ie.name,
				f->doc);
	}
}

/* Every template's data record length and field count. */
static void doc_sizes(FILE *out)
{
	static const uint16_t base[] = { IPFIX_TID_DATA, IPFIX_TID_L2 };
	int b, v;

	fprintf(out, "| template | flows | addresses | hook | data record | fields |\n");
	fprintf(out, "| --- | --- | --- | --- | --- | --- |\n");
	for (b = 0; b < 2; b++)
		for (v = 0; v < 8; v++)
			fprintf(out, "| %u%s | %s | %s | %s | %zu octets | %d |\n",
				base[b] + v, b ? " (L2)" : "",
				v & IPFIX_TF_UNI ? "uniflow" : "biflow",
				v & IPFIX_TF_V6 ? "IPv6" : "IPv4",
				v & IPFIX_TF_EGRESS ? "egress" : "ingress",
				ipfix_data_rec_len(base[b] + v),
				ipfix_template_fields(base[b] + v));
	fprintf(out, "| %u | exporter statistics (options) | | | %zu octets | %d |\n",
		IPFIX_TID_STATS, ipfix_data_rec_len(IPFIX_TID_STATS),
		ipfix_template_fields(IPFIX_TID_STATS));
}

int docgen_kind(FILE *out, const char *kind)
{
	if (!strcmp(kind, "ipfix-sizes")) {
		doc_sizes(out);
		return 0;
	}
	if (!strcmp(kind, "man"))
		return fields_doc(out, "man");
	if (!strcmp(kind, "ipfix-256"))
		return ipfix_doc_template(out, IPFIX_TID_DATA) < 0 ? -1 : 0;
	if (!strcmp(kind, "ipfix-l2")) {
		doc_l2(out);
		return 0;
	}
	return -1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n + 1);
		if (buf && fread(buf, 1, n, f) == (size_t)n) {
			buf[n] = '\0';
			*len = n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* Copy src to out, each generated section replaced; count the ones that differ. */
static int splice(const char *src, FILE *out)
{
	const char *p = src, *line_end, *end, *body;
	char kind[64], *gen;
	size_t glen;
	int stale = 0;
	FILE *g;

	while ((body = strstr(p, BEGIN_TAG))) {
		line_end = strchr(body, '\n');
		end = line_end ? strstr(line_end, END_TAG) : NULL;
		if (!end)
			return -EINVAL;
		sscanf(body + strlen(BEGIN_TAG), "%63[a-z0-9-]", kind);
		while (end > line_end && end[-1] != '\n')
			end--;		/* the start of the END line */
		g = open_memstream(&gen, &glen);
		if (!g || docgen_kind(g, kind)) {
			if (g)
				fclose(g);
			free(gen);
			return -EINVAL;
		}
		fclose(g);
		fwrite(p, 1, line_end + 1 - p, out);
		fwrite(gen, 1, glen, out);
		stale += glen != (size_t)(end - line_end - 1) || memcmp(gen, line_end + 1, glen);
		free(gen);
		p = end;
	}
	fputs(p, out);
	return stale;
}

int docgen_file(const char *path, bool write)
{
	char *src, *dst = NULL;
	size_t len = 0, dlen;
	FILE *out;
	int stale;

	src = slurp(path, &len);
	if (!src)
		return -errno;
	out = open_memstream(&dst, &dlen);
	if (!out) {
		free(src);
		return -ENOMEM;
	}
	stale = splice(src, out);
	fclose(out);
	if (stale > 0 && write) {
		out = fopen(path, "w");
		if (!out || fwrite(dst, 1, dlen, out) != dlen)
			stale = -EIO;
		if (out)
			fclose(out);
	}
	free(src);
	free(dst);
	return stale;
}
