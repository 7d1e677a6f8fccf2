// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_plugins.c - a plugin's fields from its tags (plugins.c), and the
 * loaded plugins' fields in text, JSON and IPFIX, against hand-made values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "fields.h"
#include "ipfix.h"
#include "output.h"
#include "plugins.h"
#include "format.h"
#include "writer.h"
#include "testlib.h"

/* A plugin as its BTF would describe it: struct { char name[16]; __u32 count; __u8 seen; }. */
struct tvalue {
	char name[16];
	uint32_t count;
	uint8_t seen;
	uint8_t pad[3];
};

static int tdesc(struct plugin_desc *d, char *err, size_t len)
{
	static const char *const name_tags[] = { "flowmon.json=T_NAME", "flowmon.ipfix=32473:3002",
						 "flowmon.doc=a name" };
	static const char *const count_tags[] = { "flowmon.json=T_COUNT", "flowmon.text=t_cnt",
						  "flowmon.ipfix=32473:3001", "flowmon.when=seen" };
	size_t i;

	memset(d, 0, sizeof(*d));
	d->value_size = sizeof(struct tvalue);
	d->n_fields = 3;
	d->f[0] = (struct plugin_field){ .member = "name", .type = PF_STR, .off = 0, .size = 16 };
	d->f[1] = (struct plugin_field){ .member = "count", .type = PF_UINT, .off = 16, .size = 4 };
	d->f[2] = (struct plugin_field){ .member = "seen", .type = PF_UINT, .off = 20, .size = 1 };
	if (plugin_tag(d, NULL, "flowmon.plugin=t", err, len) ||
	    plugin_tag(d, NULL, "flowmon.protos=17,6", err, len) ||
	    plugin_tag(d, NULL, "flowmon.ports=53", err, len))
		return -1;
	for (i = 0; i < sizeof(name_tags) / sizeof(name_tags[0]); i++)
		if (plugin_tag(d, &d->f[0], name_tags[i], err, len))
			return -1;
	for (i = 0; i < sizeof(count_tags) / sizeof(count_tags[0]); i++)
		if (plugin_tag(d, &d->f[1], count_tags[i], err, len))
			return -1;
	return plugin_desc_finish(d, err, len);
}

TEST(plugin_tags)
{
	struct plugin_desc d;
	struct flow_key k = { .proto = 17, .sport = 4000, .dport = 53 };
	char err[256] = "";

	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	CHECK_STR(d.name, "t");
	CHECK_STR(d.f[0].text, "t_name");	/* the JSON key in lower case */
	CHECK_STR(d.f[1].text, "t_cnt");
	CHECK_EQ(d.f[1].pen, 32473);
	CHECK_EQ(d.f[1].ie, 3001);
	CHECK_EQ(d.f[1].when_off, 20);
	CHECK_EQ(d.f[0].when_off, -1);
	CHECK(plugin_wants(&d, &k));
	k.dport = 54;
	CHECK(!plugin_wants(&d, &k));
	k.proto = 1;
	k.sport = 53;
	CHECK(!plugin_wants(&d, &k));
	/* not ours: ignored; ours and wrong: one line */
	CHECK_EQ(plugin_tag(&d, &d.f[0], "other.x=1", err, sizeof(err)), 1);
	CHECK_EQ(plugin_tag(&d, &d.f[0], "flowmon.color=red", err, sizeof(err)), -1);
	CHECK(strstr(err, "unknown tag 'color'") != NULL);
	CHECK_EQ(plugin_tag(&d, &d.f[0], "flowmon.json=A-B", err, sizeof(err)), -1);
	CHECK_EQ(plugin_tag(&d, &d.f[0], "flowmon.ipfix=1:0", err, sizeof(err)), -1);
	CHECK_EQ(plugin_tag(&d, NULL, "flowmon.ports=1,2,3,4,5,6,7,8,9", err, sizeof(err)), -1);
}

TEST(plugin_desc_rules)
{
	struct plugin_desc d;
	char err[256];

	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	snprintf(d.f[1].when, sizeof(d.f[1].when), "nosuch");
	CHECK_EQ(plugin_desc_finish(&d, err, sizeof(err)), -1);
	CHECK(strstr(err, "FM_WHEN(nosuch)") != NULL);
	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	snprintf(d.f[1].json, sizeof(d.f[1].json), "T_NAME");
	CHECK_EQ(plugin_desc_finish(&d, err, sizeof(err)), -1);
	CHECK(strstr(err, "used twice") != NULL);
	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	d.f[0].json[0] = '\0';			/* tags without a key */
	CHECK_EQ(plugin_desc_finish(&d, err, sizeof(err)), -1);
	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	d.f[1].off = 30;			/* outside the 24-byte value */
	CHECK_EQ(plugin_desc_finish(&d, err, sizeof(err)), -1);
}

static void trecord(struct flow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->key.ipver = 4;
	r->key.proto = 17;
	r->key.sport = 4000;
	r->key.dport = 53;
	r->fwd.packets = 1;
	r->fwd.bytes = 60;
	r->fwd.ipver = 4;
	r->fwd.len_min = ~0U;
	r->fwd.ttl_min = 0xff;
	r->fwd.iat_min = ~0ULL;
	r->fwd.win_min = ~0U;
	r->end_reason = 1;
}

TEST(plugin_fields_in_json_and_text)
{
	static char buf[16384];
	struct plugin_values pv = { 0 };
	struct tvalue v = { .name = "example", .count = 7, .seen = 1 };
	struct flow_record r;
	struct plugin_desc d;
	unsigned int gen = fields_generation(), base = field_count();
	char err[256];

	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	REQUIRE(plugins_install(&d, 1) == 0);
	CHECK(fields_generation() != gen);
	CHECK_EQ(field_count(), base + 2);	/* name and count; the gate is no field */
	CHECK(field_by_name("t.count") != NULL);
	trecord(&r);
	CHECK(output_json(&r, NULL, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "T_NAME") == NULL);	/* no result: no key */
	pv.val[0] = (const uint8_t *)&v;
	r.plug = &pv;
	CHECK(output_json(&r, NULL, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, ",\"T_NAME\":\"example\",\"T_COUNT\":7}") != NULL);
	v.seen = 0;				/* FM_WHEN(seen): count is absent */
	CHECK(output_json(&r, NULL, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\"T_COUNT\"") == NULL);
	CHECK(strstr(buf, "\"T_NAME\":\"example\"") != NULL);
	memset(v.name, 'x', sizeof(v.name));	/* no NUL: the whole array */
	CHECK(output_json(&r, NULL, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\"T_NAME\":\"xxxxxxxxxxxxxxxx\"") != NULL);
	CHECK(output_text_header(buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\tt_name\tt_cnt\n") != NULL);
	REQUIRE(plugins_install(NULL, 0) == 0);
	CHECK_EQ(field_count(), base);
	CHECK(output_text_header(buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "t_name") == NULL);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The plugin template: the data template's elements, then the plugin's, a string as 65535. */
TEST(plugin_fields_in_ipfix)
{
	static uint8_t msg[2048];
	struct plugin_values pv = { 0 };
	struct tvalue v = { .name = "example", .count = 7, .seen = 1 };
	struct flow_record r;
	struct plugin_desc d;
	struct ipfix_msg m;
	uint16_t tid, base_tid;
	size_t len, i, tlen;
	char err[256];
	const uint8_t *p;
	bool found = false;

	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	REQUIRE(plugins_install(&d, 1) == 0);
	trecord(&r);
	base_tid = ipfix_flow_tid(&r, false, false);
	CHECK_EQ(base_tid, IPFIX_TID_DATA);	/* no result: the ordinary template */
	pv.val[0] = (const uint8_t *)&v;
	r.plug = &pv;
	tid = ipfix_flow_tid(&r, false, false);
	CHECK_EQ(tid, ipfix_plugin_tid_base());
	CHECK(tid >= IPFIX_TID_PLUGIN && tid < IPFIX_TID_PLUGIN_END);
	CHECK_EQ(ipfix_template_fields(tid), ipfix_template_fields(base_tid) + 2);
	ipfix_msg_init(&m, msg, sizeof(msg), 0, 0);
	REQUIRE(ipfix_msg_add_template(&m, tid) == 0);
	tlen = m.len;
	REQUIRE(ipfix_msg_add_flow(&m, &r, false) == 1);
	len = ipfix_msg_finish(&m, 0);
	/* the template's last two fields: 32473/3002 length 65535, 32473/3001 length 4 */
	p = msg + tlen - 16;
	CHECK_EQ(get16(p), 0x8000 | 3002);
	CHECK_EQ(get16(p + 2), IPFIX_VARLEN);
	CHECK_EQ(get16(p + 8), 0x8000 | 3001);
	CHECK_EQ(get16(p + 10), 4);
	/* the data record ends with "\7example" and the count (then the set's padding) */
	for (i = tlen; i + 12 <= len; i++)
		if (!memcmp(msg + i, "\7example\0\0\0\7", 12))
			found = true;
	CHECK(found);
	CHECK_EQ(len, get16(msg + 2));
	REQUIRE(plugins_install(NULL, 0) == 0);
	CHECK(ipfix_template_fields(tid) == 0);	/* another generation: unknown */
	/* 64 generations on, the id comes back without plugin fields: not the cached template */
	for (i = 0; i < 200 && ipfix_plugin_tid_base() != tid; i++)
		REQUIRE(plugins_install(NULL, 0) == 0);
	REQUIRE(ipfix_plugin_tid_base() == tid);
	CHECK_EQ(ipfix_template_fields(tid), ipfix_template_fields(base_tid));
}

/* Plugins come and go during a run: the text dump says each new column set in a header line. */
TEST(plugin_columns_change_writes_header)
{
	char path[] = "/tmp/fm-plugcols-XXXXXX", buf[8192];
	struct flow_record r;
	struct plugin_desc d;
	struct writer w;
	char err[256];
	FILE *f;
	int fd, headers = 0, with_cols = 0, records = 0;

	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	close(fd);
	REQUIRE(tdesc(&d, err, sizeof(err)) == 0);
	memset(&w, 0, sizeof(w));
	w.file = path;
	w.fmt = format_find("text");
	REQUIRE(writer_open(&w, 1700000000) == 0);
	trecord(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	REQUIRE(plugins_install(&d, 1) == 0);	/* loaded: two more columns */
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	REQUIRE(plugins_install(NULL, 0) == 0);	/* unloaded: back to the table's own */
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	f = fopen(path, "r");
	REQUIRE(f != NULL);
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "src_addr\t", 9)) {
			headers++;
			with_cols += strstr(buf, "\tt_name\tt_cnt\n") != NULL;
		} else {
			records++;
		}
	}
	fclose(f);
	unlink(path);
	CHECK_EQ(headers, 3);	/* the file's, then one per change */
	CHECK_EQ(with_cols, 1);
	CHECK_EQ(records, 4);
}
