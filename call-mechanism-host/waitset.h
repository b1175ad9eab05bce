/* SPDX-License-Identifier: MIT */
/*
 * Requests that wait for a host file to become ready, with no thread each:
 * a blocking READ or WRITE that found no data or no room, and an armed
 * POLL. The dispatcher answers such a request "wait" (dispatch.h); its
 * caller parks it here, and the wait set's one epoll file descriptor says
 * when a parked request should be served again. Hundreds of waiters on
 * one daemon cost one epoll registration per host file and a small record
 * each.
 *
 * A waiter ends exactly once: ready (serve the request again; it may park
 * once more), or cancelled with an errno (CANCEL of its tag, CLOSE of its
 * handle, the VM's reset). Either way its ready callback runs, outside
 * every lock of the wait set, and the wait set forgets it.
 */
#ifndef DEVCALL_WAITSET_H
#define DEVCALL_WAITSET_H

#include <stdint.h>

struct open_file;
struct vm;
struct waitset;

struct waiter {
	/* err 0: ready, serve it again; < 0: answer it with err. */
	void (*ready)(struct waiter *w, int err);
	/* Set by waitset_park(). */
	struct vm *vm;
	uint64_t handle;
	uint64_t tag;
	uint32_t events;		/* EPOLLIN, EPOLLOUT, ... */
	struct waiter *next;		/* the file's waiters */
};

struct waitset *waitset_create(void);
void waitset_destroy(struct waitset *ws);

/* Readable when waitset_run() has work; for the daemon's event loop. */
int waitset_fd(const struct waitset *ws);

/*
 * Park w until the host file f (fd, a reference the caller hands over)
 * has one of events, or it is cancelled. Not parked: -EINTR if its tag was
 * cancelled before it got here (a CANCEL that raced a retry), -EBADF if
 * handle no longer names f (a CLOSE or reset that raced it). Whoever
 * closes or resets takes files out of the table first and then cancels
 * (waitset_cancel_vm), so no waiter outlives its file's handle.
 */
int waitset_park(struct waitset *ws, struct vm *vm, struct open_file *f,
		 int fd, uint64_t handle, uint64_t tag, uint32_t events,
		 struct waiter *w);

/* Wake the waiters whose files are ready. Never blocks. */
void waitset_run(struct waitset *ws);

/*
 * Cancel vm's waiter with this tag: 0 if one was parked, -ENOENT if not
 * (the tag is then remembered, so a retry of it in flight cannot park).
 */
int waitset_cancel_tag(struct waitset *ws, struct vm *vm, uint64_t tag,
		       int err);

/* Cancel every waiter of vm on handle (CLOSE), or of vm (handle 0). */
void waitset_cancel_vm(struct waitset *ws, struct vm *vm, uint64_t handle,
		       int err);

/* Waiters parked right now (tests, leak checks). */
unsigned int waitset_count(struct waitset *ws);

#endif /* DEVCALL_WAITSET_H */
