/* SPDX-License-Identifier: MIT */
/*
 * Pointer rewriting: from a layout, the guest's copy of an ioctl argument
 * and the guest buffers behind its pointers, build the argument the host
 * driver is called with, whose pointers point at host memory holding the
 * same bytes; after the call, hand back exactly the out-direction bytes.
 *
 * Buffer numbering (what a guest must send, what the host expects):
 *   buffer 0        the argument itself (arg_size bytes);
 *   then, for each pointer of the layout in order, unless it is OPAQUE, its
 *   resolved direction is NONE or its length is 0:
 *     BUF           one buffer of the resolved length;
 *     IOVEC         one buffer holding the element array (count * 16
 *                   bytes, IN; count * 8 from a 32-bit process), then one buffer per element in order. As
 *                   the kernel truncates an iovec to the transfer length,
 *                   element k's buffer is min(its len, what the resolved
 *                   length leaves after elements 0..k-1) bytes; an element
 *                   of length 0 gets an index and no segments.
 *     RECORDS       one buffer holding the record array (count *
 *                   elem_size bytes, IN: a private copy is read once and
 *                   every length and direction comes from it), then, for
 *                   each record in order, each of its pointers in order,
 *                   one buffer of its resolved length, unless that length
 *                   is 0, its direction NONE, or it is NULL and NULL_OK.
 *   then, if the argument itself is the record array (rec.in_arg), each
 *   record's pointers as above, from the argument's private copy.
 * A pointer with LAYOUT_PF_NULL_OK whose value is NULL has no buffer, as
 * if its length were 0 (for RECORDS: no array and no records' buffers).
 * A pointer that is skipped becomes NULL in the host argument (or host
 * record array); an OPAQUE pointer keeps the guest's value. No other guest
 * pointer value ever reaches a host driver, and no host address ever
 * reaches the guest: rewrite_finish() restores the guest's pointers in the
 * argument, records in the argument included; a RECORDS array is IN only
 * and never copied back.
 *
 * Memory, what the driver is handed behind each rewritten pointer:
 *   - an IN or BOTH buffer of at most REWRITE_COPY_MAX bytes: always a
 *     private host copy, taken once before the driver runs (a CDB, a
 *     parameter block, an iovec array). A guest vCPU writing the same guest
 *     memory meanwhile changes nothing the driver sees: callers may read
 *     such a buffer as often as they like. This is a guarantee callers rely
 *     on (e.g. a policy check of the SG_IO CDB, then the call with it);
 *   - a larger IN or BOTH buffer, and an OUT-only buffer of any size: guest
 *     RAM itself when it is one contiguous host range (zero-copy), else a
 *     bounce copy. Zero-copy IN memory is live: the guest can change it
 *     while the driver reads it; a host kernel driver copies it once itself,
 *     a plugin must read each byte of it at most once (backend.h);
 *   - the IOVEC element array and the RECORDS array: always a host copy
 *     built from one read.
 * Copies count against the caller's bounce limit. OUT-only bounce buffers
 * start with the guest's current bytes, so copy-back never changes bytes
 * the driver did not write.
 */
#ifndef DEVCALL_PTR_REWRITE_H
#define DEVCALL_PTR_REWRITE_H

#include <stddef.h>
#include <stdint.h>

#include "devcall_abi.h"
#include "guest_buf.h"
#include "guest_mem.h"
#include "ioctl_layout.h"

#define REWRITE_MAX_BUFS	DEVCALL_MAX_BUFS
#define REWRITE_MAX_IOVEC	DEVCALL_LAYOUT_MAX_IOVEC
/* IN/BOTH buffers up to this size are always private copies (a page). */
#define REWRITE_COPY_MAX	4096

struct rewrite_buf {
	void *host;		/* what the host argument points at */
	void *bounce;		/* malloc'd copy, or NULL if zero-copy */
	size_t len;
	uint8_t dir;		/* LAYOUT_DIR_IN/OUT/BOTH */
	const struct guest_buf *guest;	/* NULL: host-only (iovec array) */
};

struct rewrite_ctx {
	const struct ioctl_layout *layout;
	unsigned int flags;			/* REWRITE_F_* */
	const struct guest_mem *gm;
	uint8_t guest_arg[LAYOUT_ARG_MAX];	/* the guest's copy */
	uint8_t host_arg[LAYOUT_ARG_MAX];	/* what the driver sees */
	struct rewrite_buf buf[REWRITE_MAX_BUFS];
	unsigned int nr_bufs;
	size_t bounce_used;
	uint32_t rec_count;			/* records in the argument */
};

/*
 * Build ctx->host_arg. guest_arg holds layout->arg_size bytes (already
 * copied out of guest memory: the guest cannot change it behind our back).
 * bufs[0..nr_bufs) are the request's buffers; bufs[0] is not used here.
 * Every buffer must be exactly as long as the layout says. Returns 0 or
 * -EINVAL (argument out of the layout's bounds, buffers missing, too many,
 * or of the wrong length), -EFAULT (not guest RAM), -EACCES (segment
 * direction does not allow the transfer), -ENOMEM (bounce over
 * bounce_limit or malloc failed). On error nothing needs releasing.
 */
int rewrite_prepare(struct rewrite_ctx *ctx, const struct ioctl_layout *layout,
		    const struct guest_mem *gm, const void *guest_arg,
		    const struct guest_buf *bufs, unsigned int nr_bufs,
		    size_t bounce_limit);

/*
 * The guest is a 32-bit process (memmap/compat_layout.h): layout and
 * guest_arg are native (converted), but an IOVEC's element array in guest
 * memory is the compat one, count * 8 bytes of { u32 base; u32 len; }. The
 * driver still gets native 16-byte elements.
 */
#define REWRITE_F_COMPAT_IOVEC	(1u << 0)

/* rewrite_prepare() with REWRITE_F_* flags. */
int rewrite_prepare_flags(struct rewrite_ctx *ctx,
			  const struct ioctl_layout *layout,
			  const struct guest_mem *gm, const void *guest_arg,
			  const struct guest_buf *bufs, unsigned int nr_bufs,
			  size_t bounce_limit, unsigned int flags);

/* The argument to pass to the driver. */
static inline void *rewrite_host_arg(struct rewrite_ctx *ctx)
{
	return ctx->host_arg;
}

/*
 * After the driver call: copy OUT/BOTH bounce buffers back to guest memory
 * and fill arg_out (layout->arg_size bytes) with the argument as the guest
 * must see it: the driver's bytes, every pointer field restored to the
 * guest's value. Returns 0 or -EFAULT. Does not release.
 */
int rewrite_finish(struct rewrite_ctx *ctx, void *arg_out);

/* Free bounce buffers. Safe after prepare succeeded, once. */
void rewrite_release(struct rewrite_ctx *ctx);

#endif /* DEVCALL_PTR_REWRITE_H */
