// SPDX-License-Identifier: MIT
/*
 * memmap: every built-in ioctl layout, table-driven. Each one validates,
 * has a number no other has, survives the wire, and rewrites: a guest
 * argument (and a buffer behind each pointer) built in a fake guest goes
 * through rewrite_prepare, a fake driver checks it sees host copies of the
 * guest's bytes and answers, and rewrite_finish must hand back exactly the
 * out-direction bytes with the guest's own pointer values.
 */
#include <errno.h>
#include <string.h>
#include <linux/hidraw.h>
#include <linux/input.h>
#include <linux/uinput.h>

#include "harness.h"
#include "fake_guest.h"
#include "layout_wire.h"
#include "ptr_rewrite.h"

#define BOUNCE_LIMIT	(1u << 20)
#define GUEST_PTR(i)	(0x7ffd00000000ull + ((uint64_t)(i) << 20))

struct fixture {
	struct fake_guest g;
	struct request req;
	struct rewrite_ctx ctx;
	uint8_t arg[LAYOUT_ARG_MAX], out[LAYOUT_ARG_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	fake_guest_init(&f->g);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fake_guest_fini(&f->g);
	free(f);
	return 0;
}

static void field_set(const struct layout_field *fl, void *arg, int64_t v)
{
	memcpy((uint8_t *)arg + fl->off, &v, fl->size);	/* little-endian */
}

static bool is_ptr_byte(const struct ioctl_layout *l, unsigned int off)
{
	unsigned int i;

	for (i = 0; i < l->nr_ptrs; i++)
		if (off >= l->ptr[i].off && off < l->ptr[i].off + 8u)
			return true;
	return false;
}

/* Every layout of every table, and none twice. */
static void test_tables_valid_and_unique(void **state)
{
	unsigned int t, i, n = 0, u, v;

	(void)state;
	for (t = 0; t < layout_tables_count; t++) {
		const struct layout_table *tab = layout_tables[t];

		assert_non_null(tab->family);
		for (i = 0; i < tab->count; i++, n++) {
			const struct ioctl_layout *l = &tab->layouts[i];

			if (layout_validate(l))
				fail_msg("%s: %s invalid", tab->family,
					 l->name);
			assert_ptr_equal(layout_find(l->cmd), l);
			/* Within a table's own family: no two alike. */
			for (u = 0; u <= t; u++)
				for (v = 0; v < (u == t ? i :
						 layout_tables[u]->count); v++)
					if (layout_tables[u]->layouts[v].cmd ==
					    l->cmd)
						fail_msg("0x%08x twice: %s",
							 l->cmd, l->name);
		}
	}
	assert_true(n >= 400);
}

/* Each layout's wire form decodes to the same layout. */
static void test_tables_wire_round_trip(void **state)
{
	struct devcall_layout w;
	struct ioctl_layout back;
	unsigned int t, i;

	(void)state;
	for (t = 0; t < layout_tables_count; t++) {
		for (i = 0; i < layout_tables[t]->count; i++) {
			const struct ioctl_layout *l =
				&layout_tables[t]->layouts[i];

			layout_encode(l, &w);
			assert_int_equal(layout_decode(&w, &back), 0);
			assert_int_equal(back.cmd, l->cmd);
			assert_int_equal(back.arg_size, l->arg_size);
			assert_int_equal(back.arg_dir, l->arg_dir);
			assert_int_equal(back.nr_ptrs, l->nr_ptrs);
			assert_memory_equal(back.ptr, l->ptr, sizeof(l->ptr));
			assert_memory_equal(&back.rec, &l->rec,
					    sizeof(l->rec));
		}
	}
}

/*
 * One layout through prepare, a fake driver and finish. Pointers get a
 * small length (their field set to it) and the first direction that moves
 * data; IOVEC pointers are tested in their plain form.
 */
static void rewrite_one(struct fixture *f, const struct ioctl_layout *l)
{
	uint64_t gpa[LAYOUT_MAX_PTRS] = { 0 }, len[LAYOUT_MAX_PTRS] = { 0 };
	uint8_t dir[LAYOUT_MAX_PTRS] = { 0 };
	uint8_t *h, buf[256];
	unsigned int i, k, nb = 1;

	if (!l->arg_size) {
		assert_int_equal(l->nr_ptrs, 0);
		return;
	}
	if (l->rec.elem_size)	/* nested pointers: test_ptr_rewrite */
		return;
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	for (i = 0; i < l->arg_size; i++)
		f->arg[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < l->nr_ptrs; i++) {
		const struct layout_ptr *p = &l->ptr[i];
		uint64_t v = GUEST_PTR(i);

		memcpy(f->arg + p->off, &v, 8);
		if (p->kind == LAYOUT_PTR_OPAQUE)
			continue;
		dir[i] = p->dir;
		if (p->dir == LAYOUT_DIR_BY_FIELD) {
			for (k = 0; k < p->nr_dir_map; k++)
				if (p->dir_map[k].dir != LAYOUT_DIR_NONE)
					break;
			assert_true(k < p->nr_dir_map);
			field_set(&p->dir_field, f->arg, p->dir_map[k].value);
			dir[i] = p->dir_map[k].dir;
		}
		if (p->count_field.size)
			field_set(&p->count_field, f->arg, 0);
		len[i] = p->len_field.size ?
			 (p->len_max < 48 ? p->len_max : 48) : p->len_const;
		if (p->len_field.size)
			field_set(&p->len_field, f->arg, (int64_t)len[i]);
	}
	for (i = 0; i < l->nr_ptrs; i++) {
		if (!len[i])
			continue;
		assert_true(len[i] <= sizeof(buf));
		gpa[i] = fake_guest_alloc(&f->g, len[i]);
		for (k = 0; k < len[i]; k++)
			buf[k] = (uint8_t)(k ^ 0x5a);
		fake_guest_write(&f->g, gpa[i], buf, len[i]);
		fake_req_seg(&f->req, gpa[i], (uint32_t)len[i],
			     (dir[i] & LAYOUT_DIR_IN ? GUEST_SEG_TO_HOST : 0) |
			     (dir[i] & LAYOUT_DIR_OUT ? GUEST_SEG_FROM_HOST :
			      0), (uint16_t)nb++);
	}
	if (rewrite_prepare(&f->ctx, l, &f->g.gm, f->arg, f->req.buf,
			    f->req.nr_bufs, BOUNCE_LIMIT))
		fail_msg("%s: prepare refused", l->name);
	h = rewrite_host_arg(&f->ctx);

	/* The driver's view: the guest's bytes, host pointers. */
	for (i = 0; i < l->arg_size; i++)
		if (!is_ptr_byte(l, i))
			assert_int_equal(h[i], f->arg[i]);
	for (i = 0; i < l->nr_ptrs; i++) {
		uint8_t *hp;

		memcpy(&hp, h + l->ptr[i].off, 8);
		if (l->ptr[i].kind == LAYOUT_PTR_OPAQUE) {
			assert_ptr_equal(hp, (void *)GUEST_PTR(i));
			continue;
		}
		assert_non_null(hp);
		assert_ptr_not_equal(hp, (void *)GUEST_PTR(i));
		if (dir[i] & LAYOUT_DIR_IN)
			for (k = 0; k < len[i]; k++)
				assert_int_equal(hp[k], (uint8_t)(k ^ 0x5a));
		if (dir[i] & LAYOUT_DIR_OUT)
			memset(hp, 0xa5, len[i]);
	}
	/* The driver answers in the argument too. */
	for (i = 0; i < l->arg_size; i++)
		if (!is_ptr_byte(l, i))
			h[i] ^= 0xff;

	assert_int_equal(rewrite_finish(&f->ctx, f->out), 0);
	rewrite_release(&f->ctx);
	for (i = 0; i < l->arg_size; i++)
		assert_int_equal(f->out[i], is_ptr_byte(l, i) ? f->arg[i] :
					    (uint8_t)(f->arg[i] ^ 0xff));
	for (i = 0; i < l->nr_ptrs; i++) {
		if (!len[i])
			continue;
		fake_guest_read(&f->g, gpa[i], buf, len[i]);
		for (k = 0; k < len[i]; k++)
			assert_int_equal(buf[k], dir[i] & LAYOUT_DIR_OUT ?
					 0xa5 : (uint8_t)(k ^ 0x5a));
	}
}

static void test_tables_rewrite(void **state)
{
	struct fixture *f = *state;
	unsigned int t, i;

	for (t = 0; t < layout_tables_count; t++)
		for (i = 0; i < layout_tables[t]->count; i++)
			rewrite_one(f, &layout_tables[t]->layouts[i]);
}

/* A family answers each length with the concrete number's layout. */
static void test_families(void **state)
{
	struct fixture *f = *state;
	struct ioctl_layout s, back;
	struct devcall_layout w;
	const struct ioctl_layout *l;

	l = layout_lookup(EVIOCGNAME(256), &s);
	assert_ptr_equal(l, &s);
	assert_int_equal(l->cmd, EVIOCGNAME(256));
	assert_int_equal(l->arg_size, 256);
	assert_int_equal(l->arg_dir, LAYOUT_DIR_OUT);
	assert_int_equal(layout_validate(l), 0);
	rewrite_one(f, l);
	/* The guest gets a plain layout: nothing about families. */
	layout_encode(l, &w);
	assert_int_equal(layout_decode(&w, &back), 0);
	assert_int_equal(back.cmd, EVIOCGNAME(256));
	assert_int_equal(back.arg_size, 256);

	assert_int_equal(layout_lookup(EVIOCGBIT(EV_KEY, 96), &s)->arg_size,
			 96);
	assert_int_equal(layout_lookup(HIDIOCGFEATURE(9), &s)->arg_dir,
			 LAYOUT_DIR_BOTH);
	assert_int_equal(layout_lookup(UI_GET_SYSNAME(64), &s)->arg_size, 64);
	assert_int_equal(layout_lookup(EVIOCGNAME(1), &s)->arg_size, 1);
	/* Size 0 would be an integer argument; too big is too big. */
	assert_null(layout_lookup(EVIOCGNAME(0), &s));
	assert_null(layout_lookup(EVIOCGNAME(LAYOUT_ARG_MAX + 1), &s));
	/* Another direction is another ioctl. */
	assert_null(layout_lookup(_IOC(_IOC_WRITE, 'E', 0x06, 16), &s));
	/* Exact numbers are never mistaken for a family's member. */
	assert_ptr_equal(layout_lookup(EVIOCGKEYCODE, &s),
			 layout_find(EVIOCGKEYCODE));
	assert_ptr_equal(layout_lookup(EVIOCGABS(ABS_X), &s),
			 layout_find(EVIOCGABS(ABS_X)));
	/* A family entry never carries pointers. */
	s = *layout_find(EVIOCGNAME(LAYOUT_ARG_MAX));
	s.nr_ptrs = 1;
	assert_int_equal(layout_validate(&s), -EINVAL);
	s.nr_ptrs = 0;
	s.arg_size = 100;		/* not the number's size */
	assert_int_equal(layout_validate(&s), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_tables_valid_and_unique),
	cmocka_unit_test(test_tables_wire_round_trip),
	cmocka_unit_test_setup_teardown(test_tables_rewrite, setup, teardown),
	cmocka_unit_test_setup_teardown(test_families, setup, teardown),
};

TEST_MAIN("layouts", tests, NULL, NULL)
