// SPDX-License-Identifier: MIT
/*
 * Writes the seed corpora of the fuzz targets: make_seeds DIR fills
 * DIR/fuzz_request and DIR/fuzz_device (which must exist).
 *
 * fuzz_request: well-formed requests of every operation (SG_IO in both
 * forms, BLKPG, an _IOC ioctl, reads and writes over segments that
 * straddle the two RAM regions, POLL, CANCEL, LAYOUT) and a few broken
 * ones, in its input format (u16 request length, request, guest RAM).
 *
 * fuzz_device: a guest RAM image with a ring of well-formed chains of
 * requests (OPEN, READ, WRITE, IOCTL, POLL, CANCEL, CLOSE), chains split
 * over several descriptors, malformed chains, and scripts that park,
 * wake, cancel, reset and change RAM under the device (fuzz_device.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <scsi/sg.h>
#include <linux/blkpg.h>
#include <linux/fs.h>

#include <endian.h>
#include <poll.h>
#include <linux/virtio_ring.h>

#include "fuzz_device.h"
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

static void write_file(const char *dir, const char *name, const void *a,
		       size_t alen, const void *b, size_t blen,
		       const void *c, size_t clen)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(a, 1, alen, f) != alen ||
	    (blen && fwrite(b, 1, blen, f) != blen) ||
	    (clen && fwrite(c, 1, clen, f) != clen) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void request_seeds(const char *dir)
{
	static uint8_t ram[0x8000];
	struct sg_io_hdr *h = (struct sg_io_hdr *)ram;
	struct blkpg_ioctl_arg *bp = (struct blkpg_ioctl_arg *)ram;
	struct sg_iovec *iov;

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

	start(DEVCALL_OP_POLL);
	req.arg = POLLIN | POLLOUT;
	emit(dir, "poll", NULL, 0);

	start(DEVCALL_OP_CANCEL);
	req.arg = 7;
	emit(dir, "cancel", NULL, 0);

	start(DEVCALL_OP_LAYOUT);
	req.cmd = SG_IO;
	emit(dir, "layout", NULL, 0);

	/* Inline read and write: no guest memory at all. */
	start(DEVCALL_OP_WRITE);
	req.len = req.inline_len = 16;
	memset(req.inline_data, 0x11, 16);
	emit(dir, "write_inline", NULL, 0);

	/* Broken: more segments than the length holds, then bad magic. */
	start(DEVCALL_OP_READ);
	req.len = 0x100;
	add_seg(0x1000, 0x100, GUEST_SEG_FROM_HOST, 0);
	if (request_encode(&req, wire + 2, sizeof(wire) - 2) < 0)
		exit(1);
	wire[0] = 64 + 8;		/* cuts the segment in half */
	wire[1] = 0;
	write_file(dir, "truncated", wire, 64 + 8 + 2, NULL, 0, NULL, 0);
	wire[2] ^= 0xff;
	wire[0] = 64 + 16;
	write_file(dir, "bad_magic", wire, 64 + 16 + 2, NULL, 0, NULL, 0);
}


/*
 * fuzz_device seeds. The guest's layout: ring at the bottom of RAM,
 * requests from DS_REQ, responses from DS_RESP, data from DS_DATA. The
 * first OPEN of a VM gets handle DS_HANDLE (slot 1, generation 1).
 */
#define DS_NUM		16u
#define DS_DESC		0x000u
#define DS_AVAIL	0x100u
#define DS_USED		0x200u
#define DS_REQ		0x300u
#define DS_RESP		0xc00u
#define DS_DATA		0x1400u
#define DS_RAM_MAX	0x2400u
#define DS_HANDLE	((1ull << 32) | 1)

static struct {
	struct fuzz_dev_hdr h;
	uint8_t script[512];
	size_t script_len;
	uint8_t ram[DS_RAM_MAX];
	size_t ram_len;
	uint16_t nr_desc, avail_idx;
	uint32_t next_req, next_resp;
	uint32_t resp_len;		/* response room of the next ds_call */
} ds;

static void ds_start(uint8_t mock)
{
	memset(&ds, 0, sizeof(ds));
	ds.h.ring_order = 4;		/* DS_NUM */
	ds.h.mock = mock;
	ds.h.desc = htole32(DS_DESC);
	ds.h.avail = htole32(DS_AVAIL);
	ds.h.used = htole32(DS_USED);
	ds.next_req = DS_REQ;
	ds.next_resp = DS_RESP;
	ds.resp_len = sizeof(struct devcall_resp) + 64;
	ds.ram_len = DS_USED + 4 + 8 * DS_NUM + 2;
}

static void ds_touch(uint32_t end)
{
	if (end > DS_RAM_MAX) {
		fprintf(stderr, "make_seeds: device RAM image too small\n");
		exit(1);
	}
	if (end > ds.ram_len)
		ds.ram_len = end;
}

static void ds_put(uint32_t gpa, const void *p, size_t len)
{
	ds_touch(gpa + len);
	memcpy(ds.ram + gpa, p, len);
}

static void ds_put16(uint32_t gpa, uint16_t v)
{
	v = htole16(v);
	ds_put(gpa, &v, 2);
}

/* A descriptor; returns its index. */
static uint16_t ds_desc(uint64_t addr, uint32_t len, uint16_t flags,
			uint16_t next)
{
	struct vring_desc d = {
		.addr = htole64(addr), .len = htole32(len),
		.flags = htole16(flags), .next = htole16(next),
	};
	uint16_t i = ds.nr_desc++;

	ds_put(DS_DESC + i * sizeof(d), &d, sizeof(d));
	return i;
}

/* Offer head to the device, and publish it unless publish is false. */
static void ds_avail(uint16_t head, int publish)
{
	ds_put16(DS_AVAIL + 4 + 2 * (ds.avail_idx % DS_NUM), head);
	ds.avail_idx++;
	if (publish)
		ds_put16(DS_AVAIL + 2, ds.avail_idx);
}

/* req encoded into guest RAM; returns its gpa and sets *len. */
static uint32_t ds_encode(uint32_t *len)
{
	uint32_t gpa = ds.next_req;
	int n = request_encode(&req, wire, sizeof(wire));

	if (n < 0)
		exit(1);
	ds_put(gpa, wire, n);
	ds.next_req = (gpa + n + 15) & ~15u;
	*len = n;
	return gpa;
}

static uint32_t ds_resp(uint32_t len)
{
	uint32_t gpa = ds.next_resp;

	ds_touch(gpa + len);
	ds.next_resp += (len + 15) & ~15u;
	return gpa;
}

/* The usual chain: the request readable, the response writable. */
static void ds_call(int publish)
{
	uint32_t len, gpa = ds_encode(&len);
	uint16_t d0 = ds.nr_desc;

	ds_desc(gpa, len, VRING_DESC_F_NEXT, d0 + 1);
	ds_desc(ds_resp(ds.resp_len), ds.resp_len, VRING_DESC_F_WRITE, 0);
	ds_avail(d0, publish);
}

static void ds_step(uint8_t op)
{
	ds.script[ds.script_len++] = op;
}

static void ds_step32(uint32_t v)
{
	ds_step(v & 0xff);
	ds_step(v >> 8 & 0xff);
	ds_step(v >> 16 & 0xff);
	ds_step(v >> 24);
}

static void ds_poke16(uint32_t gpa, uint16_t v)
{
	ds_step(FUZZ_STEP_POKE);
	ds_step32(gpa);
	ds_step(1);			/* two bytes */
	ds_step(v & 0xff);
	ds_step(v >> 8);
}

static void ds_emit(const char *dir, const char *name)
{
	ds.h.script_len = htole16(ds.script_len);
	write_file(dir, name, &ds.h, sizeof(ds.h), ds.script, ds.script_len,
		   ds.ram, ds.ram_len);
}

static void ds_open(uint32_t export, uint64_t flags)
{
	start(DEVCALL_OP_OPEN);
	req.handle = 0;
	req.export_id = export;
	req.arg = flags;
	ds_call(1);
}

static void ds_simple(uint16_t op, uint64_t tag, uint64_t arg)
{
	start(DEVCALL_OP_CLOSE);
	req.op = op;
	req.tag = tag;
	req.handle = DS_HANDLE;
	req.arg = arg;
}

static void device_seeds(const char *dir)
{
	uint32_t len, gpa;
	uint16_t d0;

	/* OPEN, READ into RAM, WRITE inline, pwrite from RAM, CLOSE. */
	ds_start(0);
	ds_open(1, DEVCALL_O_RDWR);
	ds_simple(DEVCALL_OP_READ, 2, 0);
	req.len = 0x200;
	add_seg(DS_DATA, 0x200, GUEST_SEG_FROM_HOST, 0);
	ds_call(1);
	ds_simple(DEVCALL_OP_WRITE, 3, 0);
	req.len = req.inline_len = 16;
	memset(req.inline_data, 0x22, 16);
	ds_call(1);
	ds_simple(DEVCALL_OP_WRITE, 4, 0);
	req.flags = DEVCALL_REQ_F_OFFSET;
	req.offset = 0x1000;
	req.len = 0x300;
	add_seg(DS_DATA, 0x100, GUEST_SEG_TO_HOST, 0);
	add_seg(DS_DATA + 0x400, 0x200, GUEST_SEG_TO_HOST, 0);
	ds_call(1);
	ds_simple(DEVCALL_OP_CLOSE, 5, 0);
	ds_call(1);
	ds_emit(dir, "open_rw_close");

	/* Ioctls on a driver that answers: _IOC, integer, SG_IO, LAYOUT. */
	ds_start(FUZZ_MOCK_IOCTL);
	ds_open(1, DEVCALL_O_RDWR);
	ds_simple(DEVCALL_OP_IOCTL, 2, 0);
	req.cmd = BLKGETSIZE64;
	req.len = 8;
	req.flags = DEVCALL_REQ_F_ARG_BUF;
	add_seg(DS_DATA, 8, GUEST_SEG_FROM_HOST, 0);
	ds_call(1);
	ds_simple(DEVCALL_OP_IOCTL, 3, 5);
	req.cmd = 0x4201;		/* allowed, integer argument */
	ds_call(1);
	{
		struct sg_io_hdr h;

		memset(&h, 0, sizeof(h));
		h.interface_id = 'S';
		h.dxfer_direction = SG_DXFER_FROM_DEV;
		h.cmd_len = 6;
		h.mx_sb_len = 16;
		h.dxfer_len = 0x200;
		ds_put(DS_DATA + 0x100, &h, sizeof(h));
		ds_simple(DEVCALL_OP_IOCTL, 4, 0);
		req.cmd = SG_IO;
		req.len = sizeof(h);
		req.flags = DEVCALL_REQ_F_ARG_BUF;
		add_seg(DS_DATA + 0x100, sizeof(h),
			GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
		add_seg(DS_DATA + 0x200, 6, GUEST_SEG_TO_HOST, 1);
		add_seg(DS_DATA + 0x210, 16, GUEST_SEG_FROM_HOST, 2);
		add_seg(DS_DATA + 0x400, 0x200, GUEST_SEG_FROM_HOST, 3);
		ds_call(1);
	}
	ds_simple(DEVCALL_OP_LAYOUT, 5, 0);
	req.cmd = SG_IO;
	ds.resp_len = sizeof(struct devcall_resp) + DEVCALL_INLINE_MAX;
	ds_call(1);
	ds_emit(dir, "ioctls");

	/* A POLL that parks, cancelled by its tag. */
	ds_start(FUZZ_MOCK_POLL_FD);
	ds_open(1, DEVCALL_O_RDWR);
	ds_simple(DEVCALL_OP_POLL, 7, POLLIN);
	ds_call(1);
	ds_simple(DEVCALL_OP_CANCEL, 8, 7);
	ds_call(1);
	ds_step(FUZZ_STEP_KICK);
	ds_step(FUZZ_STEP_RUN);
	ds_emit(dir, "poll_cancel");

	/* A blocking READ parks; woken with no data it parks again; then
	 * the device has data and the wake serves it. */
	ds_start(FUZZ_MOCK_POLL_FD | FUZZ_MOCK_EMPTY);
	ds_open(1, DEVCALL_O_RDWR);
	ds_simple(DEVCALL_OP_READ, 2, 0);
	req.len = 0x100;
	add_seg(DS_DATA, 0x100, GUEST_SEG_FROM_HOST, 0);
	ds_call(1);
	ds_step(FUZZ_STEP_KICK);
	ds_step(FUZZ_STEP_RUN);
	ds_step(FUZZ_STEP_READY);
	ds_step(FUZZ_STEP_RUN);
	ds_step(FUZZ_STEP_MOCK);
	ds_step(FUZZ_MOCK_POLL_FD);
	ds_step(FUZZ_STEP_READY);
	ds_step(FUZZ_STEP_RUN);
	ds_emit(dir, "read_park_wake");

	/* Blocking stream writes to a 4 KiB device: the second goes short,
	 * parks with its progress, and a CANCEL answers the bytes written. */
	ds_start(FUZZ_MOCK_POLL_FD | FUZZ_MOCK_SMALL);
	ds_open(1, DEVCALL_O_WRONLY);
	ds_simple(DEVCALL_OP_WRITE, 2, 0);
	req.len = 0xc00;
	add_seg(DS_DATA, 0xc00, GUEST_SEG_TO_HOST, 0);
	ds_call(1);
	ds_simple(DEVCALL_OP_WRITE, 9, 0);
	req.len = 0x800;
	add_seg(DS_DATA, 0x800, GUEST_SEG_TO_HOST, 0);
	ds_call(1);
	ds_simple(DEVCALL_OP_CANCEL, 10, 9);
	ds_call(1);
	ds_emit(dir, "write_short_cancel");

	/* A parked POLL whose handle is closed, then a guest reset with a
	 * second POLL parked. */
	ds_start(FUZZ_MOCK_POLL_FD);
	ds_open(1, DEVCALL_O_RDONLY);
	ds_simple(DEVCALL_OP_POLL, 2, POLLIN | POLLPRI);
	ds_call(1);
	ds_simple(DEVCALL_OP_CLOSE, 3, 0);
	ds_call(1);
	ds_open(3, DEVCALL_O_RDONLY);
	ds_simple(DEVCALL_OP_POLL, 4, POLLOUT);
	req.handle = (2ull << 32) | 1;	/* slot 1 again */
	ds_call(1);
	ds_step(FUZZ_STEP_KICK);
	ds_step(FUZZ_STEP_RUN);
	ds_step(FUZZ_STEP_RESET);
	ds_step(FUZZ_STEP_KICK);
	ds_step(FUZZ_STEP_RUN);
	ds_emit(dir, "close_reset_parked");

	/* A request over three readable descriptors, the response over a
	 * tiny one and a larger one; and a chain with no response room. */
	ds_start(0);
	ds_open(2, DEVCALL_O_RDONLY);
	gpa = ds_encode(&len);
	d0 = ds.nr_desc;
	ds_desc(gpa, 10, VRING_DESC_F_NEXT, d0 + 1);
	ds_desc(gpa + 10, 30, VRING_DESC_F_NEXT, d0 + 2);
	ds_desc(gpa + 40, len - 40, VRING_DESC_F_NEXT, d0 + 3);
	ds_desc(ds_resp(8), 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, d0 + 4);
	ds_desc(ds_resp(64), 64, VRING_DESC_F_WRITE, 0);
	ds_avail(d0, 1);
	ds_simple(DEVCALL_OP_LAYOUT, 2, 0);
	req.cmd = BLKGETSIZE64;
	gpa = ds_encode(&len);
	ds_avail(ds_desc(gpa, len, 0, 0), 1);
	ds_emit(dir, "split_chains");

	/* Malformed chains, each answered empty: a loop, an index past the
	 * ring, readable after writable, indirect, memory that is not RAM. */
	ds_start(0);
	d0 = ds_desc(DS_REQ, 64, VRING_DESC_F_NEXT, 0);
	ds_avail(d0, 1);
	ds_avail(ds_desc(DS_REQ, 64, VRING_DESC_F_NEXT, DS_NUM + 3), 1);
	d0 = ds.nr_desc;
	ds_desc(DS_RESP, 64, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, d0 + 1);
	ds_desc(DS_REQ, 64, 0, 0);
	ds_avail(d0, 1);
	ds_avail(ds_desc(DS_REQ, 64, VRING_DESC_F_INDIRECT, 0), 1);
	ds_avail(ds_desc(FUZZ_RAM_SIZE - 8, 64, 0, 0), 1);
	ds_avail(ds_desc(DS_REQ, 0, 0, 0), 1);	/* empty request */
	ds_emit(dir, "bad_chains");

	/* The guest claims more entries than the ring holds: broken until
	 * a reset; the reset queue serves again. */
	ds_start(0);
	ds_open(1, DEVCALL_O_RDWR);
	ds_put16(DS_AVAIL + 2, DS_NUM + 5);
	ds_step(FUZZ_STEP_KICK);
	ds_poke16(DS_AVAIL + 2, 1);
	ds_step(FUZZ_STEP_KICK);
	ds_step(FUZZ_STEP_RESET);
	ds_step(FUZZ_STEP_KICK);
	ds_emit(dir, "broken_ring");

	/* The guest changes a request between its pop and its copy (the
	 * answer carries the changed tag), publishes another late, and
	 * scribbles on a response area before the answer. */
	ds_start(0);
	ds_open(1, DEVCALL_O_RDWR);
	ds_step(FUZZ_STEP_KICK);
	ds_step(FUZZ_STEP_RUN);
	gpa = ds.next_req;
	ds_simple(DEVCALL_OP_READ, 2, 0);
	req.len = 0x80;
	add_seg(DS_DATA, 0x80, GUEST_SEG_FROM_HOST, 0);
	ds_call(0);
	ds_simple(DEVCALL_OP_READ, 3, 0);
	req.len = 0x40;
	req.flags = DEVCALL_REQ_F_OFFSET;
	req.offset = 0x10;
	add_seg(DS_DATA + 0x100, 0x40, GUEST_SEG_FROM_HOST, 0);
	ds_call(0);
	ds_poke16(DS_AVAIL + 2, 2);
	ds_step(FUZZ_STEP_POP);
	ds_step(FUZZ_STEP_FLIP);
	ds_step32(gpa + 8);		/* the tag */
	ds_step(0x80);
	ds_step(FUZZ_STEP_SERVE);
	ds_poke16(DS_AVAIL + 2, 3);
	ds_step(FUZZ_STEP_POP);
	ds_step(FUZZ_STEP_FLIP);
	ds_step32(DS_RESP + 2 * ds.resp_len);
	ds_step(0x40);
	ds_step(FUZZ_STEP_RUN);
	ds_emit(dir, "guest_changes");

	/* Refusals: a read-only export opened for writing, exclusive opened
	 * twice, SG_IO denied there, an open that fails, a bad handle. */
	ds_start(FUZZ_MOCK_FAIL_OPEN);
	ds_open(1, DEVCALL_O_RDWR);	/* the scripted failure */
	ds_open(2, DEVCALL_O_WRONLY);
	ds_open(3, DEVCALL_O_RDWR);
	ds_open(3, DEVCALL_O_RDWR | DEVCALL_O_NONBLOCK);
	ds_simple(DEVCALL_OP_IOCTL, 6, 0);
	req.cmd = SG_IO;
	req.len = sizeof(struct sg_io_hdr);
	req.flags = DEVCALL_REQ_F_ARG_BUF;
	add_seg(DS_DATA, sizeof(struct sg_io_hdr), GUEST_SEG_TO_HOST, 0);
	ds_call(1);
	ds_simple(DEVCALL_OP_READ, 7, 0);
	req.handle = 0x700000001ull;
	req.len = 8;
	ds_call(1);
	ds_emit(dir, "refusals");

	/* Garbage in the ring's request: bad magic, and a truncated one. */
	ds_start(0);
	ds_open(1, DEVCALL_O_RDWR);
	ds.ram[DS_REQ] ^= 0xff;
	ds_open(4, DEVCALL_O_RDONLY);
	ds_put16(DS_DESC + sizeof(struct vring_desc) * 2 + 8, 20);
	ds_emit(dir, "garbage");
}

/* Node table entries: one as the host writes it, one with bad strings. */
static void node_seeds(const char *dir)
{
	struct devcall_config_node n;

	memset(&n, 0, sizeof(n));
	n.id = htole32(1);
	n.flags = htole32(DEVCALL_NODE_F_MODE | DEVCALL_NODE_F_GID |
			  DEVCALL_NODE_F_DEVNUM);
	n.mode = htole32(0660);
	n.gid = htole32(24);
	n.host_type = htole32(DEVCALL_HOST_CHAR);
	n.devnum_major = htole32(21);
	strcpy(n.name, "sg0");
	strcpy(n.aliases, "cdrw,scsi/host0/cd");
	strcpy(n.group, "cdrom");
	write_file(dir, "good", &n, sizeof(n), NULL, 0, NULL, 0);
	strcpy(n.name, "../sda");
	strcpy(n.aliases, "a//b,ok,..");
	strcpy(n.owner, "-x");
	write_file(dir, "bad-strings", &n, sizeof(n), NULL, 0, NULL, 0);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	char sub[4096];

	snprintf(sub, sizeof(sub), "%s/fuzz_request", dir);
	request_seeds(sub);
	snprintf(sub, sizeof(sub), "%s/fuzz_device", dir);
	device_seeds(sub);
	snprintf(sub, sizeof(sub), "%s/fuzz_node_info", dir);
	node_seeds(sub);
	return 0;
}
