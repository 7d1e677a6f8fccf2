/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* log.h - leveled messages to stdout or the -l file; errors also to stderr. */
#ifndef __FLOWMON_LOG_H
#define __FLOWMON_LOG_H

enum log_level { LOG_ERR = 0, LOG_INFO = 1, LOG_VERBOSE = 2, LOG_DEBUG = 3 };

/* NULL path: stdout; "-": stderr. Returns 0 or -errno (one line on stderr). */
int log_open(const char *path, int level);
void log_close(void);
int log_level(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define pr_verbose(...)	log_msg(LOG_VERBOSE, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* __FLOWMON_LOG_H */
