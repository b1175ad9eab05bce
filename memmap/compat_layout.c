// SPDX-License-Identifier: MIT
/*
 * Converting a 32-bit process's ioctl argument to the native one and back,
 * by the copies of its compat entry: see compat_layout.h.
 */
#include <errno.h>
#include <string.h>

#include "compat_layout.h"

const struct compat_layout *compat_find(uint32_t cmd32)
{
	unsigned int i;

	for (i = 0; i < compat_layouts_count; i++)
		if (compat_layouts[i].cmd32 == cmd32)
			return &compat_layouts[i];
	return NULL;
}

static bool size_ok(unsigned int s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static unsigned int elems(const struct compat_layout *c)
{
	return c->nr_elem ? c->nr_elem : 1;
}

int compat_check(const struct compat_layout *c, const struct ioctl_layout *l)
{
	const struct ioctl_layout *l32 = &c->layout32;
	uint32_t rec32 = l32->arg_size, rec64 = l->arg_size;
	unsigned int i, k;

	if (c->native)
		return c->cmd32 == c->cmd && l->cmd == c->cmd ? 0 : -EINVAL;
	if (l32->cmd != c->cmd32 || !l32->compat || layout_validate(l32) ||
	    l->compat || l32->size_family || l->size_family)
		return -EINVAL;
	/* A descriptor travels alike in both ABIs (an int): same bits. */
	if (l32->fd != l->fd)
		return -EINVAL;
	if (!l32->arg_size)		/* an integer: the number only */
		return l->arg_size || c->nr_copies ? -EINVAL : 0;
	if (!l->arg_size || l32->nr_ptrs != l->nr_ptrs ||
	    c->nr_copies > COMPAT_MAX_COPIES)
		return -EINVAL;
	if (c->nr_elem) {
		if (l32->nr_ptrs || (uint32_t)c->nr_elem * c->elem32 !=
		    l32->arg_size || (uint32_t)c->nr_elem * c->elem64 !=
		    l->arg_size)
			return -EINVAL;
		rec32 = c->elem32;
		rec64 = c->elem64;
	}
	for (i = 0; i < c->nr_copies; i++) {
		const struct compat_copy *cp = &c->copy[i];

		if ((uint32_t)cp->off32 + cp->size32 > rec32 ||
		    (uint32_t)cp->off64 + cp->size64 > rec64 ||
		    !cp->size32 || cp->size32 > cp->size64)
			return -EINVAL;
		if (cp->size32 != cp->size64 &&
		    (!size_ok(cp->size32) || !size_ok(cp->size64)))
			return -EINVAL;
	}
	/* A descriptor field: the host's goes into the native one. */
	if (l->fd & LAYOUT_FD_FIELD) {
		for (k = 0; k < c->nr_copies; k++)
			if (c->copy[k].off32 == l32->fd_off &&
			    c->copy[k].size32 == 4 && c->copy[k].size64 == 4 &&
			    c->copy[k].off64 == l->fd_off)
				break;
		if (c->nr_elem || k == c->nr_copies)
			return -EINVAL;
	}
	/* Same pointers, same order: the buffers are numbered alike. */
	for (i = 0; i < l32->nr_ptrs; i++) {
		const struct layout_ptr *p = &l32->ptr[i], *q = &l->ptr[i];

		if (p->kind != q->kind)
			return -EINVAL;
		for (k = 0; k < c->nr_copies; k++)
			if (c->copy[k].off32 == p->off &&
			    c->copy[k].size32 == 4 && c->copy[k].size64 == 8 &&
			    c->copy[k].off64 == q->off)
				break;
		if (k == c->nr_copies)
			return -EINVAL;
	}
	return 0;
}

static uint64_t get_uint(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	memcpy(&v, p, size);		/* little-endian, both ABIs */
	return v;
}

static int64_t get_int(const uint8_t *p, unsigned int size)
{
	uint64_t v = get_uint(p, size);
	unsigned int shift = 64 - 8 * size;

	return shift ? (int64_t)(v << shift) >> shift : (int64_t)v;
}

static bool fits(const struct compat_copy *cp, const uint8_t *p64)
{
	unsigned int bits = 8 * cp->size32;
	int64_t v;

	if (!(cp->flags & COMPAT_SIGNED))
		return get_uint(p64, cp->size64) >> bits == 0;
	v = get_int(p64, cp->size64);
	return v >= -(INT64_C(1) << (bits - 1)) &&
	       v < (INT64_C(1) << (bits - 1));
}

void compat_to_native(const struct compat_layout *c, const void *arg32,
		      void *arg64, uint32_t arg64_size)
{
	unsigned int e, i;

	memset(arg64, 0, arg64_size);
	for (e = 0; e < elems(c); e++) {
		const uint8_t *r32 = (const uint8_t *)arg32 + e * c->elem32;
		uint8_t *r64 = (uint8_t *)arg64 + e * c->elem64;

		for (i = 0; i < c->nr_copies; i++) {
			const struct compat_copy *cp = &c->copy[i];
			uint64_t v;

			if (cp->size32 == cp->size64) {
				memcpy(r64 + cp->off64, r32 + cp->off32,
				       cp->size32);
				continue;
			}
			v = cp->flags & COMPAT_SIGNED ?
			    (uint64_t)get_int(r32 + cp->off32, cp->size32) :
			    get_uint(r32 + cp->off32, cp->size32);
			memcpy(r64 + cp->off64, &v, cp->size64);
		}
	}
}

int compat_from_native(const struct compat_layout *c, const void *arg64,
		       void *arg32)
{
	unsigned int e, i;

	/* All checks first: an error leaves the guest's bytes as they were. */
	for (e = 0; e < elems(c); e++)
		for (i = 0; i < c->nr_copies; i++) {
			const struct compat_copy *cp = &c->copy[i];
			const uint8_t *r64 = (const uint8_t *)arg64 +
					     e * c->elem64;

			if (cp->size32 != cp->size64 &&
			    (cp->flags & COMPAT_CHECK) &&
			    !fits(cp, r64 + cp->off64))
				return c->overflow ? -(int)c->overflow :
				       -EOVERFLOW;
		}
	for (e = 0; e < elems(c); e++) {
		const uint8_t *r64 = (const uint8_t *)arg64 + e * c->elem64;
		uint8_t *r32 = (uint8_t *)arg32 + e * c->elem32;

		/* Little-endian: the low bytes are the narrowed value. */
		for (i = 0; i < c->nr_copies; i++)
			memcpy(r32 + c->copy[i].off32, r64 + c->copy[i].off64,
			       c->copy[i].size32);
	}
	return 0;
}

bool compat_native_ok(const struct ioctl_layout *l)
{
	return !l->nr_ptrs;
}
