// SPDX-License-Identifier: MIT
/*
 * QMP events: see qmp_events.h. QMP is a stream of JSON objects; a greeting
 * ({"QMP": ...}) first, answers ({"return": ...}) to what we send, and
 * events ({"event": "RESET", ...}). Anything malformed ends the connection
 * (QEMU reconnects), never the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <json-c/json.h>

#include "qmp_events.h"

#define QMP_MAX_OBJECT	(64u << 10)	/* no event is anywhere near */

/* Our command ids: two questions, then three per backend. */
#define ID_MACHINE_BACKEND	1
#define ID_OBJECTS		2
#define ID_BACKEND(i, what)	(100 + 3 * (i) + (what))
enum { Q_SIZE, Q_SHARE, Q_PATH };

/* Guest RAM discovery (qmp_events_discover()), per connection. */
struct qmp_discovery {
	bool want;
	bool done;
	int err;			/* with done: 0 or -errno */
	const char *why;
	char machine_backend[64];
	unsigned int pending;		/* answers awaited in stage two */
	bool share[QMP_RAM_MAX_BACKENDS];
	struct qmp_ram ram;
};

struct qmp_events {
	int fd;
	struct json_tokener *tok;
	size_t pending;			/* bytes of the object being parsed */
	struct qmp_discovery disc;
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
	/* What another QEMU said is not this one's RAM. */
	q->disc.done = false;
	q->disc.err = 0;
	q->disc.ram.nr = 0;
}

void qmp_events_free(struct qmp_events *q)
{
	if (!q)
		return;
	qmp_close(q);
	json_tokener_free(q->tok);
	free(q);
}

/*
 * A command to QEMU. Without a connection (tests feeding bytes) nothing
 * is sent. QEMU answers in order; a full socket buffer for a few hundred
 * bytes means QEMU is not reading: give up the connection.
 */
static int qmp_send(struct qmp_events *q, const char *cmd)
{
	size_t n = strlen(cmd);

	if (q->fd < 0)
		return 0;
	return send(q->fd, cmd, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n ?
	       0 : -EIO;
}

static int qom_get(struct qmp_events *q, int id, const char *path,
		   const char *prop)
{
	char cmd[256];
	int n;

	n = snprintf(cmd, sizeof(cmd), "{\"execute\": \"qom-get\", "
		     "\"arguments\": {\"path\": \"%s\", \"property\": "
		     "\"%s\"}, \"id\": %d}\r\n", path, prop, id);
	return n < 0 || (size_t)n >= sizeof(cmd) ? -ENAMETOOLONG :
	       qmp_send(q, cmd);
}

static void disc_end(struct qmp_discovery *d, int err, const char *why)
{
	if (d->done)
		return;
	d->done = true;
	d->err = err;
	d->why = why;
}

static void disc_start(struct qmp_events *q)
{
	struct qmp_discovery *d = &q->disc;
	bool want = d->want;

	memset(d, 0, sizeof(*d));
	d->want = want;
	if (want && qom_get(q, ID_MACHINE_BACKEND, "/machine",
			    "memory-backend"))
		disc_end(d, -EIO, "cannot send to QEMU's QMP monitor");
}

void qmp_events_discover(struct qmp_events *q)
{
	q->disc.want = true;
}

const struct qmp_ram *qmp_events_ram(const struct qmp_events *q, int *err,
				     const char **why)
{
	const struct qmp_discovery *d = &q->disc;

	*err = d->done ? d->err : 0;
	*why = d->done ? d->why : "QEMU's QMP monitor has not answered yet";
	if (!d->want)
		*why = "not asked for";
	return d->done && !d->err ? &d->ram : NULL;
}

void qmp_events_attach(struct qmp_events *q, int fd)
{
	static const char caps[] = "{\"execute\": \"qmp_capabilities\"}\r\n";

	qmp_close(q);
	q->fd = fd;
	/* QEMU reads it after its greeting; events flow from then on. */
	if (send(fd, caps, sizeof(caps) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)sizeof(caps) - 1) {
		qmp_close(q);
		return;
	}
	disc_start(q);
}

/* "ram-node<N>" with N < QMP_RAM_MAX_BACKENDS: N, else -1. */
static int node_of(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "ram-node", 8) || name[8] < '0' || name[8] > '9')
		return -1;
	n = strtol(name + 8, &end, 10);
	if (*end || n >= QMP_RAM_MAX_BACKENDS || (n && name[8] == '0'))
		return -1;
	return (int)n;
}

/* "child<memory-backend-KIND>": 1 file, 2 memfd, 0 another kind, -1 none */
static int backend_kind(const char *type)
{
	if (!strcmp(type, "child<memory-backend-file>"))
		return 1;
	if (!strcmp(type, "child<memory-backend-memfd>"))
		return 2;
	return strncmp(type, "child<memory-backend-", 21) ? -1 : 0;
}

/*
 * qom-list /objects answered: pick the RAM backends, in guest-physical
 * order, and ask each one's size, share and (files) mem-path.
 */
static void disc_objects(struct qmp_events *q, struct json_object *list)
{
	struct qmp_discovery *d = &q->disc;
	int kind[QMP_RAM_MAX_BACKENDS];
	bool seen[QMP_RAM_MAX_BACKENDS] = { false };
	size_t i, n = json_object_array_length(list);
	unsigned int k;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(list, i);
		struct json_object *jn, *jt;
		const char *name, *type;
		int node;

		if (!json_object_object_get_ex(o, "name", &jn) ||
		    !json_object_object_get_ex(o, "type", &jt))
			continue;
		name = json_object_get_string(jn);
		type = json_object_get_string(jt);
		if (!name || !type)
			continue;
		if (d->machine_backend[0])
			node = strcmp(name, d->machine_backend) ? -1 : 0;
		else
			node = node_of(name);
		if (node < 0)
			continue;
		kind[node] = backend_kind(type);
		if (kind[node] < 0)
			continue;
		if (kind[node] == 0)
			return disc_end(d, -EOPNOTSUPP, "a RAM backend is "
					"neither memory-backend-file nor "
					"-memfd (memory-backend-ram cannot be "
					"shared)");
		seen[node] = true;
		snprintf(d->ram.b[node].id, sizeof(d->ram.b[node].id), "%s",
			 name);
		d->ram.b[node].memfd = kind[node] == 2;
	}
	for (k = 0; k < QMP_RAM_MAX_BACKENDS && seen[k]; k++)
		;
	d->ram.nr = k;
	for (; k < QMP_RAM_MAX_BACKENDS; k++)
		if (seen[k])
			return disc_end(d, -ENOENT, "NUMA RAM backends are not "
					"ram-node0, ram-node1, ... without a "
					"gap");
	if (!d->ram.nr)
		return disc_end(d, -ENOENT, d->machine_backend[0] ?
				"the machine's memory-backend is not in "
				"/objects" : "no machine memory-backend and "
				"no ram-node<N> backends (give QEMU "
				"-machine memory-backend=ID)");
	for (k = 0; k < d->ram.nr; k++) {
		char path[96];
		int ret;

		snprintf(path, sizeof(path), "/objects/%s", d->ram.b[k].id);
		ret = qom_get(q, ID_BACKEND(k, Q_SIZE), path, "size");
		ret = ret ? ret : qom_get(q, ID_BACKEND(k, Q_SHARE), path,
					  "share");
		d->pending += 2;
		if (!ret && !d->ram.b[k].memfd) {
			ret = qom_get(q, ID_BACKEND(k, Q_PATH), path,
				      "mem-path");
			d->pending++;
		}
		if (ret)
			return disc_end(d, -EIO, "cannot send to QEMU's QMP "
					"monitor");
	}
}

/* Stage two: one property of backend k. */
static void disc_property(struct qmp_discovery *d, unsigned int k, int what,
			  struct json_object *val)
{
	struct qmp_ram_backend *b = &d->ram.b[k];
	const char *str;

	switch (what) {
	case Q_SIZE:
		if (!json_object_is_type(val, json_type_int) ||
		    json_object_get_int64(val) <= 0)
			return disc_end(d, -EPROTO, "a backend's size is not "
					"a positive number");
		b->size = (uint64_t)json_object_get_int64(val);
		break;
	case Q_SHARE:
		if (!json_object_is_type(val, json_type_boolean))
			return disc_end(d, -EPROTO, "a backend's share is "
					"not a boolean");
		d->share[k] = json_object_get_boolean(val);
		break;
	case Q_PATH:
		str = json_object_get_string(val);
		if (!json_object_is_type(val, json_type_string) ||
		    str[0] != '/' ||
		    snprintf(b->path, sizeof(b->path), "%s", str) >=
		    (int)sizeof(b->path))
			return disc_end(d, -EPROTO, "a backend's mem-path is "
					"not an absolute path");
		break;
	}
	if (--d->pending)
		return;
	for (k = 0; k < d->ram.nr; k++)
		if (!d->share[k])
			return disc_end(d, -EPERM, "a RAM backend has "
					"share=off: the daemon would see a "
					"copy, not the guest's RAM");
	disc_end(d, 0, NULL);
}

/*
 * An answer ({"return": ...} or {"error": ...}) to a command of ours.
 * Returns true when discovery just ended.
 */
static bool disc_answer(struct qmp_events *q, struct json_object *obj)
{
	struct qmp_discovery *d = &q->disc;
	struct json_object *jid, *val;
	unsigned int k;
	int id;

	if (!d->want || d->done ||
	    !json_object_object_get_ex(obj, "id", &jid) ||
	    !json_object_is_type(jid, json_type_int))
		return false;
	id = json_object_get_int(jid);
	if (!json_object_object_get_ex(obj, "return", &val)) {
		disc_end(d, -ENOENT, "QEMU refused a qom-get or qom-list "
			 "(an old QEMU, or no such property)");
		return true;
	}
	if (id == ID_MACHINE_BACKEND) {
		const char *mb = json_object_get_string(val);

		/* A link: QEMU 7.2 answers its path, /objects/ID. */
		if (mb && !strncmp(mb, "/objects/", 9))
			mb += 9;
		if (!json_object_is_type(val, json_type_string) ||
		    strlen(mb) >= sizeof(d->machine_backend) ||
		    strspn(mb, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
			   "wxyz0123456789._-") != strlen(mb)) {
			disc_end(d, -EPROTO, "the machine's memory-backend "
				 "is not a plain id");
			return true;
		}
		strcpy(d->machine_backend, mb);
		if (qmp_send(q, "{\"execute\": \"qom-list\", \"arguments\": "
			     "{\"path\": \"/objects\"}, \"id\": 2}\r\n"))
			disc_end(d, -EIO, "cannot send to QEMU's QMP monitor");
		return d->done;
	}
	if (id == ID_OBJECTS) {
		if (!json_object_is_type(val, json_type_array))
			disc_end(d, -EPROTO, "qom-list did not answer a list");
		else
			disc_objects(q, val);
		return d->done;
	}
	k = (unsigned int)(id - 100) / 3;
	if (id < 100 || k >= d->ram.nr || !d->pending)
		return false;
	disc_property(d, k, (id - 100) % 3, val);
	return d->done;
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

			if (ev == QMP_EV_NONE && disc_answer(q, obj))
				ev = QMP_EV_RAM;
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
