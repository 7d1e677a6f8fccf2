// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* export.c - IPFIX collectors over UDP and TCP: sessions, queues, reconnects. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "now.h"
#include "export.h"
#include "hostport.h"
#include "fields.h"

enum col_state {
	COL_DOWN,		/* TCP: waiting for retry_ms */
	COL_CONNECTING,		/* TCP: non-blocking connect in progress */
	COL_UP,			/* UDP: always; TCP: connected */
};

#define TCP_QUEUE_MSGS		1024
#define TCP_CONNECT_TIMEOUT_MS	10000

/* A message in the TCP queue: where it ends and how many flow records it holds. */
struct queued_msg {
	size_t end;
	uint32_t len;
	uint32_t flows;
};

struct collector {
	char name[256];
	bool tcp;
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd;
	enum col_state state;
	uint64_t retry_ms;	/* DOWN: next connect attempt */
	uint64_t conn_ms;	/* CONNECTING: since when */
	uint64_t backoff_ms;
	uint32_t seq;		/* data records sent in this session (header sequence) */
	bool tmpl_due;		/* templates go at the start of the next message */
	uint8_t l2_used;	/* L2 templates (bit = tid - IPFIX_TID_L2) sent and in use */
	uint16_t plug_used;	/* plugin templates (bit = tid - their base) of plug_gen */
	unsigned int plug_gen;	/* fields_generation() they were sent for */
	bool stats_due;		/* so does the statistics record */
	uint64_t tmpl_ms;	/* templates last sent */
	uint64_t stats_ms;	/* statistics last sent */
	struct ipfix_msg msg;	/* message being built */
	bool open;
	uint64_t open_ms;
	uint32_t flows;		/* flow records in the open message */
	uint8_t buf[IPFIX_MAX_MSG];
	uint8_t *q;		/* TCP: bytes not yet written */
	size_t q_len, q_sent;
	struct queued_msg qm[TCP_QUEUE_MSGS];
	int qm_n;
	struct ipfix_collector_stats st;
};

struct ipfix_exporter {
	struct collector *col;
	int n;
	uint32_t odid;
	uint32_t pen;		/* PEN of our own elements */
	bool uniflow;
	size_t max_msg;
	uint64_t tmpl_interval_ms;
	uint64_t stats_interval_ms;
	struct ipfix_meter_stats meter;
	bool closed;		/* ipfix_exporter_close() was called */
};

uint64_t ipfix_now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

/* ---- collector specs ---- */

static int parse_collector(struct collector *c, const char *spec, char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	const char *p = spec;
	char host[256], port[16];
	unsigned int num;
	int rc;

	snprintf(c->name, sizeof(c->name), "%s", spec);
	if (!strncmp(p, "tcp://", 6) || !strncmp(p, "udp://", 6)) {
		c->tcp = p[0] == 't';
		p += 6;
	}
	if (hostport_parse(p, false, host, sizeof(host), &num)) {
		snprintf(err, errlen, "failed to parse collector %s: expected [tcp://]HOST[:PORT]",
			 spec);
		return -EINVAL;
	}
	snprintf(port, sizeof(port), "%u", num ? num : IPFIX_PORT);
	hints.ai_socktype = c->tcp ? SOCK_STREAM : SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res) {
		snprintf(err, errlen, "failed to resolve collector %s: %s", spec,
			 rc ? gai_strerror(rc) : "no address");
		return -EINVAL;
	}
	memcpy(&c->sa, res->ai_addr, res->ai_addrlen);
	c->salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* ---- TCP connection state ---- */

static void drop_pending(struct collector *c)
{
	int i;

	for (i = 0; i < c->qm_n; i++)
		c->st.records_dropped += c->qm[i].flows;
	if (c->open)
		c->st.records_dropped += c->flows;
	c->qm_n = 0;
	c->q_len = c->q_sent = 0;
	c->open = false;
	c->flows = 0;
}

static void tcp_fail(struct collector *c, uint64_t now)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = COL_DOWN;
	c->st.up = false;
	c->st.send_errors++;
	drop_pending(c);
	c->retry_ms = now + c->backoff_ms;
	c->backoff_ms *= 2;
	if (c->backoff_ms > IPFIX_BACKOFF_MAX_MS)
		c->backoff_ms = IPFIX_BACKOFF_MAX_MS;
}

/* A new connection is a new Transport Session: sequence from 0, templates first. */
static void tcp_up(struct collector *c)
{
	c->state = COL_UP;
	c->st.up = true;
	c->st.connects++;
	c->backoff_ms = IPFIX_BACKOFF_MIN_MS;
	c->seq = 0;
	c->tmpl_due = true;
	c->stats_due = true;
}

static void tcp_start(struct collector *c, uint64_t now)
{
	c->fd = socket(c->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		tcp_fail(c, now);
		return;
	}
	c->conn_ms = now;
	if (!connect(c->fd, (struct sockaddr *)&c->sa, c->salen))
		tcp_up(c);
	else if (errno == EINPROGRESS)
		c->state = COL_CONNECTING;
	else
		tcp_fail(c, now);
}

static void tcp_poll_connect(struct collector *c, uint64_t now)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&pfd, 1, 0) <= 0) {
		if (now - c->conn_ms >= TCP_CONNECT_TIMEOUT_MS)
			tcp_fail(c, now);
		return;
	}
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) || soerr)
		tcp_fail(c, now);
	else
		tcp_up(c);
}

/* Write what the socket takes; count messages once fully written. */
static void tcp_drain(struct collector *c, uint64_t now)
{
	ssize_t n;
	int i;

	while (c->state == COL_UP && c->q_sent < c->q_len) {
		n = send(c->fd, c->q + c->q_sent, c->q_len - c->q_sent, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0) {
			tcp_fail(c, now);
			return;
		}
		c->q_sent += n;
	}
	for (i = 0; i < c->qm_n && c->qm[i].end <= c->q_sent; i++) {
		c->st.records_sent += c->qm[i].flows;
		c->st.messages_sent++;
		c->st.octets_sent += c->qm[i].len;
	}
	memmove(c->qm, c->qm + i, (c->qm_n - i) * sizeof(c->qm[0]));
	c->qm_n -= i;
	if (c->q_sent == c->q_len)
		c->q_len = c->q_sent = 0;
}

static void col_progress(struct collector *c, uint64_t now)
{
	if (!c->tcp)
		return;
	if (c->state == COL_DOWN && now >= c->retry_ms)
		tcp_start(c, now);
	if (c->state == COL_CONNECTING)
		tcp_poll_connect(c, now);
	if (c->state == COL_UP && c->q_len)
		tcp_drain(c, now);
}

/* ---- sending ---- */

static void tcp_enqueue(struct collector *c, size_t len, uint32_t flows, uint64_t now)
{
	int i;

	if (c->state != COL_UP) {
		c->st.records_dropped += flows;
		return;
	}
	if (c->q_sent && c->q_len + len > IPFIX_TCP_QUEUE) {
		/* compact: messages already written leave the front */
		memmove(c->q, c->q + c->q_sent, c->q_len - c->q_sent);
		for (i = 0; i < c->qm_n; i++)
			c->qm[i].end -= c->q_sent;
		c->q_len -= c->q_sent;
		c->q_sent = 0;
	}
	if (c->q_len + len > IPFIX_TCP_QUEUE || c->qm_n == TCP_QUEUE_MSGS) {
		c->st.records_dropped += flows;
		return;
	}
	memcpy(c->q + c->q_len, c->buf, len);
	c->q_len += len;
	c->qm[c->qm_n++] = (struct queued_msg){ c->q_len, len, flows };
	tcp_drain(c, now);
}

static void udp_send(struct collector *c, size_t len, uint32_t flows)
{
	ssize_t n = send(c->fd, c->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n == (ssize_t)len) {
		c->st.records_sent += flows;
		c->st.messages_sent++;
		c->st.octets_sent += len;
		return;
	}
	/* e.g. ECONNREFUSED: nobody listened; it may be back with no templates */
	c->st.send_errors++;
	c->st.records_dropped += flows;
	c->tmpl_due = true;
}

/* Finish and send the open message. Its records count in the sequence even if lost. */
static void col_send(struct collector *c, uint64_t now)
{
	size_t len;

	if (!c->open || ipfix_msg_empty(&c->msg)) {
		c->open = false;
		return;
	}
	len = ipfix_msg_finish(&c->msg, (uint32_t)time(NULL));
	c->seq += c->msg.nrec;
	c->open = false;
	if (c->tcp)
		tcp_enqueue(c, len, c->flows, now);
	else
		udp_send(c, len, c->flows);
	c->flows = 0;
}

static void col_reopen(struct ipfix_exporter *e, struct collector *c, uint64_t now)
{
	ipfix_msg_init(&c->msg, c->buf, e->max_msg, e->odid, c->seq);
	c->msg.pen = e->pen;
	c->open = true;
	c->open_ms = now;
	c->flows = 0;
}

/* Add with one retry in a fresh message. kind: 0 template tid, 1 statistics, 2 flow r. */
static int col_put(struct ipfix_exporter *e, struct collector *c, uint64_t now, int kind,
		   uint16_t tid, const struct flow_record *r)
{
	struct ipfix_stats st;
	int try, rc = -ENOSPC;

	for (try = 0; try < 2 && rc == -ENOSPC; try++) {
		if (try) {
			if (ipfix_msg_empty(&c->msg))
				break;
			col_send(c, now);
			if (c->state != COL_UP)
				return -EPIPE;
			col_reopen(e, c, now);
		}
		if (kind == 0) {
			rc = ipfix_msg_add_template(&c->msg, tid);
		} else if (kind == 1) {
			st = (struct ipfix_stats){ e->meter, c->st.records_sent,
						   c->st.records_dropped, c->st.messages_sent,
						   c->st.octets_sent };
			rc = ipfix_msg_add_stats(&c->msg, &st);
		} else {
			rc = ipfix_msg_add_flow(&c->msg, r, e->uniflow);
		}
	}
	return rc;
}

static bool tmpl_due(const struct ipfix_exporter *e, const struct collector *c, uint64_t now)
{
	/* over TCP once per connection; over UDP refreshed periodically (RFC 7011 section 8) */
	return c->tmpl_due || (!c->tcp && now - c->tmpl_ms >= e->tmpl_interval_ms);
}

static bool stats_due(const struct ipfix_exporter *e, const struct collector *c, uint64_t now)
{
	return c->stats_due || now - c->stats_ms >= e->stats_interval_ms;
}

/*
 * Templates and the statistics record at the start of a fresh message.
 * The statistics record counts in the sequence (RFC 7011 3.1: all Data
 * Records); its message is sent at once so that it never shares one with
 * flow records, which keeps nfdump (it counts flow records only) in sync at
 * session start.
 */
static void col_announce(struct ipfix_exporter *e, struct collector *c, uint64_t now)
{
	uint16_t tids[IPFIX_N_TEMPLATES];
	int i, n;

	if (tmpl_due(e, c, now)) {
		/* cleared first: a send error on the way arms it again */
		c->tmpl_due = false;
		c->tmpl_ms = now;
		n = ipfix_session_templates(e->uniflow, tids, IPFIX_N_TEMPLATES);
		for (i = 0; i < n; i++)
			if (col_put(e, c, now, 0, tids[i], NULL) == -EPIPE)
				return;
		/* the L2 templates in use go again too, and the plugin ones of this generation */
		for (i = 0; i < 8; i++)
			if (c->l2_used & (1u << i) &&
			    col_put(e, c, now, 0, IPFIX_TID_L2 + i, NULL) == -EPIPE)
				return;
		for (i = 0; i < 16 && c->plug_gen == fields_generation(); i++)
			if (c->plug_used & (1u << i) &&
			    col_put(e, c, now, 0, ipfix_plugin_tid_base() + i, NULL) == -EPIPE)
				return;
	}
	if (stats_due(e, c, now)) {
		if (col_put(e, c, now, 1, 0, NULL) == -EPIPE)
			return;
		c->stats_due = false;
		c->stats_ms = now;
		col_send(c, now);
		if (c->state == COL_UP)
			col_reopen(e, c, now);
	}
}

/*
 * Records of interfaces with MAC addresses use the L2 templates; they are
 * announced the first time a session needs one (most hosts never do).
 */
static int col_l2_templates(struct ipfix_exporter *e, struct collector *c, uint64_t now,
			    const struct flow_record *r)
{
	uint16_t tid[2] = { ipfix_flow_tid(r, e->uniflow, false),
			    ipfix_flow_tid(r, e->uniflow, true) };
	int i, n = e->uniflow && r->has_rev ? 2 : 1;
	unsigned int bit;

	for (i = 0; i < n; i++) {
		if (tid[i] >= IPFIX_TID_PLUGIN) {
			/* plugins came or went: new ids, announced as they are used */
			if (c->plug_gen != fields_generation()) {
				c->plug_gen = fields_generation();
				c->plug_used = 0;
			}
			bit = 1u << ((tid[i] - ipfix_plugin_tid_base()) & 15);
			if (c->plug_used & bit)
				continue;
			if (col_put(e, c, now, 0, tid[i], NULL) < 0)
				return -1;
			c->plug_used |= bit;
			continue;
		}
		if (tid[i] < IPFIX_TID_L2)
			continue;
		bit = 1u << (tid[i] - IPFIX_TID_L2);
		if (c->l2_used & bit)
			continue;
		if (col_put(e, c, now, 0, tid[i], NULL) < 0)
			return -1;
		c->l2_used |= bit;
	}
	return 0;
}

/* Open a message if none is (an old one is sent first), announcements first when due. */
static void col_begin(struct ipfix_exporter *e, struct collector *c, uint64_t now)
{
	if (c->open && now - c->open_ms >= IPFIX_FLUSH_AGE_MS)
		col_send(c, now);
	if (c->open || c->state != COL_UP)
		return;
	col_reopen(e, c, now);
	if (tmpl_due(e, c, now) || stats_due(e, c, now))
		col_announce(e, c, now);
}

/* ---- public API ---- */

static int collector_init(struct ipfix_exporter *e, struct collector *c, const char *spec,
			  char *err, size_t errlen)
{
	uint64_t now = ipfix_now_ms();
	int rc;

	c->fd = -1;
	c->backoff_ms = IPFIX_BACKOFF_MIN_MS;
	c->tmpl_due = true;
	c->stats_due = true;
	if (parse_collector(c, spec, err, errlen))
		return -EINVAL;
	c->st.name = c->name;
	c->st.tcp = c->tcp;
	if (c->tcp) {
		c->q = malloc(IPFIX_TCP_QUEUE);
		if (!c->q) {
			snprintf(err, errlen, "failed to allocate queue for %s: %s", spec,
				 strerror(ENOMEM));
			return -ENOMEM;
		}
		tcp_start(c, now);
		return 0;
	}
	c->fd = socket(c->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&c->sa, c->salen)) {
		rc = -errno;
		snprintf(err, errlen, "failed to open UDP socket to %s: %s", spec, strerror(-rc));
		return rc;
	}
	c->state = COL_UP;
	c->st.up = true;
	return 0;
}

struct ipfix_exporter *ipfix_exporter_new(const char *const *collectors, int n, uint32_t odid,
					  bool uniflow, char *err, size_t errlen)
{
	struct ipfix_exporter *e = calloc(1, sizeof(*e));
	int i;

	if (!e || n <= 0 || !(e->col = calloc(n, sizeof(*e->col)))) {
		snprintf(err, errlen, "failed to create IPFIX exporter: %s",
			 n <= 0 ? "no collector" : strerror(ENOMEM));
		goto cleanup;
	}
	e->odid = odid;
	e->pen = IPFIX_PEN_FLOWMON;
	e->uniflow = uniflow;
	e->max_msg = IPFIX_DEFAULT_MAX_MSG;
	e->tmpl_interval_ms = IPFIX_TEMPLATE_INTERVAL_S * 1000ULL;
	e->stats_interval_ms = IPFIX_STATS_INTERVAL_S * 1000ULL;
	for (i = 0; i < n; i++, e->n++)
		if (collector_init(e, &e->col[i], collectors[i], err, errlen))
			goto cleanup;
	return e;
cleanup:
	if (e && e->col)
		e->n++;	/* the failed one holds resources too */
	ipfix_exporter_free(e);
	return NULL;
}

int ipfix_exporter_set_max_msg(struct ipfix_exporter *e, size_t max_msg)
{
	if (max_msg < IPFIX_MIN_MAX_MSG || max_msg > IPFIX_MAX_MSG)
		return -EINVAL;
	e->max_msg = max_msg;
	return 0;
}

void ipfix_exporter_set_pen(struct ipfix_exporter *e, uint32_t pen)
{
	e->pen = pen;
}

void ipfix_exporter_set_stats(struct ipfix_exporter *e, const struct ipfix_meter_stats *ms)
{
	e->meter = *ms;
}

int ipfix_exporter_add(struct ipfix_exporter *e, const struct flow_record *r, uint64_t now_ms)
{
	uint32_t flows = e->uniflow && r->has_rev ? 2 : 1;
	struct collector *c;
	int i, took = 0;

	for (i = 0; i < e->n && !e->closed; i++) {
		c = &e->col[i];
		if (c->state != COL_UP)
			col_progress(c, now_ms);
		if (c->state != COL_UP) {
			c->st.records_dropped += flows;
			continue;
		}
		col_begin(e, c, now_ms);
		if (c->state != COL_UP || col_l2_templates(e, c, now_ms, r) ||
		    col_put(e, c, now_ms, 2, 0, r) < 0) {
			c->st.records_dropped += flows;
			continue;
		}
		c->flows += flows;
		took++;
	}
	return took;
}

int ipfix_exporter_flush(struct ipfix_exporter *e, uint64_t now_ms)
{
	struct collector *c;
	int i, down = 0;

	if (e->closed)
		return e->n;
	for (i = 0; i < e->n; i++) {
		c = &e->col[i];
		col_progress(c, now_ms);
		if (c->state != COL_UP) {
			down++;
			continue;
		}
		if (!c->open)
			col_begin(e, c, now_ms);	/* templates/statistics when due */
		col_send(c, now_ms);
	}
	return down;
}

/* Last statistics record and a bounded wait for TCP to take the queue. */
static void col_close(struct ipfix_exporter *e, struct collector *c)
{
	uint64_t now = ipfix_now_ms(), end = now + IPFIX_CLOSE_WAIT_MS;
	struct pollfd pfd;

	if (c->state == COL_UP) {
		col_send(c, now);
		c->stats_due = true;	/* the final counters, in a message of their own */
		col_begin(e, c, now);
		col_send(c, now);
	}
	while (c->tcp && c->state == COL_UP && c->q_len && now < end) {
		pfd = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
		poll(&pfd, 1, (int)(end - now));
		tcp_drain(c, now);
		now = ipfix_now_ms();
	}
	drop_pending(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = COL_DOWN;
	c->st.up = false;
	free(c->q);
	c->q = NULL;
}

void ipfix_exporter_close(struct ipfix_exporter *e)
{
	int i;

	if (!e || e->closed)
		return;
	for (i = 0; i < e->n; i++)
		col_close(e, &e->col[i]);
	e->closed = true;
}

void ipfix_exporter_free(struct ipfix_exporter *e)
{
	if (!e)
		return;
	ipfix_exporter_close(e);
	free(e->col);
	free(e);
}

int ipfix_exporter_count(const struct ipfix_exporter *e)
{
	return e ? e->n : 0;
}

int ipfix_exporter_stats(const struct ipfix_exporter *e, int i, struct ipfix_collector_stats *out)
{
	if (!e || i < 0 || i >= e->n)
		return -EINVAL;
	*out = e->col[i].st;
	return 0;
}
