// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_docs.c - the docs cannot drift from the field table: the generated
 * sections of tc_flowmon_user(8) and docs/IPFIX.md must be what the table
 * makes of them now ("make docs" rewrites them), and the hand-written text
 * around them must name every record format and command.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include "docgen.h"
#include "fields.h"
#include "format.h"
#include "ipfix.h"
#include "opts.h"
#include "testlib.h"

/* Files are found from the tree's root (tests/run.sh runs from there). */
static const char *in_tree(const char *rel, char *buf, size_t len)
{
	const char *root = getenv("FLOWMON_ROOT");

	snprintf(buf, len, "%s/%s", root ? root : ".", rel);
	return buf;
}

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "r");
	static char buf[1 << 18];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

TEST(docs_generated_sections_up_to_date)
{
	static const char *const files[] = { "docs/man/tc_flowmon_user.8", "docs/IPFIX.md" };
	char path[4096];
	size_t i;
	int n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		n = docgen_file(in_tree(files[i], path, sizeof(path)), false);
		if (n)
			FAILF("%s: %d generated section(s) out of date or unreadable (%d): "
			      "run make docs", files[i], n, n);
	}
}

/* Every field, JSON key and IPFIX element of the table is in the man page. */
TEST(docs_man_names_every_field)
{
	char path[4096], *man;
	const struct field *f;
	int i, d;

	man = slurp_file(in_tree("docs/man/tc_flowmon_user.8", path, sizeof(path)));
	REQUIRE(man != NULL);
	for (i = 0; i < F_MAX; i++) {
		f = &flow_fields[i];
		if (!strstr(man, f->name))
			FAILF("field %s is not in the man page", f->name);
		for (d = FD_REC; d <= FD_REV; d++)
			if (f->json[d] && !strstr(man, f->json[d]))
				FAILF("JSON key %s is not in the man page", f->json[d]);
	}
}

/* The drift the seed had: docs said window scale 255 = no option, the code sent 0. */
TEST(docs_window_scale_agrees)
{
	char path[4096], *md;

	md = slurp_file(in_tree("docs/IPFIX.md", path, sizeof(path)));
	REQUIRE(md != NULL);
	CHECK(strstr(md, "255 = no option") == NULL);
	CHECK(strstr(md, "| TCP_WIN_SCALE_IN | forward direction: window scale option of the "
			 "SYN, 0 if none |") != NULL);
}

/* The man pages name every command and every record format. */
/*
 * want in the text as a whole name: not the prefix of a longer one, nor the
 * end of one ("load" in "unload", "top" in "stop").
 */
static bool man_names(const char *man, const char *want)
{
	size_t n = strlen(want);
	const char *hit;

	for (hit = strstr(man, want); hit; hit = strstr(hit + 1, want))
		if (hit[n] != '\\' && !isalpha((unsigned char)hit[n]) &&
		    (hit == man || (!isalpha((unsigned char)hit[-1]) && hit[-1] != '-')))
			return true;
	return false;
}

/*
 * Does section sec (".SH OPTIONS") give want an entry of its own: a tag
 * line (the line after a .TP) that names it? Mentions in other entries'
 * prose do not count.
 */
static bool man_has_entry(const char *man, const char *section, const char *want)
{
	const char *sec = strstr(man, section), *end, *tp, *eol;
	char tag[512];

	if (!sec)
		return false;
	end = strstr(sec + 1, "\n.SH ");
	for (tp = strstr(sec, "\n.TP\n"); tp && (!end || tp < end); tp = strstr(tp + 1, "\n.TP\n")) {
		eol = strchr(tp + 5, '\n');
		snprintf(tag, sizeof(tag), "%.*s", eol ? (int)(eol - tp - 5) : 0, tp + 5);
		if (man_names(tag, want))
			return true;
	}
	return false;
}

TEST(docs_man_names_commands_and_formats)
{
	const struct record_format *fmt;
	char path[4096], *man;
	int i;

	man = slurp_file(in_tree("docs/man/tc_flowmon_user.8", path, sizeof(path)));
	REQUIRE(man != NULL);
	for (i = 0; i < CMD_MAX; i++)
		if (!man_has_entry(man, "\n.SH COMMANDS\n", opts_cmd_str(i)))
			FAILF("command %s has no entry in the man page's COMMANDS", opts_cmd_str(i));
	for (i = 0; (fmt = format_at(i)); i++)
		if (!strstr(man, fmt->name))
			FAILF("format %s is not in the man page", fmt->name);
	CHECK(!strcmp(format_at(0)->name, "text") && format_find("json"));
}

/* Every option of the table (as --help lists them) has its entry in tc_flowmon_user(8). */
TEST(docs_man_names_every_option)
{
	char path[4096], *man, *help = NULL, *p, want[96], name[64];
	size_t len = 0, i, n;
	FILE *f;

	man = slurp_file(in_tree("docs/man/tc_flowmon_user.8", path, sizeof(path)));
	REQUIRE(man != NULL);
	f = open_memstream(&help, &len);
	REQUIRE(f);
	opts_usage(f, "tc_flowmon_user");
	fclose(f);
	REQUIRE(help);
	p = strstr(help, "\nOptions:\n");
	REQUIRE(p != NULL);
	for (n = 0; (p = strstr(p + 1, "\n  ")); n++) {
		/* "  -f, --file PATH   help" or "      --odid N   help" */
		p = strstr(p, "--");
		REQUIRE(p != NULL);
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(p + 2, " \n"), p + 2);
		/* groff: each '-' of the name escaped */
		len = snprintf(want, sizeof(want), "\\-\\-");
		for (i = 0; name[i] && len + 3 < sizeof(want); i++)
			len += snprintf(want + len, sizeof(want) - len, name[i] == '-' ? "\\-" : "%c",
					name[i]);
		if (!man_has_entry(man, "\n.SH OPTIONS\n", want))
			FAILF("option --%s has no entry in the man page's OPTIONS", name);
	}
	CHECK(n > 30);	/* the whole table was read */
	free(help);
}
