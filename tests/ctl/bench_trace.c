// SPDX-License-Identifier: MIT
/*
 * What counting and tracing cost a call (make ctl-bench): nanoseconds per
 * call for the counters (callstats_add), the tracing check with nobody
 * tracing (calltrace_on), and an event pushed to a tracer's ring (drained
 * as it goes, or full and dropping). Not a test: prints numbers.
 */
#include <stdio.h>
#include <time.h>

#include "callstats.h"
#include "calltrace.h"

#define N	10000000u

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct callstats stats;
static struct export zero = { .id = 1, .name = "zero" };

int main(void)
{
	struct call_record r = { .op = DEVCALL_OP_READ, .bytes = 8,
				 .latency_ns = 3000, .exp = &zero };
	struct calltrace_filter all = { .op = -1 };
	struct calltrace_event ev;
	volatile unsigned int traced = 0;
	double t;
	unsigned int i;
	int id;

	t = now();
	for (i = 0; i < N; i++)
		callstats_add(&stats, &r);
	printf("callstats_add:                     %6.1f ns/call\n",
	       (now() - t) / N);

	t = now();
	for (i = 0; i < N; i++) {
		r.bytes = i;
		if (calltrace_on())
			traced++;
	}
	printf("calltrace_on(), nobody tracing:    %6.1f ns/call\n",
	       (now() - t) / N);

	calltrace_notify_fd();
	id = calltrace_subscribe(&all);
	t = now();
	for (i = 0; i < N / 10; i++) {
		calltrace_emit("a", &r);
		calltrace_next(id, &ev);
	}
	printf("emit + drain, one tracer:          %6.1f ns/call\n",
	       (now() - t) / (N / 10));
	t = now();
	for (i = 0; i < N / 10; i++)
		calltrace_emit("a", &r);
	printf("emit to a full ring (dropped):     %6.1f ns/call (%llu "
	       "dropped)\n", (now() - t) / (N / 10),
	       (unsigned long long)calltrace_take_drops(id));
	calltrace_unsubscribe(id);
	return traced != 0;
}
