// SPDX-License-Identifier: MIT
/*
 * memmap: pointer rewriting. A fake "driver" checks what it is handed the
 * way the kernel would see it, and writes what a driver would write.
 */
#include <errno.h>
#include <string.h>
#include <linux/blkpg.h>
#include <linux/cdrom.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>

#include "harness.h"
#include "fake_guest.h"
#include "ptr_rewrite.h"

#define BOUNCE_LIMIT	(1u << 20)

struct fixture {
	struct fake_guest g;
	struct request req;
	struct rewrite_ctx ctx;
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

static bool in_ram(struct fake_guest *g, const void *p)
{
	const uint8_t *b = p;

	return (b >= g->ram[0] && b < g->ram[0] + FAKE_RAM_SIZE) ||
	       (b >= g->ram[1] && b < g->ram[1] + FAKE_RAM_SIZE);
}

/*
 * An SG_IO FROM_DEV request: header, 6-byte CDB, 32-byte sense buffer and
 * a data buffer, at the given guest addresses (guest user pointers are
 * made-up values: the host must never follow them).
 */
static void sg_request(struct fixture *f, struct sg_io_hdr *h,
		       uint64_t cdb, uint64_t sense, uint64_t data,
		       uint32_t dlen, int dir)
{
	memset(h, 0, sizeof(*h));
	h->interface_id = 'S';
	h->dxfer_direction = dir;
	h->cmd_len = 6;
	h->mx_sb_len = 32;
	h->dxfer_len = dlen;
	h->dxferp = (void *)0x7fff00001000;
	h->cmdp = (void *)0x7fff00002000;
	h->sbp = (void *)0x7fff00003000;
	h->usr_ptr = (void *)0x5eed;
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	fake_req_seg(&f->req, fake_guest_alloc(&f->g, sizeof(*h)), sizeof(*h),
		     GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
	fake_req_seg(&f->req, cdb, 6, GUEST_SEG_TO_HOST, 1);
	fake_req_seg(&f->req, sense, 32, GUEST_SEG_FROM_HOST, 2);
	if (dlen && dir != SG_DXFER_NONE)
		fake_req_seg(&f->req, data, dlen,
			     dir == SG_DXFER_TO_DEV ? GUEST_SEG_TO_HOST :
			     dir == SG_DXFER_FROM_DEV ? GUEST_SEG_FROM_HOST :
			     GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 3);
}

static void test_sg_io_zero_copy(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	uint64_t cdb = fake_guest_alloc(&f->g, 6);
	uint64_t sense = fake_guest_alloc(&f->g, 32);
	uint64_t data = fake_guest_alloc(&f->g, 4096);
	struct sg_io_hdr h, *hh, out;
	uint8_t buf[4096];

	fake_guest_write(&f->g, cdb, "\x12\0\0\0\x60\0", 6);
	sg_request(f, &h, cdb, sense, data, 4096, SG_DXFER_FROM_DEV);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h,
					 f->req.buf, f->req.nr_bufs,
					 BOUNCE_LIMIT), 0);
	hh = rewrite_host_arg(&f->ctx);
	/*
	 * Out-data is guest RAM itself, never a guest pointer value; the
	 * small CDB going in is a private copy.
	 */
	assert_false(in_ram(&f->g, hh->cmdp));
	assert_ptr_equal(hh->sbp, fake_guest_ptr(&f->g, sense));
	assert_ptr_equal(hh->dxferp, fake_guest_ptr(&f->g, data));
	assert_ptr_equal(hh->usr_ptr, (void *)0x5eed);
	assert_int_equal(f->ctx.bounce_used, 6);
	assert_memory_equal(hh->cmdp, "\x12\0\0\0\x60\0", 6);
	/* The driver answers. */
	memset(hh->dxferp, 0xab, 4096);
	hh->status = 0;
	hh->resid = 100;
	hh->duration = 7;
	assert_int_equal(rewrite_finish(&f->ctx, &out), 0);
	rewrite_release(&f->ctx);
	/* The guest sees its own pointers back, and the driver's results. */
	assert_ptr_equal(out.dxferp, (void *)0x7fff00001000);
	assert_ptr_equal(out.cmdp, (void *)0x7fff00002000);
	assert_ptr_equal(out.sbp, (void *)0x7fff00003000);
	assert_int_equal(out.resid, 100);
	assert_int_equal(out.duration, 7);
	fake_guest_read(&f->g, data, buf, sizeof(buf));
	assert_int_equal(buf[0], 0xab);
	assert_int_equal(buf[4095], 0xab);
}

static void test_sg_io_bounce_straddling(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	uint64_t cdb = fake_guest_alloc(&f->g, 6);
	uint64_t sense = fake_guest_alloc(&f->g, 32);
	uint64_t data = fake_guest_alloc_straddling(&f->g, 4096);
	struct sg_io_hdr h, *hh, out;
	uint8_t buf[4096];

	/* The guest's buffer holds old bytes the driver will not write. */
	memset(buf, 0x11, sizeof(buf));
	fake_guest_write(&f->g, data, buf, sizeof(buf));
	sg_request(f, &h, cdb, sense, data, 4096, SG_DXFER_FROM_DEV);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h,
					 f->req.buf, f->req.nr_bufs,
					 BOUNCE_LIMIT), 0);
	hh = rewrite_host_arg(&f->ctx);
	assert_false(in_ram(&f->g, hh->dxferp));	/* bounced */
	assert_int_equal(f->ctx.bounce_used, 6 + 4096);	/* CDB, data */
	/* A short transfer: only the first 1000 bytes. */
	memset(hh->dxferp, 0xcd, 1000);
	hh->resid = 3096;
	assert_int_equal(rewrite_finish(&f->ctx, &out), 0);
	rewrite_release(&f->ctx);
	fake_guest_read(&f->g, data, buf, sizeof(buf));
	assert_int_equal(buf[999], 0xcd);
	assert_int_equal(buf[1000], 0x11);	/* untouched stays untouched */
	assert_int_equal(buf[4095], 0x11);
	assert_int_equal(out.resid, 3096);
	/* Bounce beyond the limit is refused. */
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h,
					 f->req.buf, f->req.nr_bufs, 4095),
			 -ENOMEM);
}

static void test_sg_io_to_dev_and_none(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	uint64_t cdb = fake_guest_alloc(&f->g, 6);
	uint64_t sense = fake_guest_alloc(&f->g, 32);
	uint64_t data = fake_guest_alloc_straddling(&f->g, 2048);
	struct sg_io_hdr h, *hh, out;
	uint8_t buf[2048];

	memset(buf, 0x5a, sizeof(buf));
	fake_guest_write(&f->g, data, buf, sizeof(buf));
	sg_request(f, &h, cdb, sense, data, 2048, SG_DXFER_TO_DEV);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h,
					 f->req.buf, f->req.nr_bufs,
					 BOUNCE_LIMIT), 0);
	hh = rewrite_host_arg(&f->ctx);
	/* The driver reads the guest's bytes through the bounce buffer... */
	assert_memory_equal(hh->dxferp, buf, 2048);
	/* ...and a misbehaving one writing into it changes nothing. */
	memset(hh->dxferp, 0, 2048);
	assert_int_equal(rewrite_finish(&f->ctx, &out), 0);
	rewrite_release(&f->ctx);
	fake_guest_read(&f->g, data, buf, sizeof(buf));
	assert_int_equal(buf[0], 0x5a);

	/* NONE: no data buffer; dxferp becomes NULL for the driver. */
	sg_request(f, &h, cdb, sense, data, 2048, SG_DXFER_NONE);
	assert_int_equal(f->req.nr_bufs, 3);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h,
					 f->req.buf, f->req.nr_bufs,
					 BOUNCE_LIMIT), 0);
	hh = rewrite_host_arg(&f->ctx);
	assert_null(hh->dxferp);
	rewrite_release(&f->ctx);
}

static void test_sg_io_iovec_form(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	uint64_t cdb = fake_guest_alloc(&f->g, 6);
	uint64_t sense = fake_guest_alloc(&f->g, 32);
	uint64_t arr = fake_guest_alloc(&f->g, 3 * 16);
	uint64_t e0 = fake_guest_alloc(&f->g, 1000);
	uint64_t e1 = fake_guest_alloc_straddling(&f->g, 3000);
	struct sg_iovec giov[3] = {
		{ (void *)0x7fff10000000, 1000 },
		{ (void *)0x7fff20000000, 3000 },
		{ (void *)0x7fff30000000, 500 },	/* beyond dxfer_len */
	};
	struct sg_io_hdr h, *hh, out;
	struct sg_iovec *hiov;
	uint8_t b[3000];

	sg_request(f, &h, cdb, sense, 0, 0, SG_DXFER_FROM_DEV);
	h.dxfer_len = 4000;
	h.iovec_count = 3;
	fake_guest_write(&f->g, arr, giov, sizeof(giov));
	fake_req_seg(&f->req, arr, sizeof(giov), GUEST_SEG_TO_HOST, 3);
	fake_req_seg(&f->req, e0, 1000, GUEST_SEG_FROM_HOST, 4);
	fake_req_seg(&f->req, e1, 3000, GUEST_SEG_FROM_HOST, 5);
	/* Element 2 is truncated to 0 by dxfer_len: index 6, no segments. */
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h,
					 f->req.buf, f->req.nr_bufs,
					 BOUNCE_LIMIT), 0);
	hh = rewrite_host_arg(&f->ctx);
	hiov = hh->dxferp;
	assert_false(in_ram(&f->g, hiov));	/* the host's own array */
	assert_ptr_equal(hiov[0].iov_base, fake_guest_ptr(&f->g, e0));
	assert_int_equal(hiov[0].iov_len, 1000);
	assert_false(in_ram(&f->g, hiov[1].iov_base));	/* straddles */
	assert_int_equal(hiov[1].iov_len, 3000);
	assert_null(hiov[2].iov_base);
	assert_int_equal(hiov[2].iov_len, 0);
	memset(hiov[1].iov_base, 0xee, 3000);
	assert_int_equal(rewrite_finish(&f->ctx, &out), 0);
	rewrite_release(&f->ctx);
	assert_ptr_equal(out.dxferp, (void *)0x7fff00001000);
	fake_guest_read(&f->g, e1, b, sizeof(b));
	assert_int_equal(b[0], 0xee);
	assert_int_equal(b[2999], 0xee);
	/* The guest's array is not rewritten in guest memory. */
	fake_guest_read(&f->g, arr, b, sizeof(giov));
	assert_memory_equal(b, giov, sizeof(giov));
}

static void test_sg_io_hostile_buffers(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	uint64_t cdb = fake_guest_alloc(&f->g, 6);
	uint64_t sense = fake_guest_alloc(&f->g, 32);
	uint64_t data = fake_guest_alloc(&f->g, 4096);
	struct sg_io_hdr h;

	/* Data buffer shorter than dxfer_len says. */
	sg_request(f, &h, cdb, sense, data, 4096, SG_DXFER_FROM_DEV);
	f->req.seg[3].len = 4000;
	guest_buf_group(f->req.seg, f->req.nr_segs, f->req.buf, 8);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
	/* Data buffer outside guest RAM. */
	sg_request(f, &h, cdb, sense, 0x10, 4096, SG_DXFER_FROM_DEV);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EFAULT);
	/* The guest claims the host may not write the sense buffer. */
	sg_request(f, &h, cdb, sense, data, 4096, SG_DXFER_FROM_DEV);
	f->req.seg[2].dir = GUEST_SEG_TO_HOST;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EACCES);
	/* An extra buffer the layout has no use for. */
	sg_request(f, &h, cdb, sense, data, 4096, SG_DXFER_FROM_DEV);
	fake_req_seg(&f->req, data, 16, GUEST_SEG_TO_HOST, 4);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
	/* Header fields out of bounds. */
	sg_request(f, &h, cdb, sense, data, 4096, SG_DXFER_FROM_DEV);
	h.cmd_len = 200;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
	h.cmd_len = 6;
	h.dxfer_direction = 12345;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.iovec_count = 1000;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
}

static void test_sg_io_iovec_hostile(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(SG_IO);
	uint64_t cdb = fake_guest_alloc(&f->g, 6);
	uint64_t sense = fake_guest_alloc(&f->g, 32);
	uint64_t arr = fake_guest_alloc(&f->g, 32);
	uint64_t e0 = fake_guest_alloc(&f->g, 64);
	struct sg_iovec giov[2] = { { NULL, 64 }, { NULL, ~(size_t)0 } };
	struct sg_io_hdr h;

	sg_request(f, &h, cdb, sense, 0, 0, SG_DXFER_FROM_DEV);
	h.dxfer_len = 128;
	h.iovec_count = 2;
	fake_guest_write(&f->g, arr, giov, sizeof(giov));
	fake_req_seg(&f->req, arr, 32, GUEST_SEG_TO_HOST, 3);
	fake_req_seg(&f->req, e0, 64, GUEST_SEG_FROM_HOST, 4);
	/* Element 1 is huge: truncated to the 64 bytes left, but missing. */
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
	/* The array buffer of the wrong size. */
	f->req.seg[3].len = 16;
	guest_buf_group(f->req.seg, f->req.nr_segs, f->req.buf, 8);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &h, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
}

static void test_blkpg(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(BLKPG);
	struct blkpg_partition part = { .start = 1 << 20, .length = 4 << 20,
					.pno = 1 };
	uint64_t pgpa = fake_guest_alloc(&f->g, sizeof(part));
	struct blkpg_ioctl_arg a = { .op = BLKPG_ADD_PARTITION,
				     .datalen = sizeof(part),
				     .data = (void *)0x7ffe00000000 }, *ha;

	fake_guest_write(&f->g, pgpa, &part, sizeof(part));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	fake_req_seg(&f->req, pgpa, sizeof(part), GUEST_SEG_TO_HOST, 1);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), 0);
	ha = rewrite_host_arg(&f->ctx);
	assert_false(in_ram(&f->g, ha->data));	/* small input: a copy */
	assert_int_equal(((struct blkpg_partition *)ha->data)->pno, 1);
	assert_int_equal(ha->op, BLKPG_ADD_PARTITION);
	rewrite_release(&f->ctx);
	/* The partition struct must be sent whole. */
	f->req.seg[0].len = 100;
	guest_buf_group(f->req.seg, 1, f->req.buf, 8);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
}

struct gadget {			/* an _IOC-encoded struct, no pointers */
	uint32_t a, b;
	uint64_t c;
	char name[8];
};

static void test_ioc_struct(void **state)
{
	struct fixture *f = *state;
	struct ioctl_layout l;
	struct gadget g = { 1, 2, 3, "in" }, *hg, out;

	assert_int_equal(layout_from_ioc(_IOWR('g', 1, struct gadget), &l), 0);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	assert_int_equal(rewrite_prepare(&f->ctx, &l, &f->g.gm, &g, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), 0);
	hg = rewrite_host_arg(&f->ctx);
	assert_memory_equal(hg, &g, sizeof(g));
	hg->c = 99;
	strcpy(hg->name, "out");
	assert_int_equal(rewrite_finish(&f->ctx, &out), 0);
	rewrite_release(&f->ctx);
	assert_int_equal(out.c, 99);
	assert_string_equal(out.name, "out");
	/* No buffers allowed beyond the argument. */
	fake_req_seg(&f->req, fake_guest_alloc(&f->g, 8), 8,
		     GUEST_SEG_TO_HOST, 1);
	assert_int_equal(rewrite_prepare(&f->ctx, &l, &f->g.gm, &g, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
}

/*
 * I2C_RDWR: an offset write to an EEPROM at 0x50, then a 4-byte read. The
 * host reads the message array once: a guest rewriting it afterwards
 * (longer length, another buffer) changes nothing the driver sees.
 */
static int rdwr_prepare(struct fixture *f, struct i2c_rdwr_ioctl_data *a,
			struct i2c_msg *m, unsigned int nmsgs, uint64_t *arr,
			uint64_t *wbuf, uint64_t *rbuf)
{
	const struct ioctl_layout *l = layout_find(I2C_RDWR);
	uint8_t off = 0x10;

	*arr = fake_guest_alloc(&f->g, 42 * sizeof(*m));
	*wbuf = fake_guest_alloc(&f->g, 1);
	*rbuf = fake_guest_alloc(&f->g, 4);
	fake_guest_write(&f->g, *wbuf, &off, 1);
	fake_guest_write(&f->g, *rbuf, "zzzz", 4);
	m[0] = (struct i2c_msg){ .addr = 0x50, .len = 1,
				 .buf = (void *)0x7fff00001000 };
	m[1] = (struct i2c_msg){ .addr = 0x50, .flags = I2C_M_RD, .len = 4,
				 .buf = (void *)0x7fff00002000 };
	fake_guest_write(&f->g, *arr, m, nmsgs * sizeof(*m));
	a->msgs = (void *)0x7fff00000000;
	a->nmsgs = nmsgs;
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	fake_req_seg(&f->req, *arr, nmsgs * sizeof(*m), GUEST_SEG_TO_HOST, 1);
	fake_req_seg(&f->req, *wbuf, 1, GUEST_SEG_TO_HOST, 2);
	fake_req_seg(&f->req, *rbuf, 4, GUEST_SEG_TO_HOST |
		     GUEST_SEG_FROM_HOST, 3);
	return rewrite_prepare(&f->ctx, l, &f->g.gm, a, f->req.buf,
			       f->req.nr_bufs, BOUNCE_LIMIT);
}

static void test_i2c_rdwr(void **state)
{
	struct fixture *f = *state;
	struct i2c_rdwr_ioctl_data a, *ha, out;
	struct i2c_msg m[2], evil[2];
	uint64_t arr, wbuf, rbuf;
	uint8_t got[4];

	assert_int_equal(rdwr_prepare(f, &a, m, 2, &arr, &wbuf, &rbuf), 0);
	/* The guest changes its array once the host has it. */
	evil[0] = m[0];
	evil[1] = m[1];
	evil[1].len = 4000;
	evil[0].buf = (void *)0x1234;
	fake_guest_write(&f->g, arr, evil, sizeof(evil));

	ha = rewrite_host_arg(&f->ctx);
	assert_false(in_ram(&f->g, ha->msgs));
	assert_ptr_not_equal(ha->msgs, a.msgs);
	assert_int_equal(ha->nmsgs, 2);
	assert_int_equal(ha->msgs[0].addr, 0x50);
	assert_int_equal(ha->msgs[0].len, 1);
	assert_int_equal(ha->msgs[1].len, 4);
	assert_int_equal(ha->msgs[1].flags, I2C_M_RD);
	assert_int_equal(ha->msgs[0].buf[0], 0x10);
	assert_memory_equal(ha->msgs[1].buf, "zzzz", 4);	/* read in too */
	memcpy(ha->msgs[1].buf, "EEPR", 4);
	assert_int_equal(rewrite_finish(&f->ctx, &out), 0);
	rewrite_release(&f->ctx);
	assert_ptr_equal(out.msgs, a.msgs);
	fake_guest_read(&f->g, rbuf, got, 4);
	assert_memory_equal(got, "EEPR", 4);
	/* The array is never written back. */
	fake_guest_read(&f->g, arr, m, sizeof(evil));
	assert_memory_equal(m, evil, sizeof(evil));
}

static void test_i2c_rdwr_hostile(void **state)
{
	struct fixture *f = *state;
	const struct ioctl_layout *l = layout_find(I2C_RDWR);
	struct i2c_rdwr_ioctl_data a;
	struct i2c_msg m[2];
	uint64_t arr, wbuf, rbuf;

	assert_int_equal(rdwr_prepare(f, &a, m, 2, &arr, &wbuf, &rbuf), 0);
	rewrite_release(&f->ctx);
	/* More messages than the kernel takes. */
	a.nmsgs = I2C_RDWR_IOCTL_MAX_MSGS + 1;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	a.nmsgs = -1;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	/* The array buffer must be exactly the messages. */
	a.nmsgs = 1;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	/* A message longer than i2c-dev allows. */
	m[1].len = 8193;
	fake_guest_write(&f->g, arr, m, sizeof(m));
	a.nmsgs = 2;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	/* A length the guest's buffer does not match. */
	m[1].len = 5;
	fake_guest_write(&f->g, arr, m, sizeof(m));
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	/* A read whose buffer the guest lets the host read only. */
	m[1].len = 4;
	fake_guest_write(&f->g, arr, m, sizeof(m));
	f->req.seg[2].dir = GUEST_SEG_TO_HOST;
	guest_buf_group(f->req.seg, f->req.nr_segs, f->req.buf, 8);
	assert_int_not_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a,
					     f->req.buf, f->req.nr_bufs,
					     BOUNCE_LIMIT), 0);
	/* A write with no buffer for the read. */
	m[1].flags = 0;
	m[1].len = 0;
	fake_guest_write(&f->g, arr, m, sizeof(m));
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);			/* buffer 3 unused */
	f->req.nr_bufs = 3;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, &a, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), 0);
	assert_null(((struct i2c_rdwr_ioctl_data *)
		     rewrite_host_arg(&f->ctx))->msgs[1].buf);
	rewrite_release(&f->ctx);
}

/*
 * SPI_IOC_MESSAGE(3): the argument is the transfers. Full duplex, send
 * only (rx_buf 0), receive only (tx_buf 0): buffers tx0, rx0, tx1, rx2.
 */
static void test_spi_message(void **state)
{
	struct fixture *f = *state;
	struct spi_ioc_transfer t[3], *ht, out[3];
	struct ioctl_layout scratch;
	const struct ioctl_layout *l = layout_lookup(SPI_IOC_MESSAGE(3),
						     &scratch);
	uint64_t tx0 = fake_guest_alloc(&f->g, 4), rx0, tx1, rx2;
	uint8_t got[4];

	assert_non_null(l);
	assert_int_equal(l->arg_size, sizeof(t));
	rx0 = fake_guest_alloc(&f->g, 4);
	tx1 = fake_guest_alloc(&f->g, 2);
	rx2 = fake_guest_alloc_straddling(&f->g, 3);
	memset(t, 0, sizeof(t));
	t[0] = (struct spi_ioc_transfer){ .tx_buf = 0x7fff1000,
					  .rx_buf = 0x7fff2000, .len = 4,
					  .speed_hz = 1000000 };
	t[1] = (struct spi_ioc_transfer){ .tx_buf = 0x7fff3000, .len = 2 };
	t[2] = (struct spi_ioc_transfer){ .rx_buf = 0x7fff4000, .len = 3 };
	fake_guest_write(&f->g, tx0, "ping", 4);
	fake_guest_write(&f->g, tx1, "hi", 2);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	fake_req_seg(&f->req, tx0, 4, GUEST_SEG_TO_HOST, 1);
	fake_req_seg(&f->req, rx0, 4, GUEST_SEG_FROM_HOST, 2);
	fake_req_seg(&f->req, tx1, 2, GUEST_SEG_TO_HOST, 3);
	fake_req_seg(&f->req, rx2, 3, GUEST_SEG_FROM_HOST, 4);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, t, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), 0);
	ht = rewrite_host_arg(&f->ctx);
	assert_memory_equal((void *)(uintptr_t)ht[0].tx_buf, "ping", 4);
	assert_memory_equal((void *)(uintptr_t)ht[1].tx_buf, "hi", 2);
	assert_int_equal(ht[1].rx_buf, 0);
	assert_int_equal(ht[2].tx_buf, 0);
	assert_int_equal(ht[0].speed_hz, 1000000);
	memcpy((void *)(uintptr_t)ht[0].rx_buf, "pong", 4);
	memcpy((void *)(uintptr_t)ht[2].rx_buf, "abc", 3);
	assert_int_equal(rewrite_finish(&f->ctx, out), 0);
	rewrite_release(&f->ctx);
	assert_memory_equal(out, t, sizeof(t));	/* the guest's pointers */
	fake_guest_read(&f->g, rx0, got, 4);
	assert_memory_equal(got, "pong", 4);
	fake_guest_read(&f->g, rx2, got, 3);
	assert_memory_equal(got, "abc", 3);

	/* A transfer longer than the bound, a total over it. */
	t[1].len = (64u << 10) + 1;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, t, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	t[0].len = t[1].len = t[2].len = 60u << 10;
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, t, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	/* A size that is no whole number of transfers. */
	l = layout_lookup(_IOC(_IOC_WRITE, SPI_IOC_MAGIC, 0, 40), &scratch);
	assert_non_null(l);
	assert_int_equal(rewrite_prepare(&f->ctx, l, &f->g.gm, t, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT),
			 -EINVAL);
	/* More than 16 transfers is not a member of the family. */
	assert_null(layout_lookup(SPI_IOC_MESSAGE(17), &scratch));
}

/* NULL where the kernel allows it: no buffer, and NULL to the driver. */
static void test_null_allowed(void **state)
{
	struct fixture *f = *state;
	struct cdrom_generic_command cgc = { .buflen = 8,
		.data_direction = CGC_DATA_READ }, *hc, out;
	struct i2c_smbus_ioctl_data sm = { .read_write = I2C_SMBUS_WRITE,
					   .size = I2C_SMBUS_QUICK }, *hs;
	uint64_t data = fake_guest_alloc(&f->g, 8);

	cgc.buffer = (void *)0x7fff1000;
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	fake_req_seg(&f->req, data, 8, GUEST_SEG_FROM_HOST, 1);
	assert_int_equal(rewrite_prepare(&f->ctx,
					 layout_find(CDROM_SEND_PACKET),
					 &f->g.gm, &cgc, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), 0);
	hc = rewrite_host_arg(&f->ctx);
	assert_null(hc->sense);
	assert_non_null(hc->buffer);
	assert_int_equal(rewrite_finish(&f->ctx, &out), 0);
	rewrite_release(&f->ctx);
	assert_null(out.sense);
	assert_ptr_equal(out.buffer, cgc.buffer);

	fake_req_init(&f->req, DEVCALL_OP_IOCTL, 1);
	assert_int_equal(rewrite_prepare(&f->ctx, layout_find(I2C_SMBUS),
					 &f->g.gm, &sm, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), 0);
	hs = rewrite_host_arg(&f->ctx);
	assert_null(hs->data);
	rewrite_release(&f->ctx);
	/* A pointer the layout does not let be NULL still needs memory. */
	cgc.sense = (void *)0x7fff2000;
	assert_int_equal(rewrite_prepare(&f->ctx,
					 layout_find(CDROM_SEND_PACKET),
					 &f->g.gm, &cgc, f->req.buf,
					 f->req.nr_bufs, BOUNCE_LIMIT), -EINVAL);
}

/* Record layouts that could run the buffers out or the bounds away. */
static void test_records_validate(void **state)
{
	struct ioctl_layout l = *layout_find(I2C_RDWR);
	struct ioctl_layout scratch;

	(void)state;
	assert_int_equal(layout_validate(&l), 0);
	l.rec.count_max = 64;		/* 1 + 1 + 64 buffers */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_find(I2C_RDWR);
	l.rec.elem_size = LAYOUT_REC_ELEM_MAX + 1;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_find(I2C_RDWR);
	l.rec.sub[0].off = 12;		/* past the record */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_find(I2C_RDWR);
	l.rec.sub[0].len_field.off = 8;	/* the pointer as its length */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_find(I2C_RDWR);
	l.rec.total_max = 0;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_find(I2C_RDWR);
	l.ptr[0].dir = LAYOUT_DIR_BOTH;	/* arrays are read, never written */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_find(I2C_RDWR);
	l.rec.elem_size = 0;		/* a RECORDS pointer needs records */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_find(I2C_RDWR);
	l.rec.sub[0].dir_mask = 0;
	assert_int_equal(layout_validate(&l), -EINVAL);
	l = *layout_lookup(SPI_IOC_MESSAGE(16), &scratch);
	assert_int_equal(layout_validate(&l), 0);
	l.rec.count_max = 32;		/* 64 buffers and buffer 0 */
	assert_int_equal(layout_validate(&l), -EINVAL);
	l.rec.count_max = 8;		/* fewer than the argument holds */
	assert_int_equal(layout_validate(&l), -EINVAL);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_sg_io_zero_copy, setup, teardown),
	cmocka_unit_test_setup_teardown(test_sg_io_bounce_straddling, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_sg_io_to_dev_and_none, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_sg_io_iovec_form, setup, teardown),
	cmocka_unit_test_setup_teardown(test_sg_io_hostile_buffers, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_sg_io_iovec_hostile, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_blkpg, setup, teardown),
	cmocka_unit_test_setup_teardown(test_ioc_struct, setup, teardown),
	cmocka_unit_test_setup_teardown(test_i2c_rdwr, setup, teardown),
	cmocka_unit_test_setup_teardown(test_i2c_rdwr_hostile, setup,
					teardown),
	cmocka_unit_test_setup_teardown(test_spi_message, setup, teardown),
	cmocka_unit_test_setup_teardown(test_null_allowed, setup, teardown),
	cmocka_unit_test(test_records_validate),
};

TEST_MAIN("ptr_rewrite", tests, NULL, NULL)
