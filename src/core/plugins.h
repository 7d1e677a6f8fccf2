/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * plugins.h - what a BPF feature plugin measures, as record fields. Pure
 * (no libbpf): src/control/plugin_host.c reads a plugin's BTF and hands each
 * declaration tag (include/flowmon/plugin.h: FM_JSON, FM_TEXT, FM_IPFIX,
 * ...) to plugin_tag(); plugins_install() then makes the fields of the
 * loaded plugins part of the field table (fields.h), so that text, JSON and
 * IPFIX carry them with no code of their own.
 *
 * A plugin keeps one result per record half (struct fm_plugin_rec); a
 * record carries, per plugin, the forward half's result, else the reverse
 * half's (struct plugin_values). Every plugin field is a record field.
 */
#ifndef __FLOWMON_PLUGINS_H
#define __FLOWMON_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flowmon.h"
#include "flowmon/plugin.h"

#define PLUGIN_MAX		FLOWMON_PLUGIN_SLOTS
#define PLUGIN_MAX_FIELDS	24	/* fields per plugin */
#define PLUGIN_MAX_VALUE	4096	/* bytes of a result value */
#define PLUGIN_MAX_FILTER	8	/* protocols, ports */

enum pf_type {
	PF_UINT = 0,	/* unsigned integer member: a number */
	PF_INT,		/* signed integer member */
	PF_STR,		/* char array: a NUL-terminated string (the whole array if none) */
};

struct plugin_field {
	char member[64];	/* the member's name in the value type */
	char json[64];		/* FM_JSON: its JSON key (empty: not a field) */
	char text[64];		/* FM_TEXT: its text column */
	char doc[256];		/* FM_DOC */
	char when[64];		/* FM_WHEN: present only when that member is not 0 */
	uint32_t pen;		/* FM_IPFIX: enterprise number, 0 IANA */
	uint16_t ie;		/* element id, 0: not exported */
	uint8_t type;		/* enum pf_type */
	uint32_t off;		/* bytes into the value */
	uint32_t size;
	int32_t when_off;	/* the gate member: -1 none */
	uint32_t when_size;
};

struct plugin_desc {
	char name[FLOWMON_PLUGIN_NAME_LEN];
	char doc[256];
	uint32_t value_size;
	uint8_t protos[PLUGIN_MAX_FILTER];	/* FM_PROTOS: IP protocols with results (none: any) */
	int n_protos;
	uint16_t ports[PLUGIN_MAX_FILTER];	/* FM_PORTS: a port of the record is one of these */
	int n_ports;
	int n_fields;				/* members with tags (exported or gates) */
	struct plugin_field f[PLUGIN_MAX_FIELDS];
};

/*
 * One BTF declaration tag "flowmon.<what>=<value>" of field f (a member) or,
 * with f NULL, of the value type. 0 applied; 1 not one of ours (ignored);
 * -1 invalid (err gets one line).
 */
int plugin_tag(struct plugin_desc *d, struct plugin_field *f, const char *tag, char *err,
	       size_t errlen);
/* Is tag one of ours (a "flowmon." declaration tag), valid or not? */
bool plugin_is_tag(const char *tag);
/* The field of d made from the struct member named name, NULL if none. */
struct plugin_field *plugin_field_of(struct plugin_desc *d, const char *name);

/*
 * After every member and tag: defaults (text column = the JSON key in lower
 * case), the gates of FM_WHEN resolved, names unique. 0 or -1 (err).
 */
int plugin_desc_finish(struct plugin_desc *d, char *err, size_t errlen);

/* May a record with forward key k have results of this plugin (FM_PROTOS, FM_PORTS)? */
bool plugin_wants(const struct plugin_desc *d, const struct flow_key *k);

/* Per installed plugin, the result a record carries (NULL: none). */
struct plugin_values {
	const uint8_t *val[PLUGIN_MAX];
};

struct flow_record;
/* Does r carry a result of any plugin? */
bool plugin_values_any(const struct flow_record *r);

/*
 * Make the fields of these plugins (in this order) the dynamic part of the
 * field table, replacing the ones before; the field generation changes
 * (fields_generation()). 0, or -1 if there are too many fields.
 */
int plugins_install(const struct plugin_desc *d, int n);
int plugins_installed(void);

#endif /* __FLOWMON_PLUGINS_H */
