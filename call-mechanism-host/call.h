/* SPDX-License-Identifier: MIT */
/*
 * The life of one call, whatever transport brought it: its request bytes
 * are copied once out of guest memory and charged to the VM's budget;
 * it is dispatched on a worker; it may park in the host's wait set and be
 * served again when its host file is ready; it is answered exactly once
 * and then freed. The transport (vmm-glue's virtqueue over ivshmem today;
 * vhost-user or virtio-mmio could reuse this) supplies the ops: where the
 * answer goes, how a call is queued on a worker, how it is freed.
 */
#ifndef DEVCALL_CALL_H
#define DEVCALL_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "callstats.h"
#include "dispatch.h"
#include "vm.h"
#include "waitset.h"

/* The largest request and response on the wire. */
#define CALL_REQ_WIRE_MAX	(sizeof(struct devcall_req) + \
				 DEVCALL_MAX_SEGS * sizeof(struct devcall_seg) + \
				 DEVCALL_INLINE_MAX)
#define CALL_RESP_WIRE_MAX	(sizeof(struct devcall_resp) + \
				 DEVCALL_INLINE_MAX)

struct call;

struct call_ops {
	/*
	 * Deliver the n response bytes to the guest and interrupt it. The
	 * transport writes nothing if the call is no longer the guest's (its
	 * queue was reset): resp is NULL for a call of an old epoch.
	 */
	void (*answer)(struct call *c, const void *resp, size_t n);
	/* Serve c again (call_serve()) on a worker of its VM. */
	void (*queue)(struct call *c);
	/* Free the transport's call (after answer; budget already given). */
	void (*free)(struct call *c);
};

struct call {
	struct waiter waiter;		/* while parked: the wait set's */
	const struct call_ops *ops;
	struct vm *vm;
	struct dispatch_env env;	/* RAM map and epoch it was taken in */
	uint8_t *wire;			/* private copy of the request */
	size_t wire_len;
	uint64_t done;			/* dispatch_wait.done between tries */
	size_t charge;			/* bytes taken from the VM's budget */
	bool charged;			/* a call of the budget's count */
	uint64_t start_ns;		/* CLOCK_MONOTONIC at call_begin() */
	struct call_record rec;		/* for statistics and the trace */
};

/*
 * Start a call the transport has taken from the guest: the request is
 * the concatenation of in[0..nr_in). extra is what the transport's own
 * call object costs (charged with the request copy). Copies the request
 * (at most CALL_REQ_WIRE_MAX + 1 bytes: enough to see one is too long)
 * and charges the VM. On success returns 0 and the call is the caller's
 * to queue. Over the VM's budget, or out of memory, the call is answered
 * at once (-EAGAIN, -ENOMEM) and freed through ops, and the error is
 * returned: the caller must not touch c again.
 */
int call_begin(struct call *c, const struct call_ops *ops, struct vm *vm,
	       const struct dispatch_env *env, const struct iovec *in,
	       unsigned int nr_in, size_t extra);

/*
 * Serve a call on a worker: dispatch it, then answer and free it, or park
 * it in the wait set until its host file is ready (then ops->queue).
 */
void call_serve(struct call *c);

#endif /* DEVCALL_CALL_H */
