// SPDX-License-Identifier: MIT
/*
 * Interpreting ioctl layouts: lookup (registered, then built-in), checks of
 * a layout's own consistency, and the facts one argument instance implies
 * for each pointer.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <linux/ioctl.h>

#include "ioctl_layout.h"

#define LAYOUT_MAX_REGISTERED	256	/* plugins and a layouts file */
#define LAYOUT_IOVEC_ELEM	16	/* struct { void *base; size_t len; } */

static struct ioctl_layout registered[LAYOUT_MAX_REGISTERED];
static unsigned int nr_registered;
static pthread_rwlock_t registered_lock = PTHREAD_RWLOCK_INITIALIZER;

const struct ioctl_layout *layout_find(uint32_t cmd)
{
	const struct ioctl_layout *found = NULL;
	unsigned int i, t;

	/* Registered layouts are only added, never changed: safe to return. */
	pthread_rwlock_rdlock(&registered_lock);
	for (i = 0; i < nr_registered && !found; i++)
		if (registered[i].cmd == cmd)
			found = &registered[i];
	pthread_rwlock_unlock(&registered_lock);
	if (found)
		return found;
	for (t = 0; t < layout_tables_count; t++)
		for (i = 0; i < layout_tables[t]->count; i++)
			if (layout_tables[t]->layouts[i].cmd == cmd)
				return &layout_tables[t]->layouts[i];
	return NULL;
}

/* The size bits cleared: what a family's members have in common. */
#define LAYOUT_SIZE_MASK	((uint32_t)_IOC_SIZEMASK << _IOC_SIZESHIFT)

bool layout_family_match(const struct ioctl_layout *l, uint32_t cmd)
{
	return l->size_family &&
	       (l->cmd & ~LAYOUT_SIZE_MASK) == (cmd & ~LAYOUT_SIZE_MASK);
}

static const struct ioctl_layout *family_find(uint32_t cmd)
{
	const struct ioctl_layout *found = NULL;
	unsigned int i, t;

	pthread_rwlock_rdlock(&registered_lock);
	for (i = 0; i < nr_registered && !found; i++)
		if (layout_family_match(&registered[i], cmd))
			found = &registered[i];
	pthread_rwlock_unlock(&registered_lock);
	for (t = 0; t < layout_tables_count && !found; t++)
		for (i = 0; i < layout_tables[t]->count && !found; i++)
			if (layout_family_match(&layout_tables[t]->layouts[i],
						cmd))
				found = &layout_tables[t]->layouts[i];
	return found;
}

const struct ioctl_layout *layout_lookup(uint32_t cmd,
					 struct ioctl_layout *scratch)
{
	const struct ioctl_layout *l = layout_find(cmd);
	uint32_t size = _IOC_SIZE(cmd);

	if (l && !l->size_family)
		return l;
	l = family_find(cmd);
	/* Size 0 would turn the member into an integer-argument ioctl. */
	if (!l || !size || size > l->arg_size)
		return NULL;
	*scratch = *l;
	scratch->cmd = cmd;
	scratch->arg_size = size;
	return scratch;
}

int layout_register(const struct ioctl_layout *layout)
{
	unsigned int i;
	int ret = 0;

	if (layout_validate(layout))
		return -EINVAL;
	pthread_rwlock_wrlock(&registered_lock);
	for (i = 0; i < nr_registered; i++)
		if (registered[i].cmd == layout->cmd)
			ret = -EEXIST;
	if (!ret && nr_registered >= LAYOUT_MAX_REGISTERED)
		ret = -ENOSPC;
	if (!ret)
		registered[nr_registered++] = *layout;
	pthread_rwlock_unlock(&registered_lock);
	return ret;
}

unsigned int layout_for_each(void (*fn)(const struct ioctl_layout *, void *),
			     void *ctx)
{
	unsigned int i, j, t, n = 0;

	pthread_rwlock_rdlock(&registered_lock);
	for (i = 0; i < nr_registered; i++, n++)
		fn(&registered[i], ctx);
	for (t = 0; t < layout_tables_count; t++) {
		const struct layout_table *tab = layout_tables[t];

		for (i = 0; i < tab->count; i++) {
			for (j = 0; j < nr_registered; j++)
				if (registered[j].cmd == tab->layouts[i].cmd)
					break;
			if (j == nr_registered) {
				fn(&tab->layouts[i], ctx);
				n++;
			}
		}
	}
	pthread_rwlock_unlock(&registered_lock);
	return n;
}

static void list_one(const struct ioctl_layout *l, void *arg)
{
	char size[16];

	snprintf(size, sizeof(size), "%s%u", l->size_family ? "<=" : "",
		 l->arg_size);
	fprintf(arg, "0x%08x %-36s %6s %u\n", l->cmd, l->name ? l->name : "?",
		size, l->nr_ptrs);
}

void layout_list(FILE *f)
{
	layout_for_each(list_one, f);
}

void layout_unregister_all(void)
{
	pthread_rwlock_wrlock(&registered_lock);
	nr_registered = 0;
	pthread_rwlock_unlock(&registered_lock);
}

static int field_ok(const struct layout_field *f, uint32_t arg_size)
{
	if (!f->size)
		return 1;
	if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8)
		return 0;
	return (uint32_t)f->off + f->size <= arg_size;
}

static int overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

static int sub_validate(const struct layout_records *r, unsigned int j)
{
	const struct layout_sub *s = &r->sub[j];
	const struct layout_field *fs[] = { &s->len_field, &s->dir_field };
	unsigned int k, m;

	if ((uint32_t)s->off + 8 > r->elem_size ||
	    (s->flags & ~LAYOUT_PF_NULL_OK))
		return -EINVAL;
	for (k = 0; k < j; k++)
		if (overlaps(s->off, 8, r->sub[k].off, 8))
			return -EINVAL;
	if (!field_ok(&s->len_field, r->elem_size) ||
	    !field_ok(&s->dir_field, r->elem_size))
		return -EINVAL;
	if (!s->len_max || (!s->len_field.size && !s->len_const) ||
	    (!s->len_field.size && s->len_const > s->len_max))
		return -EINVAL;
	if (s->dir == LAYOUT_DIR_BY_MASK) {
		if (!s->dir_field.size || !s->dir_mask ||
		    s->dir_set > LAYOUT_DIR_BOTH ||
		    s->dir_clear > LAYOUT_DIR_BOTH)
			return -EINVAL;
	} else if (s->dir < LAYOUT_DIR_IN || s->dir > LAYOUT_DIR_BOTH ||
		   s->dir_field.size || s->dir_mask || s->dir_set ||
		   s->dir_clear) {
		return -EINVAL;
	}
	/* No record's pointer doubles as a length or direction field. */
	for (k = 0; k < r->nr_subs; k++)
		for (m = 0; m < 2; m++)
			if (fs[m]->size && overlaps(fs[m]->off, fs[m]->size,
						    r->sub[k].off, 8))
				return -EINVAL;
	return 0;
}

/*
 * The records' own description, and that the request's buffers can never
 * run out: buffer 0, every pointer's worst case and every record's
 * pointers fit DEVCALL_MAX_BUFS.
 */
static int records_validate(const struct ioctl_layout *l)
{
	const struct layout_records *r = &l->rec;
	unsigned int i, nr_rec_ptrs = 0, bufs = 1;
	int ret;

	for (i = 0; i < l->nr_ptrs; i++) {
		if (l->ptr[i].kind == LAYOUT_PTR_RECORDS)
			nr_rec_ptrs++;
		else if (l->ptr[i].kind == LAYOUT_PTR_BUF)
			bufs++;
		else if (l->ptr[i].kind == LAYOUT_PTR_IOVEC)
			bufs += 1 + l->ptr[i].count_max;
	}
	if (!r->elem_size) {
		static const struct layout_records none;

		return nr_rec_ptrs || memcmp(r, &none, sizeof(*r)) ? -EINVAL :
		       0;
	}
	if (r->elem_size > LAYOUT_REC_ELEM_MAX || !r->count_max ||
	    r->count_max > LAYOUT_REC_COUNT_MAX || !r->nr_subs ||
	    r->nr_subs > LAYOUT_MAX_SUBS || !r->total_max ||
	    r->total_max > DEVCALL_MAX_IO)
		return -EINVAL;
	if (r->in_arg ? nr_rec_ptrs || l->nr_ptrs ||
			l->arg_size / r->elem_size > r->count_max :
			nr_rec_ptrs != 1)
		return -EINVAL;
	bufs += (r->in_arg ? 0 : 1) + (unsigned int)r->count_max * r->nr_subs;
	if (bufs > DEVCALL_MAX_BUFS)
		return -EINVAL;
	for (i = 0; i < r->nr_subs; i++) {
		ret = sub_validate(r, i);
		if (ret)
			return ret;
	}
	return 0;
}

int layout_validate(const struct ioctl_layout *l)
{
	unsigned int i, j, k, w = layout_ptr_size(l);

	if (l->arg_size > LAYOUT_ARG_MAX || l->nr_ptrs > LAYOUT_MAX_PTRS)
		return -EINVAL;
	if (l->arg_dir > LAYOUT_DIR_BOTH)
		return -EINVAL;
	/* A family's entry names its largest member; nothing to follow. */
	if (l->size_family &&
	    (!l->arg_size || l->nr_ptrs || _IOC_SIZE(l->cmd) != l->arg_size))
		return -EINVAL;
	if (l->fd & ~LAYOUT_FD_ALL || (l->fd & LAYOUT_FD_IN_ARG &&
				       l->fd & LAYOUT_FD_IN_FIELD))
		return -EINVAL;
	/* One fd_off, and one new descriptor at most. */
	if (l->fd & LAYOUT_FD_OUT_FIELD && l->fd != LAYOUT_FD_OUT_FIELD)
		return -EINVAL;
	if (!(l->fd & LAYOUT_FD_FIELD) && l->fd_off)
		return -EINVAL;
	/* A family's smaller members could end before the field. */
	if (l->size_family && l->fd & LAYOUT_FD_FIELD)
		return -EINVAL;
	if (!l->arg_size)	/* integer argument: nothing more to say */
		return l->nr_ptrs || l->arg_dir || l->rec.elem_size ||
		       l->fd & LAYOUT_FD_FIELD ||
		       (l->arg_unused && l->fd & LAYOUT_FD_IN_ARG) ?
		       -EINVAL : 0;
	/*
	 * A returned descriptor only with an integer argument: with a struct
	 * to copy back, a fault there would leave the new host file with no
	 * handle to close it by.
	 */
	if (l->fd & (LAYOUT_FD_IN_ARG | LAYOUT_FD_OUT_RET))
		return -EINVAL;
	/*
	 * The driver reads the descriptor: the host puts its own there, in
	 * an argument of its own (not an array of records).
	 */
	if (l->fd & LAYOUT_FD_IN_FIELD &&
	    ((uint32_t)l->fd_off + 4 > l->arg_size ||
	     !(l->arg_dir & LAYOUT_DIR_IN) || l->rec.in_arg))
		return -EINVAL;
	/*
	 * The driver writes a new descriptor: the host adopts it only once
	 * the argument is back with the guest, and the guest puts its own
	 * number there.
	 */
	if (l->fd & LAYOUT_FD_OUT_FIELD &&
	    ((uint32_t)l->fd_off + 4 > l->arg_size ||
	     !(l->arg_dir & LAYOUT_DIR_OUT) || l->rec.in_arg))
		return -EINVAL;
	if (l->arg_unused)
		return -EINVAL;
	if (!l->arg_dir)
		return -EINVAL;
	if (records_validate(l))
		return -EINVAL;

	for (i = 0; i < l->nr_ptrs; i++) {
		const struct layout_ptr *p = &l->ptr[i];

		if ((uint32_t)p->off + w > l->arg_size)
			return -EINVAL;
		if (l->fd & LAYOUT_FD_FIELD &&
		    overlaps(p->off, w, l->fd_off, 4))
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (overlaps(p->off, w, l->ptr[j].off, w))
				return -EINVAL;
		if (p->flags & ~LAYOUT_PF_NULL_OK)
			return -EINVAL;
		if (p->kind == LAYOUT_PTR_OPAQUE) {
			if (p->flags)
				return -EINVAL;
			continue;
		}
		if (p->kind == LAYOUT_PTR_RECORDS) {
			/* The array: IN, count_field records of rec. */
			if (p->dir != LAYOUT_DIR_IN || !p->count_field.size ||
			    !field_ok(&p->count_field, l->arg_size) ||
			    p->count_max || p->len_const || p->len_max ||
			    p->len_field.size || p->dir_field.size ||
			    p->nr_dir_map)
				return -EINVAL;
			for (j = 0; j < l->nr_ptrs; j++)
				if (overlaps(p->count_field.off,
					     p->count_field.size,
					     l->ptr[j].off, 8))
					return -EINVAL;
			continue;
		}
		if (p->kind != LAYOUT_PTR_BUF && p->kind != LAYOUT_PTR_IOVEC)
			return -EINVAL;
		if (p->dir > LAYOUT_DIR_BY_FIELD || p->dir == LAYOUT_DIR_NONE)
			return -EINVAL;
		if (!field_ok(&p->len_field, l->arg_size) ||
		    !field_ok(&p->count_field, l->arg_size) ||
		    !field_ok(&p->dir_field, l->arg_size))
			return -EINVAL;
		/* Bounds are what keeps a hostile argument finite. */
		if (!p->len_max || (!p->len_field.size && !p->len_const) ||
		    (!p->len_field.size && p->len_const > p->len_max))
			return -EINVAL;
		if (p->kind == LAYOUT_PTR_IOVEC &&
		    (!p->count_field.size || !p->count_max))
			return -EINVAL;
		if (p->kind == LAYOUT_PTR_BUF && p->count_field.size)
			return -EINVAL;
		if (p->dir == LAYOUT_DIR_BY_FIELD) {
			if (!p->dir_field.size || !p->nr_dir_map ||
			    p->nr_dir_map > LAYOUT_MAX_DIR_MAP)
				return -EINVAL;
			for (k = 0; k < p->nr_dir_map; k++)
				if (p->dir_map[k].dir > LAYOUT_DIR_BOTH)
					return -EINVAL;
		} else if (p->dir_field.size || p->nr_dir_map) {
			return -EINVAL;
		}
		/* A pointer must not double as a length or count. */
		for (j = 0; j < l->nr_ptrs; j++) {
			const struct layout_field *fs[] = {
				&p->len_field, &p->count_field, &p->dir_field };

			for (k = 0; k < 3; k++)
				if (fs[k]->size &&
				    overlaps(fs[k]->off, fs[k]->size,
					     l->ptr[j].off, w))
					return -EINVAL;
		}
	}
	return 0;
}

int layout_from_ioc(uint32_t cmd, struct ioctl_layout *out)
{
	uint32_t dir = _IOC_DIR(cmd), size = _IOC_SIZE(cmd);

	if (dir == _IOC_NONE || !size || size > LAYOUT_ARG_MAX)
		return -ENOENT;
	memset(out, 0, sizeof(*out));
	out->cmd = cmd;
	out->name = "_IOC";
	out->arg_size = size;
	/* _IOC_WRITE: userspace writes (driver reads) - our IN. */
	if (dir & _IOC_WRITE)
		out->arg_dir |= LAYOUT_DIR_IN;
	if (dir & _IOC_READ)
		out->arg_dir |= LAYOUT_DIR_OUT;
	return 0;
}

void layout_integer(uint32_t cmd, struct ioctl_layout *out)
{
	memset(out, 0, sizeof(*out));
	out->cmd = cmd;
	out->name = "integer";
}

int64_t layout_field_get(const struct layout_field *f, const void *arg)
{
	const uint8_t *p = (const uint8_t *)arg + f->off;
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (f->size) {
	case 1:
		v8 = *p;
		return f->is_signed ? (int64_t)(int8_t)v8 : (int64_t)v8;
	case 2:
		memcpy(&v16, p, 2);
		return f->is_signed ? (int64_t)(int16_t)v16 : (int64_t)v16;
	case 4:
		memcpy(&v32, p, 4);
		return f->is_signed ? (int64_t)(int32_t)v32 : (int64_t)v32;
	case 8:
		memcpy(&v64, p, 8);
		return (int64_t)v64;
	default:
		return 0;
	}
}

int layout_ptr_resolve(const struct ioctl_layout *l, unsigned int i,
		       const void *arg, struct layout_ptr_instance *out)
{
	const struct layout_ptr *p;
	unsigned int k;
	int64_t v;

	if (i >= l->nr_ptrs)
		return -EINVAL;
	p = &l->ptr[i];
	memset(out, 0, sizeof(*out));
	/* Little-endian: a 4-byte compat pointer is the low half. */
	memcpy(&out->guest_ptr, (const uint8_t *)arg + p->off,
	       layout_ptr_size(l));
	if (p->kind == LAYOUT_PTR_OPAQUE)
		return 0;
	/* NULL where the driver takes it as "none": nothing to follow. */
	if (!out->guest_ptr && (p->flags & LAYOUT_PF_NULL_OK))
		return 0;
	if (p->kind == LAYOUT_PTR_RECORDS) {
		v = layout_field_get(&p->count_field, arg);
		if (v < 0 || (uint64_t)v > l->rec.count_max)
			return -EINVAL;
		out->dir = LAYOUT_DIR_IN;
		out->count = (uint32_t)v;
		out->len = (uint64_t)out->count * l->rec.elem_size;
		out->records = out->count != 0;
		return 0;
	}

	out->dir = p->dir;
	if (p->dir == LAYOUT_DIR_BY_FIELD) {
		v = layout_field_get(&p->dir_field, arg);
		for (k = 0; k < p->nr_dir_map; k++)
			if (p->dir_map[k].value == v)
				break;
		if (k == p->nr_dir_map)
			return -EINVAL;
		out->dir = p->dir_map[k].dir;
	}

	if (p->len_field.size) {
		v = layout_field_get(&p->len_field, arg);
		if (v < 0 || (uint64_t)v > p->len_max)
			return -EINVAL;
		out->len = (uint64_t)v;
	} else {
		out->len = p->len_const;
	}

	if (p->kind == LAYOUT_PTR_IOVEC) {
		v = layout_field_get(&p->count_field, arg);
		if (v < 0 || (uint64_t)v > p->count_max)
			return -EINVAL;
		out->count = (uint32_t)v;
		out->iovec = out->count != 0;
	}
	if (out->dir == LAYOUT_DIR_NONE) {
		out->len = 0;
		out->count = 0;
		out->iovec = false;
	}
	return 0;
}

int layout_records_in_arg(const struct ioctl_layout *l, uint32_t *count)
{
	const struct layout_records *r = &l->rec;

	if (!r->elem_size || !r->in_arg || l->arg_size % r->elem_size ||
	    l->arg_size / r->elem_size > r->count_max)
		return -EINVAL;
	*count = l->arg_size / r->elem_size;
	return 0;
}

int layout_sub_resolve(const struct layout_records *r, unsigned int j,
		       const void *record, struct layout_sub_instance *out)
{
	const struct layout_sub *s;
	int64_t v;

	if (j >= r->nr_subs)
		return -EINVAL;
	s = &r->sub[j];
	memset(out, 0, sizeof(*out));
	memcpy(&out->guest_ptr, (const uint8_t *)record + s->off, 8);
	out->dir = s->dir;
	if (s->dir == LAYOUT_DIR_BY_MASK)
		out->dir = (uint64_t)layout_field_get(&s->dir_field, record) &
			   s->dir_mask ? s->dir_set : s->dir_clear;
	if (s->len_field.size) {
		v = layout_field_get(&s->len_field, record);
		if (v < 0 || (uint64_t)v > s->len_max)
			return -EINVAL;
		out->len = (uint64_t)v;
	} else {
		out->len = s->len_const;
	}
	if (out->dir == LAYOUT_DIR_NONE ||
	    (!out->guest_ptr && (s->flags & LAYOUT_PF_NULL_OK)))
		out->len = 0;
	if (!out->len)
		out->dir = LAYOUT_DIR_NONE;
	return 0;
}
