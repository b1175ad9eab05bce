/* SPDX-License-Identifier: MIT */
/*
 * A live stream of finished calls for `devcallctl trace`. Each subscriber
 * has its own bounded ring that workers push to without a lock and
 * without waiting (a full ring counts a drop); the event loop drains it.
 * With no subscriber, a call costs one predictable branch on a counter
 * (calltrace_on()).
 */
#ifndef DEVCALL_CALLTRACE_H
#define DEVCALL_CALLTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "callstats.h"
#include "config.h"

#define CALLTRACE_MAX_SUBS	8
#define CALLTRACE_RING		1024	/* events per subscriber, power of 2 */

/*
 * Names are copied: an event may outlive its VM (removed at run time)
 * in a ring; rec.exp is NULL in an event, its name is in exp.
 */
struct calltrace_event {
	uint64_t time_ns;		/* CLOCK_REALTIME when answered */
	char vm[CONFIG_VM_NAME_MAX];	/* the VM's name */
	char exp[DEVCALL_NAME_MAX];	/* the export's, "" if none */
	struct call_record rec;
};

/* What a subscriber wants: "" and -1 match anything. */
struct calltrace_filter {
	char vm[CONFIG_VM_NAME_MAX];
	char exp[DEVCALL_NAME_MAX];
	int op;
};

/* Subscribers now; read by every call (calltrace_on()). */
extern unsigned int calltrace_active;

static inline bool calltrace_on(void)
{
	return __builtin_expect(__atomic_load_n(&calltrace_active,
						__ATOMIC_RELAXED) != 0, 0);
}

/*
 * The eventfd the event loop watches: it becomes readable when a ring
 * that was drained gets an event. Created on first use; -errno if not.
 */
int calltrace_notify_fd(void);

/* Clear the notification before draining (event loop). */
void calltrace_notify_clear(void);

/* A new subscriber: its id, or -EBUSY (all taken), -ENOMEM. Loop only. */
int calltrace_subscribe(const struct calltrace_filter *f);

/* Gone; waits for workers pushing to it right now (a few instructions). */
void calltrace_unsubscribe(int id);

/* A finished call of VM vm (workers; call only if calltrace_on()). */
void calltrace_emit(const char *vm, const struct call_record *r);

/* The oldest event of subscriber id into ev: 1, or 0 if none. Loop only. */
int calltrace_next(int id, struct calltrace_event *ev);

/* Events dropped for id since the last call (its ring was full). */
uint64_t calltrace_take_drops(int id);

#endif /* DEVCALL_CALLTRACE_H */
