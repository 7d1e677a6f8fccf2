// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* writer.c - dump files with daily and SIGHUP rotation, -o file or stdout. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "log.h"
#include "fields.h"
#include "writer.h"

static int local_day(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int writer_dated_path(const char *dir, time_t t, char *out, size_t len)
{
	struct tm tm;
	int n;

	localtime_r(&t, &tm);
	n = snprintf(out, len, "%s/%04d-%02d-%02d/%02d%02d%02d.txt", dir, tm.tm_year + 1900,
		     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p of the folders leading to path (the original gave up on these). */
static int make_parents(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/* A new dated file must not overwrite one from a run started in the same second. */
static FILE *open_new(const char *path)
{
	return fopen(path, "a");
}

static const struct record_format *fmt_of(const struct writer *w)
{
	return w->fmt ? w->fmt : format_find("text");
}

static void write_header(struct writer *w)
{
	char hdr[16384];

	if (fmt_of(w)->header && fmt_of(w)->header(hdr, sizeof(hdr)) > 0)
		fputs(hdr, w->f);
}

static int open_current(struct writer *w, time_t now)
{
	int err;

	if (w->file && !strcmp(w->file, "-")) {
		w->f = stdout;
		snprintf(w->path, sizeof(w->path), "-");
	} else {
		if (w->file)
			err = snprintf(w->path, sizeof(w->path), "%s", w->file) >=
			      (int)sizeof(w->path) ? -ENAMETOOLONG : 0;
		else
			err = writer_dated_path(w->dir ? w->dir : ".", now, w->path,
						sizeof(w->path));
		if (!err)
			err = make_parents(w->path);
		if (err) {
			pr_err("failed to create dump folder for %s: %s\n", w->path,
				strerror(-err));
			return err;
		}
		w->f = open_new(w->path);
		if (!w->f) {
			err = -errno;
			pr_err("failed to open dump file %s: %s\n", w->path,
				strerror(errno));
			return err;
		}
	}
	w->day = local_day(now);
	/* once per file: an appended file already has its header */
	if (ftell(w->f) <= 0)
		write_header(w);
	w->fields_gen = fields_generation();
	return 0;
}

int writer_open(struct writer *w, time_t now)
{
	w->f = NULL;
	return open_current(w, now);
}

void writer_close(struct writer *w)
{
	if (!w->f)
		return;
	fflush(w->f);
	if (w->f != stdout)
		fclose(w->f);
	w->f = NULL;
}

int writer_rotate(struct writer *w, time_t now)
{
	writer_close(w);
	return open_current(w, now);
}

int writer_maybe_rotate(struct writer *w, time_t now)
{
	/* a file that failed to open is tried again every period */
	if (w->f && (w->file || local_day(now) == w->day))
		return 0;
	return writer_rotate(w, now);
}

int writer_write(struct writer *w, struct flow_record *r)
{
	char buf[16384];
	int n;

	r->flow_id = w->next_id++;
	/* plugins loaded or unloaded: their columns changed, a header line says so */
	if (w->f && w->fields_gen != fields_generation()) {
		write_header(w);
		w->fields_gen = fields_generation();
	}
	n = fmt_of(w)->record(r, w->ifname, buf, sizeof(buf));
	if (n < 0 || !w->f)
		return -EINVAL;
	if (fwrite(buf, 1, n, w->f) != (size_t)n)
		return -EIO;
	w->written++;
	return 0;
}

int writer_flush(struct writer *w)
{
	return w->f && fflush(w->f) ? -errno : 0;
}
