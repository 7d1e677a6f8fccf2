// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* log.c - leveled log: errors always reach stderr, the rest the log file. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"

static FILE *log_file;
static char log_path[4096];	/* "" when the log is stdout or stderr */
static int log_lvl = LOG_INFO;
/* --metrics' server thread logs too: a line is never written into a file being swapped */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* Appended (logrotate and restarts keep history), created 0640: flows are not for everyone. */
static FILE *open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_CLOEXEC, 0640);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

static bool is_file(const FILE *f)
{
	return f && f != stdout && f != stderr;
}

int log_open(const char *path, int level)
{
	log_lvl = level;
	log_path[0] = '\0';
	if (!path) {
		log_file = stdout;
		return 0;
	}
	if (!strcmp(path, "-")) {
		log_file = stderr;	/* records own stdout */
		return 0;
	}
	log_file = open_append(path);
	if (!log_file) {
		int err = -errno;

		fprintf(stderr, "failed to open log file %s: %s\n", path, strerror(errno));
		log_file = stdout;
		return err;
	}
	snprintf(log_path, sizeof(log_path), "%s", path);
	return 0;
}

int log_reopen(void)
{
	FILE *f;
	int err;

	if (!log_path[0])
		return 0;
	f = open_append(log_path);
	if (!f) {
		err = -errno;
		pr_err("failed to reopen log file %s: %s\n", log_path, strerror(-err));
		return err;
	}
	pthread_mutex_lock(&log_lock);
	if (is_file(log_file))
		fclose(log_file);
	log_file = f;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (is_file(log_file))
		fclose(log_file);
	log_file = NULL;
	log_path[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

int log_level(void)
{
	return log_lvl;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	va_list copy;
	FILE *f;

	if (level > log_lvl && level != LOG_ERR)
		return;
	pthread_mutex_lock(&log_lock);
	f = level == LOG_ERR ? stderr : log_file ? log_file : stdout;
	/* an error also goes into the -l file, so the daemon's log tells all */
	if (level == LOG_ERR && is_file(log_file)) {
		va_copy(copy, ap);
		vfprintf(log_file, fmt, copy);
		va_end(copy);
	}
	vfprintf(f, fmt, ap);
	fflush(f);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
