// SPDX-License-Identifier: MIT
/*
 * The guest module's layout walk (call-mechanism-guest/layout_walk.c,
 * built here in userspace) against the host's pointer rewriting: what the
 * guest sends for a host-published layout must be exactly what the host
 * expects. "User addresses" here are fake-guest physical addresses, so the
 * walk's buffers become request segments one to one.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <linux/blkpg.h>
#include <linux/kvm.h>
#include <linux/loop.h>
#include <termios.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>

#include "harness.h"
#include "fake_guest.h"
#include "layout_walk.h"
#include "layout_wire.h"
#include "ptr_rewrite.h"

struct fixture {
	struct fake_guest g;
	struct request req;
	struct rewrite_ctx ctx;
	struct lw_buf bufs[LW_MAX_BUFS];
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

static int read_user(void *ctx, void *dst, __u64 uaddr, size_t len)
{
	struct fake_guest *g = ctx;

	if (uaddr < FAKE_RAM0_GPA || uaddr + len > FAKE_RAM1_GPA + FAKE_RAM_SIZE)
		return -EFAULT;
	fake_guest_read(g, uaddr, dst, len);
	return 0;
}

/* Walk host layout l over arg and send what the walk says; prepare. */
static int walk_and_rewrite(struct fixture *f, const struct ioctl_layout *l,
			    const void *arg)
{
	struct devcall_layout w;
	int n, i;

	layout_encode(l, &w);
	n = layout_walk(&w, arg, read_user, &f->g, f->bufs, LW_MAX_BUFS);
	if (n < 0)
		return n;
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	for (i = 0; i < n; i++) {
		uint16_t dir = 0;

		assert_int_equal(f->bufs[i].idx, i + 1);
		if (!f->bufs[i].len)
			continue;
		if (f->bufs[i].dir & LW_DIR_IN)
			dir |= GUEST_SEG_TO_HOST;
		if (f->bufs[i].dir & LW_DIR_OUT)
			dir |= GUEST_SEG_FROM_HOST;
		fake_req_seg(&f->req, f->bufs[i].uaddr, f->bufs[i].len, dir,
			     f->bufs[i].idx);
	}
	i = rewrite_prepare(&f->ctx, l, &f->g.gm, arg, f->req.buf,
			    f->req.nr_bufs, 1 << 20);
	if (!i)
		rewrite_release(&f->ctx);
	return i ? i : n;
}

static void test_sg_io_all_directions(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	int dirs[] = { SG_DXFER_NONE, SG_DXFER_TO_DEV, SG_DXFER_FROM_DEV,
		       SG_DXFER_TO_FROM_DEV };
	struct sg_io_hdr h = { .interface_id = 'S', .cmd_len = 10,
			       .mx_sb_len = 32, .dxfer_len = 6000 };
	unsigned int i;

	h.cmdp = (void *)fake_guest_alloc(&f->g, 10);
	h.sbp = (void *)fake_guest_alloc(&f->g, 32);
	h.dxferp = (void *)fake_guest_alloc_straddling(&f->g, 6000);
	h.usr_ptr = (void *)0xdead;
	for (i = 0; i < 4; i++) {
		h.dxfer_direction = dirs[i];
		assert_int_equal(walk_and_rewrite(f, l, &h), i ? 3 : 2);
	}
	assert_int_equal(f->bufs[2].len, 6000);
	assert_int_equal(f->bufs[2].dir, LW_DIR_IN | LW_DIR_OUT);
	h.dxfer_direction = 7;
	assert_int_equal(walk_and_rewrite(f, l, &h), -EINVAL);
}

static void test_sg_io_iovec(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	struct sg_io_hdr h = { .interface_id = 'S', .cmd_len = 6,
			       .dxfer_direction = SG_DXFER_FROM_DEV,
			       .dxfer_len = 5000, .iovec_count = 3 };
	struct sg_iovec iov[3];
	uint64_t arr = fake_guest_alloc(&f->g, sizeof(iov));

	h.cmdp = (void *)fake_guest_alloc(&f->g, 6);
	iov[0].iov_base = (void *)fake_guest_alloc(&f->g, 4096);
	iov[0].iov_len = 4096;
	iov[1].iov_base = (void *)fake_guest_alloc(&f->g, 4096);
	iov[1].iov_len = 4096;			/* truncated to 904 */
	iov[2].iov_base = (void *)fake_guest_alloc(&f->g, 100);
	iov[2].iov_len = 100;			/* truncated to 0 */
	fake_guest_write(&f->g, arr, iov, sizeof(iov));
	h.dxferp = (void *)arr;
	/* cmd, array, three elements. */
	assert_int_equal(walk_and_rewrite(f, l, &h), 5);
	assert_int_equal(f->bufs[1].len, 48);
	assert_int_equal(f->bufs[1].dir, LW_DIR_IN);
	assert_int_equal(f->bufs[3].len, 904);
	assert_int_equal(f->bufs[4].len, 0);
	/* An array the guest cannot read. */
	h.dxferp = (void *)0x10;
	assert_int_equal(walk_and_rewrite(f, l, &h), -EFAULT);
}

static void test_blkpg_and_ioc(void **state)
{
	struct fixture *f = *state;
	struct blkpg_ioctl_arg a = { .op = BLKPG_ADD_PARTITION };
	struct ioctl_layout ioc, integer;
	char arg[24] = "";

	a.data = (void *)fake_guest_alloc(&f->g, sizeof(struct blkpg_partition));
	assert_int_equal(walk_and_rewrite(f, layout_find(BLKPG), &a), 1);
	assert_int_equal(f->bufs[0].len, sizeof(struct blkpg_partition));
	assert_int_equal(layout_from_ioc(_IOWR('x', 1, char[24]), &ioc), 0);
	assert_int_equal(walk_and_rewrite(f, &ioc, arg), 0);
	layout_integer(0x1234, &integer);
	assert_int_equal(walk_and_rewrite(f, &integer, arg), -EINVAL);
	{
		struct devcall_layout w;

		layout_encode(&integer, &w);
		assert_int_equal(layout_walk(&w, arg, read_user, &f->g,
					     f->bufs, LW_MAX_BUFS), 0);
	}
}

static void test_hostile_layouts(void **state)
{
	struct fixture *f = *state;
	struct devcall_layout w;
	char arg[LW_ARG_MAX] = "";

	layout_encode(layout_find(SG_IO), &w);
	w.arg_size = htole32(LW_ARG_MAX + 1);
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(SG_IO), &w);
	w.ptr[0].off = htole16(86);		/* past the argument */
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(SG_IO), &w);
	w.ptr[2].count_max = htole32(1000);
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(SG_IO), &w);
	w.ptr[1].len_field.size = 3;
	assert_int_equal(layout_walk(&w, arg, read_user, &f->g, f->bufs,
				     LW_MAX_BUFS), -EPROTO);
	layout_encode(layout_find(SG_IO), &w);
	w.nr_ptrs = 9;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
}

/*
 * Descriptors: the built-in layouts as the host publishes them tell the
 * guest where the descriptor is (the integer, or LOOP_CONFIGURE's fd
 * field) and which ioctls return one; a layout putting a descriptor
 * outside the argument, or two at once, is a broken host.
 */
static void test_descriptors(void **state)
{
	struct loop_config lc = { .fd = 5, .block_size = 512 };
	struct devcall_layout w;
	__s32 fd = -1;

	(void)state;
	layout_encode(layout_find(LOOP_SET_FD), &w);
	assert_int_equal(layout_walk_check(&w), 0);
	assert_int_equal(layout_walk_fd_in(&w, NULL, 3, &fd), 1);
	assert_int_equal(fd, 3);
	assert_int_equal(layout_walk_fd_out(&w), 0);

	layout_encode(layout_find(LOOP_CONFIGURE), &w);
	assert_int_equal(layout_walk_check(&w), 0);
	assert_int_equal(layout_walk_fd_in(&w, &lc, 0, &fd), 1);
	assert_int_equal(fd, 5);
	/* The walk sends no buffer for it: the fd field is no pointer. */
	assert_int_equal(layout_walk(&w, &lc, read_user, NULL, NULL, 0), 0);

	layout_encode(layout_find(TIOCGPTPEER), &w);
	assert_int_equal(layout_walk_check(&w), 0);
	assert_int_equal(layout_walk_fd_in(&w, NULL, O_RDWR, &fd), 0);
	assert_int_equal(layout_walk_fd_out(&w), 1);
	layout_encode(layout_find(KVM_CREATE_VCPU), &w);
	assert_int_equal(layout_walk_fd_out(&w), 1);
	layout_encode(layout_find(KVM_GET_REGS), &w);
	assert_int_equal(layout_walk_fd_out(&w), 0);
	assert_int_equal(layout_walk_fd_in(&w, &lc, 0, &fd), 0);

	/* Hostile: past the argument, both kinds, unknown bits. */
	layout_encode(layout_find(LOOP_CONFIGURE), &w);
	w.fd_off = htole16(sizeof(lc) - 3);
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(LOOP_CONFIGURE), &w);
	w.fd_flags |= DEVCALL_LAYOUT_FD_IN_ARG;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(LOOP_SET_FD), &w);
	w.fd_flags = DEVCALL_LAYOUT_FD_IN_FIELD;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(LOOP_SET_FD), &w);
	w.fd_flags |= 0x80;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_sg_io_all_directions),
	T(test_sg_io_iovec),
	T(test_blkpg_and_ioc),
	T(test_hostile_layouts),
	T(test_descriptors),
};

TEST_MAIN("layout_walk", tests, NULL, NULL)
