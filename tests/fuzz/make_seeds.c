// SPDX-License-Identifier: MIT
/*
 * Writes a seed corpus for fuzz_request: well-formed requests of every
 * operation (SG_IO in both forms, BLKPG, an _IOC ioctl, reads and writes
 * over segments that straddle the two RAM regions), in the fuzz input
 * format (u16 request length, request, guest RAM contents).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <scsi/sg.h>
#include <linux/blkpg.h>
#include <linux/fs.h>

#include "request.h"

static struct request req;
static uint8_t wire[65536 + 2];

static void add_seg(uint64_t gpa, uint32_t len, uint16_t dir, uint16_t buf)
{
	struct guest_seg *s = &req.seg[req.nr_segs++];

	s->gpa = gpa;
	s->len = len;
	s->dir = dir;
	s->buf = buf;
}

static void start(uint16_t op)
{
	memset(&req, 0, sizeof(req));
	req.op = op;
	req.tag = 42;
	req.handle = 1;
}

static void emit(const char *dir, const char *name, const void *ram,
		 size_t ram_len)
{
	char path[4096];
	FILE *f;
	int len = request_encode(&req, wire + 2, sizeof(wire) - 2);

	if (len < 0) {
		fprintf(stderr, "make_seeds: %s: encode: %s\n", name,
			strerror(-len));
		exit(1);
	}
	wire[0] = len & 0xff;
	wire[1] = len >> 8;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(wire, 1, len + 2, f) != (size_t)len + 2 ||
	    (ram_len && fwrite(ram, 1, ram_len, f) != ram_len) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static uint8_t ram[0x8000];
	struct sg_io_hdr *h = (struct sg_io_hdr *)ram;
	struct blkpg_ioctl_arg *bp = (struct blkpg_ioctl_arg *)ram;
	struct sg_iovec *iov;
	const char *dir = argc > 1 ? argv[1] : ".";

	start(DEVCALL_OP_READ);
	req.len = 0x2000;
	add_seg(0x3000, 0x2000, GUEST_SEG_FROM_HOST, 0);	/* straddles */
	emit(dir, "read", NULL, 0);

	start(DEVCALL_OP_WRITE);
	req.flags = DEVCALL_REQ_F_OFFSET;
	req.offset = 4096;
	req.len = 0x1800;
	add_seg(0x1000, 0x800, GUEST_SEG_TO_HOST, 0);
	add_seg(0x4000, 0x1000, GUEST_SEG_TO_HOST, 0);
	emit(dir, "write", NULL, 0);

	/* SG_IO, plain buffer: header at gpa 0x1000, cdb, sense, data. */
	start(DEVCALL_OP_IOCTL);
	req.cmd = SG_IO;
	req.len = sizeof(*h);
	req.flags = DEVCALL_REQ_F_ARG_BUF;
	memset(ram, 0, sizeof(ram));
	h->interface_id = 'S';
	h->dxfer_direction = SG_DXFER_FROM_DEV;
	h->cmd_len = 6;
	h->mx_sb_len = 16;
	h->dxfer_len = 0x1000;
	add_seg(0x1000, sizeof(*h), GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
	add_seg(0x1100, 6, GUEST_SEG_TO_HOST, 1);
	add_seg(0x1200, 16, GUEST_SEG_FROM_HOST, 2);
	add_seg(0x4800, 0x1000, GUEST_SEG_FROM_HOST, 3);	/* straddles */
	emit(dir, "sg_io", ram, 0x200);

	/* SG_IO, iovec form: two elements. */
	h->iovec_count = 2;
	h->dxfer_direction = SG_DXFER_TO_DEV;
	req.nr_segs = 3;		/* keep header, cdb, sense */
	iov = (struct sg_iovec *)(ram + 0x300);
	iov[0].iov_base = (void *)0x7f0000002000;	/* guest's pointers */
	iov[0].iov_len = 0x800;
	iov[1].iov_base = (void *)0x7f0000002800;
	iov[1].iov_len = 0x800;
	add_seg(0x1300, 2 * sizeof(*iov), GUEST_SEG_TO_HOST, 3);
	add_seg(0x2000, 0x800, GUEST_SEG_TO_HOST, 4);
	add_seg(0x2800, 0x800, GUEST_SEG_TO_HOST, 5);
	emit(dir, "sg_io_iovec", ram, 0x400);

	/* BLKPG add partition. */
	start(DEVCALL_OP_IOCTL);
	req.cmd = BLKPG;
	req.len = sizeof(*bp);
	memset(ram, 0, sizeof(ram));
	bp->op = BLKPG_ADD_PARTITION;
	bp->datalen = sizeof(struct blkpg_partition);
	req.inline_len = sizeof(*bp);
	memcpy(req.inline_data, bp, sizeof(*bp));
	add_seg(0x1000, sizeof(struct blkpg_partition), GUEST_SEG_TO_HOST, 1);
	emit(dir, "blkpg", ram, 0x200);

	/* An _IOC ioctl with its argument inline. */
	start(DEVCALL_OP_IOCTL);
	req.cmd = BLKGETSIZE64;
	req.len = 8;
	req.flags = DEVCALL_REQ_F_ARG_BUF;
	add_seg(0x1ff8, 8, GUEST_SEG_FROM_HOST, 0);
	emit(dir, "blkgetsize64", NULL, 0);

	start(DEVCALL_OP_OPEN);
	req.export_id = 1;
	req.arg = DEVCALL_O_RDWR;
	req.handle = 0;
	emit(dir, "open", NULL, 0);
	return 0;
}
