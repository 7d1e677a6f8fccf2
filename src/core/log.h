/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * log.h - the one logging path of tc_flowmon_user: leveled messages to
 * stdout, stderr or the -l file; errors also reach stderr. Every module
 * logs through pr_*(), libbpf's own messages included (log_vmsg).
 */
#ifndef __FLOWMON_LOG_H
#define __FLOWMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERR = 0, LOG_INFO = 1, LOG_VERBOSE = 2, LOG_DEBUG = 3 };

/* NULL path: stdout; "-": stderr. Returns 0 or -errno (one line on stderr). */
int log_open(const char *path, int level);
/*
 * Open the -l file again under its name (SIGHUP): after logrotate moved
 * it, messages go to the new file. No-op for stdout/stderr. 0 or -errno;
 * on failure the old file stays in use.
 */
int log_reopen(void);
void log_close(void);
int log_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define pr_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define pr_verbose(...)	log_msg(LOG_VERBOSE, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* __FLOWMON_LOG_H */
