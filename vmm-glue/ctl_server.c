// SPDX-License-Identifier: MIT
/*
 * The control socket: see ctl_server.h. Everything here runs on the
 * event loop's thread; the workers only push trace events into rings
 * (calltrace.h) and bump counters (callstats.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "calltrace.h"
#include "ctl_server.h"
#include "ioctl_layout.h"
#include "log.h"
#include "sock.h"

struct ctl_client {
	struct event_src src;		/* first: the loop hands us this */
	struct ctl_server *cs;
	bool used;
	int fd;
	uint32_t events;		/* what epoll watches for it */
	bool closing;			/* close once the reply is sent */
	int trace;			/* calltrace subscriber, or -1 */
	size_t in_len;
	char in[CTL_LINE_MAX + 1];
	char *out;
	size_t out_len, out_off, out_cap;
};

struct ctl_ev {
	struct event_src src;
	struct ctl_server *cs;
};

struct ctl_server {
	struct ctl_ev ev_listen, ev_trace;
	int fd, epfd;
	char path[PATH_MAX];
	struct sock_peer_policy peer;
	struct vm_session **sessions;
	const unsigned int *nr;		/* the daemon's: VMs come and go */
	const struct ctl_ops *ops;
	void *ctx;
	struct log_ratelimit rl;	/* refused peers may knock often */
	struct ctl_client clients[CTL_MAX_CLIENTS];
};

static void client_close(struct ctl_client *c)
{
	if (!c->used)
		return;
	if (c->trace >= 0)
		calltrace_unsubscribe(c->trace);
	event_unwatch(c->cs->epfd, c->fd);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = c->out_cap = 0;
	c->used = false;
}

static void client_watch(struct ctl_client *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = &c->src };

	if (c->events != events &&
	    !epoll_ctl(c->cs->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		c->events = events;
}

static size_t client_pending(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

/* Queue n bytes; false if that would pass CTL_OUT_MAX unsent. */
static bool client_queue(struct ctl_client *c, const char *s, size_t n)
{
	if (client_pending(c) + n > CTL_OUT_MAX)
		return false;
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, client_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *p;

		while (cap < c->out_len + n)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p)
			return false;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, n);
	c->out_len += n;
	return true;
}

static void trace_fill(struct ctl_client *c);

/*
 * Send what we can without waiting; the rest when the socket says it can
 * take more (EPOLLOUT). False if the client is gone.
 */
static bool client_flush(struct ctl_client *c)
{
	while (client_pending(c)) {
		ssize_t n = send(c->fd, c->out + c->out_off, client_pending(c),
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Closing: its last words go out, nothing comes in. */
			client_watch(c, c->closing ? EPOLLOUT :
						     EPOLLIN | EPOLLOUT);
			return true;
		}
		if (n <= 0) {
			client_close(c);
			return false;
		}
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	if (c->closing) {
		client_close(c);
		return false;
	}
	client_watch(c, EPOLLIN);
	return true;
}

/* One JSON line to the client (and the object released). */
static void client_send(struct ctl_client *c, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = strlen(s);
	bool ok = client_queue(c, s, n) && client_queue(c, "\n", 1);

	json_object_put(o);
	if (!ok) {
		log_warn("control: a reply of %zu bytes does not fit: "
			 "closing the client", n);
		client_close(c);
	}
}

static struct json_object *reply_new(bool ok)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "v", json_object_new_int(CTL_PROTO_VERSION));
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	return o;
}

static void reply_error(struct ctl_client *c, const char *msg)
{
	struct json_object *o = reply_new(false);

	json_object_object_add(o, "error", json_object_new_string(msg));
	client_send(c, o);
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static struct vm_session *session_named(struct ctl_server *cs,
					const char *name)
{
	unsigned int i;

	for (i = 0; i < *cs->nr; i++)
		if (!strcmp(cs->sessions[i]->cfg->name, name))
			return cs->sessions[i];
	return NULL;
}

/*
 * status
 */

static const char *oflags_name(int oflags)
{
	switch (oflags & O_ACCMODE) {
	case O_RDONLY:
		return "r";
	case O_WRONLY:
		return "w";
	default:
		return "rw";
	}
}

static struct json_object *status_vm(struct ctl_server *cs,
				     struct vm_session *s)
{
	const struct vm_limits *l = &s->cfg->limits;
	const struct export *exps[CONFIG_MAX_EXPORTS];
	struct json_object *o = json_object_new_object(), *a, *claims, *x;
	struct vm_open_info *open;
	struct callstats *st = vm_callstats(s->vm);
	unsigned int i, n, calls;
	size_t bytes;

	add_str(o, "name", s->cfg->name);
	json_object_object_add(o, "attached", json_object_new_boolean(
		__atomic_load_n(&s->connected, __ATOMIC_ACQUIRE)));
	json_object_object_add(o, "runtime", json_object_new_boolean(
		cs->ops->vm_runtime && cs->ops->vm_runtime(cs->ctx,
							   s->cfg->name)));
	a = json_object_new_array();
	n = vm_exports(s->vm, exps, NULL);
	for (i = 0; i < n; i++) {
		x = json_object_new_object();
		add_u64(x, "id", exps[i]->id);
		add_str(x, "name", exps[i]->name);
		add_str(x, "path", exps[i]->path);
		add_str(x, "access", exps[i]->read_only ? "ro" : "rw");
		add_str(x, "sharing", exps[i]->exclusive ? "exclusive" :
							  "shared");
		json_object_object_add(x, "runtime", json_object_new_boolean(
			cs->ops->export_runtime(cs->ctx, s->cfg->name,
						exps[i]->name)));
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "exports", a);

	a = json_object_new_array();
	claims = json_object_new_array();
	open = calloc(l->max_open, sizeof(*open));
	n = open ? vm_open_files(s->vm, open, l->max_open) : 0;
	if (n > l->max_open)
		n = l->max_open;
	for (i = 0; i < n; i++) {
		x = json_object_new_object();
		add_u64(x, "handle", open[i].handle);
		add_str(x, "export", open[i].exp->name);
		add_str(x, "path", open[i].exp->path);
		add_str(x, "mode", oflags_name(open[i].oflags));
		json_object_object_add(x, "claimed", json_object_new_boolean(
			open[i].claimed));
		json_object_array_add(a, x);
		if (open[i].claimed) {
			x = json_object_new_object();
			add_str(x, "export", open[i].exp->name);
			add_str(x, "path", open[i].exp->path);
			add_u64(x, "handle", open[i].handle);
			json_object_array_add(claims, x);
		}
	}
	free(open);
	json_object_object_add(o, "open_files", a);
	json_object_object_add(o, "claims", claims);

	x = json_object_new_object();
	add_u64(x, "inflight", vm_inflight_count(s->vm));
	add_u64(x, "parked", __atomic_load_n(&st->parked, __ATOMIC_RELAXED));
	add_u64(x, "refused", __atomic_load_n(&st->refused, __ATOMIC_RELAXED));
	json_object_object_add(o, "calls", x);

	vm_budget_usage(s->vm, &calls, &bytes);
	x = json_object_new_object();
	add_u64(x, "calls", calls);
	add_u64(x, "max_calls", l->max_calls);
	add_u64(x, "call_bytes", bytes);
	add_u64(x, "max_call_bytes", l->max_call_bytes);
	add_u64(x, "max_open", l->max_open);
	json_object_object_add(o, "budget", x);
	return o;
}

/*
 * stats
 */

static struct json_object *stats_row(const struct callstats_row *live)
{
	struct json_object *o = json_object_new_object(), *h;
	struct callstats_row r;
	unsigned int i;

	callstats_row_read(live, &r);
	add_u64(o, "calls", r.calls);
	add_u64(o, "errors", r.errors);
	add_u64(o, "bytes", r.bytes);
	add_u64(o, "latency_us_sum", r.lat_sum_us);
	h = json_object_new_array();
	for (i = 0; i < CALLSTATS_BUCKETS; i++)
		json_object_array_add(h, json_object_new_int64(
			(int64_t)r.hist[i]));
	json_object_object_add(o, "latency_log2_us", h);
	return o;
}

static struct json_object *stats_vm(struct vm_session *s)
{
	struct callstats *st = vm_callstats(s->vm);
	struct json_object *o = json_object_new_object(), *ops, *exps;
	unsigned int i;

	add_str(o, "name", s->cfg->name);
	add_u64(o, "refused", __atomic_load_n(&st->refused, __ATOMIC_RELAXED));
	add_u64(o, "parked", __atomic_load_n(&st->parked, __ATOMIC_RELAXED));
	ops = json_object_new_object();
	for (i = 0; i <= DEVCALL_OP_MAX; i++) {
		if (!callstats_row_calls(&st->op[i]))
			continue;
		json_object_object_add(ops, i ? callstats_op_name(i) :
					     "undecoded",
				       stats_row(&st->op[i]));
	}
	json_object_object_add(o, "ops", ops);
	exps = json_object_new_object();
	for (i = 0; i < CALLSTATS_MAX_EXPORTS; i++) {
		const struct export *e = __atomic_load_n(&st->exp[i].exp,
							 __ATOMIC_ACQUIRE);
		char key[DEVCALL_NAME_MAX + 16];

		if (!e)
			break;
		/* A reload may have given a name a second export. */
		snprintf(key, sizeof(key), "%s", e->name);
		if (json_object_object_get_ex(exps, key, NULL))
			snprintf(key, sizeof(key), "%s#%u", e->name, e->id);
		json_object_object_add(exps, key, stats_row(&st->exp[i].row));
	}
	if (callstats_row_calls(&st->other_exp))
		json_object_object_add(exps, "*other*",
				       stats_row(&st->other_exp));
	json_object_object_add(o, "exports", exps);
	return o;
}

static void do_vms(struct ctl_client *c, const struct ctl_req *req,
		   struct json_object *(*one)(struct ctl_server *,
					      struct vm_session *))
{
	struct ctl_server *cs = c->cs;
	struct json_object *o, *a;
	unsigned int i;
	char msg[128];

	if (req->vm[0] && !session_named(cs, req->vm)) {
		snprintf(msg, sizeof(msg), "no VM '%s'", req->vm);
		reply_error(c, msg);
		return;
	}
	o = reply_new(true);
	a = json_object_new_array();
	for (i = 0; i < *cs->nr; i++)
		if (!req->vm[0] || !strcmp(req->vm, cs->sessions[i]->cfg->name))
			json_object_array_add(a, one(cs, cs->sessions[i]));
	json_object_object_add(o, "vms", a);
	client_send(c, o);
}

static struct json_object *stats_one(struct ctl_server *cs,
				     struct vm_session *s)
{
	(void)cs;
	return stats_vm(s);
}

/*
 * trace
 */

static struct json_object *trace_event(const struct calltrace_event *ev)
{
	const struct call_record *r = &ev->rec;
	struct json_object *o = json_object_new_object();
	time_t sec = (time_t)(ev->time_ns / 1000000000ull);
	char buf[64], cmd[16];
	struct tm tm;

	json_object_object_add(o, "v", json_object_new_int(CTL_PROTO_VERSION));
	add_str(o, "event", "call");
	gmtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%06uZ",
		 (unsigned int)(ev->time_ns % 1000000000ull / 1000));
	add_str(o, "time", buf);
	add_str(o, "vm", ev->vm);
	json_object_object_add(o, "export", ev->exp[0] ?
			       json_object_new_string(ev->exp) : NULL);
	add_str(o, "op", r->op ? callstats_op_name(r->op) : "undecoded");
	if (r->op == DEVCALL_OP_IOCTL || r->op == DEVCALL_OP_LAYOUT) {
		const struct ioctl_layout *l = layout_find(r->cmd);

		snprintf(cmd, sizeof(cmd), "0x%08x", r->cmd);
		add_str(o, "cmd", cmd);
		json_object_object_add(o, "ioctl", l && l->name ?
				       json_object_new_string(l->name) : NULL);
	}
	add_u64(o, "bytes", r->bytes);
	json_object_object_add(o, "result", json_object_new_int64(r->result));
	if (r->result < 0 && r->result > -4096) {
		const char *e = strerrorname_np((int)-r->result);

		json_object_object_add(o, "errno", e ?
				       json_object_new_string(e) : NULL);
	}
	add_u64(o, "latency_us", r->latency_ns / 1000);
	return o;
}

static struct json_object *dropped_event(uint64_t n)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "v", json_object_new_int(CTL_PROTO_VERSION));
	add_str(o, "event", "dropped");
	add_u64(o, "count", n);
	return o;
}

/*
 * Move trace events from the client's ring to its socket buffer while it
 * has room; what stays in the ring may be dropped there, counted.
 */
static void trace_fill(struct ctl_client *c)
{
	struct calltrace_event ev;
	uint64_t drops;

	if (c->trace < 0)
		return;
	for (;;) {
		while (client_pending(c) < CTL_TRACE_OUT_HIGH) {
			drops = calltrace_take_drops(c->trace);
			if (drops) {
				client_send(c, dropped_event(drops));
				if (!c->used)
					return;
			}
			if (!calltrace_next(c->trace, &ev)) {
				client_flush(c);
				return;
			}
			client_send(c, trace_event(&ev));
			if (!c->used)
				return;
		}
		/* Full: the socket took it all, or EPOLLOUT calls us again. */
		if (!client_flush(c) || client_pending(c))
			return;
	}
}

static void do_trace(struct ctl_client *c, const struct ctl_req *req)
{
	struct calltrace_filter f = { .op = req->op };
	struct json_object *o;
	char msg[128];
	int id;

	if (req->vm[0] && !session_named(c->cs, req->vm)) {
		snprintf(msg, sizeof(msg), "no VM '%s'", req->vm);
		reply_error(c, msg);
		return;
	}
	if (c->trace >= 0) {
		reply_error(c, "already tracing");
		return;
	}
	snprintf(f.vm, sizeof(f.vm), "%s", req->vm);
	snprintf(f.exp, sizeof(f.exp), "%s", req->name);
	id = calltrace_subscribe(&f);
	if (id < 0) {
		snprintf(msg, sizeof(msg), "trace: %s", id == -EBUSY ?
			 "too many tracers" : strerror(-id));
		reply_error(c, msg);
		return;
	}
	c->trace = id;
	o = reply_new(true);
	add_str(o, "trace", "started");
	client_send(c, o);
}

static void on_trace(struct event_src *src, uint32_t events)
{
	struct ctl_server *cs = ((struct ctl_ev *)src)->cs;
	unsigned int i;

	(void)events;
	calltrace_notify_clear();
	/* A client whose socket is full is served again on EPOLLOUT. */
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (cs->clients[i].used && cs->clients[i].trace >= 0 &&
		    !(cs->clients[i].events & EPOLLOUT))
			trace_fill(&cs->clients[i]);
}

/*
 * Requests.
 */

static void do_change(struct ctl_client *c, const struct ctl_req *req)
{
	struct ctl_server *cs = c->cs;
	struct json_object *o;
	char msg[1024] = "";
	int ret;

	if (req->cmd == CTL_RELOAD)
		ret = cs->ops->reload(cs->ctx, msg, sizeof(msg));
	else if (req->cmd == CTL_EXPORT_ADD)
		ret = cs->ops->export_add(cs->ctx, req, msg, sizeof(msg));
	else if (req->cmd == CTL_VM_ADD)
		ret = cs->ops->vm_add(cs->ctx, req, msg, sizeof(msg));
	else if (req->cmd == CTL_VM_REMOVE)
		ret = cs->ops->vm_remove(cs->ctx, req->vm, msg, sizeof(msg));
	else
		ret = cs->ops->export_remove(cs->ctx, req->vm, req->name, msg,
					     sizeof(msg));
	o = reply_new(!ret);
	add_str(o, ret ? "error" : "message", msg);
	client_send(c, o);
}

static void client_request(struct ctl_client *c, const char *line, size_t n)
{
	struct ctl_req *req = malloc(sizeof(*req));
	char err[256];

	if (!req) {
		reply_error(c, "out of memory");
		return;
	}
	if (ctl_parse(line, n, req, err, sizeof(err))) {
		reply_error(c, err);
		goto out;
	}
	switch (req->cmd) {
	case CTL_STATUS:
		do_vms(c, req, status_vm);
		break;
	case CTL_STATS:
		do_vms(c, req, stats_one);
		break;
	case CTL_TRACE:
		do_trace(c, req);
		break;
	case CTL_RELOAD:
	case CTL_EXPORT_ADD:
	case CTL_EXPORT_REMOVE:
	case CTL_VM_ADD:
	case CTL_VM_REMOVE:
		do_change(c, req);
		break;
	}
out:
	free(req);
}

static void client_read(struct ctl_client *c)
{
	char *nl;
	ssize_t n;

	if (c->closing)
		return;
	n = recv(c->fd, c->in + c->in_len, CTL_LINE_MAX - c->in_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->in_len += (size_t)n;
	/* A tracing client has said all it will; it may only hang up. */
	if (c->trace >= 0) {
		c->in_len = 0;
		return;
	}
	while (c->used && !c->closing &&
	       (nl = memchr(c->in, '\n', c->in_len))) {
		size_t len = (size_t)(nl - c->in);

		client_request(c, c->in, len);
		if (!c->used)
			return;
		memmove(c->in, nl + 1, c->in_len - len - 1);
		c->in_len -= len + 1;
		if (c->trace >= 0)
			c->in_len = 0;
	}
	if (c->used && c->in_len == CTL_LINE_MAX) {
		reply_error(c, "request line too long");
		c->closing = true;
	}
	if (c->used)
		client_flush(c);
}

static void on_client(struct event_src *src, uint32_t events)
{
	struct ctl_client *c = (struct ctl_client *)src;

	if (events & EPOLLOUT) {
		if (!client_flush(c))
			return;
		trace_fill(c);
		if (!c->used)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		client_read(c);
}

/* One line, best effort, to a client we will not keep. */
static void refuse(int fd, const char *msg)
{
	char line[256];
	int n = snprintf(line, sizeof(line),
			 "{\"v\":%d,\"ok\":false,\"error\":\"%s\"}\n",
			 CTL_PROTO_VERSION, msg);

	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* it may be gone already */
	}
	close(fd);
}

static void on_accept(struct event_src *src, uint32_t events)
{
	struct ctl_server *cs = ((struct ctl_ev *)src)->cs;
	struct ucred cred = { -1, (uid_t)-1, (gid_t)-1 };
	struct ctl_client *c = NULL;
	unsigned int i;
	int fd;

	(void)events;
	fd = accept4(cs->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (sock_peer_check(fd, &cs->peer, &cred)) {
		log_limited(&cs->rl, "control", LOG_WARN,
			    "connection from uid %u gid %u pid %d refused: "
			    "not root, the daemon's user or the socket group",
			    (unsigned int)cred.uid, (unsigned int)cred.gid,
			    (int)cred.pid);
		refuse(fd, "permission denied: root or the socket group only");
		return;
	}
	for (i = 0; i < CTL_MAX_CLIENTS && !c; i++)
		if (!cs->clients[i].used)
			c = &cs->clients[i];
	if (!c) {
		refuse(fd, "too many control clients");
		return;
	}
	memset(c, 0, sizeof(*c));
	c->src.handle = on_client;
	c->cs = cs;
	c->fd = fd;
	c->trace = -1;
	c->events = EPOLLIN;
	if (event_watch(cs->epfd, fd, &c->src)) {
		close(fd);
		return;
	}
	c->used = true;
}

int ctl_server_create(struct ctl_server **out, const char *path, gid_t gid,
		      int epfd, struct vm_session **sessions,
		      const unsigned int *nr, const struct ctl_ops *ops,
		      void *ctx)
{
	struct ctl_server *cs = calloc(1, sizeof(*cs));
	int ret, tfd;

	if (!cs)
		return -ENOMEM;
	if (strlen(path) >= sizeof(cs->path)) {
		free(cs);
		return -ENAMETOOLONG;
	}
	strcpy(cs->path, path);
	cs->epfd = epfd;
	cs->sessions = sessions;
	cs->nr = nr;
	cs->ops = ops;
	cs->ctx = ctx;
	/* QEMU's user is not asked: it may talk to its VM's sockets only. */
	cs->peer = (struct sock_peer_policy){ (uid_t)-1, gid };
	cs->ev_listen = (struct ctl_ev){ { on_accept }, cs };
	cs->ev_trace = (struct ctl_ev){ { on_trace }, cs };
	log_ratelimit_init(&cs->rl);
	cs->fd = sock_listen(path, SOCK_STREAM | SOCK_NONBLOCK, 8,
			     gid != (gid_t)-1 ? 0660 : 0600, gid);
	if (cs->fd < 0) {
		ret = cs->fd;
		free(cs);
		return ret;
	}
	tfd = calltrace_notify_fd();
	ret = tfd < 0 ? tfd : event_watch(epfd, tfd, &cs->ev_trace.src);
	if (!ret)
		ret = event_watch(epfd, cs->fd, &cs->ev_listen.src);
	if (ret) {
		if (tfd >= 0)
			event_unwatch(epfd, tfd);
		unlink(path);
		close(cs->fd);
		free(cs);
		return ret;
	}
	*out = cs;
	return 0;
}

void ctl_server_destroy(struct ctl_server *cs)
{
	unsigned int i;

	if (!cs)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		client_close(&cs->clients[i]);
	event_unwatch(cs->epfd, cs->fd);
	unlink(cs->path);
	close(cs->fd);
	free(cs);
}
