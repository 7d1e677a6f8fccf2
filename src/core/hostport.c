// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* hostport.c - "HOST[:PORT]" and "[ADDR][:PORT]": one parser for -x and --metrics. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hostport.h"

static bool host_chars(const char *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
			return false;
	return n > 0;
}

/* "[ADDR]" or "[ADDR%ZONE]" with an IPv6 literal, else a name or IPv4 address. */
static bool host_valid(const char *h, size_t n)
{
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	size_t alen;

	if (!n || h[0] != '[')
		return host_chars(h, n);
	if (n < 3 || h[n - 1] != ']')
		return false;
	alen = strcspn(h + 1, "%]");
	if (alen >= sizeof(addr))
		return false;
	memcpy(addr, h + 1, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, &a6) != 1)
		return false;
	if (h[1 + alen] == ']')
		return 1 + alen == n - 1;
	return host_chars(h + 2 + alen, n - 3 - alen);	/* the zone */
}

static int port_parse(const char *s, unsigned int *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EDOM;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EDOM;
	if (errno == ERANGE || v < 1 || v > 65535)
		return -ERANGE;
	*port = (unsigned int)v;
	return 0;
}

int hostport_parse(const char *spec, bool bare_port, char *host, size_t hlen, unsigned int *port)
{
	const char *end;
	size_t n;

	*port = 0;
	host[0] = '\0';
	if (bare_port && !strchr(spec, ':'))
		return port_parse(spec, port);
	if (spec[0] == '[') {
		end = strchr(spec, ']');
		end = end ? end + 1 : NULL;
	} else {
		end = spec + strcspn(spec, ":");
	}
	if (!end || (*end && *end != ':'))
		return -EINVAL;
	n = (size_t)(end - spec);
	if (!host_valid(spec, n) || n >= hlen)
		return -EINVAL;
	if (spec[0] == '[')
		snprintf(host, hlen, "%.*s", (int)n - 2, spec + 1);
	else
		snprintf(host, hlen, "%.*s", (int)n, spec);
	return *end ? port_parse(end + 1, port) : 0;
}
