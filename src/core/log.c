// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* log.c - leveled log: errors always reach stderr, the rest the log file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "log.h"

static FILE *log_file;
static int log_lvl = LOG_INFO;

int log_open(const char *path, int level)
{
	log_lvl = level;
	if (!path) {
		log_file = stdout;
		return 0;
	}
	if (!strcmp(path, "-")) {
		log_file = stderr;	/* records own stdout */
		return 0;
	}
	log_file = fopen(path, "a");	/* append: logrotate and restarts keep history */
	if (!log_file) {
		int err = -errno;

		fprintf(stderr, "failed to open log file %s: %s\n", path, strerror(errno));
		log_file = stdout;
		return err;
	}
	setvbuf(log_file, NULL, _IOLBF, 0);
	return 0;
}

void log_close(void)
{
	if (log_file && log_file != stdout && log_file != stderr)
		fclose(log_file);
	log_file = NULL;
}

int log_level(void)
{
	return log_lvl;
}

void log_msg(int level, const char *fmt, ...)
{
	FILE *f = log_file ? log_file : stdout;
	va_list ap;

	if (level > log_lvl && level != LOG_ERR)
		return;
	if (level == LOG_ERR)
		f = stderr;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (level == LOG_ERR && log_file && log_file != stdout && log_file != stderr) {
		va_start(ap, fmt);
		vfprintf(log_file, fmt, ap);
		va_end(ap);
	}
	fflush(f);
}
