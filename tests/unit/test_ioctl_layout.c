// SPDX-License-Identifier: MIT
/* memmap: ioctl layouts - lookup, validation, and resolving instances. */
#include <errno.h>
#include <string.h>
#include <linux/blkpg.h>
#include <linux/fs.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>

#include "harness.h"
#include "ioctl_layout.h"

static int teardown(void **state)
{
	(void)state;
	layout_unregister_all();
	return 0;
}

static void test_builtins_are_valid(void **state)
{
	unsigned int i, j;

	(void)state;
	assert_true(layout_builtin_count >= 16);
	for (i = 0; i < layout_builtin_count; i++) {
		assert_int_equal(layout_validate(&layout_builtin[i]), 0);
		for (j = 0; j < i; j++)	/* no number twice */
			assert_int_not_equal(layout_builtin[i].cmd,
					     layout_builtin[j].cmd);
	}
	assert_non_null(layout_find(SG_IO));
	assert_int_equal(layout_find(SG_IO)->arg_size, 88);
	assert_int_equal(layout_find(BLKGETSIZE64)->arg_size, 8);
	assert_int_equal(layout_find(BLKGETSIZE64)->arg_dir, LAYOUT_DIR_OUT);
	assert_int_equal(layout_find(0x5382)->arg_size, 8); /* GET_IDLUN */
	assert_int_equal(layout_find(BLKPG)->ptr[0].len_const, 152);
	assert_int_equal(layout_find(SG_GET_TIMEOUT)->arg_size, 0);
	assert_null(layout_find(0xdeadbeef));
}

static void test_ioc_generic(void **state)
{
	struct ioctl_layout l;

	(void)state;
	assert_int_equal(layout_from_ioc(_IOWR('x', 1, char[24]), &l), 0);
	assert_int_equal(l.arg_size, 24);
	assert_int_equal(l.arg_dir, LAYOUT_DIR_BOTH);
	assert_int_equal(l.nr_ptrs, 0);
	assert_int_equal(layout_from_ioc(_IOW('x', 2, int), &l), 0);
	assert_int_equal(l.arg_dir, LAYOUT_DIR_IN);
	assert_int_equal(layout_from_ioc(_IOR('x', 3, long), &l), 0);
	assert_int_equal(l.arg_dir, LAYOUT_DIR_OUT);
	/* No direction, or no size: not describable by its number. */
	assert_int_equal(layout_from_ioc(_IO('x', 4), &l), -ENOENT);
	assert_int_equal(layout_from_ioc(SG_IO, &l), -ENOENT);
	assert_int_equal(layout_from_ioc(_IOC(_IOC_READ, 'x', 5, 0), &l),
			 -ENOENT);
	layout_integer(0x1234, &l);
	assert_int_equal(l.arg_size, 0);
	assert_int_equal(layout_validate(&l), 0);
}

static void test_validate_rejects(void **state)
{
	const struct ioctl_layout *sg = layout_find(SG_IO);
	struct ioctl_layout l;

	(void)state;
	l = *sg;
	l.ptr[0].off = 84;		/* pointer past the argument's end */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[0].off = 12;		/* overlaps dxferp */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[1].len_field.off = 32;	/* a length inside a pointer */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[1].len_field.size = 3;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[1].len_max = 0;		/* unbounded */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[2].count_max = 0;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[2].nr_dir_map = 0;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[2].dir_map[1].dir = LAYOUT_DIR_BY_FIELD;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.ptr[0].kind = 9;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.arg_size = LAYOUT_ARG_MAX + 1;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *sg;
	l.nr_ptrs = LAYOUT_MAX_PTRS + 1;
	assert_int_equal(layout_validate(&l), -EINVAL);
	layout_integer(1, &l);
	l.nr_ptrs = 1;			/* an integer has no pointers */
	assert_int_equal(layout_validate(&l), -EINVAL);
	/* A returned descriptor only with an integer argument. */
	l = *sg;
	l.fd = LAYOUT_FD_OUT_RET;
	assert_int_equal(layout_validate(&l), -EINVAL);
	layout_integer(1, &l);
	l.fd = LAYOUT_FD_OUT_RET;
	assert_int_equal(layout_validate(&l), 0);
}

/*
 * A descriptor the driver writes into the argument: a 4-byte field of an
 * OUT or BOTH struct, alone among the descriptor flags, on no pointer.
 */
static void test_validate_fd_out_field(void **state)
{
	const struct ioctl_layout *sg = layout_find(SG_IO);
	struct ioctl_layout l = {
		.cmd = 0x4243, .name = "FIELD", .arg_size = 12,
		.arg_dir = LAYOUT_DIR_BOTH, .fd = LAYOUT_FD_OUT_FIELD,
		.fd_off = 4,
	};
	struct ioctl_layout b = l;

	(void)state;
	assert_int_equal(layout_validate(&l), 0);
	l.arg_dir = LAYOUT_DIR_OUT;
	assert_int_equal(layout_validate(&l), 0);
	l.arg_dir = LAYOUT_DIR_IN;	/* the driver writes it */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = b;
	l.fd_off = 9;			/* past the end */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l.fd_off = 8;
	assert_int_equal(layout_validate(&l), 0);
	l = b;
	l.fd |= LAYOUT_FD_IN_FIELD;	/* one fd_off for both */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l.fd = LAYOUT_FD_OUT_FIELD | LAYOUT_FD_OUT_RET;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l.fd = LAYOUT_FD_OUT_FIELD | LAYOUT_FD_IN_ARG;
	assert_int_equal(layout_validate(&l), -EINVAL);
	layout_integer(1, &l);		/* no field to write */
	l.fd = LAYOUT_FD_OUT_FIELD;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = b;
	l.size_family = true;
	l.cmd = _IOWR('B', 1, char[12]);
	assert_int_equal(layout_validate(&l), -EINVAL);
	/* On a pointer. */
	l = *sg;
	l.fd = LAYOUT_FD_OUT_FIELD;
	l.fd_off = 18;			/* inside dxferp */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l.fd_off = 4;			/* dxfer_direction: no pointer */
	assert_int_equal(layout_validate(&l), 0);
}

static void test_register(void **state)
{
	struct ioctl_layout l = { .cmd = 0x4242, .name = "TEST",
				  .arg_size = 8, .arg_dir = LAYOUT_DIR_IN };

	(void)state;
	assert_null(layout_find(0x4242));
	assert_int_equal(layout_register(&l), 0);
	assert_int_equal(layout_find(0x4242)->arg_size, 8);
	assert_int_equal(layout_register(&l), -EEXIST);
	/* A registered layout overrides a built-in. */
	l.cmd = BLKGETSIZE64;
	l.arg_size = 16;
	assert_int_equal(layout_register(&l), 0);
	assert_int_equal(layout_find(BLKGETSIZE64)->arg_size, 16);
	l.cmd = 0x4343;
	l.arg_dir = 7;
	assert_int_equal(layout_register(&l), -EINVAL);
	layout_unregister_all();
	assert_int_equal(layout_find(BLKGETSIZE64)->arg_size, 8);
}

static void test_resolve_sg_io(void **state)
{
	const struct ioctl_layout *l = layout_find(SG_IO);
	struct layout_ptr_instance in;
	struct sg_io_hdr h;
	static const struct {
		int dir;
		uint8_t want;
	} dirs[] = {
		{ SG_DXFER_NONE, LAYOUT_DIR_NONE },
		{ SG_DXFER_TO_DEV, LAYOUT_DIR_IN },
		{ SG_DXFER_FROM_DEV, LAYOUT_DIR_OUT },
		{ SG_DXFER_TO_FROM_DEV, LAYOUT_DIR_BOTH },
	};
	unsigned int i;

	(void)state;
	memset(&h, 0, sizeof(h));
	h.cmd_len = 10;
	h.mx_sb_len = 32;
	h.dxfer_len = 2048;
	h.dxferp = (void *)0x7f0000001000;
	h.usr_ptr = (void *)0x1234;
	for (i = 0; i < 4; i++) {
		h.dxfer_direction = dirs[i].dir;
		assert_int_equal(layout_ptr_resolve(l, 2, &h, &in), 0);
		assert_int_equal(in.dir, dirs[i].want);
		assert_int_equal(in.len, dirs[i].want ? 2048 : 0);
		assert_false(in.iovec);
	}
	assert_int_equal(in.guest_ptr, 0x7f0000001000);
	h.dxfer_direction = -5;		/* no such direction */
	assert_int_equal(layout_ptr_resolve(l, 2, &h, &in), -EINVAL);
	h.dxfer_direction = SG_DXFER_TO_DEV;
	h.dxfer_len = 0xffffffff;	/* absurd */
	assert_int_equal(layout_ptr_resolve(l, 2, &h, &in), -EINVAL);
	h.dxfer_len = 512;
	h.iovec_count = 3;
	assert_int_equal(layout_ptr_resolve(l, 2, &h, &in), 0);
	assert_true(in.iovec);
	assert_int_equal(in.count, 3);
	h.iovec_count = 0xffff;
	assert_int_equal(layout_ptr_resolve(l, 2, &h, &in), -EINVAL);
	assert_int_equal(layout_ptr_resolve(l, 0, &h, &in), 0);
	assert_int_equal(in.len, 10);
	h.cmd_len = 17;
	assert_int_equal(layout_ptr_resolve(l, 0, &h, &in), -EINVAL);
	assert_int_equal(layout_ptr_resolve(l, 1, &h, &in), 0);
	assert_int_equal(in.dir, LAYOUT_DIR_OUT);
	assert_int_equal(in.len, 32);
	assert_int_equal(layout_ptr_resolve(l, 3, &h, &in), 0);
	assert_int_equal(in.guest_ptr, 0x1234);	/* opaque, just read */
	assert_int_equal(layout_ptr_resolve(l, 4, &h, &in), -EINVAL);
}

static void test_field_get_sign(void **state)
{
	uint8_t arg[16];
	struct layout_field f8 = { 0, 1, true }, u8 = { 0, 1, false };
	struct layout_field s32 = { 4, 4, true }, u64 = { 8, 8, false };

	(void)state;
	memset(arg, 0xff, sizeof(arg));
	assert_int_equal(layout_field_get(&f8, arg), -1);
	assert_int_equal(layout_field_get(&u8, arg), 255);
	assert_int_equal(layout_field_get(&s32, arg), -1);
	assert_int_equal((uint64_t)layout_field_get(&u64, arg), ~0ull);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_builtins_are_valid),
	cmocka_unit_test(test_ioc_generic),
	cmocka_unit_test(test_validate_rejects),
	cmocka_unit_test(test_validate_fd_out_field),
	cmocka_unit_test_teardown(test_register, teardown),
	cmocka_unit_test(test_resolve_sg_io),
	cmocka_unit_test(test_field_get_sign),
};

TEST_MAIN("ioctl_layout", tests, NULL, NULL)
