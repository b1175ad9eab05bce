// SPDX-License-Identifier: MIT
/*
 * Pointer rewriting for ioctl arguments. See ptr_rewrite.h for the buffer
 * numbering a guest must follow and the guarantees made to the host driver
 * (no guest pointer value reaches it) and to the guest (no host address
 * comes back).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ptr_rewrite.h"

#define REWRITE_IOVEC_ELEM	16
#define REWRITE_IOVEC_ELEM32	8	/* struct compat_iovec / sg_iovec */

struct rewrite_iovec {		/* struct sg_iovec / struct iovec, x86_64 */
	uint64_t base;
	uint64_t len;
};

static const struct guest_buf rewrite_empty_buf;

static unsigned int seg_dir(uint8_t dir)
{
	unsigned int d = 0;

	if (dir & LAYOUT_DIR_IN)
		d |= GUEST_SEG_TO_HOST;
	if (dir & LAYOUT_DIR_OUT)
		d |= GUEST_SEG_FROM_HOST;
	return d;
}

static void put_ptr(struct rewrite_ctx *ctx, uint16_t off, const void *host)
{
	uint64_t v = (uint64_t)(uintptr_t)host;

	memcpy(ctx->host_arg + off, &v, sizeof(v));
}

/* Take the next buffer index; missing trailing ones are empty. */
static int next_buf(const struct guest_buf *bufs, unsigned int nr_bufs,
		    unsigned int *idx, const struct guest_buf **out)
{
	if (*idx >= REWRITE_MAX_BUFS)
		return -EINVAL;
	*out = *idx < nr_bufs ? &bufs[*idx] : &rewrite_empty_buf;
	(*idx)++;
	return 0;
}

static struct rewrite_buf *add_buf(struct rewrite_ctx *ctx)
{
	struct rewrite_buf *b;

	if (ctx->nr_bufs >= REWRITE_MAX_BUFS)
		return NULL;
	b = &ctx->buf[ctx->nr_bufs++];
	memset(b, 0, sizeof(*b));
	return b;
}

/* Copy b's first len bytes into dst whatever their direction bits say. */
static int prefill(const struct guest_mem *gm, const struct guest_buf *gb,
		   size_t len, unsigned int dir, uint8_t *dst)
{
	unsigned int max = gb->nr_segs * GUEST_MEM_MAX_REGIONS;
	struct iovec *iov = calloc(max ? max : 1, sizeof(*iov));
	int n, i;

	if (!iov)
		return -ENOMEM;
	n = guest_buf_to_iov(gm, gb, len, dir, iov, max);
	for (i = 0; i < n; i++) {
		memcpy(dst, iov[i].iov_base, iov[i].iov_len);
		dst += iov[i].iov_len;
	}
	free(iov);
	return n < 0 ? n : 0;
}

/*
 * Give the host a view of len bytes of guest buffer gb moving in dir: a
 * private copy for small input (the driver may read it twice, a guest must
 * not be able to change it in between), else guest RAM itself when it is
 * one host range, else a bounce copy.
 */
static int map_buf(struct rewrite_ctx *ctx, const struct guest_buf *gb,
		   size_t len, uint8_t dir, size_t bounce_limit, void **host)
{
	struct rewrite_buf *b;
	unsigned int sd = seg_dir(dir);
	int ret;

	if (gb->len != len)
		return -EINVAL;
	b = add_buf(ctx);
	if (!b)
		return -EINVAL;
	b->len = len;
	b->dir = dir;
	b->guest = gb;
	if (!(dir & LAYOUT_DIR_IN) || len > REWRITE_COPY_MAX)
		b->host = guest_buf_contig(ctx->gm, gb, len, sd);
	if (b->host) {
		*host = b->host;
		return 0;
	}
	if (len > bounce_limit - ctx->bounce_used)
		return -ENOMEM;
	b->bounce = malloc(len);
	if (!b->bounce)
		return -ENOMEM;
	ctx->bounce_used += len;
	b->host = b->bounce;
	/* IN: the driver's input. OUT: bytes the driver may leave alone. */
	ret = prefill(ctx->gm, gb, len, sd, b->bounce);
	if (ret)
		return ret;
	*host = b->host;
	return 0;
}

static int rewrite_iovec(struct rewrite_ctx *ctx, const struct layout_ptr *p,
			 const struct layout_ptr_instance *inst,
			 const struct guest_buf *bufs, unsigned int nr_bufs,
			 unsigned int *idx, size_t bounce_limit)
{
	struct rewrite_iovec guest_iov[REWRITE_MAX_IOVEC];
	uint32_t guest_iov32[2 * REWRITE_MAX_IOVEC];
	bool compat = ctx->flags & REWRITE_F_COMPAT_IOVEC;
	struct rewrite_iovec *host_iov;
	const struct guest_buf *gb;
	struct rewrite_buf *arr;
	uint64_t left = inst->len;
	size_t arr_len = (size_t)inst->count * (compat ? REWRITE_IOVEC_ELEM32 :
						     REWRITE_IOVEC_ELEM);
	unsigned int k;
	int ret;

	if (inst->count > REWRITE_MAX_IOVEC)
		return -EINVAL;
	ret = next_buf(bufs, nr_bufs, idx, &gb);
	if (ret)
		return ret;
	if (gb->len != arr_len)
		return -EINVAL;
	ret = guest_buf_read(ctx->gm, gb, 0,
			     compat ? (void *)guest_iov32 : (void *)guest_iov,
			     arr_len);
	if (ret)
		return ret;
	for (k = 0; compat && k < inst->count; k++) {
		guest_iov[k].base = guest_iov32[2 * k];
		guest_iov[k].len = guest_iov32[2 * k + 1];
	}

	arr = add_buf(ctx);
	if (!arr)
		return -EINVAL;
	host_iov = calloc(inst->count, sizeof(*host_iov));
	if (!host_iov)
		return -ENOMEM;
	arr->bounce = arr->host = host_iov;
	arr->len = (size_t)inst->count * REWRITE_IOVEC_ELEM;
	arr->dir = LAYOUT_DIR_IN;

	for (k = 0; k < inst->count; k++) {
		uint64_t elen = guest_iov[k].len < left ? guest_iov[k].len : left;
		void *host = NULL;

		left -= elen;
		ret = next_buf(bufs, nr_bufs, idx, &gb);
		if (ret)
			return ret;
		if (!elen) {
			if (gb->nr_segs)
				return -EINVAL;
		} else {
			ret = map_buf(ctx, gb, elen, inst->dir, bounce_limit,
				      &host);
			if (ret)
				return ret;
		}
		host_iov[k].base = (uint64_t)(uintptr_t)host;
		host_iov[k].len = elen;
	}
	put_ptr(ctx, p->off, host_iov);
	return 0;
}

/*
 * The pointers of count records: recs is a private copy of the guest's
 * records (every length and direction comes from it), hrecs the host's
 * array the driver gets, whose pointer fields this sets.
 */
static int rewrite_records(struct rewrite_ctx *ctx, const uint8_t *recs,
			   uint8_t *hrecs, uint32_t count,
			   const struct guest_buf *bufs, unsigned int nr_bufs,
			   unsigned int *idx, size_t bounce_limit)
{
	const struct layout_records *r = &ctx->layout->rec;
	const struct guest_buf *gb;
	uint64_t total = 0;
	unsigned int k, j;
	int ret;

	for (k = 0; k < count; k++) {
		const uint8_t *rec = recs + (size_t)k * r->elem_size;
		uint8_t *hrec = hrecs + (size_t)k * r->elem_size;

		for (j = 0; j < r->nr_subs; j++) {
			struct layout_sub_instance si;
			uint64_t v = 0;
			void *host;

			ret = layout_sub_resolve(r, j, rec, &si);
			if (ret)
				return ret;
			if (si.len) {
				total += si.len;
				if (total > r->total_max)
					return -EINVAL;
				ret = next_buf(bufs, nr_bufs, idx, &gb);
				if (!ret)
					ret = map_buf(ctx, gb, si.len, si.dir,
						      bounce_limit, &host);
				if (ret)
					return ret;
				v = (uint64_t)(uintptr_t)host;
			}
			memcpy(hrec + r->sub[j].off, &v, sizeof(v));
		}
	}
	return 0;
}

/*
 * A RECORDS pointer: the array is read once into a private copy; the
 * driver gets a host array built from that copy, never guest memory.
 */
static int rewrite_record_ptr(struct rewrite_ctx *ctx,
			      const struct layout_ptr *p,
			      const struct layout_ptr_instance *inst,
			      const struct guest_buf *bufs,
			      unsigned int nr_bufs, unsigned int *idx,
			      size_t bounce_limit)
{
	const struct guest_buf *gb;
	struct rewrite_buf *arr;
	uint8_t *copy, *host;
	int ret;

	if (inst->len > (uint64_t)LAYOUT_REC_COUNT_MAX * LAYOUT_REC_ELEM_MAX)
		return -EINVAL;
	ret = next_buf(bufs, nr_bufs, idx, &gb);
	if (ret)
		return ret;
	if (gb->len != inst->len)
		return -EINVAL;
	arr = add_buf(ctx);
	if (!arr)
		return -EINVAL;
	host = malloc(inst->len);
	if (!host)
		return -ENOMEM;
	arr->bounce = arr->host = host;
	arr->len = inst->len;
	arr->dir = LAYOUT_DIR_IN;
	copy = malloc(inst->len);
	if (!copy)
		return -ENOMEM;
	ret = guest_buf_read(ctx->gm, gb, 0, copy, inst->len);
	if (!ret) {
		memcpy(host, copy, inst->len);
		ret = rewrite_records(ctx, copy, host, inst->count, bufs,
				      nr_bufs, idx, bounce_limit);
	}
	free(copy);
	if (!ret)
		put_ptr(ctx, p->off, host);
	return ret;
}

int rewrite_prepare(struct rewrite_ctx *ctx, const struct ioctl_layout *layout,
		    const struct guest_mem *gm, const void *guest_arg,
		    const struct guest_buf *bufs, unsigned int nr_bufs,
		    size_t bounce_limit)
{
	return rewrite_prepare_flags(ctx, layout, gm, guest_arg, bufs, nr_bufs,
				     bounce_limit, 0);
}

int rewrite_prepare_flags(struct rewrite_ctx *ctx,
			  const struct ioctl_layout *layout,
			  const struct guest_mem *gm, const void *guest_arg,
			  const struct guest_buf *bufs, unsigned int nr_bufs,
			  size_t bounce_limit, unsigned int flags)
{
	unsigned int i, idx = 1;
	int ret;

	ctx->layout = layout;
	ctx->flags = flags;
	ctx->gm = gm;
	ctx->nr_bufs = 0;
	ctx->bounce_used = 0;
	ctx->rec_count = 0;
	/* The driver's argument is native: its pointers are 8 bytes. */
	if (!layout->arg_size || layout->arg_size > LAYOUT_ARG_MAX ||
	    nr_bufs > REWRITE_MAX_BUFS || layout->compat)
		return -EINVAL;
	memcpy(ctx->guest_arg, guest_arg, layout->arg_size);
	memcpy(ctx->host_arg, guest_arg, layout->arg_size);

	for (i = 0; i < layout->nr_ptrs; i++) {
		const struct layout_ptr *p = &layout->ptr[i];
		struct layout_ptr_instance inst;
		const struct guest_buf *gb;
		void *host;

		ret = layout_ptr_resolve(layout, i, ctx->guest_arg, &inst);
		if (ret)
			goto fail;
		if (p->kind == LAYOUT_PTR_OPAQUE)
			continue;	/* the guest's value, untouched */
		put_ptr(ctx, p->off, NULL);
		if (inst.dir == LAYOUT_DIR_NONE || (!inst.iovec && !inst.len))
			continue;
		if (inst.records) {
			ret = rewrite_record_ptr(ctx, p, &inst, bufs, nr_bufs,
						 &idx, bounce_limit);
		} else if (inst.iovec) {
			ret = rewrite_iovec(ctx, p, &inst, bufs, nr_bufs, &idx,
					    bounce_limit);
		} else {
			ret = next_buf(bufs, nr_bufs, &idx, &gb);
			if (!ret)
				ret = map_buf(ctx, gb, inst.len, inst.dir,
					      bounce_limit, &host);
			if (!ret)
				put_ptr(ctx, p->off, host);
		}
		if (ret)
			goto fail;
	}
	/* Records in the argument: ours already, read once. */
	if (layout->rec.in_arg) {
		ret = layout_records_in_arg(layout, &ctx->rec_count);
		if (!ret)
			ret = rewrite_records(ctx, ctx->guest_arg,
					      ctx->host_arg, ctx->rec_count,
					      bufs, nr_bufs, &idx,
					      bounce_limit);
		if (ret)
			goto fail;
	}
	/* Buffers the layout has no use for mean guest and host disagree. */
	if (nr_bufs > idx) {
		ret = -EINVAL;
		goto fail;
	}
	return 0;

fail:
	rewrite_release(ctx);
	return ret;
}

int rewrite_finish(struct rewrite_ctx *ctx, void *arg_out)
{
	const struct ioctl_layout *l = ctx->layout;
	unsigned int i;
	int ret = 0;

	for (i = 0; i < ctx->nr_bufs; i++) {
		struct rewrite_buf *b = &ctx->buf[i];

		if (!b->bounce || !b->guest || !(b->dir & LAYOUT_DIR_OUT))
			continue;
		if (guest_buf_write(ctx->gm, b->guest, 0, b->bounce, b->len))
			ret = -EFAULT;
	}

	memcpy(arg_out, ctx->host_arg, l->arg_size);
	for (i = 0; i < l->nr_ptrs; i++)
		memcpy((uint8_t *)arg_out + l->ptr[i].off,
		       ctx->guest_arg + l->ptr[i].off, 8);
	for (i = 0; i < ctx->rec_count * l->rec.nr_subs; i++) {
		size_t off = (size_t)(i / l->rec.nr_subs) * l->rec.elem_size +
			     l->rec.sub[i % l->rec.nr_subs].off;

		memcpy((uint8_t *)arg_out + off, ctx->guest_arg + off, 8);
	}
	return ret;
}

void rewrite_release(struct rewrite_ctx *ctx)
{
	unsigned int i;

	for (i = 0; i < ctx->nr_bufs; i++)
		free(ctx->buf[i].bounce);
	ctx->nr_bufs = 0;
	ctx->bounce_used = 0;
}
