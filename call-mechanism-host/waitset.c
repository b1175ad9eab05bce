// SPDX-License-Identifier: MIT
/*
 * The wait set: see waitset.h. One epoll instance; one watch per host
 * file with waiters (epoll cannot hold a file twice), registered one-shot
 * for the union of its waiters' events and re-armed while waiters remain.
 * The epoll_wait that reports readiness runs under the lock, so a watch it
 * names is never one that a cancel freed meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "vm.h"
#include "waitset.h"

#define CANCELLED_MAX	256	/* tags cancelled while not parked */

struct watch {
	struct open_file *file;	/* the reference the waiters hold */
	struct vm *vm;
	int fd;
	bool own_fd;		/* a duplicate we close */
	struct waiter *waiters;
	struct watch *next;
};

struct waitset {
	pthread_mutex_t lock;
	int epfd;
	unsigned int nr_waiters;
	struct watch *watches;
	struct {
		const struct vm *vm;
		uint64_t tag;
	} cancelled[CANCELLED_MAX];
	unsigned int next_cancelled;
};

/* What to do once the lock is dropped. */
struct waitset_done {
	struct waiter *woken;		/* each with its err in 'events' */
	struct watch *freed;
};

struct waitset *waitset_create(void)
{
	struct waitset *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return NULL;
	ws->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ws->epfd < 0) {
		free(ws);
		return NULL;
	}
	pthread_mutex_init(&ws->lock, NULL);
	return ws;
}

int waitset_fd(const struct waitset *ws)
{
	return ws->epfd;
}

static uint32_t watch_events(const struct watch *w)
{
	const struct waiter *x;
	uint32_t ev = 0;

	for (x = w->waiters; x; x = x->next)
		ev |= x->events;
	return ev;
}

/* Re-arm w for its waiters, or unlink it for freeing. Under the lock. */
static void watch_update(struct waitset *ws, struct watch *w,
			 struct waitset_done *done)
{
	struct epoll_event ev = { .data.ptr = w };
	struct watch **p;

	if (w->waiters) {
		ev.events = watch_events(w) | EPOLLONESHOT;
		if (!epoll_ctl(ws->epfd, EPOLL_CTL_MOD, w->fd, &ev))
			return;
		/* Cannot watch it any more: its waiters end now. */
		while (w->waiters) {
			struct waiter *x = w->waiters;

			w->waiters = x->next;
			x->events = (uint32_t)-EIO;
			x->next = done->woken;
			done->woken = x;
			ws->nr_waiters--;
		}
	}
	epoll_ctl(ws->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (p = &ws->watches; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	w->next = done->freed;
	done->freed = w;
}

/* Callbacks and file references, with no lock held. */
static void waitset_finish(struct waitset_done *done)
{
	while (done->woken) {
		struct waiter *x = done->woken;

		done->woken = x->next;
		x->next = NULL;
		x->ready(x, (int)x->events);
	}
	while (done->freed) {
		struct watch *w = done->freed;

		done->freed = w->next;
		if (w->own_fd)
			close(w->fd);
		vm_file_put(w->vm, w->file);
		free(w);
	}
}

static bool take_cancelled(struct waitset *ws, const struct vm *vm,
			   uint64_t tag)
{
	unsigned int i;

	for (i = 0; i < CANCELLED_MAX; i++) {
		if (ws->cancelled[i].vm == vm && ws->cancelled[i].tag == tag) {
			ws->cancelled[i].vm = NULL;
			return true;
		}
	}
	return false;
}

int waitset_park(struct waitset *ws, struct vm *vm, struct open_file *f,
		 int fd, uint64_t handle, uint64_t tag, uint32_t events,
		 struct waiter *w)
{
	struct waitset_done done = { 0 };
	struct open_file *cur;
	struct epoll_event ev;
	struct watch *x;
	int ret = 0;

	w->vm = vm;
	w->handle = handle;
	w->tag = tag;
	w->events = events;
	pthread_mutex_lock(&ws->lock);
	if (take_cancelled(ws, vm, tag)) {
		ret = -EINTR;
		goto out_put;
	}
	/*
	 * A CLOSE or reset that ran since the request was dispatched has
	 * taken the file out of the table and then cancelled the waiters:
	 * parking now would wait forever. Checked under our lock, so one
	 * that runs later cancels this waiter.
	 */
	cur = vm_file_get(vm, handle);
	if (cur)
		vm_file_put(vm, cur);	/* the table still holds it */
	if (cur != f) {
		ret = -EBADF;
		goto out_put;
	}
	for (x = ws->watches; x; x = x->next)
		if (x->file == f)
			break;
	if (x) {
		/* The watch holds a reference to f already: drop ours. */
		w->next = x->waiters;
		x->waiters = w;
		ws->nr_waiters++;
		watch_update(ws, x, &done);
		goto out_put;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		ret = -ENOMEM;
		goto out_put;
	}
	x->file = f;
	x->vm = vm;
	x->fd = fd;
	ev.events = events | EPOLLONESHOT;
	ev.data.ptr = x;
	ret = epoll_ctl(ws->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
	if (ret == -EEXIST) {
		/* A backend whose files share one fd: watch a duplicate. */
		x->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		x->own_fd = x->fd >= 0;
		ret = x->fd < 0 ? -errno :
		      epoll_ctl(ws->epfd, EPOLL_CTL_ADD, x->fd, &ev) ? -errno : 0;
		if (ret && x->own_fd)
			close(x->fd);
	}
	if (ret) {
		free(x);
		goto out_put;
	}
	x->next = ws->watches;
	ws->watches = x;
	w->next = NULL;
	x->waiters = w;
	ws->nr_waiters++;
	pthread_mutex_unlock(&ws->lock);
	return 0;

out_put:
	pthread_mutex_unlock(&ws->lock);
	vm_file_put(vm, f);
	waitset_finish(&done);
	return ret;
}

void waitset_run(struct waitset *ws)
{
	struct waitset_done done = { 0 };
	struct epoll_event evs[64];
	int n, i;

	pthread_mutex_lock(&ws->lock);
	n = epoll_wait(ws->epfd, evs, 64, 0);
	for (i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		uint32_t got = evs[i].events;
		struct waiter **p = &w->waiters;

		/* Errors and hangups wake everyone: the retry reports them. */
		if (got & (EPOLLERR | EPOLLHUP))
			got = ~0u;
		while (*p) {
			struct waiter *x = *p;

			if (!(x->events & got)) {
				p = &x->next;
				continue;
			}
			*p = x->next;
			x->events = 0;
			x->next = done.woken;
			done.woken = x;
			ws->nr_waiters--;
		}
		watch_update(ws, w, &done);
	}
	pthread_mutex_unlock(&ws->lock);
	waitset_finish(&done);
}

/* Take the waiters cancel() picks, from every watch. Under the lock. */
static unsigned int cancel_where(struct waitset *ws, struct waitset_done *done,
				 const struct vm *vm, bool by_tag,
				 uint64_t key, int err)
{
	struct watch *w, *next;
	unsigned int found = 0;

	for (w = ws->watches; w; w = next) {
		struct waiter **p = &w->waiters;
		bool changed = false;

		next = w->next;
		if (w->vm != vm)
			continue;
		while (*p) {
			struct waiter *x = *p;

			if (by_tag ? x->tag != key :
				     key && x->handle != key) {
				p = &x->next;
				continue;
			}
			*p = x->next;
			x->events = (uint32_t)err;
			x->next = done->woken;
			done->woken = x;
			ws->nr_waiters--;
			found++;
			changed = true;
		}
		if (changed)
			watch_update(ws, w, done);
	}
	return found;
}

int waitset_cancel_tag(struct waitset *ws, struct vm *vm, uint64_t tag,
		       int err)
{
	struct waitset_done done = { 0 };
	unsigned int found;

	pthread_mutex_lock(&ws->lock);
	found = cancel_where(ws, &done, vm, true, tag, err);
	if (!found) {
		unsigned int i = ws->next_cancelled++ % CANCELLED_MAX;

		ws->cancelled[i].vm = vm;
		ws->cancelled[i].tag = tag;
	}
	pthread_mutex_unlock(&ws->lock);
	waitset_finish(&done);
	return found ? 0 : -ENOENT;
}

void waitset_cancel_vm(struct waitset *ws, struct vm *vm, uint64_t handle,
		       int err)
{
	struct waitset_done done = { 0 };
	unsigned int i;

	pthread_mutex_lock(&ws->lock);
	cancel_where(ws, &done, vm, false, handle, err);
	if (!handle)		/* a reset VM starts with no remembered tags */
		for (i = 0; i < CANCELLED_MAX; i++)
			if (ws->cancelled[i].vm == vm)
				ws->cancelled[i].vm = NULL;
	pthread_mutex_unlock(&ws->lock);
	waitset_finish(&done);
}

unsigned int waitset_count(struct waitset *ws)
{
	unsigned int n;

	pthread_mutex_lock(&ws->lock);
	n = ws->nr_waiters;
	pthread_mutex_unlock(&ws->lock);
	return n;
}

void waitset_destroy(struct waitset *ws)
{
	if (!ws)
		return;
	/* Every VM cancelled its waiters before it went. */
	close(ws->epfd);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}
