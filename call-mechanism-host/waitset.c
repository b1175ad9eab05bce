// SPDX-License-Identifier: MIT
/*
 * The wait set: see waitset.h. One epoll instance; one watch per host
 * file with waiters (epoll cannot hold a file twice), registered one-shot
 * for the union of its waiters' events and re-armed while waiters remain.
 * The epoll_wait that reports readiness runs under the lock, so a watch it
 * names is never one that a cancel freed meanwhile.
 *
 * Bookkeeping is O(1) per park and per cancelled waiter: a file finds its
 * watch through its struct waitset_file, a watch counts its waiters per
 * event bit (the union it is armed for comes from the counts, not from a
 * walk of its waiters), and a waiter sits on two doubly linked lists, its
 * watch's and its owner's, so it leaves either at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "waitset.h"

/* Event bits a waiter may ask for: every poll bit, no epoll flags. */
#define WATCH_BITS	16
#define WATCH_EVENTS	((1u << WATCH_BITS) - 1)

/* One bit of waitset_owner.cancelled_valid per remembered tag. */
_Static_assert(WAITSET_CANCELLED_MAX <= 64, "cancelled_valid is 64 bits");

#define container_of(p, type, member) \
	((type *)((char *)(p) - offsetof(type, member)))

struct watch {
	struct waitset_file *file;	/* the reference the waiters hold */
	struct waitset_owner *owner;
	int fd;
	bool own_fd;			/* a duplicate we close */
	uint32_t armed;			/* the events it is registered for */
	unsigned int nr;		/* waiters */
	unsigned int count[WATCH_BITS];	/* waiters asking for each bit */
	struct waitset_link waiters;
	bool touched;			/* on a cancel's list to update */
	struct watch *touched_next;
	struct watch *done_next;
};

struct waitset {
	pthread_mutex_t lock;
	int epfd;
	unsigned int nr_waiters;
};

/* What to do once the lock is dropped. */
struct waitset_done {
	struct waiter *woken;		/* each with its err */
	struct watch *freed;
};

static void link_init(struct waitset_link *l)
{
	l->prev = l;
	l->next = l;
}

static void link_add(struct waitset_link *head, struct waitset_link *l)
{
	l->next = head->next;
	l->prev = head;
	head->next->prev = l;
	head->next = l;
}

static void link_del(struct waitset_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	link_init(l);
}

static bool link_empty(const struct waitset_link *head)
{
	return head->next == head;
}

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

void waitset_owner_init(struct waitset_owner *o,
			const struct waitset_owner_ops *ops)
{
	o->ops = ops;
	link_init(&o->waiters);
	o->cancelled_valid = 0;
	o->cancelled_next = 0;
}

int waitset_fd(const struct waitset *ws)
{
	return ws->epfd;
}

static void count_events(struct watch *w, uint32_t events, bool add)
{
	unsigned int i;

	for (i = 0; i < WATCH_BITS; i++)
		if (events & (1u << i))
			w->count[i] += add ? 1 : -1u;
}

/* The union of the waiters' events: WATCH_BITS steps, whatever nr is. */
static uint32_t watch_events(const struct watch *w)
{
	uint32_t ev = 0;
	unsigned int i;

	for (i = 0; i < WATCH_BITS; i++)
		if (w->count[i])
			ev |= 1u << i;
	return ev;
}

/* Under the lock. */
static void waiter_add(struct waitset *ws, struct watch *w, struct waiter *x)
{
	x->watch = w;
	link_add(&w->waiters, &x->in_file);
	link_add(&x->owner->waiters, &x->in_owner);
	count_events(w, x->events, true);
	w->nr++;
	ws->nr_waiters++;
}

/*
 * Take x off its lists to end with err once the lock is dropped. Its
 * watch is left for watch_update(). Under the lock.
 */
static void waiter_take(struct waitset *ws, struct waiter *x, int err,
			struct waitset_done *done)
{
	struct watch *w = x->watch;

	link_del(&x->in_file);
	link_del(&x->in_owner);
	count_events(w, x->events, false);
	w->nr--;
	ws->nr_waiters--;
	x->watch = NULL;
	x->err = err;
	x->done_next = done->woken;
	done->woken = x;
}

/*
 * Register w for its waiters' events if they changed (or always after it
 * fired: one-shot, it is disarmed), or unlink it for freeing once it has
 * none. A watch that did not fire is armed, or its event is queued, so an
 * unchanged union needs no syscall. Under the lock.
 */
static void watch_update(struct waitset *ws, struct watch *w, bool fired,
			 struct waitset_done *done)
{
	struct epoll_event ev = { .data.ptr = w };

	if (w->nr) {
		ev.events = watch_events(w);
		if (!fired && ev.events == w->armed)
			return;
		w->armed = ev.events;
		ev.events |= EPOLLONESHOT;
		if (!epoll_ctl(ws->epfd, EPOLL_CTL_MOD, w->fd, &ev))
			return;
		/* Cannot watch it any more: its waiters end now. */
		while (!link_empty(&w->waiters))
			waiter_take(ws, container_of(w->waiters.next,
						     struct waiter, in_file),
				    -EIO, done);
	}
	epoll_ctl(ws->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->file->watch = NULL;
	w->done_next = done->freed;
	done->freed = w;
}

/* Callbacks and file references, with no lock held. */
static void waitset_finish(struct waitset_done *done)
{
	while (done->woken) {
		struct waiter *x = done->woken;

		done->woken = x->done_next;
		x->done_next = NULL;
		x->ready(x, x->err);
	}
	while (done->freed) {
		struct watch *w = done->freed;

		done->freed = w->done_next;
		if (w->own_fd)
			close(w->fd);
		w->owner->ops->file_release(w->owner, w->file);
		free(w);
	}
}

/* A watch on fd for file, registered for events. Under the lock. */
static struct watch *watch_create(struct waitset *ws, struct waitset_owner *o,
				  struct waitset_file *file, int fd,
				  uint32_t events, int *err)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev;
	int ret;

	if (!w) {
		*err = -ENOMEM;
		return NULL;
	}
	w->file = file;
	w->owner = o;
	w->fd = fd;
	w->armed = events;
	link_init(&w->waiters);
	ev.events = events | EPOLLONESHOT;
	ev.data.ptr = w;
	ret = epoll_ctl(ws->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
	if (ret == -EEXIST) {
		/* A backend whose files share one fd: watch a duplicate. */
		w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		w->own_fd = w->fd >= 0;
		if (!w->own_fd)
			ret = -errno;
		else if (epoll_ctl(ws->epfd, EPOLL_CTL_ADD, w->fd, &ev))
			ret = -errno;
		else
			ret = 0;
		if (ret && w->own_fd)
			close(w->fd);
	}
	if (ret) {
		free(w);
		*err = ret;
		return NULL;
	}
	file->watch = w;
	return w;
}

/* Forget tag if o remembers it cancelled; true if it did. Under the lock. */
static bool cancelled_take(struct waitset_owner *o, uint64_t tag)
{
	unsigned int i;

	for (i = 0; i < WAITSET_CANCELLED_MAX; i++) {
		if ((o->cancelled_valid & (1ull << i)) &&
		    o->cancelled[i] == tag) {
			o->cancelled_valid &= ~(1ull << i);
			return true;
		}
	}
	return false;
}

/* The oldest remembered tag makes room. Under the lock. */
static void cancelled_add(struct waitset_owner *o, uint64_t tag)
{
	unsigned int i = o->cancelled_next++ % WAITSET_CANCELLED_MAX;

	o->cancelled[i] = tag;
	o->cancelled_valid |= 1ull << i;
}

int waitset_park(struct waitset *ws, struct waitset_owner *o,
		 struct waitset_file *file, int fd, uint64_t handle,
		 uint64_t tag, uint32_t events, struct waiter *w)
{
	struct waitset_done done = { 0 };
	struct watch *x;
	int ret = 0;

	if (events & ~WATCH_EVENTS) {
		o->ops->file_release(o, file);
		return -EINVAL;
	}
	w->tag = tag;
	w->events = events;
	w->owner = o;
	pthread_mutex_lock(&ws->lock);
	if (cancelled_take(o, tag)) {
		ret = -EINTR;
		goto out_unlock;
	}
	/*
	 * A CLOSE or reset that ran since the request was dispatched has
	 * taken the file out of the owner's table and then cancelled its
	 * waiters: parking now would wait forever. Checked under our lock,
	 * so one that runs later cancels this waiter.
	 */
	if (!o->ops->file_current(o, handle, file)) {
		ret = -EBADF;
		goto out_unlock;
	}
	x = file->watch;
	if (!x) {
		x = watch_create(ws, o, file, fd, events, &ret);
		if (!x)
			goto out_unlock;
		/* The watch keeps the caller's reference to file. */
		waiter_add(ws, x, w);
		pthread_mutex_unlock(&ws->lock);
		return 0;
	}
	/* The watch holds a reference to file already: ours goes. */
	waiter_add(ws, x, w);
	watch_update(ws, x, false, &done);

out_unlock:
	pthread_mutex_unlock(&ws->lock);
	o->ops->file_release(o, file);
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
		struct waitset_link *l, *next;

		/* Errors and hangups wake everyone: the retry reports them. */
		if (got & (EPOLLERR | EPOLLHUP))
			got = ~0u;
		/*
		 * Every waiter of a ready file is looked at: the cost is per
		 * file woken, and a waiter is skipped only when none of its
		 * events came (a reader among many writers of a full pipe).
		 */
		for (l = w->waiters.next; l != &w->waiters; l = next) {
			struct waiter *x = container_of(l, struct waiter,
							in_file);

			next = l->next;
			if (x->events & got)
				waiter_take(ws, x, 0, &done);
		}
		watch_update(ws, w, true, &done);
	}
	pthread_mutex_unlock(&ws->lock);
	waitset_finish(&done);
}

/* Take x to end with err; its watch is updated by cancel_update(). */
static void cancel_take(struct waitset *ws, struct waiter *x, int err,
			struct waitset_done *done, struct watch **touched)
{
	struct watch *w = x->watch;

	waiter_take(ws, x, err, done);
	if (!w->touched) {
		w->touched = true;
		w->touched_next = *touched;
		*touched = w;
	}
}

/*
 * Once per watch a cancel took waiters from, after the walk: an update
 * that fails ends the watch's other waiters, which the walk must not
 * meet half-unlinked.
 */
static void cancel_update(struct waitset *ws, struct watch *touched,
			  struct waitset_done *done)
{
	while (touched) {
		struct watch *w = touched;

		touched = w->touched_next;
		w->touched = false;
		watch_update(ws, w, false, done);
	}
}

int waitset_cancel_tag(struct waitset *ws, struct waitset_owner *o,
		       uint64_t tag, int err)
{
	struct waitset_done done = { 0 };
	struct watch *touched = NULL;
	struct waitset_link *l, *next;
	bool found;

	pthread_mutex_lock(&ws->lock);
	for (l = o->waiters.next; l != &o->waiters; l = next) {
		struct waiter *x = container_of(l, struct waiter, in_owner);

		next = l->next;
		if (x->tag == tag)
			cancel_take(ws, x, err, &done, &touched);
	}
	found = touched != NULL;
	if (!found)
		cancelled_add(o, tag);
	cancel_update(ws, touched, &done);
	pthread_mutex_unlock(&ws->lock);
	waitset_finish(&done);
	return found ? 0 : -ENOENT;
}

void waitset_cancel_file(struct waitset *ws, struct waitset_file *file,
			 int err)
{
	struct waitset_done done = { 0 };
	struct watch *w;

	pthread_mutex_lock(&ws->lock);
	w = file->watch;
	if (w) {
		while (!link_empty(&w->waiters))
			waiter_take(ws, container_of(w->waiters.next,
						     struct waiter, in_file),
				    err, &done);
		watch_update(ws, w, false, &done);
	}
	pthread_mutex_unlock(&ws->lock);
	waitset_finish(&done);
}

void waitset_cancel_owner(struct waitset *ws, struct waitset_owner *o,
			  int err)
{
	struct waitset_done done = { 0 };
	struct watch *touched = NULL;

	pthread_mutex_lock(&ws->lock);
	while (!link_empty(&o->waiters))
		cancel_take(ws, container_of(o->waiters.next, struct waiter,
					     in_owner),
			    err, &done, &touched);
	cancel_update(ws, touched, &done);
	/* A reset owner starts with no remembered tags. */
	o->cancelled_valid = 0;
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
	/* Every owner cancelled its waiters before it went. */
	close(ws->epfd);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}
