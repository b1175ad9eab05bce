// SPDX-License-Identifier: MIT
/*
 * The emulated CD-R/RW drive through its backend ops, with host sg_io_hdr
 * arguments as the daemon hands them over: the sg ioctls cdrecord asks
 * first, MMC commands, CHECK CONDITION formatting, disc state.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>

#include "harness.h"
#include "config.h"
#include "emudrive.h"

struct fixture {
	char path[64];
	struct export exp;
	void *priv;
	struct backend_file_info info;
	uint8_t sense[32];
};

static int open_drive(struct fixture *f, const char *opts)
{
	snprintf(f->exp.backend_opts, sizeof(f->exp.backend_opts), "%s", opts);
	return emudrive_ops.open(&f->exp, O_RDWR, &f->priv, &f->info);
}

static int setup_with(void **state, const char *opts)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int fd;

	strcpy(f->path, "/tmp/devcall-disc-XXXXXX");
	fd = mkstemp(f->path);
	close(fd);
	strcpy(f->exp.path, f->path);
	assert_int_equal(open_drive(f, opts), 0);
	*state = f;
	return 0;
}

static int setup_rw(void **state)
{
	return setup_with(state, "media=cdrw,size=10M");
}

static int setup_r(void **state)
{
	return setup_with(state, "media=cdr,size=10M");
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char st[80];

	emudrive_ops.close(f->priv);
	snprintf(st, sizeof(st), "%s.state", f->path);
	unlink(f->path);
	unlink(st);
	free(f);
	return 0;
}

/* One SG_IO; returns the ioctl's result, fills *h. */
static long sg(struct fixture *f, struct sg_io_hdr *h, const uint8_t *cdb,
	       unsigned int cdb_len, int dir, void *data, unsigned int len)
{
	memset(h, 0, sizeof(*h));
	memset(f->sense, 0xee, sizeof(f->sense));
	h->interface_id = 'S';
	h->cmdp = (uint8_t *)cdb;
	h->cmd_len = cdb_len;
	h->dxfer_direction = dir;
	h->dxferp = data;
	h->dxfer_len = len;
	h->sbp = f->sense;
	h->mx_sb_len = 16;
	return emudrive_ops.ioctl(f->priv, SG_IO, (unsigned long)h);
}

static void test_sg_ioctls(void **state)
{
	struct fixture *f = *state;
	uint32_t idlun[2] = { 1, 1 }, again[2];
	int v = 0;

	assert_int_equal(emudrive_ops.ioctl(f->priv, SCSI_IOCTL_GET_IDLUN,
					    (unsigned long)idlun), 0);
	assert_int_equal(emudrive_ops.ioctl(f->priv, SCSI_IOCTL_GET_IDLUN,
					    (unsigned long)again), 0);
	assert_memory_equal(idlun, again, sizeof(idlun));
	assert_true((idlun[0] & 0xff) < 16 && ((idlun[0] >> 8) & 0xff) < 8);
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_GET_VERSION_NUM,
					    (unsigned long)&v), 0);
	assert_true(v >= 30000);
	v = 4000;
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_SET_TIMEOUT,
					    (unsigned long)&v), 0);
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_GET_TIMEOUT, 0), 4000);
	v = 1 << 30;
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_SET_RESERVED_SIZE,
					    (unsigned long)&v), 0);
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_GET_RESERVED_SIZE,
					    (unsigned long)&v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(emudrive_ops.ioctl(f->priv, 0x1234, 0), -ENOTTY);
	/* cdrecord drains stale replies: never block. */
	assert_int_equal(emudrive_ops.read(f->priv, NULL, 0, -1, true), -EAGAIN);
}

static void test_inquiry_and_mode_sense(void **state)
{
	struct fixture *f = *state;
	const uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t ms[10] = { 0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 2, 0 };
	uint8_t buf[128];
	struct sg_io_hdr h;

	assert_int_equal(sg(f, &h, inq, 6, SG_DXFER_FROM_DEV, buf, 96), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.sb_len_wr, 0);
	assert_int_equal(f->sense[0], 0xee);	/* GOOD: sense untouched */
	assert_int_equal(buf[0], 5);
	assert_memory_equal(buf + 8, "DEVCALL ", 8);
	assert_int_equal(h.resid, 96 - 36);
	/* Mode page 2A read with length 2 first, as cdrecord does. */
	assert_int_equal(sg(f, &h, ms, 10, SG_DXFER_FROM_DEV, buf, 2), 0);
	assert_int_equal(h.resid, 0);
	assert_int_equal((buf[0] << 8 | buf[1]) + 2, 8 + 36);
	ms[8] = 128;
	assert_int_equal(sg(f, &h, ms, 10, SG_DXFER_FROM_DEV, buf, 128), 0);
	assert_int_equal(h.resid, 128 - 44);
	assert_int_equal(buf[8], 0x2a);
	assert_true(buf[9] >= 28);			/* MMC-3 */
	assert_int_equal(buf[8 + 3] & 3, 3);		/* writes CD-R, RW */
	assert_true((buf[8 + 18] << 8 | buf[8 + 19]) > 0);	/* max write */
	assert_true((buf[8 + 28] << 8 | buf[8 + 29]) > 0);	/* current */
	assert_int_equal(buf[8 + 6] >> 5, 1);		/* tray */
}

static void test_check_condition_format(void **state)
{
	struct fixture *f = *state;
	const uint8_t bad[10] = { 0x46 };	/* GET CONFIGURATION */
	uint8_t sel[8 + 52] = { 0 }, buf[64];
	uint8_t ms_sel[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, sizeof(sel), 0 };
	struct sg_io_hdr h;

	assert_int_equal(sg(f, &h, bad, 10, SG_DXFER_FROM_DEV, buf, 8), 0);
	assert_int_equal(h.status, 0x02);
	assert_int_equal(h.masked_status, 0x01);
	assert_int_equal(h.driver_status, 0x08);
	assert_int_equal(h.sb_len_wr, 16);		/* clamped to mx_sb_len */
	assert_int_equal(f->sense[0], 0x70);
	assert_int_equal(f->sense[2], 0x05);
	assert_int_equal(f->sense[12], 0x20);
	assert_int_equal(f->sense[16], 0xee);		/* nothing past 16 */
	/* MODE SELECT of an unsupported write type (raw): 5/26/00. */
	sel[8] = 0x05;
	sel[9] = 0x32;
	sel[10] = 0x03;
	sel[12] = 8;
	assert_int_equal(sg(f, &h, ms_sel, 10, SG_DXFER_TO_DEV, sel,
			    sizeof(sel)), 0);
	assert_int_equal(f->sense[2], 0x05);
	assert_int_equal(f->sense[12], 0x26);
	/* Hostile CDBs and headers. */
	assert_int_equal(sg(f, &h, bad, 5, SG_DXFER_NONE, NULL, 0), -EINVAL);
	assert_int_equal(sg(f, &h, bad, 17, SG_DXFER_NONE, NULL, 0), -EINVAL);
	assert_int_equal(sg(f, &h, bad, 10, -7, buf, 8), -EINVAL);
	h.interface_id = 'Q';
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_IO, (unsigned long)&h),
			 -ENOSYS);
}

static void write10(uint8_t *cdb, int32_t lba, uint16_t n)
{
	memset(cdb, 0, 10);
	cdb[0] = 0x2a;
	cdb[2] = lba >> 24; cdb[3] = lba >> 16; cdb[4] = lba >> 8; cdb[5] = lba;
	cdb[7] = n >> 8; cdb[8] = n;
}

static void test_tao_write_and_close(void **state)
{
	struct fixture *f = *state;
	const uint8_t close_track[10] = { 0x5b, 0, 1 };
	const uint8_t close_session[10] = { 0x5b, 0, 2 };
	const uint8_t di[10] = { 0x51, 0, 0, 0, 0, 0, 0, 0, 34, 0 };
	static uint8_t data[4 * 2048], img[4 * 2048];
	uint8_t cdb[10], info[34];
	struct sg_io_hdr h;
	int fd;

	memset(data, 0x5a, sizeof(data));
	assert_int_equal(sg(f, &h, di, 10, SG_DXFER_FROM_DEV, info, 34), 0);
	assert_int_equal(info[2] & 3, 0);		/* blank */
	assert_int_equal(info[2] & 0x10, 0x10);		/* erasable */
	/* Not at the next writable address: refused. */
	write10(cdb, 7, 4);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data,
			    sizeof(data)), 0);
	assert_int_equal(h.status, 0x02);
	write10(cdb, 0, 4);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data,
			    sizeof(data)), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.resid, 0);
	/* Too little data for the sectors asked. */
	write10(cdb, 4, 4);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data, 100), 0);
	assert_int_equal(h.status, 0x02);
	assert_int_equal(sg(f, &h, close_track, 10, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(sg(f, &h, close_session, 10, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(sg(f, &h, di, 10, SG_DXFER_FROM_DEV, info, 34), 0);
	assert_int_equal(info[2] & 3, 2);		/* complete */
	/* The image: 4 sectors of data, then zeros up to 300 sectors. */
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, img, sizeof(img), 0), sizeof(img));
	assert_memory_equal(img, data, sizeof(data));
	assert_int_equal(lseek(fd, 0, SEEK_END), 300 * 2048);
	close(fd);
	/* A complete disc takes no more writes. */
	write10(cdb, 300, 1);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data, 2048), 0);
	assert_int_equal(h.status, 0x02);
}

static void test_cdr_refuses_blank(void **state)
{
	struct fixture *f = *state;
	const uint8_t blank[12] = { 0xa1, 1 };
	struct sg_io_hdr h;

	assert_int_equal(sg(f, &h, blank, 12, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(h.status, 0x02);
	assert_int_equal(f->sense[12], 0x30);
}

static void test_iovec_form(void **state)
{
	struct fixture *f = *state;
	const uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 };
	uint8_t a[20], b[20];
	struct sg_iovec iov[2] = { { a, 20 }, { b, 20 } };
	struct sg_io_hdr h;

	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.cmdp = (uint8_t *)inq;
	h.cmd_len = 6;
	h.dxfer_direction = SG_DXFER_FROM_DEV;
	h.dxferp = iov;
	h.dxfer_len = 40;
	h.iovec_count = 2;
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_IO, (unsigned long)&h),
			 0);
	assert_memory_equal(a + 8, "DEVCALL ", 8);
	assert_memory_equal(a + 16, "EMUL", 4);	/* split across elements */
	assert_memory_equal(b, "ATED CD-RW  1.0 ", 16);
	assert_int_equal(h.resid, 4);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_sg_ioctls, setup_rw, teardown),
	cmocka_unit_test_setup_teardown(test_inquiry_and_mode_sense, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_check_condition_format, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_tao_write_and_close, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_cdr_refuses_blank, setup_r,
					teardown),
	cmocka_unit_test_setup_teardown(test_iovec_form, setup_rw, teardown),
};

TEST_MAIN("emudrive", tests, NULL, NULL)
