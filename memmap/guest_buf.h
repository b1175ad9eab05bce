/* SPDX-License-Identifier: MIT */
/*
 * Guest buffers: the segments a request lists, grouped by logical buffer,
 * and the ways the host reaches their bytes (iovecs into guest RAM, copies,
 * a contiguous view when one exists).
 */
#ifndef DEVCALL_GUEST_BUF_H
#define DEVCALL_GUEST_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_mem.h"

/* Direction bits, the same values as DEVCALL_SEG_TO_HOST/FROM_HOST. */
#define GUEST_SEG_TO_HOST	1u	/* host reads these bytes */
#define GUEST_SEG_FROM_HOST	2u	/* host writes these bytes */

/* A decoded segment (host byte order). */
struct guest_seg {
	uint64_t gpa;
	uint32_t len;
	uint16_t dir;		/* GUEST_SEG_* */
	uint16_t buf;		/* logical buffer index */
};

/* One logical buffer: consecutive segments of the request, in order. */
struct guest_buf {
	const struct guest_seg *seg;
	unsigned int nr_segs;
	size_t len;		/* sum of the segments' lengths */
};

/*
 * Group segs (which must list buffer indexes in non-decreasing order) into
 * bufs[0..max_bufs). Buffers no segment names are left empty. Returns the
 * number of buffers (highest index + 1) or -EINVAL (out of order, index
 * beyond max_bufs, zero-length segment, bad direction bits, length
 * overflow).
 */
int guest_buf_group(const struct guest_seg *segs, unsigned int nr_segs,
		    struct guest_buf *bufs, unsigned int max_bufs);

/*
 * Host iovecs covering the first len bytes of b, split at RAM region
 * boundaries. Every segment used must allow dir (GUEST_SEG_*). Returns the
 * number of iovecs, -EFAULT (a byte is not guest RAM, or b is shorter than
 * len), -EACCES (direction not allowed) or -E2BIG (more than max_iov).
 */
int guest_buf_to_iov(const struct guest_mem *gm, const struct guest_buf *b,
		     size_t len, unsigned int dir, struct iovec *iov,
		     unsigned int max_iov);

/* Copy len bytes at offset off of b into dst. 0, -EFAULT or -EACCES. */
int guest_buf_read(const struct guest_mem *gm, const struct guest_buf *b,
		   size_t off, void *dst, size_t len);

/* Copy len bytes from src into b at offset off. 0, -EFAULT or -EACCES. */
int guest_buf_write(const struct guest_mem *gm, const struct guest_buf *b,
		    size_t off, const void *src, size_t len);

/*
 * Host pointer to the first len bytes of b if they are one contiguous host
 * range allowing dir, else NULL.
 */
void *guest_buf_contig(const struct guest_mem *gm, const struct guest_buf *b,
		       size_t len, unsigned int dir);

#endif /* DEVCALL_GUEST_BUF_H */
