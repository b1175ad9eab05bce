// SPDX-License-Identifier: MIT
/*
 * Guest buffers: segments grouped by logical buffer, and the host's ways to
 * reach their bytes. Every walk re-checks each segment against guest RAM;
 * nothing here trusts a length the guest gave beyond what RAM holds.
 */
#include <errno.h>
#include <string.h>

#include "guest_buf.h"

#define GUEST_SEG_DIR_MASK	(GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST)

int guest_buf_group(const struct guest_seg *segs, unsigned int nr_segs,
		    struct guest_buf *bufs, unsigned int max_bufs)
{
	unsigned int i, nr_bufs = 0;

	memset(bufs, 0, max_bufs * sizeof(*bufs));
	for (i = 0; i < nr_segs; i++) {
		const struct guest_seg *s = &segs[i];
		struct guest_buf *b;

		if (!s->len || !s->dir || (s->dir & ~GUEST_SEG_DIR_MASK))
			return -EINVAL;
		if (s->buf >= max_bufs || (nr_bufs && s->buf + 1u < nr_bufs))
			return -EINVAL;
		b = &bufs[s->buf];
		if (!b->nr_segs)
			b->seg = s;
		else if (b->seg + b->nr_segs != s)
			return -EINVAL;
		if (b->len + s->len < b->len)
			return -EINVAL;
		b->nr_segs++;
		b->len += s->len;
		nr_bufs = s->buf + 1u;
	}
	return nr_bufs;
}

/*
 * Walk the first len bytes of b, one host piece (inside one segment and one
 * RAM region) at a time. fn returns 0 to go on or -errno to stop.
 */
typedef int (*guest_buf_piece_fn)(void *host, size_t len, size_t off,
				  void *opaque);

static int guest_buf_walk(const struct guest_mem *gm,
			  const struct guest_buf *b, size_t len,
			  unsigned int dir, guest_buf_piece_fn fn, void *opaque)
{
	size_t done = 0;
	unsigned int i;
	int ret;

	if (len > b->len)
		return -EFAULT;
	for (i = 0; i < b->nr_segs && done < len; i++) {
		const struct guest_seg *s = &b->seg[i];
		uint64_t gpa = s->gpa;
		size_t left = s->len;

		if ((s->dir & dir) != dir)
			return -EACCES;
		if (gpa + left < gpa)
			return -EFAULT;
		if (left > len - done)
			left = len - done;
		while (left) {
			size_t piece = left;
			void *host = guest_mem_translate(gm, gpa, &piece);

			if (!host)
				return -EFAULT;
			ret = fn(host, piece, done, opaque);
			if (ret)
				return ret;
			gpa += piece;
			left -= piece;
			done += piece;
		}
	}
	return done == len ? 0 : -EFAULT;
}

struct iov_walk {
	struct iovec *iov;
	unsigned int max, nr;
};

static int guest_buf_iov_piece(void *host, size_t len, size_t off,
			       void *opaque)
{
	struct iov_walk *w = opaque;

	(void)off;
	/* Merge pieces that are adjacent in host memory. */
	if (w->nr && (uint8_t *)w->iov[w->nr - 1].iov_base +
		     w->iov[w->nr - 1].iov_len == host) {
		w->iov[w->nr - 1].iov_len += len;
		return 0;
	}
	if (w->nr >= w->max)
		return -E2BIG;
	w->iov[w->nr].iov_base = host;
	w->iov[w->nr].iov_len = len;
	w->nr++;
	return 0;
}

int guest_buf_to_iov(const struct guest_mem *gm, const struct guest_buf *b,
		     size_t len, unsigned int dir, struct iovec *iov,
		     unsigned int max_iov)
{
	struct iov_walk w = { .iov = iov, .max = max_iov };
	int ret = guest_buf_walk(gm, b, len, dir, guest_buf_iov_piece, &w);

	return ret ? ret : (int)w.nr;
}

struct copy_walk {
	uint8_t *mem;
	size_t skip;		/* bytes of the buffer before the copy */
	int to_guest;
};

static int guest_buf_copy_piece(void *host, size_t len, size_t off,
				void *opaque)
{
	struct copy_walk *w = opaque;
	size_t start = 0;

	if (off + len <= w->skip)
		return 0;
	if (off < w->skip)
		start = w->skip - off;
	if (w->to_guest)
		memcpy((uint8_t *)host + start, w->mem + off + start - w->skip,
		       len - start);
	else
		memcpy(w->mem + off + start - w->skip, (uint8_t *)host + start,
		       len - start);
	return 0;
}

static int guest_buf_copy(const struct guest_mem *gm,
			  const struct guest_buf *b, size_t off, void *mem,
			  size_t len, int to_guest)
{
	struct copy_walk w = { .mem = mem, .skip = off, .to_guest = to_guest };

	if (off + len < off)
		return -EFAULT;
	if (!len)
		return 0;
	return guest_buf_walk(gm, b, off + len,
			      to_guest ? GUEST_SEG_FROM_HOST : GUEST_SEG_TO_HOST,
			      guest_buf_copy_piece, &w);
}

int guest_buf_read(const struct guest_mem *gm, const struct guest_buf *b,
		   size_t off, void *dst, size_t len)
{
	return guest_buf_copy(gm, b, off, dst, len, 0);
}

int guest_buf_write(const struct guest_mem *gm, const struct guest_buf *b,
		    size_t off, const void *src, size_t len)
{
	return guest_buf_copy(gm, b, off, (void *)src, len, 1);
}

void *guest_buf_contig(const struct guest_mem *gm, const struct guest_buf *b,
		       size_t len, unsigned int dir)
{
	struct iovec iov;

	if (!len)
		return NULL;
	if (guest_buf_to_iov(gm, b, len, dir, &iov, 1) != 1)
		return NULL;
	return iov.iov_base;
}
