/* SPDX-License-Identifier: MIT */
/*
 * Requests that wait for a host file to become ready, with no thread each:
 * a blocking READ or WRITE that found no data or no room, and an armed
 * POLL. The dispatcher answers such a request "wait" (dispatch.h); its
 * caller parks it here, and the wait set's one epoll file descriptor says
 * when a parked request should be served again. Many waiters on one
 * daemon cost one epoll registration per host file and a small record
 * each; parking, waking and cancelling one costs O(1) bookkeeping.
 *
 * A waiter ends exactly once: ready (serve the request again; it may park
 * once more), or cancelled with an errno (CANCEL of its tag, CLOSE of its
 * file, the owner's reset). Either way its ready callback runs, outside
 * every lock of the wait set, and the wait set forgets it.
 *
 * A leaf: the wait set knows neither VMs nor their files. Whoever parks
 * requests (a VM) embeds a struct waitset_owner, and each of its files
 * embeds a struct waitset_file; the owner's callbacks answer for them.
 */
#ifndef DEVCALL_WAITSET_H
#define DEVCALL_WAITSET_H

#include <stdbool.h>
#include <stdint.h>

struct waitset;
struct waitset_owner;
struct watch;

/* A list link; the wait set's own. */
struct waitset_link {
	struct waitset_link *prev, *next;
};

/* Per host file, embedded in the caller's file object; zero to start. */
struct waitset_file {
	struct watch *watch;		/* under the wait set's lock */
};

struct waitset_owner_ops {
	/*
	 * Does handle still name file? No: a CLOSE or reset raced the park.
	 * Called under the wait set's lock: must not call into the wait set.
	 */
	bool (*file_current)(struct waitset_owner *o, uint64_t handle,
			     struct waitset_file *file);
	/* Drop a file reference the wait set was handed. No lock held. */
	void (*file_release)(struct waitset_owner *o,
			     struct waitset_file *file);
};

/* Tags a CANCEL found not parked, remembered per owner. */
#define WAITSET_CANCELLED_MAX	64

/* One owner of waiters (a VM), embedded; waitset_owner_init() it. */
struct waitset_owner {
	const struct waitset_owner_ops *ops;
	/* The wait set's own, under its lock. */
	struct waitset_link waiters;
	uint64_t cancelled[WAITSET_CANCELLED_MAX];
	uint64_t cancelled_valid;	/* bit i: cancelled[i] is a tag */
	unsigned int cancelled_next;
};

struct waiter {
	/* err 0: ready, serve it again; < 0: answer it with err. */
	void (*ready)(struct waiter *w, int err);
	/* Set by waitset_park(). */
	uint64_t tag;
	uint32_t events;		/* EPOLLIN, EPOLLOUT, ... */
	/* The wait set's own while parked. */
	int err;
	struct waitset_owner *owner;
	struct watch *watch;
	struct waitset_link in_file, in_owner;
	struct waiter *done_next;
};

struct waitset *waitset_create(void);

/* Every owner must have cancelled its waiters (waitset_cancel_owner). */
void waitset_destroy(struct waitset *ws);

/* An owner with no waiters, answering through ops (which must outlive it). */
void waitset_owner_init(struct waitset_owner *o,
			const struct waitset_owner_ops *ops);

/* Readable when waitset_run() has work; for the daemon's event loop. */
int waitset_fd(const struct waitset *ws);

/*
 * Park w, o's request on handle, until file (host fd) has one of events,
 * or it is cancelled. The caller hands over a reference to file, which
 * the wait set drops through o->ops->file_release. A file belongs to one
 * owner. Not parked: -EINTR if its tag was cancelled before it got here
 * (a CANCEL that raced a retry), -EBADF if handle no longer names file
 * (a CLOSE or reset that raced it), -EINVAL for events beyond the poll
 * bits. Whoever closes or resets takes files out of its table first and
 * then cancels, so no waiter outlives its file's handle.
 */
int waitset_park(struct waitset *ws, struct waitset_owner *o,
		 struct waitset_file *file, int fd, uint64_t handle,
		 uint64_t tag, uint32_t events, struct waiter *w);

/*
 * Wake the waiters whose files are ready. Never blocks. Walks the waiters
 * of each file found ready, once.
 */
void waitset_run(struct waitset *ws);

/*
 * Cancel o's waiter with this tag: 0 if one was parked, -ENOENT if not
 * (the tag is then remembered, so a retry of it in flight cannot park).
 * Walks o's waiters only.
 */
int waitset_cancel_tag(struct waitset *ws, struct waitset_owner *o,
		       uint64_t tag, int err);

/* Cancel every waiter on file (CLOSE; the caller holds a reference). */
void waitset_cancel_file(struct waitset *ws, struct waitset_file *file,
			 int err);

/* Cancel every waiter of o and forget its cancelled tags (reset). */
void waitset_cancel_owner(struct waitset *ws, struct waitset_owner *o,
			  int err);

/* Waiters parked right now (tests, leak checks). */
unsigned int waitset_count(struct waitset *ws);

#endif /* DEVCALL_WAITSET_H */
