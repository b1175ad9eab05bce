// SPDX-License-Identifier: MIT
/*
 * Call tracing: see calltrace.h. Each ring is a bounded multi-producer
 * queue with a sequence number per cell (a producer claims a position
 * with a compare-and-swap, fills the cell, then publishes it through the
 * cell's sequence); the event loop is its only consumer.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "calltrace.h"

struct cell {
	uint64_t seq;
	struct calltrace_event ev;
};

struct sub {
	unsigned int active;		/* atomic: producers may push */
	unsigned int users;		/* atomic: producers pushing now */
	bool used;			/* loop only */
	struct calltrace_filter filter;
	uint64_t head;			/* atomic: next position to claim */
	uint64_t tail;			/* the consumer's */
	uint64_t drops;			/* atomic */
	struct cell *cells;
};

unsigned int calltrace_active;
static struct sub subs[CALLTRACE_MAX_SUBS];
static int notify_fd = -1;
static unsigned int notified;		/* atomic: the eventfd was written */

int calltrace_notify_fd(void)
{
	if (notify_fd < 0)
		notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return notify_fd < 0 ? -errno : notify_fd;
}

void calltrace_notify_clear(void)
{
	uint64_t n;

	__atomic_store_n(&notified, 0, __ATOMIC_SEQ_CST);
	if (notify_fd >= 0 && read(notify_fd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing was pending */
	}
}

int calltrace_subscribe(const struct calltrace_filter *f)
{
	unsigned int i, j;
	struct sub *s;

	for (i = 0; i < CALLTRACE_MAX_SUBS && subs[i].used; i++)
		;
	if (i == CALLTRACE_MAX_SUBS)
		return -EBUSY;
	s = &subs[i];
	s->cells = calloc(CALLTRACE_RING, sizeof(*s->cells));
	if (!s->cells)
		return -ENOMEM;
	for (j = 0; j < CALLTRACE_RING; j++)
		s->cells[j].seq = j;
	s->filter = *f;
	s->head = s->tail = 0;
	s->drops = 0;
	s->used = true;
	__atomic_store_n(&s->active, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&calltrace_active, 1, __ATOMIC_SEQ_CST);
	return (int)i;
}

void calltrace_unsubscribe(int id)
{
	struct sub *s = &subs[id];

	if (id < 0 || id >= CALLTRACE_MAX_SUBS || !s->used)
		return;
	__atomic_store_n(&s->active, 0, __ATOMIC_SEQ_CST);
	__atomic_fetch_sub(&calltrace_active, 1, __ATOMIC_SEQ_CST);
	/* A producer that saw it active is copying one event: let it. */
	while (__atomic_load_n(&s->users, __ATOMIC_SEQ_CST))
		sched_yield();
	free(s->cells);
	s->cells = NULL;
	s->used = false;
}

static bool filter_match(const struct calltrace_filter *f, const char *vm,
			 const struct call_record *r)
{
	if (f->vm[0] && strcmp(f->vm, vm))
		return false;
	if (f->op >= 0 && f->op != r->op)
		return false;
	if (f->exp[0] && (!r->exp || strcmp(f->exp, r->exp->name)))
		return false;
	return true;
}

static bool ring_push(struct sub *s, const struct calltrace_event *ev)
{
	uint64_t pos = __atomic_load_n(&s->head, __ATOMIC_RELAXED);
	struct cell *c;

	for (;;) {
		int64_t diff;

		c = &s->cells[pos & (CALLTRACE_RING - 1)];
		diff = (int64_t)(__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) -
				 pos);
		if (diff == 0) {
			if (__atomic_compare_exchange_n(&s->head, &pos,
							pos + 1, true,
							__ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				break;
		} else if (diff < 0) {
			return false;		/* full */
		} else {
			pos = __atomic_load_n(&s->head, __ATOMIC_RELAXED);
		}
	}
	c->ev = *ev;
	__atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
	return true;
}

void calltrace_emit(const char *vm, const struct call_record *r)
{
	struct calltrace_event ev = { .rec = *r };
	struct timespec ts;
	bool pushed = false;
	unsigned int i;

	snprintf(ev.vm, sizeof(ev.vm), "%s", vm);
	if (r->exp)
		snprintf(ev.exp, sizeof(ev.exp), "%s", r->exp->name);
	ev.rec.exp = NULL;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (i = 0; i < CALLTRACE_MAX_SUBS; i++) {
		struct sub *s = &subs[i];

		if (!__atomic_load_n(&s->active, __ATOMIC_RELAXED))
			continue;
		__atomic_fetch_add(&s->users, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->active, __ATOMIC_SEQ_CST) &&
		    filter_match(&s->filter, vm, r)) {
			if (ring_push(s, &ev))
				pushed = true;
			else
				__atomic_fetch_add(&s->drops, 1,
						   __ATOMIC_RELAXED);
		}
		__atomic_fetch_sub(&s->users, 1, __ATOMIC_SEQ_CST);
	}
	if (pushed && notify_fd >= 0 &&
	    !__atomic_exchange_n(&notified, 1, __ATOMIC_SEQ_CST)) {
		uint64_t one = 1;

		if (write(notify_fd, &one, sizeof(one)) < 0) {
			/* the counter is full: the loop is woken anyway */
		}
	}
}

int calltrace_next(int id, struct calltrace_event *ev)
{
	struct sub *s = &subs[id];
	struct cell *c;

	if (id < 0 || id >= CALLTRACE_MAX_SUBS || !s->used)
		return 0;
	c = &s->cells[s->tail & (CALLTRACE_RING - 1)];
	if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != s->tail + 1)
		return 0;
	*ev = c->ev;
	__atomic_store_n(&c->seq, s->tail + CALLTRACE_RING, __ATOMIC_RELEASE);
	s->tail++;
	return 1;
}

uint64_t calltrace_take_drops(int id)
{
	if (id < 0 || id >= CALLTRACE_MAX_SUBS || !subs[id].used)
		return 0;
	return __atomic_exchange_n(&subs[id].drops, 0, __ATOMIC_RELAXED);
}
