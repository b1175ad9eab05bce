// SPDX-License-Identifier: MIT
/* The life of one call: see call.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call.h"
#include "calltrace.h"
#include "request.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Count the call, and trace it if anyone listens: with nobody tracing
 * that is one branch on a counter that rarely changes.
 */
static void call_account(struct call *c)
{
	c->rec.latency_ns = now_ns() - c->start_ns;
	callstats_add(vm_callstats(c->vm), &c->rec);
	if (calltrace_on())
		calltrace_emit(vm_name(c->vm), &c->rec);
}

/* Answer, give the budget back, free: the one way a call ends. */
static void call_end(struct call *c, const void *resp, size_t n)
{
	struct vm *vm = c->vm;
	bool charged = c->charged;
	size_t charge = c->charge;

	call_account(c);
	c->ops->answer(c, resp, n);
	free(c->wire);
	c->wire = NULL;
	c->ops->free(c);
	if (charged)
		vm_budget_give(vm, charge);
}

/* Answer with err alone (or the bytes a blocking write already wrote). */
static void call_end_error(struct call *c, uint64_t tag, int err)
{
	uint8_t resp[sizeof(struct devcall_resp)];
	struct response r = { .tag = tag,
			      .result = c->done ? (int64_t)c->done : err };
	int n = response_encode(&r, resp, sizeof(resp));

	c->rec.result = r.result;
	call_end(c, resp, n < 0 ? 0 : (size_t)n);
}

/* The tag at its offset in the request header, from what was copied. */
static uint64_t header_tag(const struct iovec *in, unsigned int nr_in)
{
	uint8_t hdr[offsetof(struct devcall_req, tag) + 8];
	size_t len = 0, n;
	unsigned int i;
	uint64_t tag;

	for (i = 0; i < nr_in && len < sizeof(hdr); i++) {
		n = in[i].iov_len < sizeof(hdr) - len ? in[i].iov_len :
							sizeof(hdr) - len;
		memcpy(hdr + len, in[i].iov_base, n);
		len += n;
	}
	if (len < sizeof(hdr))
		return 0;
	memcpy(&tag, hdr + offsetof(struct devcall_req, tag), 8);
	return le64toh(tag);
}

int call_begin(struct call *c, const struct call_ops *ops, struct vm *vm,
	       const struct dispatch_env *env, const struct iovec *in,
	       unsigned int nr_in, size_t extra)
{
	size_t cap = 0, len = 0, n;
	unsigned int i;
	int ret;

	c->ops = ops;
	c->vm = vm;
	c->env = *env;
	c->wire = NULL;
	c->done = 0;
	c->charge = 0;
	c->charged = false;
	c->start_ns = now_ns();
	memset(&c->rec, 0, sizeof(c->rec));
	/*
	 * Its own size, not the largest a request can be: a parked call
	 * keeps it. One byte past the limit is enough to see it is too long.
	 */
	for (i = 0; i < nr_in; i++)
		cap += in[i].iov_len;
	if (cap > CALL_REQ_WIRE_MAX + 1)
		cap = CALL_REQ_WIRE_MAX + 1;
	ret = vm_budget_take(vm, extra + cap);
	if (!ret) {
		c->charged = true;
		c->charge = extra + cap;
		c->wire = malloc(cap ? cap : 1);
		if (!c->wire)
			ret = -ENOMEM;
	}
	if (ret) {
		/* Answered at once: nothing of it waits in the daemon. */
		__atomic_fetch_add(&vm_callstats(vm)->refused, 1,
				   __ATOMIC_RELAXED);
		call_end_error(c, header_tag(in, nr_in), ret);
		return ret;
	}
	/* Read once: the guest may change its memory while we work. */
	for (i = 0; i < nr_in && len < cap; i++) {
		n = in[i].iov_len < cap - len ? in[i].iov_len : cap - len;
		memcpy(c->wire + len, in[i].iov_base, n);
		len += n;
	}
	c->wire_len = len;
	return 0;
}

/* The wait set's verdict on a parked call. */
static void call_ready(struct waiter *w, int err)
{
	struct call *c = (struct call *)w;

	callstats_parked(vm_callstats(c->vm), -1);
	if (err)
		call_end_error(c, c->waiter.tag, err);
	else
		c->ops->queue(c);	/* serve it again */
}

void call_serve(struct call *c)
{
	struct dispatch_wait wait;
	uint8_t resp[CALL_RESP_WIRE_MAX];
	size_t n;
	int ret;

	/* A call of an old epoch: its guest is gone, its RAM not its own. */
	if (c->env.epoch != vm_epoch(c->vm)) {
		c->rec.result = -ECANCELED;
		call_end(c, NULL, 0);
		return;
	}
	wait.done = c->done;
	n = dispatch_wire(c->vm, &c->env, c->wire, c->wire_len, resp,
			  sizeof(resp), &wait);
	c->rec.op = wait.op;
	c->rec.cmd = wait.cmd;
	c->rec.bytes = wait.bytes;
	c->rec.exp = wait.exp;
	c->rec.result = wait.result;
	if (!wait.file) {
		call_end(c, resp, n);
		return;
	}
	/* No thread waits: the wait set wakes the call when it can go on. */
	c->done = wait.done;
	c->waiter.ready = call_ready;
	/* Counted first: a woken call may leave before park returns. */
	callstats_parked(vm_callstats(c->vm), 1);
	ret = waitset_park(host_waitset(vm_host(c->vm)),
			   vm_waitset_owner(c->vm), &wait.file->wait, wait.fd,
			   wait.handle, wait.tag, wait.events, &c->waiter);
	if (ret)
		callstats_parked(vm_callstats(c->vm), -1);
	if (ret)
		call_end_error(c, wait.tag, ret);
}
