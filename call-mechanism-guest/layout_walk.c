// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/* The guest's walk of a host-published ioctl layout: see layout_walk.h. */
#include "layout_walk.h"

#ifdef __KERNEL__
#include <linux/export.h>	/* frontends walk layouts; devcall.ko owns it */
#else
#define EXPORT_SYMBOL_GPL(sym)
#endif

static int field_ok(const struct devcall_layout_field *f, __u32 arg_size)
{
	if (!f->size)
		return 1;
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		return 0;
	return (__u32)le16_to_cpu(f->off) + f->size <= arg_size;
}

/* The records' description, if any; nr_rec_ptrs RECORDS pointers use it. */
static int records_check(const struct devcall_layout *l,
			 unsigned int nr_rec_ptrs)
{
	const struct devcall_layout_records *r = &l->rec;
	__u32 elem = le16_to_cpu(r->elem_size);
	unsigned int j;

	if (!elem)
		return nr_rec_ptrs || r->nr_subs || r->flags ? -EPROTO : 0;
	if (elem > DEVCALL_LAYOUT_REC_ELEM_MAX ||
	    le16_to_cpu(r->count_max) > DEVCALL_LAYOUT_REC_COUNT_MAX ||
	    r->nr_subs > DEVCALL_LAYOUT_MAX_SUBS ||
	    (r->flags & ~DEVCALL_LAYOUT_REC_IN_ARG) ||
	    le32_to_cpu(r->total_max) > DEVCALL_MAX_IO)
		return -EPROTO;
	if (r->flags & DEVCALL_LAYOUT_REC_IN_ARG ? l->nr_ptrs :
						   nr_rec_ptrs != 1)
		return -EPROTO;
	for (j = 0; j < r->nr_subs; j++) {
		const struct devcall_layout_sub *s = &l->sub[j];
		__u8 dir = s->dir;

		if ((__u32)le16_to_cpu(s->off) + 8 > elem ||
		    !field_ok(&s->len_field, elem) ||
		    !field_ok(&s->dir_field, elem) ||
		    (s->flags & ~DEVCALL_LAYOUT_PF_NULL_OK) ||
		    le32_to_cpu(s->len_max) > DEVCALL_MAX_IO ||
		    (dir != DEVCALL_LAYOUT_DIR_BY_MASK && (dir < 1 || dir > 3)) ||
		    s->dir_set > 3 || s->dir_clear > 3)
			return -EPROTO;
	}
	return 0;
}

int layout_walk_check(const struct devcall_layout *l)
{
	return layout_walk_check_ptrs(l, 8);
}
EXPORT_SYMBOL_GPL(layout_walk_check);

int layout_walk_check_ptrs(const struct devcall_layout *l,
			   unsigned int ptr_size)
{
	__u32 arg_size = le32_to_cpu(l->arg_size);
	__u8 fd = l->fd_flags;
	__u32 fd_off = le16_to_cpu(l->fd_off);
	unsigned int i, nr_rec_ptrs = 0;

	if (ptr_size != 4 && ptr_size != 8)
		return -EPROTO;
	if (arg_size > LW_ARG_MAX || l->nr_ptrs > DEVCALL_LAYOUT_MAX_PTRS ||
	    l->arg_dir > 3 || (!arg_size && (l->nr_ptrs || l->rec.elem_size)))
		return -EPROTO;
	/* One descriptor in at most; where the layout puts it, it fits. */
	if ((fd & ~DEVCALL_LAYOUT_FD_ALL) ||
	    ((fd & DEVCALL_LAYOUT_FD_IN_ARG) && arg_size) ||
	    ((fd & DEVCALL_LAYOUT_FD_IN_FIELD) &&
	     (!arg_size || fd_off + 4 > arg_size ||
	      (fd & DEVCALL_LAYOUT_FD_IN_ARG))))
		return -EPROTO;
	/* A new descriptor in a field the driver writes: alone. */
	if ((fd & DEVCALL_LAYOUT_FD_OUT_FIELD) &&
	    (fd != DEVCALL_LAYOUT_FD_OUT_FIELD || fd_off + 4 > arg_size ||
	     !(l->arg_dir & LW_DIR_OUT)))
		return -EPROTO;
	for (i = 0; i < l->nr_ptrs; i++) {
		const struct devcall_layout_ptr *p = &l->ptr[i];

		if (p->kind == DEVCALL_LAYOUT_KIND_RECORDS)
			nr_rec_ptrs++;
		if ((__u32)le16_to_cpu(p->off) + ptr_size > arg_size ||
		    p->kind < 1 || p->kind > DEVCALL_LAYOUT_KIND_RECORDS ||
		    /* records carry 8-byte pointers: native layouts only */
		    (p->kind == DEVCALL_LAYOUT_KIND_RECORDS && ptr_size != 8) ||
		    p->dir > 4 ||
		    (l->ptr_flags[i] & ~DEVCALL_LAYOUT_PF_NULL_OK) ||
		    p->nr_dir_map > DEVCALL_LAYOUT_MAX_DIR_MAP ||
		    !field_ok(&p->len_field, arg_size) ||
		    !field_ok(&p->count_field, arg_size) ||
		    !field_ok(&p->dir_field, arg_size) ||
		    le32_to_cpu(p->len_max) > DEVCALL_MAX_IO ||
		    le32_to_cpu(p->count_max) > LW_MAX_IOVEC)
			return -EPROTO;
	}
	return records_check(l, nr_rec_ptrs);
}
EXPORT_SYMBOL_GPL(layout_walk_check_ptrs);

int layout_walk_fd_in(const struct devcall_layout *l, const void *arg,
		      __u64 int_arg, __s32 *fd)
{
	if (l->fd_flags & DEVCALL_LAYOUT_FD_IN_ARG) {
		*fd = (__s32)int_arg;
		return 1;
	}
	if (l->fd_flags & DEVCALL_LAYOUT_FD_IN_FIELD) {
		__le32 v;

		memcpy(&v, (const __u8 *)arg + le16_to_cpu(l->fd_off), 4);
		*fd = (__s32)le32_to_cpu(v);
		return 1;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(layout_walk_fd_in);

static __s64 field_get(const struct devcall_layout_field *f, const __u8 *arg)
{
	const __u8 *p = arg + le16_to_cpu(f->off);
	__u64 v = 0;

	memcpy(&v, p, f->size);		/* x86_64: little-endian */
	if (f->is_signed && f->size < 8 && (v >> (f->size * 8 - 1)) & 1)
		v |= ~0ull << (f->size * 8);
	return (__s64)v;
}

static int add(struct lw_buf *bufs, unsigned int max, unsigned int *n,
	       __u64 uaddr, __u64 len, __u8 dir)
{
	if (*n >= max || *n + 1 >= LW_MAX_BUFS)
		return -E2BIG;
	bufs[*n].uaddr = uaddr;
	bufs[*n].len = len;
	bufs[*n].dir = dir;
	bufs[*n].idx = *n + 1;
	(*n)++;
	return 0;
}

/* The buffers behind one record's pointers (rec: our copy of it). */
static int walk_record(const struct devcall_layout *l, const __u8 *rec,
		       struct lw_buf *bufs, unsigned int max, unsigned int *n,
		       __u64 *total)
{
	unsigned int j;
	int ret;

	for (j = 0; j < l->rec.nr_subs; j++) {
		const struct devcall_layout_sub *s = &l->sub[j];
		__u8 dir = s->dir;
		__u64 ptr, len;
		__s64 v;

		memcpy(&ptr, rec + le16_to_cpu(s->off), 8);
		if (dir == DEVCALL_LAYOUT_DIR_BY_MASK)
			dir = (__u64)field_get(&s->dir_field, rec) &
			      le32_to_cpu(s->dir_mask) ? s->dir_set :
							 s->dir_clear;
		if (s->len_field.size) {
			v = field_get(&s->len_field, rec);
			if (v < 0 || (__u64)v > le32_to_cpu(s->len_max))
				return -EINVAL;
			len = v;
		} else {
			len = le32_to_cpu(s->len_const);
		}
		if (!dir || !len ||
		    (!ptr && (s->flags & DEVCALL_LAYOUT_PF_NULL_OK)))
			continue;
		*total += len;
		if (*total > le32_to_cpu(l->rec.total_max))
			return -EINVAL;
		ret = add(bufs, max, n, ptr, len, dir);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A RECORDS pointer: the array is sent as it is in user memory; each
 * record is read once, here, and its buffers follow from that copy. (The
 * host reads its own copy of the array and computes the same; a user
 * changing the array meanwhile gets EINVAL, never another's memory.)
 */
static int walk_record_ptr(const struct devcall_layout *l, __u64 ptr,
			   __u64 count, lw_read_user_fn read_user, void *ctx,
			   struct lw_buf *bufs, unsigned int max,
			   unsigned int *n)
{
	__u8 rec[DEVCALL_LAYOUT_REC_ELEM_MAX];
	__u32 elem = le16_to_cpu(l->rec.elem_size);
	__u64 k, total = 0;
	int ret;

	if (count > le16_to_cpu(l->rec.count_max))
		return -EINVAL;
	if (!count)
		return 0;
	ret = add(bufs, max, n, ptr, count * elem, LW_DIR_IN);
	for (k = 0; !ret && k < count; k++) {
		if (read_user(ctx, rec, ptr + k * elem, elem))
			return -EFAULT;
		ret = walk_record(l, rec, bufs, max, n, &total);
	}
	return ret;
}

/* The argument is the record array: records already copied. */
static int walk_records_in_arg(const struct devcall_layout *l,
			       const __u8 *arg, struct lw_buf *bufs,
			       unsigned int max, unsigned int *n)
{
	__u32 elem = le16_to_cpu(l->rec.elem_size);
	__u32 size = le32_to_cpu(l->arg_size);
	__u64 total = 0;
	__u32 k;
	int ret = 0;

	if (size % elem || size / elem > le16_to_cpu(l->rec.count_max))
		return -EINVAL;
	for (k = 0; !ret && k < size / elem; k++)
		ret = walk_record(l, arg + k * elem, bufs, max, n, &total);
	return ret;
}

int layout_walk(const struct devcall_layout *l, const void *arg,
		lw_read_user_fn read_user, void *ctx, struct lw_buf *bufs,
		unsigned int max)
{
	return layout_walk_ptrs(l, 8, arg, read_user, ctx, bufs, max);
}
EXPORT_SYMBOL_GPL(layout_walk);

/* Element k of an iovec array: native { u64 base, len } or compat u32s. */
static void iov_elem(const void *iov, unsigned int ptr_size, unsigned int k,
		     __u64 *base, __u64 *len)
{
	if (ptr_size == 4) {
		const __le32 *v = iov;

		*base = le32_to_cpu(v[2 * k]);
		*len = le32_to_cpu(v[2 * k + 1]);
	} else {
		const __le64 *v = iov;

		*base = le64_to_cpu(v[2 * k]);
		*len = le64_to_cpu(v[2 * k + 1]);
	}
}

int layout_walk_ptrs(const struct devcall_layout *l, unsigned int ptr_size,
		     const void *arg, lw_read_user_fn read_user, void *ctx,
		     struct lw_buf *bufs, unsigned int max)
{
	__u64 iov[2 * LW_MAX_IOVEC];
	unsigned int i, k, n = 0;
	int ret;

	ret = layout_walk_check_ptrs(l, ptr_size);
	if (ret)
		return ret;
	for (i = 0; i < l->nr_ptrs; i++) {
		const struct devcall_layout_ptr *p = &l->ptr[i];
		__u64 ptr, len, count = 0, left;
		__u8 dir = p->dir;
		__s64 v;

		if (p->kind == 3)		/* opaque: never followed */
			continue;
		/* A compat pointer is 4 bytes: compat_ptr(), zero-extended. */
		ptr = 0;
		memcpy(&ptr, (const __u8 *)arg + le16_to_cpu(p->off), ptr_size);
		/* NULL where the driver takes it as "none". */
		if (!ptr && (l->ptr_flags[i] & DEVCALL_LAYOUT_PF_NULL_OK))
			continue;
		if (p->kind == DEVCALL_LAYOUT_KIND_RECORDS) {
			v = field_get(&p->count_field, arg);
			if (v < 0)
				return -EINVAL;
			ret = walk_record_ptr(l, ptr, v, read_user, ctx, bufs,
					      max, &n);
			if (ret)
				return ret;
			continue;
		}
		if (dir == 4) {			/* chosen by another field */
			v = field_get(&p->dir_field, arg);
			for (k = 0; k < p->nr_dir_map; k++)
				if ((__s64)le64_to_cpu(p->dir_map[k].value) == v)
					break;
			if (k == p->nr_dir_map || p->dir_map[k].dir > 3)
				return -EINVAL;
			dir = p->dir_map[k].dir;
		}
		if (p->len_field.size) {
			v = field_get(&p->len_field, arg);
			if (v < 0 || (__u64)v > le32_to_cpu(p->len_max))
				return -EINVAL;
			len = v;
		} else {
			len = le32_to_cpu(p->len_const);
		}
		if (p->kind == 2) {
			v = field_get(&p->count_field, arg);
			if (v < 0 || (__u64)v > le32_to_cpu(p->count_max))
				return -EINVAL;
			count = v;
		}
		if (!dir || (!count && !len))
			continue;
		if (!count) {
			ret = add(bufs, max, &n, ptr, len, dir);
			if (ret)
				return ret;
			continue;
		}
		/* The element array, then each element, truncated to len. */
		ret = add(bufs, max, &n, ptr, count * 2 * ptr_size, LW_DIR_IN);
		if (ret)
			return ret;
		if (read_user(ctx, iov, ptr, count * 2 * ptr_size))
			return -EFAULT;
		left = len;
		for (k = 0; k < count; k++) {
			__u64 ebase, elen;

			iov_elem(iov, ptr_size, k, &ebase, &elen);
			if (elen > left)
				elen = left;
			left -= elen;
			ret = add(bufs, max, &n, ebase, elen, dir);
			if (ret)
				return ret;
		}
	}
	if (l->rec.elem_size && (l->rec.flags & DEVCALL_LAYOUT_REC_IN_ARG)) {
		ret = walk_records_in_arg(l, arg, bufs, max, &n);
		if (ret)
			return ret;
	}
	return n;
}
EXPORT_SYMBOL_GPL(layout_walk_ptrs);
