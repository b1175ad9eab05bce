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
#include <poll.h>
#include <unistd.h>
#include <scsi/scsi.h>
#include <scsi/sg.h>

#include "harness.h"
#include "config.h"
#include "devcall_abi.h"
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
	/* Room for a second session after the first one's lead-out. */
	return setup_with(state, "media=cdrw,size=100M");
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
	/* cdrecord drains stale replies: nothing waiting, EAGAIN. */
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
	const uint8_t bad[10] = { 0x3c };	/* READ BUFFER */
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


static void cdb10(uint8_t *cdb, uint8_t op, uint32_t alloc)
{
	memset(cdb, 0, 10);
	cdb[0] = op;
	cdb[7] = alloc >> 8;
	cdb[8] = alloc;
}

/* Page 05 for write type wt, data block type dbt, multi-session ms. */
static void select05(struct fixture *f, uint8_t wt, uint8_t dbt, uint8_t ms,
		     int want_status)
{
	uint8_t sel[8 + 52] = { 0 };
	uint8_t cdb[10] = { 0x55, 0x10, 0, 0, 0, 0, 0, 0, sizeof(sel), 0 };
	struct sg_io_hdr h;

	sel[8] = 0x05;
	sel[9] = 0x32;
	sel[10] = wt;
	sel[11] = ms << 6 | 4;
	sel[12] = dbt;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, sel,
			    sizeof(sel)), 0);
	assert_int_equal(h.status, want_status);
}

static void cue_entry(uint8_t *e, uint8_t ctl, uint8_t tno, uint8_t idx,
		      uint8_t form, int32_t lba)
{
	int32_t fr = lba + 150;

	e[0] = ctl;
	e[1] = tno;
	e[2] = idx;
	e[3] = form;
	e[4] = 0;
	e[5] = fr / 4500;
	e[6] = fr / 75 % 60;
	e[7] = fr % 75;
}

static long send_cue(struct fixture *f, struct sg_io_hdr *h, uint8_t *cue,
		     unsigned int n)
{
	uint8_t cdb[10] = { 0x5d };

	cdb[6] = n >> 16;
	cdb[7] = n >> 8;
	cdb[8] = n;
	return sg(f, h, cdb, 10, SG_DXFER_TO_DEV, cue, n);
}

static void test_mode_select_sao(void **state)
{
	struct fixture *f = *state;

	select05(f, 2, 0, 0, 0);	/* wodim: SAO, raw block type */
	select05(f, 2, 8, 3, 0);	/* libburn: SAO, Mode 1, multi */
	select05(f, 1, 8, 0, 0);	/* TAO Mode 1 */
	select05(f, 1, 10, 3, 0);	/* TAO Mode 2 Form 1 (-multi) */
	select05(f, 1, 0, 0, 2);	/* TAO audio: not held */
	select05(f, 3, 0, 0, 2);	/* raw */
	select05(f, 2, 2, 0, 2);	/* raw with sub-channel */
	assert_int_equal(f->sense[12], 0x26);
}

/* A SAO burn: cue sheet, pregap from -150, data, SYNCHRONIZE CACHE. */
static void sao_burn_cue(struct fixture *f, int32_t start, int32_t cue_at,
			 uint32_t sectors, uint8_t fill, uint8_t ms);

static void sao_burn(struct fixture *f, int32_t start, uint32_t sectors,
		     uint8_t fill, uint8_t ms)
{
	sao_burn_cue(f, start, start, sectors, fill, ms);
}

/* cue_at: where the cue sheet says the track starts (wodim: 0). */
static void sao_burn_cue(struct fixture *f, int32_t start, int32_t cue_at,
			 uint32_t sectors, uint8_t fill, uint8_t ms)
{
	static uint8_t data[150 * 2048];
	uint8_t cue[32], cdb[10];
	const uint8_t sync[10] = { 0x35 };
	struct sg_io_hdr h;
	int32_t lba;

	select05(f, 2, 8, ms, 0);
	cue_entry(cue, 0x41, 0, 0, 0x14, -150);
	cue_entry(cue + 8, 0x41, start ? 2 : 1, 0, 0x10, cue_at - 150);
	cue_entry(cue + 16, 0x41, start ? 2 : 1, 1, 0x10, cue_at);
	cue_entry(cue + 24, 0x41, 0xaa, 1, 0x14, cue_at + sectors);
	assert_int_equal(send_cue(f, &h, cue, sizeof(cue)), 0);
	assert_int_equal(h.status, 0);
	/* The stream starts at the pregap, nowhere else. */
	write10(cdb, start, 1);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data, 2048), 0);
	assert_int_equal(h.status, 2);
	assert_int_equal(f->sense[12], 0x21);
	memset(data, 0xaa, sizeof(data));	/* the pregap is not stored */
	write10(cdb, start - 150, 150);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data,
			    sizeof(data)), 0);
	assert_int_equal(h.status, 0);
	memset(data, fill, sizeof(data));
	for (lba = start; lba < start + (int32_t)sectors; lba += 10) {
		write10(cdb, lba, 10);
		assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data,
				    10 * 2048), 0);
		assert_int_equal(h.status, 0);
	}
	/* Nothing past the lead-out. */
	write10(cdb, lba, 1);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data, 2048), 0);
	assert_int_equal(h.status, 2);
	assert_int_equal(sg(f, &h, sync, 10, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(h.status, 0);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void test_sao_multisession(void **state)
{
	struct fixture *f = *state;
	uint8_t cdb[10], buf[256], cue[24];
	struct sg_io_hdr h;
	uint32_t next;
	int fd;

	/* Bad cue sheets: 5/26/00 (or 1A/00 for the length). */
	cue_entry(cue, 0x41, 0, 0, 0x14, -150);
	cue_entry(cue + 8, 0x41, 1, 1, 0x10, 0);
	cue_entry(cue + 16, 0x41, 2, 1, 0x14, 100);	/* no lead-out */
	assert_int_equal(send_cue(f, &h, cue, 24), 0);
	assert_int_equal(h.status, 2);
	assert_int_equal(f->sense[12], 0x26);
	cue_entry(cue + 16, 0x41, 0xaa, 1, 0x00, 100);	/* audio form ok */
	cue[11] = 0x00;					/* audio track */
	assert_int_equal(send_cue(f, &h, cue, 24), 0);
	assert_int_equal(f->sense[12], 0x26);
	assert_int_equal(send_cue(f, &h, cue, 20), 0);
	assert_int_equal(f->sense[12], 0x1a);
	/* Writing SAO without a cue sheet: sequence error. */
	select05(f, 2, 8, 0, 0);
	write10(cdb, -150, 1);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, buf, 2048), 0);
	assert_int_equal(f->sense[12], 0x2c);

	sao_burn(f, 0, 400, 0x11, 3);
	cdb10(cdb, 0x51, 34);			/* appendable, 2 sessions */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 34), 0);
	assert_int_equal(buf[2] & 3, 1);
	assert_int_equal(buf[4], 2);
	cdb10(cdb, 0x52, 36);			/* the next writable address */
	cdb[1] = 1;
	cdb[5] = 0xff;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 36), 0);
	next = be32(buf + 12);
	assert_int_equal(next, 400 + 6750 + 4500 + 150);
	assert_int_equal(buf[7] & 1, 1);
	sao_burn(f, next, 300, 0x22, 0);
	/* TOC format 1: the last session starts at next. */
	cdb10(cdb, 0x43, 12);
	cdb[2] = 1;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 12), 0);
	assert_int_equal(buf[3], 2);
	assert_int_equal(buf[6], 2);
	assert_int_equal(be32(buf + 8), next);
	/* Format 2: A0 A1 A2 T1 B0 for session 1, A0 A1 A2 T2 for 2. */
	cdb10(cdb, 0x43, 256);
	cdb[2] = 2;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 256), 0);
	assert_int_equal((buf[0] << 8 | buf[1]) + 2, 4 + 9 * 11);
	assert_int_equal(buf[4 + 3], 0xa0);
	assert_int_equal(buf[4 + 4 * 11 + 3], 0xb0);
	assert_int_equal(buf[4 + 5 * 11], 2);		/* session 2 */
	/* Format 0 lists both tracks and the lead-out. */
	cdb10(cdb, 0x43, 256);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 256), 0);
	assert_int_equal(buf[3], 2);
	assert_int_equal(be32(buf + 4 + 8 + 4), next);
	assert_int_equal(buf[4 + 16 + 2], 0xaa);
	assert_int_equal(be32(buf + 4 + 16 + 4), next + 300);
	/* The image: both sessions at their LBAs, no pregap bytes. */
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, buf, 1, 0), 1);
	assert_int_equal(buf[0], 0x11);
	assert_int_equal(pread(fd, buf, 1, (off_t)next * 2048), 1);
	assert_int_equal(buf[0], 0x22);
	assert_int_equal(pread(fd, buf, 1, (off_t)(next - 1) * 2048), 0 + 1);
	assert_int_equal(buf[0], 0);			/* gap: a hole */
	close(fd);
	/* Complete now; blank=session takes the last one away. */
	cdb10(cdb, 0x51, 34);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 34), 0);
	assert_int_equal(buf[2] & 3, 2);
	memset(cdb, 0, 10);
	cdb[0] = 0xa1;
	cdb[1] = 6;
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(h.status, 0);
	cdb10(cdb, 0x51, 34);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 34), 0);
	assert_int_equal(buf[2] & 3, 1);
	assert_int_equal(buf[4], 2);
}

/* wodim's later-session cue sheet counts from the session's start. */
static void test_sao_relative_cue(void **state)
{
	struct fixture *f = *state;
	uint8_t cdb[10], buf[36];
	struct sg_io_hdr h;
	uint32_t next = 300 + 11400;
	int fd;

	sao_burn(f, 0, 300, 0x33, 3);
	sao_burn_cue(f, next, 0, 300, 0x44, 3);
	cdb10(cdb, 0x52, 36);
	cdb[1] = 1;
	cdb[5] = 0xff;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, buf, 36), 0);
	assert_int_equal(be32(buf + 12), next + 300 + 11400 - 11400 + 2250 +
			 4500 + 150);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, buf, 1, (off_t)next * 2048), 1);
	assert_int_equal(buf[0], 0x44);
	close(fd);
}

static void test_read_cd_and_read10(void **state)
{
	struct fixture *f = *state;
	uint8_t cdb[12] = { 0 }, buf[2 * 2352], r10[10];
	struct sg_io_hdr h;

	sao_burn(f, 0, 300, 0x5c, 0);
	write10(r10, 299, 1);
	r10[0] = 0x28;
	assert_int_equal(sg(f, &h, r10, 10, SG_DXFER_FROM_DEV, buf, 2048), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(buf[0], 0x5c);
	assert_int_equal(buf[2047], 0x5c);
	cdb[0] = 0xbe;
	cdb[5] = 2;			/* LBA 2, 2 sectors */
	cdb[8] = 2;
	cdb[9] = 0x10;			/* user data */
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_FROM_DEV, buf,
			    sizeof(buf)), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.resid, sizeof(buf) - 2 * 2048);
	assert_int_equal(buf[4095], 0x5c);
	cdb[9] = 0xf8;			/* whole sectors */
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_FROM_DEV, buf,
			    sizeof(buf)), 0);
	assert_int_equal(h.resid, 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 0xff);
	assert_int_equal(buf[11], 0);
	assert_int_equal(buf[12], 0x00);	/* 00:02:02, BCD */
	assert_int_equal(buf[13], 0x02);
	assert_int_equal(buf[14], 0x02);
	assert_int_equal(buf[15], 1);		/* Mode 1 */
	assert_int_equal(buf[16], 0x5c);
	assert_int_equal(buf[2352 + 14], 0x03);
	cdb[1] = 1 << 2;		/* expects CD-DA: wrong type */
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_FROM_DEV, buf,
			    sizeof(buf)), 0);
	assert_int_equal(h.status, 2);
	assert_int_equal(f->sense[12], 0x64);
	cdb[1] = 2 << 2;		/* Mode 1: fine */
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_FROM_DEV, buf,
			    sizeof(buf)), 0);
	assert_int_equal(h.status, 0);
}

/* Find feature code in a GET CONFIGURATION reply; its offset or 0. */
static unsigned int find_feature(const uint8_t *b, unsigned int n,
				 uint16_t code)
{
	unsigned int off = 8;

	while (off + 4 <= n) {
		if ((b[off] << 8 | b[off + 1]) == code)
			return off;
		off += 4 + b[off + 3];
	}
	return 0;
}

static void test_get_configuration(void **state)
{
	struct fixture *f = *state;
	static const uint16_t want[] = { 0x0000, 0x0001, 0x0002, 0x0003,
		0x0010, 0x001d, 0x001e, 0x0021, 0x002d, 0x002e, 0x0037,
		0x0100, 0x0105, 0x0107 };
	uint8_t cdb[10], b[512];
	struct sg_io_hdr h;
	unsigned int i, n, off;

	cdb10(cdb, 0x46, 8);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(b[6] << 8 | b[7], 0x0a);	/* CD-RW current */
	n = be32(b) + 4;
	cdb10(cdb, 0x46, sizeof(b));
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, sizeof(b)),
			 0);
	assert_int_equal(sizeof(b) - h.resid, n);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_not_equal(find_feature(b, n, want[i]), 0);
	/* The profile list: 1A, 10, 0A (current), 09, 08. */
	assert_int_equal(b[8 + 3], 20);
	assert_int_equal(b[12 + 1], 0x1a);
	assert_int_equal(b[12 + 2] & 1, 0);
	assert_int_equal(b[20 + 1], 0x0a);
	assert_int_equal(b[20 + 2] & 1, 1);
	assert_int_equal(b[24 + 1], 0x09);
	assert_int_equal(b[24 + 2] & 1, 0);
	off = find_feature(b, n, 0x002e);		/* SAO, test write */
	assert_int_equal(b[off + 4] & 0x24, 0x24);
	/* RT 2: one feature. */
	cdb10(cdb, 0x46, sizeof(b));
	cdb[1] = 2;
	cdb[3] = 0x2d;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, sizeof(b)),
			 0);
	assert_int_equal(be32(b) + 4, 8 + 8);
	assert_int_equal(b[9], 0x2d);
}

static void test_tray_events(void **state)
{
	struct fixture *f = *state;
	const uint8_t eject[6] = { 0x1b, 0, 0, 0, 2 }, load[6] = { 0x1b, 0, 0,
		0, 3 }, tur[6] = { 0 }, lock[6] = { 0x1e, 0, 0, 0, 1 },
		unlock[6] = { 0x1e };
	uint8_t gesn[10] = { 0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8, 0 }, b[8];
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18 }, cfg[10], mech[12] = { 0xbd };
	struct sg_io_hdr h;

	assert_int_equal(sg(f, &h, lock, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(sg(f, &h, eject, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(h.status, 2);
	assert_int_equal(f->sense[12], 0x53);		/* prevented */
	assert_int_equal(sg(f, &h, unlock, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(sg(f, &h, eject, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(h.status, 0);
	/* No medium: NOT READY 3A; the media event says removal. */
	assert_int_equal(sg(f, &h, tur, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(f->sense[2], 2);
	assert_int_equal(f->sense[12], 0x3a);
	assert_int_equal(sg(f, &h, gesn, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(b[2], 4);
	assert_int_equal(b[4], 3);
	assert_int_equal(b[5], 1);			/* tray open */
	cdb10(cfg, 0x46, 8);
	assert_int_equal(sg(f, &h, cfg, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(b[6] << 8 | b[7], 0);		/* no profile */
	mech[9] = 8;
	assert_int_equal(sg(f, &h, mech, 12, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(b[1] & 0x10, 0x10);		/* door open */
	/* Load: new media event, then UNIT ATTENTION 28/00 once. */
	assert_int_equal(sg(f, &h, load, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(sg(f, &h, gesn, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(b[4], 2);
	assert_int_equal(b[5], 2);			/* present */
	assert_int_equal(sg(f, &h, gesn, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(b[4], 0);			/* consumed */
	assert_int_equal(sg(f, &h, tur, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(f->sense[2], 6);
	assert_int_equal(f->sense[12], 0x28);
	assert_int_equal(sg(f, &h, tur, 6, SG_DXFER_NONE, NULL, 0), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(sg(f, &h, rs, 6, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(h.status, 0);
	/* Asynchronous GESN: not supported. */
	gesn[1] = 0;
	assert_int_equal(sg(f, &h, gesn, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(f->sense[12], 0x24);
}

static void test_misc_commands(void **state)
{
	struct fixture *f = *state;
	uint8_t cdb[12] = { 0 }, b[64];
	struct sg_io_hdr h;

	cdb10(cdb, 0x23, 12);				/* FORMAT CAPACITIES */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 12), 0);
	assert_int_equal(b[3], 8);
	assert_int_equal(be32(b + 4), 100 * 512);
	cdb10(cdb, 0x5c, 12);				/* BUFFER CAPACITY */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 12), 0);
	assert_int_equal(h.status, 0);
	assert_true(be32(b + 4) > 0);
	memset(cdb, 0, 12);				/* GET PERFORMANCE */
	cdb[0] = 0xac;
	cdb[9] = 1;
	cdb[10] = 3;
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_FROM_DEV, b, 24), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(be32(b + 20), 8 * 176);
	cdb[10] = 9;
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_FROM_DEV, b, 24), 0);
	assert_int_equal(f->sense[12], 0x24);
	memset(cdb, 0, 12);				/* SET CD SPEED */
	cdb[0] = 0xbb;
	cdb[4] = 0x02;
	cdb[5] = 0xc0;					/* 704 kB/s */
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_NONE, NULL, 0), 0);
	cdb10(cdb, 0x5a, 64);
	cdb[2] = 0x2a;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 64), 0);
	assert_int_equal(b[8 + 28] << 8 | b[8 + 29], 704);
	/* ATIP on a blank disc: CD-RW. */
	cdb10(cdb, 0x43, 28);
	cdb[2] = 4;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 28), 0);
	assert_int_equal(h.status, 0);
	assert_int_equal(b[6] & 0x40, 0x40);
	cdb[2] = 0;					/* no TOC yet */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 28), 0);
	assert_int_equal(f->sense[12], 0x24);
}

/* The sg driver's read/write protocol and the readiness behind poll. */
static void test_sg_read_write(void **state)
{
	struct fixture *f = *state;
	uint8_t w[36 + 6] = { 0 }, r[36 + 64];
	struct iovec wv = { w, sizeof(w) }, rv = { r, sizeof(r) };
	struct sg_io_hdr io = { .interface_id = 'S', .dxfer_direction = -1 };
	struct iovec iv = { &io, sizeof(io) };
	int fd = emudrive_ops.poll_fd(f->priv);
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int32_t v;

	assert_true(fd >= 0);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLOUT);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 -EAGAIN);
	v = 36 + 36;
	memcpy(w + 4, &v, 4);			/* reply_len */
	v = 42;
	memcpy(w + 8, &v, 4);			/* pack_id */
	w[36] = 0x12;
	w[40] = 36;
	assert_int_equal(emudrive_ops.write(f->priv, &wv, 1, -1, true),
			 sizeof(w));
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLIN);	/* one outstanding: full */
	assert_int_equal(emudrive_ops.write(f->priv, &wv, 1, -1, true),
			 -EDOM);
	v = 0;
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_GET_NUM_WAITING,
					    (unsigned long)&v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, false),
			 36 + 36);
	memcpy(&v, r + 8, 4);
	assert_int_equal(v, 42);
	memcpy(&v, r + 12, 4);
	assert_int_equal(v, 0);			/* result */
	assert_memory_equal(r + 36 + 8, "DEVCALL ", 8);
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLOUT);
	/* Command queuing: several outstanding, in order. */
	v = 1;
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_SET_COMMAND_Q,
					    (unsigned long)&v), 0);
	w[36] = 0x02;				/* unsupported: sense */
	assert_int_equal(emudrive_ops.write(f->priv, &wv, 1, -1, true),
			 sizeof(w));
	w[36] = 0x00;
	assert_int_equal(emudrive_ops.write(f->priv, &wv, 1, -1, true),
			 sizeof(w));
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_int_equal(p.revents, POLLIN | POLLOUT);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, false),
			 36 + 36);
	assert_int_equal((r[16] >> 1) & 0x1f, 1);	/* CHECK CONDITION */
	assert_int_equal(r[20 + 2], 5);
	assert_int_equal(r[20 + 12], 0x20);
	rv.iov_len = 10;			/* short: the reply is gone */
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, false), 0);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 -EAGAIN);
	/* A written sg_io_hdr (v3) carries guest pointers: refused. */
	assert_int_equal(emudrive_ops.write(f->priv, &iv, 1, -1, true),
			 -ENOSYS);
	wv.iov_len = 20;
	assert_int_equal(emudrive_ops.write(f->priv, &wv, 1, -1, true), -EIO);
	/* A reply larger than the driver would buffer: ENOMEM. */
	wv.iov_len = sizeof(w);
	v = 0x7fffffff;
	memcpy(w + 4, &v, 4);
	assert_int_equal(emudrive_ops.write(f->priv, &wv, 1, -1, true),
			 -ENOMEM);
}

static int setup_dvd(void **state)
{
	return setup_with(state, "media=dvd+rw,size=100M");
}

/* DVD+RW: format, then random writes anywhere; its structure. */
static void test_dvd_plus_rw(void **state)
{
	struct fixture *f = *state;
	uint8_t cdb[12] = { 0 }, b[64], fmt[12] = { 0, 0x02, 0, 8 };
	static uint8_t data[2 * 2048];
	struct sg_io_hdr h;
	int fd;

	cdb10(cdb, 0x46, 8);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(b[6] << 8 | b[7], 0x1a);
	cdb10(cdb, 0x23, 20);			/* unformatted; 26h offered */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 20), 0);
	assert_int_equal(b[3], 16);
	assert_int_equal(b[8], 1);
	assert_int_equal(b[16] >> 2, 0x26);
	memset(data, 0x77, sizeof(data));
	write10(cdb, 1000, 2);			/* not before formatting */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data,
			    sizeof(data)), 0);
	assert_int_equal(f->sense[12], 0x2c);
	memset(cdb, 0, 6);
	cdb[0] = 0x04;
	cdb[1] = 0x11;				/* FmtData, list format 1 */
	fmt[8] = 0x26 << 2;
	fmt[4] = 0xff; fmt[5] = 0xff; fmt[6] = 0xff; fmt[7] = 0xff;
	assert_int_equal(sg(f, &h, cdb, 6, SG_DXFER_TO_DEV, fmt, 12), 0);
	assert_int_equal(h.status, 0);
	write10(cdb, 1000, 2);			/* anywhere, in any order */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data,
			    sizeof(data)), 0);
	assert_int_equal(h.status, 0);
	write10(cdb, 16, 1);
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_TO_DEV, data, 2048), 0);
	assert_int_equal(h.status, 0);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, b, 1, 1001 * 2048), 1);
	assert_int_equal(b[0], 0x77);
	close(fd);
	cdb10(cdb, 0x51, 34);			/* formatted: complete */
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 34), 0);
	assert_int_equal(b[2] & 3, 2);
	assert_int_equal(b[7] & 3, 3);
	memset(cdb, 0, 12);			/* READ DVD STRUCTURE 0 */
	cdb[0] = 0xad;
	cdb[9] = 64;
	assert_int_equal(sg(f, &h, cdb, 12, SG_DXFER_FROM_DEV, b, 64), 0);
	assert_int_equal(b[4], 0x92);
	assert_int_equal(be32(b + 12) - be32(b + 8) + 1, 100 * 512);
	memset(cdb, 0, 12);			/* READ CAPACITY */
	cdb[0] = 0x25;
	assert_int_equal(sg(f, &h, cdb, 10, SG_DXFER_FROM_DEV, b, 8), 0);
	assert_int_equal(be32(b), 100 * 512 - 1);
}

/*
 * sg's v3 write/read, as the frontend sends it (DEVCALL_SG_V3_WRITE with
 * host pointers): the reply waits for read(), data and sense are the same
 * as SG_IO's, the daemon's addresses never come back, errors as sg's.
 */
static void test_sg_v3_write_read(void **state)
{
	static const uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t bad[10] = { 0x28, 0, 0x7f, 0xff, 0xff, 0xff };
	struct fixture *f = *state;
	uint8_t a[96], b[96], sense_a[32], rbuf[sizeof(struct sg_io_hdr) + 8];
	struct sg_io_hdr h, w, *rh = (struct sg_io_hdr *)rbuf;
	struct iovec rv = { rbuf, sizeof(rbuf) };
	int on;

	memset(a, 0, sizeof(a));
	assert_int_equal(sg(f, &h, inq, 6, SG_DXFER_FROM_DEV, a, 96), 0);

	/* INQUIRY by write: data now, header at read */
	memset(&w, 0, sizeof(w));
	memset(b, 0, sizeof(b));
	w.interface_id = 'S';
	w.cmdp = (uint8_t *)inq;
	w.cmd_len = 6;
	w.dxfer_direction = SG_DXFER_FROM_DEV;
	w.dxferp = b;
	w.dxfer_len = 96;
	w.sbp = sense_a;
	w.mx_sb_len = sizeof(sense_a);
	w.pack_id = 1234;
	w.usr_ptr = (void *)0x5ca1ab1e;
	assert_int_equal(emudrive_ops.ioctl(f->priv, DEVCALL_SG_V3_WRITE,
					    (unsigned long)&w), 0);
	assert_memory_equal(a, b, 96);
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_GET_COMMAND_Q,
					    (unsigned long)&on), 0);
	assert_int_equal(on, 1);		/* as sg_new_write */
	assert_int_equal(emudrive_ops.ioctl(f->priv, SG_GET_NUM_WAITING,
					    (unsigned long)&on), 0);
	assert_int_equal(on, 1);
	memset(rbuf, 0xaa, sizeof(rbuf));
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 sizeof(rbuf));
	assert_int_equal(rh->interface_id, 'S');
	assert_int_equal(rh->pack_id, 1234);
	assert_ptr_equal(rh->usr_ptr, (void *)0x5ca1ab1e);
	assert_int_equal(rh->status, 0);
	assert_int_equal(rh->resid, h.resid);
	assert_null(rh->cmdp);			/* never a daemon address */
	assert_null(rh->dxferp);
	assert_null(rh->sbp);
	assert_int_equal(rbuf[sizeof(struct sg_io_hdr)], 0xaa);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 -EAGAIN);

	/* CHECK CONDITION: sense as SG_IO's */
	assert_int_equal(sg(f, &h, bad, 10, SG_DXFER_FROM_DEV, a, 8), 0);
	assert_int_equal(h.status, 2);
	w.cmdp = (uint8_t *)bad;
	w.cmd_len = 10;
	w.dxfer_len = 8;
	w.mx_sb_len = 16;
	memset(sense_a, 0, sizeof(sense_a));
	assert_int_equal(emudrive_ops.ioctl(f->priv, DEVCALL_SG_V3_WRITE,
					    (unsigned long)&w), 0);
	assert_memory_equal(sense_a, f->sense, h.sb_len_wr);
	/* fewer bytes than a header: EINVAL and the reply is gone */
	rv.iov_len = 36;
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 -EINVAL);
	rv.iov_len = sizeof(rbuf);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 -EAGAIN);
	assert_int_equal(emudrive_ops.ioctl(f->priv, DEVCALL_SG_V3_WRITE,
					    (unsigned long)&w), 0);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 sizeof(rbuf));
	assert_int_equal(rh->status, 2);
	assert_int_equal(rh->driver_status, 0x08);
	assert_int_equal(rh->sb_len_wr, h.sb_len_wr);
	assert_int_equal(rh->info & SG_INFO_CHECK, SG_INFO_CHECK);

	/* bad headers fail at write and queue nothing */
	w.cmd_len = 5;
	assert_int_equal(emudrive_ops.ioctl(f->priv, DEVCALL_SG_V3_WRITE,
					    (unsigned long)&w), -EINVAL);
	w.cmd_len = 10;
	w.dxferp = NULL;
	assert_int_equal(emudrive_ops.ioctl(f->priv, DEVCALL_SG_V3_WRITE,
					    (unsigned long)&w), -EFAULT);
	w.dxferp = b;
	w.dxfer_len = 64u << 20;
	assert_int_equal(emudrive_ops.ioctl(f->priv, DEVCALL_SG_V3_WRITE,
					    (unsigned long)&w), -EINVAL);
	assert_int_equal(emudrive_ops.read(f->priv, &rv, 1, -1, true),
			 -EAGAIN);

	/* the queue holds SG_MAX_QUEUE replies, then EDOM */
	w.cmdp = (uint8_t *)inq;
	w.cmd_len = 6;
	w.dxfer_len = 96;
	for (on = 0; on < 16; on++)
		assert_int_equal(emudrive_ops.ioctl(f->priv,
			DEVCALL_SG_V3_WRITE, (unsigned long)&w), 0);
	assert_int_equal(emudrive_ops.ioctl(f->priv, DEVCALL_SG_V3_WRITE,
					    (unsigned long)&w), -EDOM);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_dvd_plus_rw, setup_dvd,
					teardown),
	cmocka_unit_test_setup_teardown(test_mode_select_sao, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_sao_multisession, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_sao_relative_cue, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_read_cd_and_read10, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_get_configuration, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_tray_events, setup_rw, teardown),
	cmocka_unit_test_setup_teardown(test_misc_commands, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_sg_read_write, setup_rw,
					teardown),
	cmocka_unit_test_setup_teardown(test_sg_ioctls, setup_rw, teardown),
	cmocka_unit_test_setup_teardown(test_sg_v3_write_read, setup_rw,
					teardown),
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
