/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * The guest's walk of an ioctl layout the host published: which user
 * memory each buffer of the request must carry (see memmap/ptr_rewrite.h
 * for the numbering both sides follow). Plain C with no kernel calls, so
 * the same file builds into the guest module and into a userspace unit
 * test that checks it against the host's pointer rewriting.
 */
#ifndef DEVCALL_LAYOUT_WALK_H
#define DEVCALL_LAYOUT_WALK_H

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>
#else
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#define le16_to_cpu le16toh
#define le32_to_cpu le32toh
#define le64_to_cpu le64toh
#endif

#include "devcall_abi.h"

#define LW_ARG_MAX	DEVCALL_LAYOUT_ARG_MAX	/* the guest copies at most */
#define LW_MAX_IOVEC	DEVCALL_LAYOUT_MAX_IOVEC
#define LW_MAX_BUFS	DEVCALL_MAX_BUFS

/* Directions, as the layout gives them (driver's view). */
#define LW_DIR_IN	1u	/* the driver reads: host reads guest memory */
#define LW_DIR_OUT	2u	/* the driver writes: host writes guest memory */

/* One buffer of the request: user memory at uaddr, len bytes. */
struct lw_buf {
	__u64 uaddr;
	__u64 len;		/* 0: the index exists, nothing to send */
	__u8 dir;		/* LW_DIR_IN and/or LW_DIR_OUT */
	__u16 idx;		/* buffer index (1..) */
};

/* Copy len bytes of user memory at uaddr into dst; 0 or -EFAULT. */
typedef int (*lw_read_user_fn)(void *ctx, void *dst, __u64 uaddr,
			       size_t len);

/*
 * Check a layout from the host (the guest trusts it no more than the host
 * trusts the guest). 0 or -EPROTO.
 */
int layout_walk_check(const struct devcall_layout *l);

/*
 * Walk layout l over arg (the argument's bytes, already copied from the
 * user; arg_size of them): fill bufs[0..max) with the buffers 1.. the
 * request needs, reading iovec arrays and record arrays (nested pointers:
 * each record once, its buffers follow from that copy) through read_user.
 * Returns the number of entries, or -EINVAL (the argument or a record is
 * outside the layout's bounds), -EFAULT (an array could not be read),
 * -E2BIG (too many).
 */
int layout_walk(const struct devcall_layout *l, const void *arg,
		lw_read_user_fn read_user, void *ctx, struct lw_buf *bufs,
		unsigned int max);

/*
 * The same for a layout whose pointer fields are ptr_size bytes: 8, or 4
 * for a compat layout (the host's LAYOUT answer had DEVCALL_RESP_F_COMPAT:
 * a 32-bit process's struct, its pointers compat_ptr()s, an IOVEC's
 * elements { u32 base; u32 len; }). layout_walk() is ptr_size 8.
 */
int layout_walk_check_ptrs(const struct devcall_layout *l,
			   unsigned int ptr_size);
int layout_walk_ptrs(const struct devcall_layout *l, unsigned int ptr_size,
		     const void *arg, lw_read_user_fn read_user, void *ctx,
		     struct lw_buf *bufs, unsigned int max);

/*
 * The descriptor an ioctl of checked layout l takes, if any: the integer
 * argument int_arg (DEVCALL_LAYOUT_FD_IN_ARG) or the s32 field of arg
 * (DEVCALL_LAYOUT_FD_IN_FIELD). 1 with *fd set, or 0 (none). The caller
 * resolves it to a file of its own and sends that file's handle
 * (DEVCALL_REQ_F_FD_IN); anything else is EBADF.
 */
int layout_walk_fd_in(const struct devcall_layout *l, const void *arg,
		      __u64 int_arg, __s32 *fd);

/*
 * Whether an ioctl of layout l makes a new descriptor: its result
 * (DEVCALL_LAYOUT_FD_OUT_RET) or the s32 field at fd_off of its argument
 * (DEVCALL_LAYOUT_FD_OUT_FIELD, layout_walk_fd_out_field()).
 */
static inline int layout_walk_fd_out(const struct devcall_layout *l)
{
	return !!(l->fd_flags & (DEVCALL_LAYOUT_FD_OUT_RET |
				 DEVCALL_LAYOUT_FD_OUT_FIELD));
}

static inline int layout_walk_fd_out_field(const struct devcall_layout *l)
{
	return !!(l->fd_flags & DEVCALL_LAYOUT_FD_OUT_FIELD);
}

#endif /* DEVCALL_LAYOUT_WALK_H */
