// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* httpd.c - the Prometheus endpoint on libmicrohttpd. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "hostport.h"
#include "httpd.h"
#include "log.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define MAX_CONNECTIONS 16
#define CONNECTION_TIMEOUT_S 10

struct httpd {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *text;		/* the last published exposition */
	size_t len;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result metrics_reply(struct httpd *h, struct MHD_Connection *conn)
{
	enum MHD_Result ret;

	pthread_mutex_lock(&h->lock);
	ret = reply(conn, MHD_HTTP_OK, CONTENT_TYPE, h->text ? h->text : "", h->len);
	pthread_mutex_unlock(&h->lock);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static const char index_page[] = "bpfFlowMon: metrics at /metrics\n";
	static const char not_found[] = "not found: metrics are at /metrics\n";

	(void)version;
	(void)upload;
	(void)con_cls;
	if (*upload_size)
		return MHD_NO;	/* GET and HEAD carry no body */
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", "GET only\n", 9);
	if (!strcmp(url, "/metrics"))
		return metrics_reply(cls, conn);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/plain", index_page, sizeof(index_page) - 1);
	return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, sizeof(not_found) - 1);
}

/* HOST and port -> the one address to listen on (a lone PORT needs none: dual stack). */
static int resolve(const char *spec, const char *host, unsigned int port,
		   struct sockaddr_storage *sa, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char serv[16];
	int rc;

	snprintf(serv, sizeof(serv), "%u", port);
	rc = getaddrinfo(host, serv, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "failed to resolve metrics address %s: %s", spec,
			 rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* libmicrohttpd's own errors (a refused connection, ...) into the one log, not stderr. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	log_vmsg(LOG_ERR, fmt, ap);
}

struct httpd *httpd_start(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage sa = { 0 };
	struct httpd *h = calloc(1, sizeof(*h));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	unsigned int port;
	char host[256];
	bool any;

	if (!h) {
		snprintf(err, errlen, "failed to start metrics server: %s", strerror(ENOMEM));
		return NULL;
	}
	if (hostport_parse(spec, true, host, sizeof(host), &port) || !port) {
		snprintf(err, errlen, "failed to parse metrics address %s: expected [ADDR:]PORT",
			 spec);
		free(h);
		return NULL;
	}
	any = !host[0];
	pthread_mutex_init(&h->lock, NULL);
	if (any) {
		/* one IPv6 socket that takes IPv4 too */
		h->d = MHD_start_daemon(flags | MHD_USE_DUAL_STACK, port, NULL, NULL, on_request, h,
					MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS,
					MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
					MHD_OPTION_END);
	} else if (!resolve(spec, host, port, &sa, err, errlen)) {
		if (sa.ss_family == AF_INET6)
			flags |= MHD_USE_IPv6;
		h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h,
					MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
					MHD_OPTION_CONNECTION_LIMIT, MAX_CONNECTIONS,
					MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
					MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
					MHD_OPTION_END);
	} else {
		httpd_stop(h);
		return NULL;
	}
	if (!h->d) {
		/* libmicrohttpd logged the cause (mhd_log); errno is not reliable */
		snprintf(err, errlen, "failed to listen on metrics address %s: %s", spec,
			 "address in use, not local, or no permission");
		httpd_stop(h);
		return NULL;
	}
	return h;
}

int httpd_publish(struct httpd *h, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	pthread_mutex_lock(&h->lock);
	free(h->text);
	h->text = copy;
	h->len = len;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	if (h->d)
		MHD_stop_daemon(h->d);
	pthread_mutex_destroy(&h->lock);
	free(h->text);
	free(h);
}
