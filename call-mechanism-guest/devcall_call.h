/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest half of the call mechanism, as the frontend sees it: build a
 * request, pin the user memory it names, send it on the virtqueue and wait
 * for the host's answer.
 */
#ifndef DEVCALL_CALL_H
#define DEVCALL_CALL_H

#include <linux/types.h>

#include "devcall_abi.h"

struct devcall_dev;
struct devcall_call;

/* A call with room for max_segs segments; its header is zeroed. */
struct devcall_call *devcall_call_alloc(u16 op, unsigned int max_segs);

/* Release the caller's reference (the host may still hold its own). */
void devcall_call_put(struct devcall_call *c);

/* The request header to fill (op, tag and magic are set on submit). */
struct devcall_req *devcall_call_hdr(struct devcall_call *c);

/* Bytes to send inline (<= DEVCALL_INLINE_MAX). */
int devcall_call_set_inline(struct devcall_call *c, const void *data,
			    unsigned int len);

/*
 * Pin len bytes of user memory at uaddr and add them as segments of
 * buffer buf; dir is DEVCALL_SEG_TO_HOST and/or DEVCALL_SEG_FROM_HOST.
 * -EFAULT if any page cannot be pinned, -E2BIG past the segment room.
 */
int devcall_call_pin(struct devcall_call *c, unsigned long uaddr, size_t len,
		     u16 dir, u16 buf);

/*
 * Send and wait. Returns the host's result (>= 0 or -errno), -ENXIO if
 * the device went away, -EIO if it broke. A signal sends CANCEL for the
 * call: a call the host had parked (no data yet) returns -ERESTARTSYS,
 * one the host finished returns its result; a fatal signal returns -EINTR
 * at once (the host still finishes; the memory stays pinned until then).
 */
s64 devcall_call_submit(struct devcall_dev *d, struct devcall_call *c);

/*
 * Send without waiting: done(c, ctx) runs once, in interrupt context,
 * when the host answers or the device goes away (take a reference to c
 * first if done needs it afterwards). 0 or -errno (then done never runs).
 */
typedef void (*devcall_done_fn)(struct devcall_call *c, void *ctx);
int devcall_call_submit_async(struct devcall_dev *d, struct devcall_call *c,
			      devcall_done_fn done, void *ctx);

/* The result of an answered call (as devcall_call_submit returns it). */
s64 devcall_call_result(struct devcall_call *c);

/* The response (valid after submit returned a host result). */
const struct devcall_resp *devcall_call_resp(struct devcall_call *c);

/* Copy up to len inline response bytes to dst; returns how many. */
unsigned int devcall_call_resp_inline(struct devcall_call *c, void *dst,
				      unsigned int len);

/* Device lifetime, for the frontend's open files. */
void devcall_dev_get(struct devcall_dev *d);
void devcall_dev_put(struct devcall_dev *d);

/*
 * The frontend: called once the device is ready with its exports, and on
 * removal (open files then fail with -ENXIO).
 */
struct devcall_frontend;
struct devcall_frontend *devcall_frontend_add(struct devcall_dev *d,
					      struct device *parent,
					      const struct devcall_config_export *exports,
					      unsigned int nr_exports);
void devcall_frontend_remove(struct devcall_frontend *fe);
int devcall_frontend_init(void);
void devcall_frontend_exit(void);

#endif /* DEVCALL_CALL_H */
