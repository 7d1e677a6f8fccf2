/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * hostport.h - "HOST[:PORT]" as the options write an address: the IPFIX
 * collectors of -x and the metrics address of --metrics. One grammar,
 * checked where the options are read (opts.c) and split again where the
 * address is used (export.c, httpd.c).
 */
#ifndef __FLOWMON_HOSTPORT_H
#define __FLOWMON_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Split spec: "HOST", "HOST:PORT", "[ADDR]" or "[ADDR]:PORT" (an IPv6
 * literal in brackets, RFC 3986 3.2.2, with an optional %ZONE), and with
 * bare_port a lone "PORT" as well (then host is ""). HOST is a name or an
 * IPv4 address (letters, digits, '-', '.', '_'). host gets HOST without
 * brackets, *port the port or 0 when there is none. 0, or -EINVAL (not
 * that form), -EDOM (the port is not a number), -ERANGE (not 1-65535).
 */
int hostport_parse(const char *spec, bool bare_port, char *host, size_t hlen, unsigned int *port);

#endif /* __FLOWMON_HOSTPORT_H */
