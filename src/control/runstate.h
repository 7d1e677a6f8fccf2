/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * runstate.h - what the daemon (run, on a pinned table) tells `status`
 * about its records: written to the dump, held in memory while the dump
 * cannot be written, lost. bpffs is the record of an instance, so the
 * counts live there too: an array map of one entry pinned beside the
 * table as <prefix>_daemon (pinname.h), created by run, updated every
 * period and removed when the daemon exits (its last counts are in its
 * log); after a crash status sees it stopped, and purge removes it.
 */
#ifndef __FLOWMON_RUNSTATE_H
#define __FLOWMON_RUNSTATE_H

#include <stdint.h>

#define FLOWMON_MAP_DAEMON	"flowmon_daemon"

struct flowmon_runstate {
	uint64_t pid;		/* the daemon's, 0 once it stopped */
	uint64_t updated;	/* CLOCK_REALTIME seconds of the last update */
	uint64_t written;	/* records written to the dump */
	uint64_t held;		/* records held in memory: the dump cannot be written now */
	uint64_t lost;		/* records lost (hold full, or still held at exit) */
	uint64_t failing;	/* 1 while the dump cannot be written */
};

/* The map of the table at table_path, created and pinned when missing. fd or -errno. */
int runstate_open(const char *table_path);
int runstate_update(int fd, const struct flowmon_runstate *rs);
/* Read it: 0, -ENOENT when no daemon ever ran on that table, or -errno. */
int runstate_read(const char *table_path, struct flowmon_runstate *rs);
/* Unpin it (the daemon's exit). */
void runstate_remove(const char *table_path);
/* Its pinned path. 0 or -ENAMETOOLONG. */
int runstate_path(const char *table_path, char *out, size_t len);

#endif /* __FLOWMON_RUNSTATE_H */
