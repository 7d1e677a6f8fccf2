/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * httpd.h - the --metrics endpoint: libmicrohttpd serves GET /metrics from
 * its own thread with the last text the scan loop published (Prometheus
 * text format), so a scrape never waits for a scan and never touches the
 * kernel.
 */
#ifndef __FLOWMON_HTTPD_H
#define __FLOWMON_HTTPD_H

#include <stddef.h>

struct httpd;

/*
 * Listen on spec: "PORT" (every address, IPv4 and IPv6), "ADDR:PORT" or
 * "[ADDR6]:PORT". NULL with "failed to <verb> <object>: <reason>" in err.
 */
struct httpd *httpd_start(const char *spec, char *err, size_t errlen);
/* Replace the text served (copied). 0 or -ENOMEM. */
int httpd_publish(struct httpd *h, const char *text, size_t len);
void httpd_stop(struct httpd *h);

#endif /* __FLOWMON_HTTPD_H */
