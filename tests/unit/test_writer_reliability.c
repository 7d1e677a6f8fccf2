// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_writer_reliability.c - the dump when it cannot be written, and dump
 * paths that must not be trusted (issue 12, defects 1 and 3). No root
 * needed: a file size limit (RLIMIT_FSIZE, write fails with EFBIG after a
 * short write, as on a full disk) and /dev/full stand in for a full disk;
 * the checks of folders owned by another user run only as root.
 *
 * What is checked, against the records the test handed over:
 *  - a write the file takes only in part is cut back: the file holds whole
 *    records only, never a partial or a spliced line;
 *  - one error line when writing fails, one info line when it works again,
 *    whatever the number of retries in between;
 *  - records held meanwhile are written later, in order, once each, with
 *    their FLOW_IDs; past the hold budget they are counted lost, and the
 *    counts (written, held, lost) add up to the records handed over;
 *  - a symbolic link at the dated file or the date folder is not followed,
 *    a world-writable dump folder without the sticky bit is refused, a FIFO
 *    planted as the dated file neither blocks nor is written to; date
 *    folders are made 0750 and files 0640.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "testlib.h"
#include "writer.h"

/* 2023-11-14 22:13:20 UTC */
#define T0	((time_t)1700000000)
#define DATE0	"2023-11-14"
#define FILE0	"221320.txt"

static int count_str(const char *s, const char *needle)
{
	int n = 0;

	while (s && (s = strstr(s, needle))) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/*
 * Every line whole: a JSON object from "{\"FLOW_ID\":" to "}" and a newline,
 * with FLOW_IDs 0, 1, 2, ... in order. Returns the number of lines, -1 if
 * any line is partial, spliced or out of order.
 */
static int whole_json_lines(const char *s)
{
	char want[64];
	const char *nl;
	int n = 0;

	for (; s && *s; s = nl + 1) {
		nl = strchr(s, '\n');
		snprintf(want, sizeof(want), "{\"FLOW_ID\":%d,", n);
		if (!nl || strncmp(s, want, strlen(want)) || nl[-1] != '}' ||
		    memchr(s + 1, '{', nl - s - 1))
			return -1;
		n++;
	}
	return n;
}

static void sample(struct flow_record *r)
{
	static const uint8_t a[4] = { 198, 18, 0, 1 }, b[4] = { 198, 18, 0, 2 };

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
	r->end_reason = FLOW_END_IDLE;
}

static void writer_init(struct writer *w, const char *dir, const char *file)
{
	memset(w, 0, sizeof(*w));
	w->dir = dir;
	w->file = file;
	w->fmt = format_find("json");
}

/* The log's lines go to files here: errors (stderr) and the rest (the -l file). */
struct captured {
	char err[4200], log[4200];
	int saved;
};

static bool capture_start(struct captured *c, const char *base)
{
	int fd;

	snprintf(c->err, sizeof(c->err), "%s/stderr.txt", base);
	snprintf(c->log, sizeof(c->log), "%s/log.txt", base);
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	fd = open(c->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (c->saved < 0 || fd < 0)
		return false;
	dup2(fd, STDERR_FILENO);
	close(fd);
	return log_open(c->log, LOG_INFO) == 0;
}

static void capture_stop(struct captured *c)
{
	log_close();
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
}

/* Files may grow to 'bytes' (RLIMIT_FSIZE): writes past it fail with EFBIG. */
static bool fsize_limit(rlim_t bytes)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl))
		return false;
	rl.rlim_cur = bytes;
	return setrlimit(RLIMIT_FSIZE, &rl) == 0;
}

static void fsize_unlimit(void)
{
	struct rlimit rl;

	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_FSIZE, &rl);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/*
 * The file takes 1.5 records, then nothing: the first flush is cut back to
 * whole records, retries stay quiet, everything held is written once space
 * returns, in order.
 */
TEST(writer_full_file_whole_records_held_then_written)
{
	char base[64], *s, *log, *err;
	struct flow_record r;
	struct captured cap;
	struct writer w;
	off_t one;
	int i;

	REQUIRE(tl_mkdtemp(base, sizeof(base), "wrel"));
	REQUIRE(capture_start(&cap, base));
	signal(SIGXFSZ, SIG_IGN);	/* EFBIG instead of the signal */
	writer_init(&w, base, NULL);
	CHECK_EQ(writer_open(&w, T0), 0);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_flush(&w), 0);
	one = file_size(w.path);
	REQUIRE(one > 0);
	/* room for one and a half more records: the next flush of two is cut short */
	REQUIRE(fsize_limit(one + one + one / 2));
	for (i = 0; i < 2; i++) {
		sample(&r);
		CHECK_EQ(writer_write(&w, &r), 0);
	}
	CHECK(writer_flush(&w) < 0);
	CHECK_EQ(file_size(w.path), one);	/* the half record is gone again */
	for (i = 0; i < 3; i++) {		/* more records, more failed periods */
		sample(&r);
		CHECK_EQ(writer_write(&w, &r), 0);
		CHECK(writer_flush(&w) < 0);
	}
	fsize_unlimit();
	CHECK_EQ(w.written, 1);
	CHECK_EQ(w.held, 5);
	CHECK_EQ(w.lost, 0);
	CHECK_EQ(writer_flush(&w), 0);		/* space again */
	CHECK_EQ(w.written, 6);
	CHECK_EQ(w.held, 0);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	writer_close(&w);
	capture_stop(&cap);
	CHECK_EQ(w.written, 7);
	CHECK_EQ(w.lost, 0);
	s = tl_slurp(w.path);
	CHECK_EQ(whole_json_lines(s), 7);
	err = tl_slurp(cap.err);
	log = tl_slurp(cap.log);
	CHECK_EQ(count_str(err, "\n"), 1);	/* one error line for the episode */
	CHECK(err && strstr(err, "failed to write ") && strstr(err, w.path) &&
	      strstr(err, strerror(EFBIG)));
	CHECK_EQ(count_str(log, "written again"), 1);
	CHECK(log && strstr(log, "5 held records written, 0 lost"));
	free(s);
	free(err);
	free(log);
	tl_rm_tree(base);
}

/* Past the hold budget, records are lost and counted; said once per episode. */
TEST(writer_full_file_hold_budget_counts_lost_records)
{
	char base[64], *s, *err;
	struct flow_record r;
	struct captured cap;
	struct writer w;
	off_t one;
	int i, lost = 0;

	REQUIRE(tl_mkdtemp(base, sizeof(base), "wrel"));
	REQUIRE(capture_start(&cap, base));
	signal(SIGXFSZ, SIG_IGN);
	writer_init(&w, base, NULL);
	CHECK_EQ(writer_open(&w, T0), 0);
	sample(&r);
	CHECK_EQ(writer_write(&w, &r), 0);
	CHECK_EQ(writer_flush(&w), 0);
	one = file_size(w.path);
	REQUIRE(one > 0);
	w.hold_max = (size_t)one * 3;	/* three records' worth */
	REQUIRE(fsize_limit(one));	/* full */
	for (i = 0; i < 10; i++) {
		sample(&r);
		lost += writer_write(&w, &r) == -ENOBUFS;
		writer_flush(&w);
	}
	fsize_unlimit();
	CHECK_EQ(lost, 7);
	CHECK_EQ(w.held, 3);
	CHECK_EQ(w.lost, 7);
	CHECK_EQ(writer_flush(&w), 0);
	writer_close(&w);
	capture_stop(&cap);
	/* 1 + 3 written, 7 lost: 11 handed over */
	CHECK_EQ(w.written, 4);
	CHECK_EQ(w.written + w.held + w.lost, 11);
	s = tl_slurp(w.path);
	/* whole lines, the held ones after the first (FLOW_IDs 1-3; 4-10 were lost) */
	CHECK(s && count_str(s, "\n") == 4 && count_str(s, "{\"FLOW_ID\":3,") == 1 &&
	      !strstr(s, "{\"FLOW_ID\":4,"));
	err = tl_slurp(cap.err);
	CHECK_EQ(count_str(err, "failed to write "), 1);
	CHECK_EQ(count_str(err, "failed to hold more records"), 1);
	free(s);
	free(err);
	tl_rm_tree(base);
}

/* A file that never takes anything (/dev/full): records held, then lost at close, counted. */
TEST(writer_dev_full_counts_lost_at_close)
{
	char base[64], *err;
	struct flow_record r;
	struct captured cap;
	struct writer w;
	int i;

	if (access("/dev/full", W_OK))
		SKIP("no /dev/full");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "wrel"));
	REQUIRE(capture_start(&cap, base));
	writer_init(&w, NULL, "/dev/full");
	CHECK_EQ(writer_open(&w, T0), 0);
	for (i = 0; i < 4; i++) {
		sample(&r);
		CHECK_EQ(writer_write(&w, &r), 0);
		CHECK_EQ(writer_flush(&w), -ENOSPC);
	}
	writer_close(&w);
	capture_stop(&cap);
	CHECK_EQ(w.written, 0);
	CHECK_EQ(w.held, 0);
	CHECK_EQ(w.lost, 4);
	err = tl_slurp(cap.err);
	CHECK_EQ(count_str(err, "\n"), 2);	/* the episode, and the loss at close */
	CHECK(err && strstr(err, "failed to write 4 records to /dev/full"));
	free(err);
	tl_rm_tree(base);
}

/* Opening fails with one error line naming the path; nothing is written anywhere. */
static void check_refused(const char *base, const char *dir, const char *why)
{
	struct captured cap;
	struct writer w;
	char *err;
	int rc;

	if (!capture_start(&cap, base)) {
		FAILF("failed to capture stderr");
		return;
	}
	writer_init(&w, dir, NULL);
	rc = writer_open(&w, T0);
	writer_close(&w);
	capture_stop(&cap);
	CHECK(rc < 0);
	err = tl_slurp(cap.err);
	if (count_str(err, "\n") != 1 || !strstr(err, why))
		FAILF("expected one line with '%s', got '%s'", why, err ? err : "(none)");
	free(err);
}

TEST(writer_dump_symlinks_not_followed)
{
	char base[64], dump[4200], date[4300], link[4400], target[4200], other[4200];
	struct stat st;

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "wrel"));
	snprintf(dump, sizeof(dump), "%s/dump", base);
	snprintf(date, sizeof(date), "%s/" DATE0, dump);
	snprintf(link, sizeof(link), "%s/" FILE0, date);
	snprintf(target, sizeof(target), "%s/victim", base);
	REQUIRE(mkdir(dump, 0750) == 0 && mkdir(date, 0750) == 0);
	REQUIRE(close(open(target, O_WRONLY | O_CREAT, 0600)) == 0);
	/* the predictable next file is a link to somebody else's file */
	REQUIRE(symlink(target, link) == 0);
	check_refused(base, dump, "a symbolic link (not followed)");
	CHECK(stat(target, &st) == 0 && st.st_size == 0);
	/* the date folder itself a link to another folder */
	REQUIRE(unlink(link) == 0 && rmdir(date) == 0);
	snprintf(other, sizeof(other), "%s/elsewhere", base);
	REQUIRE(mkdir(other, 0750) == 0 && symlink(other, date) == 0);
	check_refused(base, dump, "a symbolic link (not followed)");
	snprintf(link, sizeof(link), "%s/" FILE0, other);
	CHECK(access(link, F_OK) != 0);
	/* a FIFO where the file goes: refused at once, nothing blocks */
	REQUIRE(unlink(date) == 0 && mkdir(date, 0750) == 0);
	snprintf(link, sizeof(link), "%s/" FILE0, date);
	REQUIRE(mkfifo(link, 0600) == 0);
	check_refused(base, dump, "not a regular file");
	tl_rm_tree(base);
	tl_tz_restore();
}

TEST(writer_dump_folder_modes)
{
	char base[64], dump[4200], date[4300];
	struct writer w;
	struct stat st;
	mode_t old = umask(022);

	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "wrel"));
	snprintf(dump, sizeof(dump), "%s/dump", base);
	/* writable by everyone without the sticky bit: refused; with it: fine */
	REQUIRE(mkdir(dump, 0755) == 0 && chmod(dump, 0777) == 0);
	check_refused(base, dump, "writable by everyone without the sticky bit");
	REQUIRE(chmod(dump, 01777) == 0);
	writer_init(&w, dump, NULL);
	CHECK_EQ(writer_open(&w, T0), 0);
	writer_close(&w);
	/* what we make: date folder 0750, file 0640 */
	snprintf(date, sizeof(date), "%s/" DATE0, dump);
	CHECK(stat(date, &st) == 0 && (st.st_mode & 07777) == 0750);
	CHECK(stat(w.path, &st) == 0 && (st.st_mode & 07777) == 0640);
	/* a date folder others may write in is not ours */
	REQUIRE(chmod(date, 0777) == 0);
	check_refused(base, dump, "expected ours");
	/* the -l log file too is 0640 */
	snprintf(date, sizeof(date), "%s/flowmon.log", base);
	CHECK_EQ(log_open(date, LOG_INFO), 0);
	log_close();
	CHECK(stat(date, &st) == 0 && (st.st_mode & 07777) == 0640);
	umask(old);
	tl_rm_tree(base);
	tl_tz_restore();
}

/* Folders of another user (root only: chown). */
TEST(writer_dump_folder_of_another_user)
{
	char base[64], dump[4200], date[4300];

	if (geteuid() != 0)
		SKIP("needs root to give a folder to another user");
	tl_tz_set("UTC");
	REQUIRE(tl_mkdtemp(base, sizeof(base), "wrel"));
	snprintf(dump, sizeof(dump), "%s/dump", base);
	REQUIRE(mkdir(dump, 0755) == 0 && chown(dump, 65534, 65534) == 0);
	check_refused(base, dump, "owned by uid 65534, not by us");
	/* the dump folder ours, a date folder in it another user's */
	REQUIRE(chown(dump, 0, 0) == 0);
	snprintf(date, sizeof(date), "%s/" DATE0, dump);
	REQUIRE(mkdir(date, 0750) == 0 && chown(date, 65534, 65534) == 0);
	check_refused(base, dump, "owned by uid 65534 with mode 750; expected ours");
	tl_rm_tree(base);
	tl_tz_restore();
}
