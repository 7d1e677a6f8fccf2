/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * writer.h - where flow records go: dated dump files
 * <dir>/<YYYY-MM-DD>/<HHMMSS>.txt (rotated daily and on SIGHUP), one file
 * (-o FILE), or stdout (-o -), in one of the record formats of format.h
 * (a header line per file when the format has one). Unit-testable without
 * root.
 *
 * A record reaches its file whole or not at all: records are formatted
 * into a buffer and written with one write(2) per flush; a write that the
 * file takes only in part (disk full, quota, file size limit) is cut back
 * to the last whole record. Records that cannot be written are held in
 * memory, up to hold_max bytes, and written when the file takes them
 * again (retried at every flush); past that they are lost, and counted.
 * Each episode is logged twice: once when writing fails, once when it
 * works again.
 *
 * Dump folders: the dated files are opened relative to the dump folder
 * and its date folder (openat), never following a symbolic link at the
 * last component (O_NOFOLLOW); date folders are created 0750 and must be
 * ours; the dump folder must not be writable by others without the sticky
 * bit, nor belong to another user (root's are fine). Files are created
 * 0640. -o FILE is a path the caller chose and is opened as given.
 */
#ifndef __FLOWMON_WRITER_H
#define __FLOWMON_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include "flowrec.h"
#include "format.h"

/* Records held in memory while the file cannot be written (bytes). */
#define WRITER_HOLD_DEFAULT	(16u << 20)

struct writer {
	const char *dir;	/* dump folder (dated files) or NULL */
	const char *file;	/* -o FILE, "-" for stdout, or NULL */
	const struct record_format *fmt;	/* NULL: text */
	ifname_fn ifname;
	size_t hold_max;	/* bytes of records held while failing; 0: the default */
	int fd;			/* current file, -1 when none is open */
	char path[4096];	/* current file */
	int day;		/* day (YYYYMMDD, local time) of the current dated file */
	uint64_t next_id;	/* FLOW_ID of the next record */
	/* records: written to a file, held in memory, lost (hold_max, or at close) */
	uint64_t written;
	uint64_t held;
	uint64_t lost;
	/* internal */
	char *buf;		/* held records, whole lines */
	size_t len, cap;
	bool hdr_due;		/* the current file is new: its header goes first */
	bool failing;		/* in a write-failure episode */
	bool dropping;		/* ... and the hold is full */
	uint64_t episode_lost;	/* records lost in this episode */
	int last_err;		/* errno of the failure */
	char why[4400];		/* why the last open failed */
	unsigned int fields_gen;	/* fields_generation() of the last header line */
};

/* Open the first file. Returns 0 or -errno after one error line on stderr. */
int writer_open(struct writer *w, time_t now);
/* Close the current file and open a new one (SIGHUP, new day). */
int writer_rotate(struct writer *w, time_t now);
/* Rotate if the local date changed since the file was opened; reopen a file that failed. */
int writer_maybe_rotate(struct writer *w, time_t now);
/*
 * Format the record (its FLOW_ID set) and queue it. 0 when it is written or
 * held, -ENOBUFS when it was lost (hold full), -EINVAL when it cannot be
 * formatted.
 */
int writer_write(struct writer *w, struct flow_record *r);
/* Write what is held. 0, or -errno while the file cannot take it (records still held). */
int writer_flush(struct writer *w);
/* Flush, close; what still cannot be written is counted lost (one error line). */
void writer_close(struct writer *w);

/* Dated path for time t under dir: <dir>/<YYYY-MM-DD>/<HHMMSS>.txt. */
int writer_dated_path(const char *dir, time_t t, char *out, size_t len);

#endif /* __FLOWMON_WRITER_H */
