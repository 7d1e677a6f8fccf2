// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * writer.c - dump files with daily and SIGHUP rotation, -o file or stdout;
 * records whole or not at all, held in memory while the file cannot take
 * them (writer.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include "log.h"
#include "fields.h"
#include "writer.h"

#define FLUSH_AT	(64u << 10)	/* bytes of records that make a write */
#define RECORD_MAX	16384		/* one formatted record, at most */
#define HEADER_MAX	16384		/* a header line, plugin columns included */
#define DIR_MODE	0750
#define FILE_MODE	0640

static int local_day(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The two names under the dump folder for local time t: "YYYY-MM-DD", "HHMMSS.txt". */
static void dated_names(time_t t, char date[32], char name[32])
{
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(date, 32, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	snprintf(name, 32, "%02d%02d%02d.txt", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int join_path(char *out, size_t len, const char *dir, const char *date, const char *name)
{
	int n = snprintf(out, len, "%s/%s/%s", dir, date, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int writer_dated_path(const char *dir, time_t t, char *out, size_t len)
{
	char date[32], name[32];

	dated_names(t, date, name);
	return join_path(out, len, dir, date, name);
}

static const struct record_format *fmt_of(const struct writer *w)
{
	return w->fmt ? w->fmt : format_find("text");
}

static size_t hold_max(const struct writer *w)
{
	return w->hold_max ? w->hold_max : WRITER_HOLD_DEFAULT;
}

/* ---- opening: the dump folder, its date folder, the file ---- */

/* Why opening failed, one line: printed by the caller, once per episode. */
__attribute__((format(printf, 3, 4)))
static int why(struct writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return err;
}

/* mkdir -p of dir; folders made here get DIR_MODE. */
static int make_dirs(const char *dir)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (!*p) {
			if (mkdir(buf, DIR_MODE) && errno != EEXIST)
				return -errno;
			return 0;
		}
		*p = '\0';
		if (mkdir(buf, DIR_MODE) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
}

/*
 * Whoever may write in the dump folder may put a symbolic link or a folder
 * of their own where our next file goes: refuse one that others may write
 * in without the sticky bit, or that belongs to another user (root's are
 * fine: root can do anything anyway).
 */
static int check_dump_dir(struct writer *w, int dfd, const char *dir)
{
	struct stat st;

	if (fstat(dfd, &st))
		return why(w, -errno, "failed to inspect dump folder %s: %s", dir, strerror(errno));
	if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
		return why(w, -EPERM, "failed to use dump folder %s: writable by everyone without "
			   "the sticky bit (mode %03o)", dir, (unsigned int)(st.st_mode & 07777));
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return why(w, -EPERM, "failed to use dump folder %s: owned by uid %u, not by us "
			   "(uid %u) or root", dir, (unsigned int)st.st_uid,
			   (unsigned int)geteuid());
	return 0;
}

/* A date folder is ours: made by us (or an earlier run as us), writable by nobody else. */
static int check_date_dir(struct writer *w, int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st))
		return why(w, -errno, "failed to inspect dump folder %s: %s", path,
			   strerror(errno));
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return why(w, -EPERM, "failed to use dump folder %s: owned by uid %u with mode "
			   "%03o; expected ours (uid %u), writable by us only", path,
			   (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777),
			   (unsigned int)geteuid());
	return 0;
}

/* A file we append to must be a regular file (not a FIFO or device put there). */
static int check_file(struct writer *w, int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return why(w, -errno, "failed to inspect dump file %s: %s", w->path,
			   strerror(errno));
	if (!S_ISREG(st.st_mode))
		return why(w, -EINVAL, "failed to open dump file %s: not a regular file", w->path);
	/* opened O_NONBLOCK so that a FIFO there could not block us; now blocking */
	if (fcntl(fd, F_SETFL, O_APPEND))
		return why(w, -errno, "failed to set up dump file %s: %s", w->path,
			   strerror(errno));
	return 0;
}

/* Why openat(at, name) failed: what is there says more than ELOOP, ENOTDIR or ENXIO. */
static const char *open_strerror(int at, const char *name, int errnum, bool dir)
{
	struct stat st;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW))
		return strerror(errnum);
	if (S_ISLNK(st.st_mode))
		return "a symbolic link (not followed)";
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		return dir ? "not a folder" : "not a regular file";
	return strerror(errnum);
}

/* DIR/DATE/TIME.txt, each component opened relative to the one before. */
static int open_dated(struct writer *w, time_t now)
{
	char date[32], name[32], datepath[4200];
	int dfd, datefd = -1, fd, err;
	const char *dir = w->dir ? w->dir : ".";

	dated_names(now, date, name);
	snprintf(datepath, sizeof(datepath), "%s/%s", dir, date);
	err = join_path(w->path, sizeof(w->path), dir, date, name);
	if (!err)
		err = make_dirs(dir);
	if (err)
		return why(w, err, "failed to create dump folder %s: %s", dir, strerror(-err));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return why(w, -errno, "failed to open dump folder %s: %s", dir, strerror(errno));
	err = check_dump_dir(w, dfd, dir);
	if (err)
		goto cleanup;
	if (mkdirat(dfd, date, DIR_MODE) && errno != EEXIST) {
		err = why(w, -errno, "failed to create dump folder %s: %s", datepath,
			  strerror(errno));
		goto cleanup;
	}
	datefd = openat(dfd, date, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (datefd < 0) {
		err = why(w, -errno, "failed to open dump folder %s: %s", datepath,
			  open_strerror(dfd, date, errno, true));
		goto cleanup;
	}
	err = check_date_dir(w, datefd, datepath);
	if (err)
		goto cleanup;
	fd = openat(datefd, name, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
			    O_NOCTTY | O_CLOEXEC, FILE_MODE);
	if (fd < 0) {
		err = why(w, -errno, "failed to open dump file %s: %s", w->path,
			  open_strerror(datefd, name, errno, false));
		goto cleanup;
	}
	err = check_file(w, fd);
	if (err) {
		close(fd);
		goto cleanup;
	}
	w->fd = fd;
cleanup:
	if (datefd >= 0)
		close(datefd);
	close(dfd);
	return err;
}

/* -o FILE: the caller's own path, followed as given (-o /dev/stdout works). */
static int open_named(struct writer *w)
{
	if (snprintf(w->path, sizeof(w->path), "%s", w->file) >= (int)sizeof(w->path))
		return why(w, -ENAMETOOLONG, "failed to open output file %.64s...: %s", w->file,
			   strerror(ENAMETOOLONG));
	w->fd = open(w->path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_CLOEXEC, FILE_MODE);
	if (w->fd < 0)
		return why(w, -errno, "failed to open output file %s: %s", w->path,
			   strerror(errno));
	return 0;
}

/* Is the file empty, or not a file at all (a pipe, a terminal): then it gets a header. */
static bool wants_header(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return true;
	return st.st_size == 0;
}

static int open_current(struct writer *w, time_t now)
{
	int err = 0;

	w->fd = -1;
	if (w->file && !strcmp(w->file, "-")) {
		w->fd = STDOUT_FILENO;
		snprintf(w->path, sizeof(w->path), "-");
	} else if (w->file) {
		err = open_named(w);
	} else {
		err = open_dated(w, now);
	}
	if (err)
		return err;
	w->day = local_day(now);
	/* once per file: an appended file already has its header */
	w->hdr_due = fmt_of(w)->header && wants_header(w->fd);
	w->fields_gen = fields_generation();
	return 0;
}

/* ---- writing ---- */

/* The first failure of an episode is said, with what happens to the records meanwhile. */
static void fail_episode(struct writer *w, int err, const char *what)
{
	w->last_err = err;
	if (w->failing)
		return;
	w->failing = true;
	w->episode_lost = 0;
	pr_err("%s; holding records in memory (up to %zu KiB) until it can be written\n", what,
	       hold_max(w) >> 10);
}

static void fail_write(struct writer *w, int err)
{
	char what[4400];

	snprintf(what, sizeof(what), "failed to write %s: %s", w->path, strerror(err));
	fail_episode(w, err, what);
}

static void end_episode(struct writer *w, uint64_t records)
{
	if (!w->failing)
		return;
	pr_info("dump file %s written again: %llu held records written, %llu lost while it "
		"could not be written\n", w->path, (unsigned long long)records,
		(unsigned long long)w->episode_lost);
	w->failing = false;
	w->dropping = false;
}

/* Records whose every byte is within the first n bytes of the buffer. */
static uint64_t records_in(const char *buf, size_t n)
{
	uint64_t k = 0;
	size_t i;

	for (i = 0; i < n; i++)
		k += buf[i] == '\n';
	return k;
}

/* A regular file: all of it, or nothing (what it took of it is cut off again). */
static int write_stream(struct writer *w, struct iovec *iov, int cnt, size_t skip,
			size_t *done);

static int write_file(struct writer *w, struct iovec *iov, int cnt, size_t total)
{
	off_t end = lseek(w->fd, 0, SEEK_END);
	ssize_t n;
	int err;

	n = writev(w->fd, iov, cnt);
	if (n == (ssize_t)total)
		return 0;
	err = n < 0 ? errno : 0;
	if (n >= 0) {
		/* a short write says nothing: writing the rest says why (ENOSPC, EDQUOT, EFBIG) */
		size_t done;

		if (!write_stream(w, iov, cnt, n, &done))
			return 0;
		err = errno;
		n += done;
	}
	if (n > 0 && end >= 0 && ftruncate(w->fd, end))
		pr_err("failed to cut %s back to its last whole record: %s\n", w->path,
		       strerror(errno));
	return -(err ? err : EIO);
}

/*
 * Write iov from byte 'skip' on (bytes before it already written); *done
 * gets what this call wrote. 0, or -errno with errno set.
 */
static int write_stream(struct writer *w, struct iovec *iov, int cnt, size_t skip,
			size_t *done)
{
	ssize_t n;
	int i = 0;

	*done = 0;
	for (; i < cnt && skip >= iov[i].iov_len; i++)
		skip -= iov[i].iov_len;
	if (i < cnt) {
		iov[i].iov_base = (char *)iov[i].iov_base + skip;
		iov[i].iov_len -= skip;
	}
	while (i < cnt) {
		n = writev(w->fd, iov + i, cnt - i);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return -errno;
		*done += n;
		for (; i < cnt && (size_t)n >= iov[i].iov_len; i++)
			n -= iov[i].iov_len;
		if (i < cnt) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= n;
		}
	}
	return 0;
}

static bool is_regular(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode);
}

/* Drop the first n bytes of the held records: they are in the file. */
static void consume(struct writer *w, size_t n)
{
	/* a stream took part of them: count the lines it took whole */
	uint64_t k = n == w->len ? w->held : records_in(w->buf, n);

	memmove(w->buf, w->buf + n, w->len - n);
	w->len -= n;
	w->written += k;
	w->held -= k < w->held ? k : w->held;
}

static int flush_out(struct writer *w)
{
	char hdr[HEADER_MAX];
	struct iovec iov[2];
	size_t total = 0, done = 0, hlen = 0;
	uint64_t records = w->held;
	int cnt = 0, err;

	if (w->hdr_due) {
		int n = fmt_of(w)->header(hdr, sizeof(hdr));

		hlen = n > 0 ? (size_t)n : 0;
		iov[cnt++] = (struct iovec){ hdr, hlen };
	}
	iov[cnt++] = (struct iovec){ w->buf, w->len };
	total = hlen + w->len;
	if (!total)
		return 0;
	if (is_regular(w->fd)) {
		err = write_file(w, iov, cnt, total);
		done = err ? 0 : total;
	} else {
		/* a pipe or a terminal: it cannot be cut back, what it took stays taken */
		err = write_stream(w, iov, cnt, 0, &done);
	}
	if (done >= hlen)
		w->hdr_due = false;
	if (done > hlen)
		consume(w, done - hlen);
	if (err) {
		fail_write(w, -err);
		return err;
	}
	end_episode(w, records);
	return 0;
}

static int grow(struct writer *w, size_t need)
{
	size_t cap = w->cap ? w->cap : FLUSH_AT + RECORD_MAX;
	char *b;

	while (cap < need)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	b = realloc(w->buf, cap);
	if (!b)
		return -ENOMEM;
	w->buf = b;
	w->cap = cap;
	return 0;
}

/* One more record lost: said once per episode, counted always. */
static int lose(struct writer *w)
{
	w->lost++;
	w->episode_lost++;
	if (!w->dropping) {
		w->dropping = true;
		pr_err("failed to hold more records for %s: %zu KiB held; records are lost "
		       "until it can be written\n", w->path, w->len >> 10);
	}
	return -ENOBUFS;
}

/*
 * The plugins' fields changed: the next records have other columns, so a
 * header line of the new columns goes before them, in line behind what is
 * held (the old columns). It is made now: the fields may change again
 * before the file takes it. (A stream that takes part of the buffer counts
 * its whole lines as records: a header line among them is one too many.)
 */
static void columns_changed(struct writer *w)
{
	char hdr[HEADER_MAX];
	int n;

	w->fields_gen = fields_generation();
	if (!fmt_of(w)->header || w->hdr_due)
		return;		/* a new file's header is made when it is written */
	n = fmt_of(w)->header(hdr, sizeof(hdr));
	if (n > 0 && !grow(w, w->len + n)) {
		memcpy(w->buf + w->len, hdr, n);
		w->len += n;
	}
}

int writer_write(struct writer *w, struct flow_record *r)
{
	char rec[RECORD_MAX];
	int n;

	r->flow_id = w->next_id++;
	/* plugins loaded or unloaded: their columns changed, a header line says so */
	if (w->fields_gen != fields_generation())
		columns_changed(w);
	n = fmt_of(w)->record(r, w->ifname, rec, sizeof(rec));
	if (n <= 0)
		return -EINVAL;
	/* while the file fails, memory holds what it cannot take, up to hold_max */
	if ((w->failing || w->fd < 0) && w->len + n > hold_max(w))
		return lose(w);
	if (grow(w, w->len + n))
		return lose(w);
	memcpy(w->buf + w->len, rec, n);
	w->len += n;
	w->held++;
	/* while failing, retry once per flush (period), not once per record */
	if (w->len >= FLUSH_AT && !w->failing && w->fd >= 0)
		flush_out(w);
	return 0;
}

int writer_flush(struct writer *w)
{
	if (w->fd < 0)
		return w->held ? -EIO : 0;
	return flush_out(w);
}

/* ---- life cycle ---- */

int writer_open(struct writer *w, time_t now)
{
	int err;

	w->fd = -1;
	err = open_current(w, now);
	if (err) {
		pr_err("%s\n", w->why);
		return err;
	}
	/* a new file's header at once, as before any record */
	if (w->hdr_due)
		flush_out(w);
	return 0;
}

static void close_current(struct writer *w)
{
	if (w->fd < 0)
		return;
	flush_out(w);
	if (w->fd != STDOUT_FILENO)
		close(w->fd);
	w->fd = -1;
}

void writer_close(struct writer *w)
{
	close_current(w);
	if (w->held) {
		pr_err("failed to write %llu records to %s: %s; they are lost\n",
		       (unsigned long long)w->held, w->path[0] ? w->path : "the dump",
		       strerror(w->last_err ? w->last_err : EIO));
		w->lost += w->held;
		w->held = 0;
	}
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

int writer_rotate(struct writer *w, time_t now)
{
	int err;

	close_current(w);
	/* records still held go to the new file, after its header */
	err = open_current(w, now);
	if (err) {
		fail_episode(w, -err, w->why);
		return err;
	}
	flush_out(w);
	return 0;
}

int writer_maybe_rotate(struct writer *w, time_t now)
{
	/* a file that failed to open is tried again every period */
	if (w->fd >= 0 && (w->file || local_day(now) == w->day))
		return 0;
	return writer_rotate(w, now);
}
