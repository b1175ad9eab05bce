// SPDX-License-Identifier: MIT
/* Ioctl layouts to and from their wire form: see layout_wire.h. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "layout_wire.h"

_Static_assert(LAYOUT_MAX_PTRS == DEVCALL_LAYOUT_MAX_PTRS, "pointer count");
_Static_assert(LAYOUT_MAX_DIR_MAP == DEVCALL_LAYOUT_MAX_DIR_MAP, "dir map");
_Static_assert(LAYOUT_PTR_RECORDS == DEVCALL_LAYOUT_KIND_RECORDS, "records");
_Static_assert(LAYOUT_DIR_BY_MASK == DEVCALL_LAYOUT_DIR_BY_MASK, "by mask");

static void field_encode(const struct layout_field *f,
			 struct devcall_layout_field *w)
{
	w->off = htole16(f->off);
	w->size = f->size;
	w->is_signed = f->is_signed;
}

static void field_decode(const struct devcall_layout_field *w,
			 struct layout_field *f)
{
	f->off = le16toh(w->off);
	f->size = w->size;
	f->is_signed = w->is_signed != 0;
}

static void records_encode(const struct layout_records *r,
			   struct devcall_layout *w)
{
	unsigned int j;

	w->rec.elem_size = htole16(r->elem_size);
	w->rec.count_max = htole16(r->count_max);
	w->rec.nr_subs = r->nr_subs;
	w->rec.flags = r->in_arg ? DEVCALL_LAYOUT_REC_IN_ARG : 0;
	w->rec.total_max = htole32(r->total_max);
	for (j = 0; j < r->nr_subs && j < LAYOUT_MAX_SUBS; j++) {
		const struct layout_sub *s = &r->sub[j];
		struct devcall_layout_sub *q = &w->sub[j];

		q->off = htole16(s->off);
		q->dir = s->dir;
		q->flags = s->flags;
		q->len_const = htole32(s->len_const);
		field_encode(&s->len_field, &q->len_field);
		q->len_max = htole32(s->len_max);
		field_encode(&s->dir_field, &q->dir_field);
		q->dir_mask = htole32(s->dir_mask);
		q->dir_set = s->dir_set;
		q->dir_clear = s->dir_clear;
	}
}

static int records_decode(const struct devcall_layout *w,
			  struct layout_records *r)
{
	unsigned int j;

	r->elem_size = le16toh(w->rec.elem_size);
	r->count_max = le16toh(w->rec.count_max);
	r->nr_subs = w->rec.nr_subs;
	r->in_arg = w->rec.flags & DEVCALL_LAYOUT_REC_IN_ARG;
	r->total_max = le32toh(w->rec.total_max);
	if (r->nr_subs > LAYOUT_MAX_SUBS ||
	    (w->rec.flags & ~DEVCALL_LAYOUT_REC_IN_ARG))
		return -EINVAL;
	for (j = 0; j < r->nr_subs; j++) {
		const struct devcall_layout_sub *q = &w->sub[j];
		struct layout_sub *s = &r->sub[j];

		s->off = le16toh(q->off);
		s->dir = q->dir;
		s->flags = q->flags;
		s->len_const = le32toh(q->len_const);
		field_decode(&q->len_field, &s->len_field);
		s->len_max = le32toh(q->len_max);
		field_decode(&q->dir_field, &s->dir_field);
		s->dir_mask = le32toh(q->dir_mask);
		s->dir_set = q->dir_set;
		s->dir_clear = q->dir_clear;
	}
	return 0;
}

void layout_encode(const struct ioctl_layout *l, struct devcall_layout *w)
{
	unsigned int i, k;

	memset(w, 0, sizeof(*w));
	w->cmd = htole32(l->cmd);
	w->arg_size = htole32(l->arg_size);
	w->arg_dir = l->arg_dir;
	w->nr_ptrs = l->nr_ptrs;
	for (i = 0; i < l->nr_ptrs; i++) {
		const struct layout_ptr *p = &l->ptr[i];
		struct devcall_layout_ptr *q = &w->ptr[i];

		q->off = htole16(p->off);
		q->kind = p->kind;
		q->dir = p->dir;
		q->len_const = htole32(p->len_const);
		field_encode(&p->len_field, &q->len_field);
		q->len_max = htole32(p->len_max);
		field_encode(&p->count_field, &q->count_field);
		q->count_max = htole32(p->count_max);
		field_encode(&p->dir_field, &q->dir_field);
		q->nr_dir_map = p->nr_dir_map;
		for (k = 0; k < p->nr_dir_map; k++) {
			q->dir_map[k].value = htole64((uint64_t)p->dir_map[k].value);
			q->dir_map[k].dir = p->dir_map[k].dir;
		}
		w->ptr_flags[i] = p->flags;
	}
	records_encode(&l->rec, w);
}

int layout_decode(const struct devcall_layout *w, struct ioctl_layout *l)
{
	unsigned int i, k;

	memset(l, 0, sizeof(*l));
	l->cmd = le32toh(w->cmd);
	l->name = "wire";
	l->arg_size = le32toh(w->arg_size);
	l->arg_dir = w->arg_dir;
	l->nr_ptrs = w->nr_ptrs;
	if (l->nr_ptrs > LAYOUT_MAX_PTRS)
		return -EINVAL;
	for (i = 0; i < l->nr_ptrs; i++) {
		const struct devcall_layout_ptr *q = &w->ptr[i];
		struct layout_ptr *p = &l->ptr[i];

		p->off = le16toh(q->off);
		p->kind = q->kind;
		p->dir = q->dir;
		p->len_const = le32toh(q->len_const);
		field_decode(&q->len_field, &p->len_field);
		p->len_max = le32toh(q->len_max);
		field_decode(&q->count_field, &p->count_field);
		p->count_max = le32toh(q->count_max);
		field_decode(&q->dir_field, &p->dir_field);
		p->nr_dir_map = q->nr_dir_map;
		if (p->nr_dir_map > LAYOUT_MAX_DIR_MAP)
			return -EINVAL;
		for (k = 0; k < p->nr_dir_map; k++) {
			p->dir_map[k].value = (int64_t)le64toh(q->dir_map[k].value);
			p->dir_map[k].dir = q->dir_map[k].dir;
		}
		p->flags = w->ptr_flags[i];
	}
	if (records_decode(w, &l->rec))
		return -EINVAL;
	return layout_validate(l);
}
