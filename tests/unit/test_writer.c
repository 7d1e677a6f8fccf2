// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_writer.c - dump files: dated paths, nested folders, the text header
 * once per file, JSON without header, rotation (SIGHUP and local date),
 * -o - on stdout, FLOW_ID per record. No root: files under a mkdtemp folder.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "output.h"
#include "testlib.h"
#include "writer.h"

/* 2023-11-14 22:13:20 UTC */
#define T0 ((time_t)1700000000)

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

/* Occurrences of needle in s. */
static int count_str(const char *s, const char *needle)
{
	int n = 0;

	while (s && (s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *header(void)
{
	static char hdr[8192];

	if (!hdr[0] && output_text_header(hdr, sizeof(hdr)) <= 0)
		hdr[0] = '\0';
	return hdr;
}

/* A small UDP record 192.0.2.1:1000 -> 192.0.2.2:53, both directions. */
static void sample(struct flow_record *r)
{
	static const uint8_t a[4] = { 192, 0, 2, 1 }, b[4] = { 192, 0, 2, 2 };

	memset(r, 0, sizeof(*r));
	r->key.ipver = 4;
	r->key.proto = IPPROTO_UDP;
	memcpy(r->key.saddr, a, 4);
	memcpy(r->key.daddr, b, 4);
	r->key.sport = 1000;
	r->key.dport = 53;
	r->fwd.ipver = 4;
	r->fwd.packets = r->fwd.arrivals = 1;
	r->fwd.bytes = 60;
	r->fwd.first_seen = r->fwd.last_seen = 1000000000ULL;
	r->fwd.len_min = r->fwd.len_max = 60;
	r->fwd.ttl_min = r->fwd.ttl_max = 64;
	r->rev = r->fwd;
	r->rev.bytes = 100;
	r->has_rev = true;
	r->end_reason = FLOW_END_IDLE;
	r->flow_id = 12345;	/* the writer's to set */
}

static void writer_init(struct writer *w, const char *dir, const char *file, bool json)
{
	memset(w, 0, sizeof(*w));
	w->dir = dir;
	w->file = file;
	w->fmt = format_find(json ? "json" : "text");
}

TEST(writer_dated_path_format)
{
	char out[256];

	tl_tz_set("UTC");
	CHECK_EQ(writer_dated_path("/var/log/flows", T0, out, sizeof(out)), 0);
	CHECK_STR(out, "/var/log/flows/2023-11-14/221320.txt");
	/* zero padding: 2000-01-02 03:04:05 UTC */
	CHECK_EQ(writer_dated_path("d", (time_t)946782245, out, sizeof(out)), 0);
	CHECK_STR(out, "d/2000-01-02/030405.txt");
	/* just before midnight and at midnight */
	CHECK_EQ(writer_dated_path(".", (time_t)1700006399, out, sizeof(out)), 0);
	CHECK_STR(out, "./2023-11-14/235959.txt");
	CHECK_EQ(writer_dated_path(".", (time_t)1700006400, out, sizeof(out)), 0);
	CHECK_STR(out, "./2023-11-15/000000.txt");
	/* the date is the local one */
	tl_tz_set("TST-10");	/* UTC+10 */
	CHECK_EQ(writer_dated_path(".", T0, out, sizeof(out)), 0);
	CHECK_STR(out, "./2023-11-15/081320.txt");
	/* too small a buffer: an error, never a truncated path */
	CHECK_EQ(writer_dated_path("/var/log/flows", T0, out, 20), -ENAMETOOLONG);
	CHECK_EQ(writer_dated_path("/var/log/flows", T0, out,
				   strlen("/var/log/flows/2023-11-15/081320.txt")), -ENAMETOOLONG);
	CHECK_EQ(writer_dated_path("/var/log/flows", T0, out,
				   strlen("/var/log/flows/2023-11-15/081320.txt") + 1), 0);
	tl_tz_restore();
}

TEST(writer_creates_nested_folders)
{
	char base[64], dir[512], expect[4096];
	struct flow_record r;
	struct writer w;
	char *s;

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	/* > 100 characters, five missing levels */
	snprintf(dir, sizeof(dir), "%s/a-rather-long-folder-name-0123456789/second-level-abcdefghij"
		 "/third/fourth-level-with-a-long-name/fifth", base);
	CHECK(strlen(dir) > 100);
	writer_init(&w, dir, NULL, false);
	CHECK_EQ(writer_open(&w, T0), 0);
	snprintf(expect, sizeof(expect), "%s/2023-11-14/221320.txt", dir);
	CHECK_STR(w.path, expect);
	CHECK(exists(expect));
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	s = tl_slurp(expect);
	CHECK(s != NULL);
	CHECK(s && !strncmp(s, header(), strlen(header())));
	CHECK_EQ(count_lines(s), 2);
	free(s);
	/* a trailing slash and an existing folder are fine too */
	snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/");
	writer_init(&w, dir, NULL, true);
	CHECK_EQ(writer_open(&w, T0 + 1), 0);
	CHECK(exists(w.path));
	writer_close(&w);
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_text_header_once_per_file)
{
	char base[64], p1[4096];
	struct flow_record r;
	struct writer w;
	char *s;

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	REQUIRE(header()[0]);
	writer_init(&w, base, NULL, false);
	CHECK_EQ(writer_open(&w, T0), 0);
	snprintf(p1, sizeof(p1), "%s", w.path);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	/* the same second again (SIGHUP, or a restart): appended, no second header */
	CHECK_EQ(writer_rotate(&w, T0), 0);
	CHECK_STR(w.path, p1);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	/* a new run writing to the same -o file: no header in the middle either */
	writer_init(&w, NULL, p1, false);
	CHECK_EQ(writer_open(&w, T0 + 5), 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	s = tl_slurp(p1);
	REQUIRE(s != NULL);
	CHECK(!strncmp(s, header(), strlen(header())));
	CHECK_EQ(count_str(s, "src_addr\tdst_addr\t"), 1);
	CHECK_EQ(count_lines(s), 1 + 4);
	CHECK_EQ(count_str(s, "\n192.0.2.1\t192.0.2.2\t17\t1000\t53\t"), 4);
	free(s);
	/* -o FILE, new: one header */
	snprintf(p1, sizeof(p1), "%s/out.txt", base);
	writer_init(&w, NULL, p1, false);
	CHECK_EQ(writer_open(&w, T0), 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	s = tl_slurp(p1);
	CHECK(s && !strncmp(s, header(), strlen(header())));
	CHECK_EQ(count_lines(s), 2);
	free(s);
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_json_has_no_header)
{
	char base[64], p[4096];
	struct flow_record r;
	struct writer w;
	char *s, *line;
	int n = 0;

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	writer_init(&w, base, NULL, true);
	CHECK_EQ(writer_open(&w, T0), 0);
	snprintf(p, sizeof(p), "%s", w.path);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	s = tl_slurp(p);
	REQUIRE(s != NULL);
	CHECK_EQ(count_lines(s), 2);
	CHECK(!strstr(s, "src_addr"));
	for (line = s; *line; line = strchr(line, '\n') + 1) {
		CHECK(line[0] == '{');
		n++;
		if (!strchr(line, '\n'))
			break;
	}
	CHECK_EQ(n, 2);
	free(s);
	/* an empty JSON file stays empty */
	snprintf(p, sizeof(p), "%s/empty.json", base);
	writer_init(&w, NULL, p, true);
	CHECK_EQ(writer_open(&w, T0), 0);
	writer_close(&w);
	s = tl_slurp(p);
	CHECK(s && !s[0]);
	free(s);
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_rotate_opens_a_new_file)
{
	char base[64], p1[4096], p2[4096], e2[4096];
	struct flow_record r;
	struct writer w;
	char *s1, *s2;

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	writer_init(&w, base, NULL, false);
	CHECK_EQ(writer_open(&w, T0), 0);
	snprintf(p1, sizeof(p1), "%s", w.path);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_rotate(&w, T0 + 61), 0);	/* SIGHUP a minute later */
	snprintf(p2, sizeof(p2), "%s", w.path);
	snprintf(e2, sizeof(e2), "%s/2023-11-14/221421.txt", base);
	CHECK_STR(p2, e2);
	CHECK(strcmp(p1, p2) != 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	s1 = tl_slurp(p1);
	s2 = tl_slurp(p2);
	REQUIRE(s1 && s2);
	/* each file: its own header, and only the records written to it */
	CHECK(!strncmp(s1, header(), strlen(header())));
	CHECK(!strncmp(s2, header(), strlen(header())));
	CHECK_EQ(count_lines(s1), 2);
	CHECK_EQ(count_lines(s2), 3);
	free(s1);
	free(s2);
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_maybe_rotate_on_local_date_change)
{
	char base[64], p1[4096], e[4096];
	struct flow_record r;
	struct writer w;
	time_t day_start;

	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	sample(&r);
	/* UTC: 2023-11-14 22:13:20 until 23:59:59 is the same day */
	tl_tz_set("UTC");
	writer_init(&w, base, NULL, false);
	CHECK_EQ(writer_open(&w, T0), 0);
	snprintf(p1, sizeof(p1), "%s", w.path);
	CHECK_EQ(writer_maybe_rotate(&w, T0 + 1), 0);
	CHECK_STR(w.path, p1);
	CHECK_EQ(writer_maybe_rotate(&w, (time_t)1700006399), 0);
	CHECK_STR(w.path, p1);
	CHECK_EQ(writer_write(&w, &r), 0);
	/* midnight: a new file in the new day's folder */
	CHECK_EQ(writer_maybe_rotate(&w, (time_t)1700006400), 0);
	snprintf(e, sizeof(e), "%s/2023-11-15/000000.txt", base);
	CHECK_STR(w.path, e);
	CHECK(exists(e));
	/* and then not again that day */
	CHECK_EQ(writer_maybe_rotate(&w, (time_t)1700006400 + 3600), 0);
	CHECK_STR(w.path, e);
	writer_close(&w);

	/*
	 * Local time, not UTC: at UTC+10 the day changes at 14:00 UTC.
	 * 2023-11-14 13:59:59 UTC is 23:59:59 local; 14:00:00 UTC is the 15th.
	 */
	tl_tz_set("TST-10");
	day_start = (time_t)1699970400;	/* 2023-11-14 14:00:00 UTC */
	writer_init(&w, base, NULL, false);
	CHECK_EQ(writer_open(&w, day_start - 3600), 0);	/* 23:00 local, the 14th */
	snprintf(e, sizeof(e), "%s/2023-11-14/230000.txt", base);
	CHECK_STR(w.path, e);
	CHECK_EQ(writer_maybe_rotate(&w, day_start - 1), 0);
	CHECK_STR(w.path, e);
	CHECK_EQ(writer_maybe_rotate(&w, day_start), 0);
	snprintf(e, sizeof(e), "%s/2023-11-15/000000.txt", base);
	CHECK_STR(w.path, e);
	writer_close(&w);
	tl_tz_restore();

	/* -o FILE never rotates, whatever the date */
	tl_tz_set("UTC");
	snprintf(p1, sizeof(p1), "%s/fixed.txt", base);
	writer_init(&w, base, p1, false);
	CHECK_EQ(writer_open(&w, T0), 0);
	CHECK_EQ(writer_maybe_rotate(&w, T0 + 86400 * 3), 0);
	CHECK_STR(w.path, p1);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_dash_is_stdout)
{
	char base[64], cap[4096];
	struct flow_record r;
	struct writer w;
	int saved, fd;
	bool still_open;
	char *s;

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	snprintf(cap, sizeof(cap), "%s/stdout.txt", base);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	REQUIRE(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);

	writer_init(&w, base, "-", true);
	sample(&r);
	fd = writer_open(&w, T0);
	if (!fd) {
		writer_write(&w, &r);
		writer_rotate(&w, T0 + 86400);	/* stdout stays stdout */
		writer_maybe_rotate(&w, T0 + 86400 * 2);
		writer_write(&w, &r);
		writer_close(&w);	/* flushes, must not close stdout */
	}
	/* fd 1 still open: writer_close did not fclose(stdout) */
	still_open = fcntl(STDOUT_FILENO, F_GETFD) != -1;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);

	CHECK(still_open);
	CHECK_EQ(fd, 0);
	CHECK_STR(w.path, "-");
	s = tl_slurp(cap);
	REQUIRE(s != NULL);
	CHECK_EQ(count_lines(s), 2);
	CHECK_EQ(count_str(s, "{\"FLOW_ID\":"), 2);
	free(s);
	/* stdout still works after writer_close */
	CHECK(fflush(stdout) == 0);
	CHECK(!ferror(stdout));
	/* nothing was created under the dump folder */
	snprintf(cap, sizeof(cap), "%s/2023-11-14", base);
	CHECK(access(cap, F_OK) != 0);
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_flow_id_increments)
{
	char base[64], p[4096], want[64];
	struct flow_record r;
	struct writer w;
	char *s;
	int i;

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	writer_init(&w, base, NULL, true);
	CHECK_EQ(writer_open(&w, T0), 0);
	snprintf(p, sizeof(p), "%s", w.path);
	for (i = 0; i < 3; i++) {
		sample(&r);
		CHECK_EQ(writer_write(&w, &r), 0);
		CHECK_EQ(r.flow_id, (uint64_t)i);	/* set on the record */
	}
	/* written: in the file, which a flush makes sure of */
	CHECK_EQ(writer_flush(&w), 0);
	CHECK_EQ(w.written, 3);
	CHECK_EQ(w.held, 0);
	CHECK_EQ(w.next_id, 3);
	/* a rotation does not restart the numbering (one counter per process) */
	CHECK_EQ(writer_rotate(&w, T0 + 1), 0);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(r.flow_id, 3);
	writer_close(&w);
	s = tl_slurp(p);
	REQUIRE(s != NULL);
	for (i = 0; i < 3; i++) {
		snprintf(want, sizeof(want), "{\"FLOW_ID\":%d,", i);
		CHECK_EQ(count_str(s, want), 1);
	}
	free(s);
	s = tl_slurp(w.path);
	CHECK(s && !strncmp(s, "{\"FLOW_ID\":3,", 13));
	free(s);
	/* text: flow_id is column 96, after the directions (then the layer-2 columns) */
	snprintf(p, sizeof(p), "%s/t.txt", base);
	writer_init(&w, NULL, p, false);
	CHECK_EQ(writer_open(&w, T0), 0);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	s = tl_slurp(p);
	CHECK(s && strstr(s, "\tingress\tingress\t0\t") && strstr(s, "\tingress\tingress\t1\t"));
	free(s);
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_unwritable_path_fails_cleanly)
{
	char base[64], p[4096], err[4096];
	int saved, fd, rc;
	struct writer w;
	char *s;
	FILE *f;

	REQUIRE(tl_mkdtemp(base, sizeof(base), "writer"));
	/* a file where a folder is needed: -errno, no FILE left open */
	snprintf(p, sizeof(p), "%s/plainfile", base);
	f = fopen(p, "w");
	REQUIRE(f != NULL);
	fclose(f);
	writer_init(&w, p, NULL, false);	/* dump dir is a regular file */
	/* its one error line, caught instead of going to the test's stderr */
	snprintf(err, sizeof(err), "%s/stderr.txt", base);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	REQUIRE(saved >= 0 && fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	rc = writer_open(&w, T0);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	CHECK(rc < 0);
	CHECK(w.fd < 0);
	writer_close(&w);	/* harmless */
	s = tl_slurp(err);
	CHECK_EQ(count_lines(s), 1);
	CHECK(s && strstr(s, p));	/* names the path */
	free(s);
	tl_rm_tree(base);
}
