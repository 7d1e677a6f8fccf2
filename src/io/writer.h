/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * writer.h - where flow records go: dated dump files
 * <dir>/<YYYY-MM-DD>/<HHMMSS>.txt (rotated daily and on SIGHUP), one file
 * (-o FILE), or stdout (-o -), in one of the record formats of format.h
 * (a header line per file when the format has one). Pure stdio:
 * unit-testable without root.
 */
#ifndef __FLOWMON_WRITER_H
#define __FLOWMON_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "flowrec.h"
#include "format.h"

struct writer {
	const char *dir;	/* dump folder (dated files) or NULL */
	const char *file;	/* -o FILE, "-" for stdout, or NULL */
	const struct record_format *fmt;	/* NULL: text */
	ifname_fn ifname;
	FILE *f;
	char path[4096];	/* current file */
	int day;		/* day (YYYYMMDD, local time) of the current dated file */
	uint64_t next_id;	/* FLOW_ID of the next record */
	uint64_t written;
	unsigned int fields_gen;	/* fields_generation() of the last header line */
};

/* Open the first file. Returns 0 or -errno after one error line on stderr. */
int writer_open(struct writer *w, time_t now);
/* Close the current file and open a new one (SIGHUP, new day). */
int writer_rotate(struct writer *w, time_t now);
/* Rotate if the local date changed since the file was opened. */
int writer_maybe_rotate(struct writer *w, time_t now);
int writer_write(struct writer *w, struct flow_record *r);
int writer_flush(struct writer *w);
void writer_close(struct writer *w);

/* Dated path for time t under dir: <dir>/<YYYY-MM-DD>/<HHMMSS>.txt. */
int writer_dated_path(const char *dir, time_t t, char *out, size_t len);

#endif /* __FLOWMON_WRITER_H */
