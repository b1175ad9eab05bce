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
#include <linux/cdrom.h>
#include <linux/gpio.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/kvm.h>
#include <linux/loop.h>
#include <linux/spi/spidev.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "harness.h"
#include "compat_layout.h"
#include "fake_guest.h"
#include "layout_walk.h"
#include "layout_wire.h"
#include "ptr_rewrite.h"

struct fixture {
	struct fake_guest g;
	struct request req;
	struct rewrite_ctx ctx;
	struct lw_buf bufs[LW_MAX_BUFS];
	uint8_t host_arg[LAYOUT_ARG_MAX];	/* what the driver got */
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

/*
 * Walk host layout l over arg and send what the walk says; prepare. With
 * c, l is c's 32-bit layout and arg a 32-bit process's: the walk takes
 * 4-byte pointers, and the host converts arg before its rewriting, as
 * dispatch does.
 */
static int walk_and_rewrite_compat(struct fixture *f,
				   const struct ioctl_layout *l,
				   const struct compat_layout *c,
				   const void *arg)
{
	const struct ioctl_layout *native = l;
	uint8_t arg64[LAYOUT_ARG_MAX];
	struct devcall_layout w;
	int n, i;

	layout_encode(l, &w);
	n = layout_walk_ptrs(&w, c ? 4 : 8, arg, read_user, &f->g, f->bufs,
			     LW_MAX_BUFS);
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
	if (c) {
		native = layout_find(c->cmd);
		assert_int_equal(compat_check(c, native), 0);
		compat_to_native(c, arg, arg64, native->arg_size);
		arg = arg64;
	}
	i = rewrite_prepare_flags(&f->ctx, native, &f->g.gm, arg, f->req.buf,
				  f->req.nr_bufs, 1 << 20,
				  c ? REWRITE_F_COMPAT_IOVEC : 0);
	if (!i)
		memcpy(f->host_arg, rewrite_host_arg(&f->ctx),
		       native->arg_size);
	return i ? i : n;
}

static int walk_and_rewrite(struct fixture *f, const struct ioctl_layout *l,
			    const void *arg)
{
	int ret = walk_and_rewrite_compat(f, l, NULL, arg);

	if (ret >= 0)
		rewrite_release(&f->ctx);
	return ret;
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

/*
 * A new descriptor in a field the driver writes (GPIO_V2_GET_LINE_IOCTL,
 * KVM_CREATE_DEVICE): a 4-byte field inside an OUT or BOTH argument, the
 * only descriptor flag.
 */
static void test_descriptor_out_field(void **state)
{
	struct devcall_layout w;
	struct kvm_create_device cd = { .type = 1, .fd = 9 };
	__s32 fd;

	(void)state;
	assert_string_equal(layout_find(GPIO_V2_GET_LINE_IOCTL)->name,
			    "GPIO_V2_GET_LINE_IOCTL");
	assert_string_equal(layout_find(LOOP_CONFIGURE)->name,
			    "LOOP_CONFIGURE");
	layout_encode(layout_find(GPIO_V2_GET_LINE_IOCTL), &w);
	assert_int_equal(layout_walk_check(&w), 0);
	assert_int_equal(layout_walk_fd_out(&w), 1);
	assert_int_equal(layout_walk_fd_out_field(&w), 1);
	assert_int_equal(le16toh(w.fd_off),
			 offsetof(struct gpio_v2_line_request, fd));
	layout_encode(layout_find(KVM_CREATE_DEVICE), &w);
	assert_int_equal(layout_walk_check(&w), 0);
	assert_int_equal(layout_walk_fd_out_field(&w), 1);
	assert_int_equal(le16toh(w.fd_off),
			 offsetof(struct kvm_create_device, fd));
	/* Not a descriptor the caller passes in; no buffer for it either. */
	assert_int_equal(layout_walk_fd_in(&w, &cd, 0, &fd), 0);
	assert_int_equal(layout_walk(&w, &cd, read_user, NULL, NULL, 0), 0);
	layout_encode(layout_find(TIOCGPTPEER), &w);
	assert_int_equal(layout_walk_fd_out_field(&w), 0);

	/* Hostile: past the end, an IN argument, mixed, an integer. */
	layout_encode(layout_find(KVM_CREATE_DEVICE), &w);
	w.fd_off = htole16(sizeof(cd) - 3);
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(KVM_CREATE_DEVICE), &w);
	w.arg_dir = LW_DIR_IN;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(KVM_CREATE_DEVICE), &w);
	w.fd_flags |= DEVCALL_LAYOUT_FD_IN_FIELD;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(KVM_CREATE_DEVICE), &w);
	w.fd_flags |= DEVCALL_LAYOUT_FD_OUT_RET;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(TIOCGPTPEER), &w);
	w.fd_flags = DEVCALL_LAYOUT_FD_OUT_FIELD;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
}

/* I2C_RDWR: the array, then each message's buffer; reads both ways. */
static void test_i2c_rdwr(void **state)
{
	struct fixture *f = *state;
	struct i2c_rdwr_ioctl_data a;
	struct i2c_msg m[3] = {
		{ .addr = 0x50, .len = 2 },
		{ .addr = 0x50, .flags = I2C_M_RD, .len = 16 },
		{ .addr = 0x51, .len = 0 },		/* no buffer */
	};
	uint64_t arr = fake_guest_alloc(&f->g, sizeof(m));

	m[0].buf = (void *)fake_guest_alloc(&f->g, 2);
	m[1].buf = (void *)fake_guest_alloc_straddling(&f->g, 16);
	fake_guest_write(&f->g, arr, m, sizeof(m));
	a.msgs = (void *)arr;
	a.nmsgs = 3;
	assert_int_equal(walk_and_rewrite(f, layout_find(I2C_RDWR), &a), 3);
	assert_int_equal(f->bufs[0].uaddr, arr);
	assert_int_equal(f->bufs[0].len, sizeof(m));
	assert_int_equal(f->bufs[0].dir, LW_DIR_IN);
	assert_int_equal(f->bufs[1].uaddr, (uint64_t)m[0].buf);
	assert_int_equal(f->bufs[1].dir, LW_DIR_IN);
	assert_int_equal(f->bufs[2].len, 16);
	assert_int_equal(f->bufs[2].dir, LW_DIR_IN | LW_DIR_OUT);
	/* Bounds are the guest's to check too. */
	a.nmsgs = I2C_RDWR_IOCTL_MAX_MSGS + 1;
	assert_int_equal(walk_and_rewrite(f, layout_find(I2C_RDWR), &a),
			 -EINVAL);
	m[1].len = 8193;
	fake_guest_write(&f->g, arr, m, sizeof(m));
	a.nmsgs = 3;
	assert_int_equal(walk_and_rewrite(f, layout_find(I2C_RDWR), &a),
			 -EINVAL);
	a.msgs = (void *)0x10;			/* unreadable */
	assert_int_equal(walk_and_rewrite(f, layout_find(I2C_RDWR), &a),
			 -EFAULT);
}

/* SPI_IOC_MESSAGE(3): tx0 rx0, tx1 (no rx), rx2 (no tx). */
static void test_spi_message(void **state)
{
	struct fixture *f = *state;
	struct ioctl_layout scratch;
	const struct ioctl_layout *l = layout_lookup(SPI_IOC_MESSAGE(3),
						     &scratch);
	struct spi_ioc_transfer t[3] = {
		{ .len = 8 }, { .len = 4 }, { .len = 2 },
	};

	t[0].tx_buf = fake_guest_alloc(&f->g, 8);
	t[0].rx_buf = fake_guest_alloc(&f->g, 8);
	t[1].tx_buf = fake_guest_alloc(&f->g, 4);
	t[2].rx_buf = fake_guest_alloc(&f->g, 2);
	assert_int_equal(walk_and_rewrite(f, l, t), 4);
	assert_int_equal(f->bufs[0].uaddr, t[0].tx_buf);
	assert_int_equal(f->bufs[0].dir, LW_DIR_IN);
	assert_int_equal(f->bufs[1].uaddr, t[0].rx_buf);
	assert_int_equal(f->bufs[1].dir, LW_DIR_OUT);
	assert_int_equal(f->bufs[2].uaddr, t[1].tx_buf);
	assert_int_equal(f->bufs[3].uaddr, t[2].rx_buf);
	assert_int_equal(f->bufs[3].len, 2);
	t[1].len = (64u << 10) + 1;
	assert_int_equal(walk_and_rewrite(f, l, t), -EINVAL);
}

/* NULL-allowed pointers send nothing; the host agrees. */
static void test_null_allowed(void **state)
{
	struct fixture *f = *state;
	struct cdrom_generic_command cgc = { .buflen = 8,
		.data_direction = CGC_DATA_READ };
	struct i2c_smbus_ioctl_data sm = { .read_write = I2C_SMBUS_READ,
					   .size = I2C_SMBUS_BYTE_DATA };

	cgc.buffer = (void *)fake_guest_alloc(&f->g, 8);
	assert_int_equal(walk_and_rewrite(f, layout_find(CDROM_SEND_PACKET),
					  &cgc), 1);
	cgc.sense = (void *)fake_guest_alloc(&f->g, sizeof(struct request_sense));
	assert_int_equal(walk_and_rewrite(f, layout_find(CDROM_SEND_PACKET),
					  &cgc), 2);
	assert_int_equal(walk_and_rewrite(f, layout_find(I2C_SMBUS), &sm), 0);
	sm.data = (void *)fake_guest_alloc(&f->g, 34);
	assert_int_equal(walk_and_rewrite(f, layout_find(I2C_SMBUS), &sm), 1);
	assert_int_equal(f->bufs[0].len, 34);
}

/* A host before nested pointers: 400 bytes, the rest zero; and lies. */
static void test_records_wire(void **state)
{
	struct fixture *f = *state;
	struct devcall_layout w;
	struct ioctl_layout scratch;
	char arg[LW_ARG_MAX] = "";

	layout_encode(layout_find(SG_IO), &w);
	memset((char *)&w + DEVCALL_LAYOUT_V1_SIZE, 0,
	       sizeof(w) - DEVCALL_LAYOUT_V1_SIZE);
	assert_int_equal(layout_walk_check(&w), 0);
	layout_encode(layout_find(I2C_RDWR), &w);
	assert_int_equal(layout_walk_check(&w), 0);
	w.rec.elem_size = 0;			/* records without a record */
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(I2C_RDWR), &w);
	w.rec.elem_size = htole16(DEVCALL_LAYOUT_REC_ELEM_MAX + 1);
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(I2C_RDWR), &w);
	w.sub[0].off = htole16(9);		/* past the record */
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(I2C_RDWR), &w);
	w.rec.nr_subs = 3;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_find(I2C_RDWR), &w);
	w.ptr_flags[0] = 0x80;
	assert_int_equal(layout_walk_check(&w), -EPROTO);
	layout_encode(layout_lookup(SPI_IOC_MESSAGE(2), &scratch), &w);
	assert_int_equal(layout_walk_check(&w), 0);
	w.arg_size = htole32(40);		/* no whole transfers */
	assert_int_equal(layout_walk(&w, arg, read_user, &f->g, f->bufs,
				     LW_MAX_BUFS), -EINVAL);
}

/* A 32-bit process's struct sg_io_hdr (the kernel's compat_sg_io_hdr). */
struct sg_io_hdr32 {
	int32_t interface_id, dxfer_direction;
	uint8_t cmd_len, mx_sb_len;
	uint16_t iovec_count;
	uint32_t dxfer_len, dxferp, cmdp, sbp, timeout, flags;
	int32_t pack_id;
	uint32_t usr_ptr;
	uint8_t status, masked_status, msg_status, sb_len_wr;
	uint16_t host_status, driver_status;
	int32_t resid;
	uint32_t duration, info;
};

/*
 * A 32-bit SG_IO walks its 64-byte header with 4-byte pointers; the host
 * converts it and rewrites the native one: same buffers on both sides,
 * and the driver sees host copies of the guest's CDB.
 */
static void test_compat_sg_io(void **state)
{
	struct fixture *f = *state;
	const struct compat_layout *c = compat_find(SG_IO);
	int dirs[] = { SG_DXFER_NONE, SG_DXFER_TO_DEV, SG_DXFER_FROM_DEV,
		       SG_DXFER_TO_FROM_DEV };
	struct sg_io_hdr32 h = { .interface_id = 'S', .cmd_len = 10,
				 .mx_sb_len = 32, .dxfer_len = 6000,
				 .usr_ptr = 0xdead, .timeout = 5000 };
	static const uint8_t cdb[10] = { 0x28, 0, 0, 0, 0, 1, 0, 0, 3, 0 };
	struct sg_io_hdr *host = (struct sg_io_hdr *)f->host_arg;
	unsigned int i;

	assert_non_null(c);
	assert_int_equal(sizeof(h), 64);
	assert_int_equal(c->layout32.arg_size, 64);
	h.cmdp = (uint32_t)fake_guest_alloc(&f->g, 10);
	fake_guest_write(&f->g, h.cmdp, cdb, sizeof(cdb));
	h.sbp = (uint32_t)fake_guest_alloc(&f->g, 32);
	h.dxferp = (uint32_t)fake_guest_alloc_straddling(&f->g, 6000);
	for (i = 0; i < 4; i++) {
		h.dxfer_direction = dirs[i];
		assert_int_equal(walk_and_rewrite_compat(f, &c->layout32, c,
							 &h), i ? 3 : 2);
		assert_int_equal(f->bufs[0].uaddr, h.cmdp);
		assert_int_equal(f->bufs[1].uaddr, h.sbp);
		assert_int_equal(host->dxfer_direction, dirs[i]);
		if (i < 3)
			rewrite_release(&f->ctx);
	}
	assert_int_equal(f->bufs[2].uaddr, h.dxferp);
	assert_int_equal(f->bufs[2].len, 6000);
	assert_int_equal(f->bufs[2].dir, LW_DIR_IN | LW_DIR_OUT);
	/* The driver's native header: the same values, host pointers. */
	assert_int_equal(host->interface_id, 'S');
	assert_int_equal(host->cmd_len, 10);
	assert_int_equal(host->dxfer_len, 6000);
	assert_int_equal(host->timeout, 5000);
	assert_ptr_equal(host->usr_ptr, (void *)0xdead);	/* opaque */
	assert_memory_equal(host->cmdp, cdb, sizeof(cdb));
	assert_ptr_not_equal(host->cmdp, (void *)(uintptr_t)h.cmdp);
	rewrite_release(&f->ctx);
	/* The 64-bit layout over the 32-bit header would be nonsense. */
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	assert_int_not_equal(walk_and_rewrite(f, layout_find(SG_IO), &h), 3);
}

/* A 32-bit SG_IO with an iovec: 8-byte compat_iovec elements. */
static void test_compat_sg_io_iovec(void **state)
{
	struct fixture *f = *state;
	const struct compat_layout *c = compat_find(SG_IO);
	struct sg_io_hdr32 h = { .interface_id = 'S', .cmd_len = 6,
				 .dxfer_direction = SG_DXFER_FROM_DEV,
				 .dxfer_len = 5000, .iovec_count = 3 };
	uint32_t iov[6];
	uint64_t arr = fake_guest_alloc(&f->g, sizeof(iov));
	struct sg_io_hdr *host = (struct sg_io_hdr *)f->host_arg;

	h.cmdp = (uint32_t)fake_guest_alloc(&f->g, 6);
	iov[0] = (uint32_t)fake_guest_alloc(&f->g, 4096);
	iov[1] = 4096;
	iov[2] = (uint32_t)fake_guest_alloc(&f->g, 4096);
	iov[3] = 4096;				/* truncated to 904 */
	iov[4] = (uint32_t)fake_guest_alloc(&f->g, 100);
	iov[5] = 100;				/* truncated to 0 */
	fake_guest_write(&f->g, arr, iov, sizeof(iov));
	h.dxferp = (uint32_t)arr;
	/* cmd, array, three elements. */
	assert_int_equal(walk_and_rewrite_compat(f, &c->layout32, c, &h), 5);
	assert_int_equal(f->bufs[1].len, 24);	/* 3 * 8 */
	assert_int_equal(f->bufs[1].dir, LW_DIR_IN);
	assert_int_equal(f->bufs[2].uaddr, iov[2 * 0]);
	assert_int_equal(f->bufs[2].len, 4096);
	assert_int_equal(f->bufs[3].uaddr, iov[2 * 1]);
	assert_int_equal(f->bufs[3].len, 904);
	assert_int_equal(f->bufs[4].len, 0);
	/* The driver gets native sg_iovecs over host memory. */
	{
		const struct sg_iovec *hv = host->dxferp;

		assert_int_equal(host->iovec_count, 3);
		assert_int_equal(hv[0].iov_len, 4096);
		assert_int_equal(hv[1].iov_len, 904);
		assert_int_equal(hv[2].iov_len, 0);
		assert_ptr_equal(hv[0].iov_base,
				 fake_guest_ptr(&f->g, iov[0]));
	}
	rewrite_release(&f->ctx);
	/* A compat array sent as if native is refused by the host. */
	{
		struct devcall_layout w;
		uint8_t arg64[LAYOUT_ARG_MAX];
		int n, i;

		layout_encode(&c->layout32, &w);
		n = layout_walk_ptrs(&w, 4, &h, read_user, &f->g, f->bufs,
				     LW_MAX_BUFS);
		fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
		for (i = 0; i < n; i++)
			if (f->bufs[i].len)
				fake_req_seg(&f->req, f->bufs[i].uaddr,
					     f->bufs[i].len, GUEST_SEG_TO_HOST |
					     GUEST_SEG_FROM_HOST,
					     f->bufs[i].idx);
		compat_to_native(c, &h, arg64, sizeof(struct sg_io_hdr));
		assert_int_equal(rewrite_prepare(&f->ctx, layout_find(SG_IO),
						 &f->g.gm, arg64, f->req.buf,
						 f->req.nr_bufs, 1 << 20),
				 -EINVAL);
	}
}

/* A 32-bit BLKPG: a 16-byte argument, the kernel's 152-byte partition. */
static void test_compat_blkpg(void **state)
{
	struct fixture *f = *state;
	const struct compat_layout *c = compat_find(BLKPG);
	uint32_t a[4] = { BLKPG_ADD_PARTITION, 0, 152, 0 };
	struct blkpg_ioctl_arg *host = (struct blkpg_ioctl_arg *)f->host_arg;
	struct blkpg_partition p = { .start = 1 << 20, .length = 8 << 20,
				     .pno = 1 };

	a[3] = (uint32_t)fake_guest_alloc(&f->g, sizeof(p));
	fake_guest_write(&f->g, a[3], &p, sizeof(p));
	assert_int_equal(walk_and_rewrite_compat(f, &c->layout32, c, a), 1);
	assert_int_equal(f->bufs[0].uaddr, a[3]);
	assert_int_equal(f->bufs[0].len, sizeof(struct blkpg_partition));
	assert_int_equal(host->op, BLKPG_ADD_PARTITION);
	assert_int_equal(host->datalen, 152);
	/* A private copy of the guest's partition (small input). */
	assert_memory_equal(host->data, &p, sizeof(p));
	rewrite_release(&f->ctx);
}

/* The walk's own checks take the pointer width into account. */
static void test_compat_hostile(void **state)
{
	const struct compat_layout *c = compat_find(SG_IO);
	struct devcall_layout w;

	(void)state;
	layout_encode(&c->layout32, &w);
	assert_int_equal(layout_walk_check_ptrs(&w, 4), 0);
	w.ptr[3].off = htole16(60);	/* 4 bytes fit, not 8 */
	assert_int_equal(layout_walk_check_ptrs(&w, 4), 0);
	assert_int_equal(layout_walk_check_ptrs(&w, 8), -EPROTO);
	w.ptr[3].off = htole16(61);
	assert_int_equal(layout_walk_check_ptrs(&w, 4), -EPROTO);
	assert_int_equal(layout_walk_check_ptrs(&w, 6), -EPROTO);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_sg_io_all_directions),
	T(test_sg_io_iovec),
	T(test_blkpg_and_ioc),
	T(test_hostile_layouts),
	T(test_descriptors),
	T(test_descriptor_out_field),
	T(test_i2c_rdwr),
	T(test_spi_message),
	T(test_null_allowed),
	T(test_records_wire),
	T(test_compat_sg_io),
	T(test_compat_sg_io_iovec),
	T(test_compat_blkpg),
	T(test_compat_hostile),
};

TEST_MAIN("layout_walk", tests, NULL, NULL)
