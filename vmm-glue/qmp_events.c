// SPDX-License-Identifier: MIT
/*
 * QMP events: see qmp_events.h. QMP is a stream of JSON objects; a greeting
 * ({"QMP": ...}) first, answers ({"return": ...}) to what we send, and
 * events ({"event": "RESET", ...}). Anything malformed ends the connection
 * (QEMU reconnects), never the daemon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>

#include "qmp_events.h"

#define QMP_MAX_OBJECT	(64u << 10)	/* no event is anywhere near */

struct qmp_events {
	int fd;
	struct json_tokener *tok;
	size_t pending;			/* bytes of the object being parsed */
};

struct qmp_events *qmp_events_new(void)
{
	struct qmp_events *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->fd = -1;
	q->tok = json_tokener_new();
	if (!q->tok) {
		free(q);
		return NULL;
	}
	return q;
}

static void qmp_close(struct qmp_events *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	json_tokener_reset(q->tok);
	q->pending = 0;
}

void qmp_events_free(struct qmp_events *q)
{
	if (!q)
		return;
	qmp_close(q);
	json_tokener_free(q->tok);
	free(q);
}

void qmp_events_attach(struct qmp_events *q, int fd)
{
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\r\n";

	qmp_close(q);
	q->fd = fd;
	/* QEMU reads it after its greeting; events flow from then on. */
	if (send(fd, caps, sizeof(caps) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)sizeof(caps) - 1)
		qmp_close(q);
}

int qmp_events_fd(const struct qmp_events *q)
{
	return q->fd;
}

static enum qmp_event event_of(struct json_object *obj)
{
	struct json_object *ev;
	const char *name;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "event", &ev))
		return QMP_EV_NONE;
	name = json_object_get_string(ev);
	if (!name)
		return QMP_EV_NONE;
	if (!strcmp(name, "RESET"))
		return QMP_EV_RESET;
	if (!strcmp(name, "SHUTDOWN"))
		return QMP_EV_SHUTDOWN;
	return QMP_EV_NONE;
}

int qmp_events_feed(struct qmp_events *q, const char *buf, size_t len,
		    void (*fn)(void *ctx, enum qmp_event ev), void *ctx)
{
	while (len) {
		struct json_object *obj;
		enum json_tokener_error err;
		size_t used;

		/* Whitespace between objects (QMP ends each with CRLF). */
		if (!q->pending && strchr(" \t\r\n", *buf)) {
			buf++;
			len--;
			continue;
		}
		obj = json_tokener_parse_ex(q->tok, buf, (int)len);
		err = json_tokener_get_error(q->tok);
		used = json_tokener_get_parse_end(q->tok);
		if (!obj && err == json_tokener_continue) {
			q->pending += len;
			if (q->pending > QMP_MAX_OBJECT)
				return -EPROTO;
			return 0;
		}
		if (!obj || !used || used > len) {
			if (obj)
				json_object_put(obj);
			return -EPROTO;
		}
		{
			enum qmp_event ev = event_of(obj);

			json_object_put(obj);
			json_tokener_reset(q->tok);
			q->pending = 0;
			if (ev != QMP_EV_NONE)
				fn(ctx, ev);
		}
		buf += used;
		len -= used;
	}
	return 0;
}

int qmp_events_read(struct qmp_events *q,
		    void (*fn)(void *ctx, enum qmp_event ev), void *ctx)
{
	char buf[4096];
	ssize_t n;
	int ret;

	if (q->fd < 0)
		return -ENOTCONN;
	for (;;) {
		n = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			ret = n < 0 ? -errno : -ECONNRESET;
			qmp_close(q);
			return ret;
		}
		ret = qmp_events_feed(q, buf, (size_t)n, fn, ctx);
		if (ret) {
			qmp_close(q);
			return ret;
		}
	}
}
