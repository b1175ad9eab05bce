// SPDX-License-Identifier: MIT
/*
 * The dispatcher with the mock backend: every operation, exclusivity across
 * VMs, read-only exports, handles, ioctl policy, limits, and malformed
 * requests, each of which must still get exactly one response.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/if_tun.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/blkpg.h>
#include <linux/cdrom.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <scsi/sg.h>

#include "harness.h"
#include "backend_mock.h"
#include "config.h"
#include "dispatch.h"
#include "fake_guest.h"
#include "layout_wire.h"
#include "log.h"
#include "policy.h"

enum { EXP_RW = 1, EXP_RO, EXP_EXCL, EXP_SCSI, EXP_PARTS, EXP_BLK,
       EXP_BLK_EXCL, EXP_NOFSYNC, EXP_NET };

/* The mock without an fsync: a driver with nothing to flush. */
static struct backend_ops mock_nofsync;

struct fixture {
	struct config cfg;
	struct host *host;
	struct vm *a, *b;
	struct fake_guest g;
	struct request req;
	struct response resp;
};

static char last_log[1024];
static uint8_t inq_junk[64];
static unsigned int nr_logs;

static void capture_log(enum log_level level, const char *line)
{
	(void)level;
	snprintf(last_log, sizeof(last_log), "%s", line);
	nr_logs++;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	mock_reset();
	mock_nofsync = backend_mock;
	mock_nofsync.name = "mock-nofsync";
	mock_nofsync.fsync = NULL;
	mock_nofsync.host_fd = NULL;	/* nor a descriptor to lend */
	assert_int_equal(backend_register(&mock_nofsync), 0);
	config_init(&f->cfg);
	fake_config_flag(&f->cfg, "--vm", "a,max-open=4,max-request=64K,max-inflight=2");
	fake_config_flag(&f->cfg, "--export", "a:rw=/dev/null,backend=mock,allow=0x4201:int+0x80044202:out:4+"
			 "0x4203:none+0x4204:inout:24+0x4205:in:8");
	fake_config_flag(&f->cfg, "--export", "a:ro=/dev/null,backend=mock,ro");
	fake_config_flag(&f->cfg, "--export", "a:excl=/dev/zero,backend=mock,exclusive,deny=0x2285");
	fake_config_flag(&f->cfg, "--export", "a:scsi=/dev/null,backend=mock,scsi=passthrough");
	fake_config_flag(&f->cfg, "--export", "a:parts=/dev/null,backend=mock,host-partitions=allow");
	fake_config_flag(&f->cfg, "--export", "a:blk=/dev/loop0,backend=mock");
	fake_config_flag(&f->cfg, "--export", "a:blkx=/dev/loop0,backend=mock,host-exclusive=allow");
	fake_config_flag(&f->cfg, "--export", "a:nofsync=/dev/null,backend=mock-nofsync");
	fake_config_flag(&f->cfg, "--export", "a:net=/dev/null,backend=mock,host-network=allow");
	fake_config_flag(&f->cfg, "--export", "b:rw=/dev/null,backend=mock");
	fake_config_flag(&f->cfg, "--export", "b:ro=/dev/null,backend=mock,ro");
	fake_config_flag(&f->cfg, "--export", "b:excl=/dev/zero,backend=mock,exclusive");
	if (config_finish(&f->cfg, err, sizeof(err)))
		fail_msg("%s", err);
	f->host = host_create();
	f->a = vm_create(f->host, config_find_vm(&f->cfg, "a"));
	f->b = vm_create(f->host, config_find_vm(&f->cfg, "b"));
	fake_guest_init(&f->g);
	vm_set_memory(f->a, &f->g.gm);
	vm_set_memory(f->b, &f->g.gm);
	log_set_sink(capture_log);
	nr_logs = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vm_destroy(f->a);
	vm_destroy(f->b);
	/* Nothing leaked: every mock file was closed. */
	assert_int_equal(mock_calls()->open_now, 0);
	host_destroy(f->host);
	fake_guest_fini(&f->g);
	log_set_sink(NULL);
	free(f);
	return 0;
}

static int64_t do_open(struct fixture *f, struct vm *vm, uint32_t export,
		       uint64_t flags)
{
	fake_req_init(&f->req, DEVCALL_OP_OPEN, 0);
	f->req.export_id = export;
	f->req.arg = flags;
	dispatch_request(vm, &f->req, &f->resp);
	return f->resp.result;
}

static int64_t do_simple(struct fixture *f, struct vm *vm, uint16_t op,
			 uint64_t handle)
{
	fake_req_init(&f->req, op, handle);
	dispatch_request(vm, &f->req, &f->resp);
	return f->resp.result;
}

static void test_open_read_write_close(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc_straddling(&f->g, 8192);
	uint8_t data[8192], back[8192];
	int64_t h;
	size_t i, len;

	for (i = 0; i < sizeof(data); i++)
		data[i] = i * 7;
	h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	assert_true(h > 0);
	assert_int_equal(f->resp.flags, DEVCALL_RESP_F_SEEKABLE |
			 DEVCALL_RESP_F_BLOCK);
	assert_int_equal(f->resp.size, MOCK_SIZE);
	assert_int_equal(mock_calls()->last_oflags, O_RDWR);
	assert_int_equal(vm_open_count(f->a), 1);

	/* WRITE at offset 4096 from guest RAM spanning two regions. */
	fake_guest_write(&f->g, buf, data, sizeof(data));
	fake_req_init(&f->req, DEVCALL_OP_WRITE, h);
	f->req.flags = DEVCALL_REQ_F_OFFSET;
	f->req.offset = 4096;
	f->req.len = 8192;
	fake_req_seg(&f->req, buf, 8192, GUEST_SEG_TO_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 8192);
	assert_memory_equal(mock_content(&len) + 4096, data, 8192);

	/* READ it back into guest RAM. */
	fake_guest_write(&f->g, buf, memset(back, 0, sizeof(back)), 8192);
	f->req.op = DEVCALL_OP_READ;
	f->req.seg[0].dir = GUEST_SEG_FROM_HOST;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 8192);
	assert_int_equal(mock_calls()->last_off, 4096);
	fake_guest_read(&f->g, buf, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(data));

	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
	assert_int_equal(vm_open_count(f->a), 0);
	assert_int_equal(mock_calls()->open_now, 0);
}

static void test_inline_io_and_nonblock(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR | DEVCALL_O_NONBLOCK);

	assert_true(h > 0);
	assert_int_equal(mock_calls()->last_oflags, O_RDWR | O_NONBLOCK);
	fake_req_init(&f->req, DEVCALL_OP_WRITE, h);
	f->req.len = 5;
	f->req.inline_len = 5;
	memcpy(f->req.inline_data, "hello", 5);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 5);
	assert_int_equal(mock_calls()->last_off, -1);	/* file position */

	fake_req_init(&f->req, DEVCALL_OP_READ, h);
	f->req.flags = DEVCALL_REQ_F_OFFSET | DEVCALL_REQ_F_NONBLOCK;
	f->req.len = 5;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 5);
	assert_int_equal(f->resp.inline_len, 5);
	assert_memory_equal(f->resp.inline_data, "hello", 5);
	assert_true(mock_calls()->last_nonblock);

	/* Nothing to read, non-blocking: EAGAIN at once. */
	mock_set_empty(true);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EAGAIN);
	assert_int_equal(f->resp.inline_len, 0);
	/* Inline read larger than inline payloads can be. */
	f->req.len = DEVCALL_INLINE_MAX + 1;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
}

static void test_exclusive_across_vms(void **state)
{
	struct fixture *f = *state;
	int64_t ha, hb;

	ha = do_open(f, f->a, EXP_EXCL, DEVCALL_O_RDWR);
	assert_true(ha > 0);
	assert_int_equal(do_open(f, f->b, EXP_EXCL, DEVCALL_O_RDWR), -EBUSY);
	assert_int_equal(do_open(f, f->a, EXP_EXCL, DEVCALL_O_RDONLY), -EBUSY);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, ha), 0);
	hb = do_open(f, f->b, EXP_EXCL, DEVCALL_O_RDWR);
	assert_true(hb > 0);
	assert_int_equal(do_open(f, f->a, EXP_EXCL, DEVCALL_O_RDWR), -EBUSY);
	/* VM b dies: its claim goes with it. */
	vm_reset(f->b);
	assert_int_equal(vm_open_count(f->b), 0);
	ha = do_open(f, f->a, EXP_EXCL, DEVCALL_O_RDWR);
	assert_true(ha > 0);
	/* A failed backend open releases the claim it took. */
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, ha), 0);
	mock_fail_next(MOCK_OPEN, EIO);
	assert_int_equal(do_open(f, f->b, EXP_EXCL, DEVCALL_O_RDWR), -EIO);
	hb = do_open(f, f->b, EXP_EXCL, DEVCALL_O_RDWR);
	assert_true(hb > 0);
	/* Shared exports serve both at once. */
	assert_true(do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR) > 0);
	assert_true(do_open(f, f->b, EXP_RW, DEVCALL_O_RDWR) > 0);
}

static void test_read_only_export(void **state)
{
	struct fixture *f = *state;
	uint64_t arg = fake_guest_alloc(&f->g, 8);
	int64_t h;

	assert_int_equal(do_open(f, f->a, EXP_RO, DEVCALL_O_RDWR), -EROFS);
	assert_int_equal(do_open(f, f->a, EXP_RO, DEVCALL_O_WRONLY), -EROFS);
	h = do_open(f, f->a, EXP_RO, DEVCALL_O_RDONLY);
	assert_true(h > 0);
	fake_req_init(&f->req, DEVCALL_OP_WRITE, h);
	f->req.len = 1;
	f->req.inline_len = 1;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EBADF);
	assert_int_equal(mock_calls()->count[MOCK_WRITE], 0);
	/* A getter is fine; a setter is not. */
	mock_set_ioctl(NULL);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = SG_SET_TIMEOUT;
	f->req.len = 4;
	f->req.inline_len = 4;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EROFS);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);
	assert_non_null(strstr(last_log, "read-only"));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKGETSIZE64;
	f->req.len = 8;
	fake_req_seg(&f->req, arg, 8, GUEST_SEG_FROM_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOTTY);	/* the mock's answer */
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 1);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
}

static void test_bad_handles(void **state)
{
	struct fixture *f = *state;
	int64_t h, h2;

	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_READ, 0), -EBADF);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_READ, 12345), -EBADF);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, ~0ull), -EBADF);
	h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	assert_true(h > 0);
	/* Another VM's handle means nothing here. */
	assert_int_equal(do_simple(f, f->b, DEVCALL_OP_CLOSE, h), -EBADF);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), -EBADF);
	/* The slot is reused, but the stale handle stays dead. */
	h2 = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	assert_true(h2 > 0);
	assert_int_not_equal(h2, h);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_READ, h), -EBADF);
	assert_int_equal(do_open(f, f->a, 0, DEVCALL_O_RDWR), -ENODEV);
	assert_int_equal(do_open(f, f->a, 99, DEVCALL_O_RDWR), -ENODEV);
	assert_int_equal(do_open(f, f->a, EXP_RW, 3), -EINVAL);
	assert_int_equal(do_open(f, f->a, EXP_RW, 1u << 20), -EINVAL);
}

static long ioctl_handler(uint32_t cmd, unsigned long arg)
{
	struct sg_io_hdr *h;

	switch (cmd) {
	case 0x4201:			/* integer argument */
		return (long)arg + 1;
	case 0x80044202:		/* _IOR('B', 2, int) */
		*(int *)arg = 4242;
		return 0;
	case BLKGETSIZE64:
		*(uint64_t *)arg = 123456789;
		return 0;
	case SG_IO:
		h = (struct sg_io_hdr *)arg;
		if (((uint8_t *)h->cmdp)[0] != 0x12 || h->dxfer_len != 36)
			return -EINVAL;
		memcpy(h->dxferp, "DEVCALL EMULATED INQUIRY DATA.......", 36);
		h->status = 0;
		h->resid = 0;
		return 0;
	default:
		return -ENOTTY;
	}
}

static void test_ioctl_layouts_and_policy(void **state)
{
	struct fixture *f = *state;
	uint64_t out = fake_guest_alloc(&f->g, 8);
	uint64_t hdr = fake_guest_alloc(&f->g, sizeof(struct sg_io_hdr));
	uint64_t cdb = fake_guest_alloc(&f->g, 6);
	uint64_t data = fake_guest_alloc(&f->g, 36);
	struct sg_io_hdr sg = { .interface_id = 'S',
				.dxfer_direction = SG_DXFER_FROM_DEV,
				.cmd_len = 6, .dxfer_len = 36,
				.dxferp = (void *)0x7000, .cmdp = (void *)0x8000 };
	uint64_t v;
	int64_t h, hx, hs;
	char inq[36];

	mock_set_ioctl(ioctl_handler);
	h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	/* Built-in layout, argument out through guest RAM. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKGETSIZE64;
	f->req.len = 8;
	fake_req_seg(&f->req, out, 8, GUEST_SEG_FROM_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	fake_guest_read(&f->g, out, &v, 8);
	assert_int_equal(v, 123456789);
	/* The same with the argument inline both ways. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKGETSIZE64;
	f->req.len = 8;
	f->req.inline_len = 8;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(f->resp.inline_len, 8);
	memcpy(&v, f->resp.inline_data, 8);
	assert_int_equal(v, 123456789);
	/* SG_IO with embedded pointers rewritten to guest RAM. */
	hs = do_open(f, f->a, EXP_SCSI, DEVCALL_O_RDWR);
	fake_guest_write(&f->g, hdr, &sg, sizeof(sg));
	fake_guest_write(&f->g, cdb, "\x12\0\0\0\x24\0", 6);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, hs);
	f->req.cmd = SG_IO;
	f->req.len = sizeof(sg);
	fake_req_seg(&f->req, hdr, sizeof(sg),
		     GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
	fake_req_seg(&f->req, cdb, 6, GUEST_SEG_TO_HOST, 1);
	fake_req_seg(&f->req, data, 36, GUEST_SEG_FROM_HOST, 2);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	fake_guest_read(&f->g, data, inq, 36);
	assert_memory_equal(inq, "DEVCALL EMULATED", 16);
	fake_guest_read(&f->g, hdr, &sg, sizeof(sg));
	assert_ptr_equal(sg.dxferp, (void *)0x7000);	/* guest's own */
	/* Allow-listed integer ioctl: the value goes through. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = 0x4201;
	f->req.arg = 41;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 42);
	assert_int_equal(mock_calls()->last_arg, 41);
	/* Allow-listed _IOC ioctl: generic by its size and direction. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = 0x80044202;
	f->req.len = 4;
	f->req.inline_len = 4;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(*(int *)f->resp.inline_data, 4242);
	/* Unknown: ENOTTY, never reaches the driver, one log line. */
	nr_logs = 0;
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = 0xc0de1234;
	f->req.len = 4;
	f->req.inline_len = 4;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOTTY);
	assert_int_equal(nr_logs, 1);
	assert_non_null(strstr(last_log, "0xc0de1234"));
	assert_non_null(strstr(last_log, "export rw"));
	assert_non_null(strstr(last_log, "vm a"));
	/* Denied by policy even though SG_IO has a layout. */
	hx = do_open(f, f->a, EXP_EXCL, DEVCALL_O_RDWR);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, hx);
	f->req.cmd = SG_IO;
	f->req.len = sizeof(sg);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EPERM);
	assert_non_null(strstr(last_log, "denied"));
	/* Argument of the wrong size. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKGETSIZE64;
	f->req.len = 4;
	f->req.inline_len = 4;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc(&f->g, 65 * 1024);
	int64_t h[4];
	int i;

	for (i = 0; i < 4; i++)
		assert_true((h[i] = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR)) > 0);
	assert_int_equal(do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR), -EMFILE);
	assert_int_equal(mock_calls()->open_now, 4);	/* the 5th closed */
	/* More bytes than max-request=64K. */
	fake_req_init(&f->req, DEVCALL_OP_READ, h[0]);
	f->req.len = 65 * 1024;
	fake_req_seg(&f->req, buf, 65 * 1024, GUEST_SEG_FROM_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -E2BIG);
	assert_int_equal(mock_calls()->count[MOCK_READ], 0);
	/* More requests in flight than max-inflight=2. */
	assert_int_equal(vm_request_begin(f->a), 0);
	assert_int_equal(vm_request_begin(f->a), 0);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h[0]), -EAGAIN);
	vm_request_end(f->a);
	vm_request_end(f->a);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h[0]), 0);
	assert_int_equal(vm_inflight_count(f->a), 0);
}

static void test_segments_outside_ram(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);

	fake_req_init(&f->req, DEVCALL_OP_READ, h);
	f->req.len = 4096;
	fake_req_seg(&f->req, 0x1000, 4096, GUEST_SEG_FROM_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EFAULT);
	/* Length and segments that disagree. */
	f->req.len = 100;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
	/* The guest says "host reads this" for a READ. */
	fake_req_init(&f->req, DEVCALL_OP_READ, h);
	f->req.len = 64;
	fake_req_seg(&f->req, fake_guest_alloc(&f->g, 64), 64,
		     GUEST_SEG_TO_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EACCES);
	assert_int_equal(mock_calls()->count[MOCK_READ], 0);
}

static void test_wire_every_request_answered(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[256], out[sizeof(struct devcall_resp) + DEVCALL_INLINE_MAX];
	struct devcall_resp *r = (struct devcall_resp *)out;
	/* POLL and FSYNC on a bad handle, CANCEL of nothing. */
	uint16_t ops[] = { DEVCALL_OP_POLL, DEVCALL_OP_FSYNC,
			   DEVCALL_OP_CANCEL };
	int64_t want[] = { -EBADF, -EBADF, -ENOENT };
	struct dispatch_env env = { &f->g.gm, vm_epoch(f->a) };
	size_t n;
	int len;
	unsigned int i;

	/* Garbage gets an answer, with no tag to echo. */
	memset(wire, 0xa5, sizeof(wire));
	n = dispatch_wire(f->a, &env, wire, sizeof(wire), out, sizeof(out), NULL);
	assert_int_equal(n, sizeof(struct devcall_resp));
	assert_int_equal((int64_t)le64toh(r->result), -EPROTO);
	n = dispatch_wire(f->a, &env, wire, 3, out, sizeof(out), NULL);
	assert_int_equal((int64_t)le64toh(r->result), -EINVAL);
	/* Each is answered, not dropped. */
	for (i = 0; i < 3; i++) {
		fake_req_init(&f->req, ops[i], 1);
		f->req.tag = 77 + i;
		len = request_encode(&f->req, wire, sizeof(wire));
		n = dispatch_wire(f->a, &env, wire, len, out, sizeof(out), NULL);
		assert_int_equal(n, sizeof(struct devcall_resp));
		assert_int_equal(le64toh(r->tag), 77 + i);
		assert_int_equal((int64_t)le64toh(r->result), want[i]);
	}
	/* A good OPEN through the wire, then a truncated one. */
	fake_req_init(&f->req, DEVCALL_OP_OPEN, 0);
	f->req.export_id = EXP_RW;
	f->req.tag = 5;
	len = request_encode(&f->req, wire, sizeof(wire));
	dispatch_wire(f->a, &env, wire, len, out, sizeof(out), NULL);
	assert_true((int64_t)le64toh(r->result) > 0);
	/* Truncated after a whole header: the answer still names the tag. */
	f->req.inline_len = 1;
	len = request_encode(&f->req, wire, sizeof(wire));
	dispatch_wire(f->a, &env, wire, len - 1, out, sizeof(out), NULL);
	assert_int_equal((int64_t)le64toh(r->result), -EINVAL);
	assert_int_equal(le64toh(r->tag), 5);
	/* The VM still works afterwards. */
	assert_true(do_open(f, f->a, EXP_RW, DEVCALL_O_RDONLY) > 0);
}

/* The VM the open hook resets while its OPEN runs. */
static struct vm *reset_victim;

static void reset_during_open(void)
{
	vm_reset(reset_victim);
}

/*
 * A call of an old epoch (its VM was reset since it was taken) is answered
 * -ECANCELED and runs nothing; an OPEN that was already running when the
 * VM reset may not add its file: the host file is closed and the
 * exclusive claim released (fails on a4dbf3c: the file and the claim
 * outlived the VM).
 */
static void test_old_epoch(void **state)
{
	struct fixture *f = *state;
	struct dispatch_env env = { &f->g.gm, vm_epoch(f->a) };

	vm_reset(f->a);
	fake_req_init(&f->req, DEVCALL_OP_OPEN, 0);
	f->req.export_id = EXP_EXCL;
	dispatch_request_env(f->a, &env, &f->req, &f->resp, NULL);
	assert_int_equal(f->resp.result, -ECANCELED);
	assert_int_equal(mock_calls()->count[MOCK_OPEN], 0);

	/* Reset while the OPEN is in the host's open(). */
	reset_victim = f->a;
	mock_set_open_hook(reset_during_open);
	assert_int_equal(do_open(f, f->a, EXP_EXCL, DEVCALL_O_RDONLY),
			 -ECANCELED);
	mock_set_open_hook(NULL);
	assert_int_equal(vm_open_count(f->a), 0);
	assert_int_equal(mock_calls()->open_now, 0);
	/* The claim went with it: the other VM gets the drive. */
	assert_true(do_open(f, f->b, EXP_EXCL, DEVCALL_O_RDONLY) > 0);
}

/* Calls and bytes a VM's calls hold are bounded; giving back frees room. */
static void test_call_budget(void **state)
{
	struct fixture *f = *state;
	const struct vm_limits *l = &vm_config(f->a)->limits;
	unsigned int calls, i;
	size_t bytes;

	assert_int_equal(vm_budget_take(f->a, l->max_call_bytes + 1), -EAGAIN);
	for (i = 0; i < l->max_calls; i++)
		assert_int_equal(vm_budget_take(f->a, 1), 0);
	assert_int_equal(vm_budget_take(f->a, 1), -EAGAIN);
	/* The other VM's budget is its own. */
	assert_int_equal(vm_budget_take(f->b, 1), 0);
	vm_budget_give(f->b, 1);
	vm_budget_usage(f->a, &calls, &bytes);
	assert_int_equal(calls, l->max_calls);
	assert_int_equal(bytes, l->max_calls);
	for (i = 0; i < l->max_calls; i++)
		vm_budget_give(f->a, 1);
	assert_int_equal(vm_budget_take(f->a, l->max_call_bytes), 0);
	assert_int_equal(vm_budget_take(f->a, 1), -EAGAIN);
	vm_budget_give(f->a, l->max_call_bytes);
}

static void test_backend_errors_propagate(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);

	mock_fail_next(MOCK_READ, EIO);
	fake_req_init(&f->req, DEVCALL_OP_READ, h);
	f->req.len = 4;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EIO);
	assert_int_equal(f->resp.inline_len, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 4);
	/* A failed close still frees the handle. */
	mock_fail_next(MOCK_CLOSE, EIO);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
	assert_int_equal(vm_open_count(f->a), 0);
}

static void test_layout_published(void **state)
{
	struct fixture *f = *state;
	struct devcall_layout w;
	struct ioctl_layout l;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);

	/* SG_IO: the built-in layout, as the guest will walk it. */
	fake_req_init(&f->req, DEVCALL_OP_LAYOUT,
		      do_open(f, f->a, EXP_SCSI, DEVCALL_O_RDWR));
	f->req.cmd = SG_IO;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(f->resp.inline_len, sizeof(w));
	memcpy(&w, f->resp.inline_data, sizeof(w));
	assert_int_equal(layout_decode(&w, &l), 0);
	assert_int_equal(l.cmd, SG_IO);
	fake_req_init(&f->req, DEVCALL_OP_LAYOUT, h);
	assert_int_equal(l.arg_size, sizeof(struct sg_io_hdr));
	assert_int_equal(l.nr_ptrs, 4);
	assert_memory_equal(&l.ptr, &layout_find(SG_IO)->ptr, sizeof(l.ptr));
	/* Allow-listed integer and _IOC numbers get generic layouts. */
	f->req.cmd = 0x4201;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	memcpy(&w, f->resp.inline_data, sizeof(w));
	assert_int_equal(le32toh(w.arg_size), 0);
	f->req.cmd = 0x80044202;
	dispatch_request(f->a, &f->req, &f->resp);
	memcpy(&w, f->resp.inline_data, sizeof(w));
	assert_int_equal(le32toh(w.arg_size), 4);
	assert_int_equal(w.arg_dir, LAYOUT_DIR_OUT);
	/* Unknown: ENOTTY at layout time already, with its log line. */
	nr_logs = 0;
	f->req.cmd = 0xc0de1234;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOTTY);
	assert_int_equal(f->resp.inline_len, 0);
	assert_int_equal(nr_logs, 1);
	/* A bad handle, and a hostile wire layout. */
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_LAYOUT, 999), -EBADF);
	w.nr_ptrs = 200;
	assert_int_equal(layout_decode(&w, &l), -EINVAL);
}

/*
 * A racing guest: on entry to the backend, a vCPU rewrites the guest
 * memory behind the request's input (deterministically, from the backend
 * itself), and the backend then checks what it was handed.
 */
static struct {
	struct fake_guest *g;
	uint64_t cdb, data;	/* guest addresses the vCPU scribbles on */
	size_t data_len;
	const void *data_host;	/* what the backend was handed */
	bool cdb_stable, data_stable;
} race;

static const uint8_t race_cdb[10] = { 0x2a, 0, 0, 0, 0, 0x10, 0, 0, 2, 0 };

static void race_scribble(void)
{
	static uint8_t junk[16384];

	memset(junk, 0xee, sizeof(junk));
	fake_guest_write(race.g, race.cdb, junk, sizeof(race_cdb));
	fake_guest_write(race.g, race.data, junk, race.data_len);
}

static bool all_bytes(const void *p, size_t len, uint8_t v)
{
	const uint8_t *b = p;

	while (len--)
		if (*b++ != v)
			return false;
	return true;
}

static long racing_ioctl(uint32_t cmd, unsigned long arg)
{
	struct sg_io_hdr *h = (struct sg_io_hdr *)arg;

	if (cmd != SG_IO)
		return -ENOTTY;
	race_scribble();
	race.data_host = h->dxferp;
	race.cdb_stable = !memcmp(h->cmdp, race_cdb, sizeof(race_cdb));
	race.data_stable = all_bytes(h->dxferp, h->dxfer_len, 0x5a);
	if (h->dxfer_direction == SG_DXFER_TO_FROM_DEV)
		memset(h->dxferp, 0x77, h->dxfer_len);
	h->status = 0;
	return 0;
}

/* SG_IO with a 10-byte CDB and len bytes of data in direction dir. */
static void race_sg_io(struct fixture *f, int64_t h, int dir, uint32_t len)
{
	uint64_t hdr = fake_guest_alloc(&f->g, sizeof(struct sg_io_hdr));
	struct sg_io_hdr sg = { .interface_id = 'S', .dxfer_direction = dir,
				.cmd_len = sizeof(race_cdb), .dxfer_len = len,
				.dxferp = (void *)0x7000,
				.cmdp = (void *)0x8000 };
	uint8_t *fill = malloc(len);

	race.g = &f->g;
	race.cdb = fake_guest_alloc(&f->g, sizeof(race_cdb));
	race.data = fake_guest_alloc(&f->g, len);
	race.data_len = len;
	race.data_host = NULL;
	race.cdb_stable = race.data_stable = false;
	memset(fill, 0x5a, len);
	fake_guest_write(&f->g, race.data, fill, len);
	free(fill);
	fake_guest_write(&f->g, race.cdb, race_cdb, sizeof(race_cdb));
	fake_guest_write(&f->g, hdr, &sg, sizeof(sg));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = SG_IO;
	f->req.len = sizeof(sg);
	fake_req_seg(&f->req, hdr, sizeof(sg),
		     GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
	fake_req_seg(&f->req, race.cdb, sizeof(race_cdb), GUEST_SEG_TO_HOST, 1);
	fake_req_seg(&f->req, race.data, len, GUEST_SEG_TO_HOST |
		     (dir == SG_DXFER_TO_DEV ? 0 : GUEST_SEG_FROM_HOST), 2);
	dispatch_request(f->a, &f->req, &f->resp);
}

static void test_ioctl_input_stable_under_race(void **state)
{
	struct fixture *f = *state;
	uint8_t back[512];
	int64_t h;

	mock_set_ioctl(racing_ioctl);
	h = do_open(f, f->a, EXP_SCSI, DEVCALL_O_RDWR);
	assert_true(h > 0);

	/* A page going in: the CDB and the data are what the guest sent. */
	race_sg_io(f, h, SG_DXFER_TO_DEV, 4096);
	assert_int_equal(f->resp.result, 0);
	assert_true(race.cdb_stable);
	assert_true(race.data_stable);

	/* Both ways: stable going in, the driver's bytes come back. */
	race_sg_io(f, h, SG_DXFER_TO_FROM_DEV, sizeof(back));
	assert_int_equal(f->resp.result, 0);
	assert_true(race.cdb_stable);
	assert_true(race.data_stable);
	fake_guest_read(&f->g, race.data, back, sizeof(back));
	assert_true(all_bytes(back, sizeof(back), 0x77));
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
}

static void test_ioctl_large_input_zero_copy(void **state)
{
	struct fixture *f = *state;
	int64_t h;

	mock_set_ioctl(racing_ioctl);
	h = do_open(f, f->a, EXP_SCSI, DEVCALL_O_RDWR);
	/*
	 * Past a page the data is guest RAM itself (no copy), and live: the
	 * backend sees the racing guest's bytes (backend.h). The CDB is
	 * still a private copy.
	 */
	race_sg_io(f, h, SG_DXFER_TO_DEV, 4097);
	assert_int_equal(f->resp.result, 0);
	assert_ptr_equal(race.data_host, fake_guest_ptr(&f->g, race.data));
	assert_false(race.data_stable);
	assert_true(race.cdb_stable);
	race_sg_io(f, h, SG_DXFER_TO_DEV, 16384);
	assert_int_equal(f->resp.result, 0);
	assert_ptr_equal(race.data_host, fake_guest_ptr(&f->g, race.data));
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
}

static void racing_write(bool write, const struct iovec *iov, int iovcnt)
{
	if (!write || iovcnt < 1)
		return;
	race.data_host = iov[0].iov_base;
	race_scribble();
}

/* WRITE len bytes of 0x5a at offset 0 from contiguous guest RAM. */
static void race_write(struct fixture *f, int64_t h, uint32_t len)
{
	uint8_t *fill = malloc(len);

	race.g = &f->g;
	race.cdb = fake_guest_alloc(&f->g, sizeof(race_cdb));
	race.data = fake_guest_alloc(&f->g, len);
	race.data_len = len;
	race.data_host = NULL;
	memset(fill, 0x5a, len);
	fake_guest_write(&f->g, race.data, fill, len);
	free(fill);
	fake_req_init(&f->req, DEVCALL_OP_WRITE, h);
	f->req.flags = DEVCALL_REQ_F_OFFSET;
	f->req.len = len;
	fake_req_seg(&f->req, race.data, len, GUEST_SEG_TO_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
}

static void test_write_payload_stable_under_race(void **state)
{
	struct fixture *f = *state;
	size_t size;
	int64_t h;

	mock_set_rw_hook(racing_write);
	h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	/* A page: the backend writes what the guest sent, not the race. */
	race_write(f, h, 4096);
	assert_int_equal(f->resp.result, 4096);
	assert_true(all_bytes(mock_content(&size), 4096, 0x5a));
	/* Larger: zero-copy from guest RAM, as before. */
	race_write(f, h, 16384);
	assert_int_equal(f->resp.result, 16384);
	assert_ptr_equal(race.data_host, fake_guest_ptr(&f->g, race.data));
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
}

/* An SG_IO request with a 6-byte CDB, 36 bytes in, sense of mx_sb_len. */
struct sg_req {
	uint64_t hdr, cdb, data, sense;
	struct sg_io_hdr sg;
};

static void sg_send(struct fixture *f, int64_t h, struct sg_req *r,
		    const char *cdb, uint8_t mx_sb_len)
{
	memset(&r->sg, 0, sizeof(r->sg));
	r->sg.interface_id = 'S';
	r->sg.dxfer_direction = SG_DXFER_FROM_DEV;
	r->sg.cmd_len = 6;
	r->sg.dxfer_len = 36;
	r->sg.mx_sb_len = mx_sb_len;
	r->sg.dxferp = (void *)0x7000;
	r->sg.cmdp = (void *)0x8000;
	r->sg.sbp = (void *)0x9000;
	r->hdr = fake_guest_alloc(&f->g, sizeof(r->sg));
	r->cdb = fake_guest_alloc(&f->g, 6);
	r->data = fake_guest_alloc(&f->g, 36);
	r->sense = fake_guest_alloc(&f->g, 64);
	fake_guest_write(&f->g, r->hdr, &r->sg, sizeof(r->sg));
	fake_guest_write(&f->g, r->cdb, cdb, 6);
	fake_guest_write(&f->g, r->sense, memset(inq_junk, 0xee, 64), 64);
	fake_guest_write(&f->g, r->data, inq_junk, 36);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = SG_IO;
	f->req.len = sizeof(r->sg);
	fake_req_seg(&f->req, r->hdr, sizeof(r->sg),
		     GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
	fake_req_seg(&f->req, r->cdb, 6, GUEST_SEG_TO_HOST, 1);
	if (mx_sb_len) {
		fake_req_seg(&f->req, r->sense, mx_sb_len,
			     GUEST_SEG_FROM_HOST, 2);
		fake_req_seg(&f->req, r->data, 36, GUEST_SEG_FROM_HOST, 3);
	} else {
		fake_req_seg(&f->req, r->data, 36, GUEST_SEG_FROM_HOST, 2);
	}
	dispatch_request(f->a, &f->req, &f->resp);
	fake_guest_read(&f->g, r->hdr, &r->sg, sizeof(r->sg));
}

/* Raw SCSI only on scsi = passthrough exports; never SEND_COMMAND. */
static void test_raw_scsi_needs_passthrough(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	int64_t hs = do_open(f, f->a, EXP_SCSI, DEVCALL_O_RDWR);
	struct sg_req r;

	mock_set_ioctl(ioctl_handler);
	nr_logs = 0;
	sg_send(f, h, &r, "\x12\0\0\0\x24\0", 0);
	assert_int_equal(f->resp.result, -ENOTTY);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);
	assert_int_equal(nr_logs, 1);
	assert_non_null(strstr(last_log, "scsi = passthrough"));
	/* Not even its layout. */
	fake_req_init(&f->req, DEVCALL_OP_LAYOUT, h);
	f->req.cmd = SG_IO;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOTTY);
	f->req.cmd = CDROM_SEND_PACKET;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOTTY);
	/* SCSI_IOCTL_SEND_COMMAND (1): no layout, even on passthrough. */
	fake_req_init(&f->req, DEVCALL_OP_LAYOUT, hs);
	f->req.cmd = 1;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOTTY);
	assert_non_null(strstr(last_log, "SCSI_IOCTL_SEND_COMMAND"));
	/* The same INQUIRY on the passthrough export reaches the driver. */
	sg_send(f, hs, &r, "\x12\0\0\0\x24\0", 0);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 1);
}

static unsigned int sg_calls;
static const void *sg_cdb_seen;

static long sg_handler(uint32_t cmd, unsigned long arg)
{
	struct sg_io_hdr *h = (struct sg_io_hdr *)arg;

	sg_calls++;
	if (cmd == SG_IO)
		sg_cdb_seen = h->cmdp;
	return ioctl_handler(cmd, arg);
}

/*
 * A CDB opcode outside scsi-opcodes never reaches the driver: the SG_IO
 * succeeds with CHECK CONDITION, ILLEGAL REQUEST, invalid command
 * operation code, as a drive without the command answers.
 */
static void test_sg_io_refused_opcode(void **state)
{
	struct fixture *f = *state;
	int64_t hs = do_open(f, f->a, EXP_SCSI, DEVCALL_O_RDWR);
	uint8_t sense[64], data[36];
	struct sg_req r;

	mock_set_ioctl(sg_handler);
	sg_calls = 0;
	nr_logs = 0;
	/* WRITE BUFFER (firmware download) is not in the default set. */
	sg_send(f, hs, &r, "\x3b\x05\0\0\0\0", 32);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(sg_calls, 0);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);
	assert_int_equal(r.sg.status, 0x02);
	assert_int_equal(r.sg.masked_status, 0x01);
	assert_int_equal(r.sg.driver_status, 0x08);
	assert_int_equal(r.sg.host_status, 0);
	assert_int_equal(r.sg.msg_status, 0);
	assert_int_equal(r.sg.sb_len_wr, 18);
	assert_int_equal(r.sg.resid, 36);
	assert_ptr_equal(r.sg.sbp, (void *)0x9000);	/* guest's own */
	assert_ptr_equal(r.sg.cmdp, (void *)0x8000);
	fake_guest_read(&f->g, r.sense, sense, sizeof(sense));
	assert_int_equal(sense[0], 0x70);
	assert_int_equal(sense[2], 0x05);
	assert_int_equal(sense[7], 10);
	assert_int_equal(sense[12], 0x20);
	assert_int_equal(sense[13], 0x00);
	assert_int_equal(sense[18], 0xee);	/* nothing past the sense */
	fake_guest_read(&f->g, r.data, data, sizeof(data));
	assert_int_equal(data[0], 0xee);	/* no data moved */
	assert_int_equal(nr_logs, 1);
	assert_non_null(strstr(last_log, "opcode 0x3b"));
	/* A short sense buffer gets what fits. */
	sg_send(f, hs, &r, "\xe5\0\0\0\0\0", 8);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(r.sg.sb_len_wr, 8);
	assert_int_equal(r.sg.status, 0x02);
	fake_guest_read(&f->g, r.sense, sense, sizeof(sense));
	assert_int_equal(sense[2], 0x05);
	assert_int_equal(sense[8], 0xee);
	assert_int_equal(sg_calls, 0);
	/* An allowed opcode reaches the driver, with the daemon's copy of
	 * the CDB (not guest RAM the guest could still change). */
	sg_send(f, hs, &r, "\x12\0\0\0\x24\0", 32);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(sg_calls, 1);
	assert_int_equal(r.sg.status, 0);
	assert_ptr_not_equal(sg_cdb_seen,
			     guest_buf_contig(&f->g.gm, &f->req.buf[1], 6,
					      GUEST_SEG_TO_HOST));
	/* Not an sg v3 header (bsg's v4 is 'Q'): as sg answers. */
	r.sg.interface_id = 'Q';
	fake_guest_write(&f->g, r.hdr, &r.sg, sizeof(r.sg));
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOSYS);
	assert_int_equal(sg_calls, 1);
}

static long cgc_handler(uint32_t cmd, unsigned long arg)
{
	struct cdrom_generic_command *c = (void *)arg;

	if (cmd != CDROM_SEND_PACKET)
		return -ENOTTY;
	if (c->cmd[0] != 0x12 || c->data_direction != CGC_DATA_READ ||
	    c->buflen != 36 || !c->sense)
		return -EINVAL;
	memcpy(c->buffer, "CGC INQUIRY", 11);
	c->stat = 0;
	return 0;
}

/* CDROM_SEND_PACKET: the same filter; a refused opcode is EPERM. */
static void test_cdrom_send_packet(void **state)
{
	struct fixture *f = *state;
	int64_t hs = do_open(f, f->a, EXP_SCSI, DEVCALL_O_RDWR);
	uint64_t arg = fake_guest_alloc(&f->g, sizeof(struct cdrom_generic_command));
	uint64_t data = fake_guest_alloc(&f->g, 36);
	uint64_t sense = fake_guest_alloc(&f->g, sizeof(struct request_sense));
	struct cdrom_generic_command c = {
		.cmd = { 0x12, 0, 0, 0, 36 }, .buffer = (void *)0x7000,
		.buflen = 36, .sense = (void *)0x9000,
		.data_direction = CGC_DATA_READ,
	};
	char got[11];

	mock_set_ioctl(cgc_handler);
	fake_guest_write(&f->g, arg, &c, sizeof(c));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, hs);
	f->req.cmd = CDROM_SEND_PACKET;
	f->req.len = sizeof(c);
	fake_req_seg(&f->req, arg, sizeof(c),
		     GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
	fake_req_seg(&f->req, data, 36, GUEST_SEG_FROM_HOST, 1);
	fake_req_seg(&f->req, sense, sizeof(struct request_sense),
		     GUEST_SEG_FROM_HOST, 2);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	fake_guest_read(&f->g, data, got, sizeof(got));
	assert_memory_equal(got, "CGC INQUIRY", 11);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 1);
	/* WRITE BUFFER: refused before the driver. */
	c.cmd[0] = 0x3b;
	fake_guest_write(&f->g, arg, &c, sizeof(c));
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EPERM);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 1);
	assert_non_null(strstr(last_log, "CDROM_SEND_PACKET opcode 0x3b"));
}

/*
 * An integer argument that could be a daemon address never reaches the
 * driver (a driver taking it as a pointer would write daemon memory);
 * an unused argument reaches it as 0.
 */
static void test_int_arg_not_an_address(void **state)
{
	struct fixture *f = *state;
	static const uint64_t bad[] = { 4096, 0x7f0000001000ull,
					(1ull << 47) - 1,
					(uint64_t)(uintptr_t)&bad };
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	unsigned int i;

	mock_set_ioctl(ioctl_handler);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
		f->req.cmd = 0x4201;
		f->req.arg = bad[i];
		dispatch_request(f->a, &f->req, &f->resp);
		assert_int_equal(f->resp.result, -EINVAL);
	}
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);
	assert_non_null(strstr(last_log, "daemon address"));
	/* Small numbers and ones past user space go through. */
	f->req.arg = 4095;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 4096);
	f->req.arg = 1ull << 47;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(mock_calls()->last_arg, 1ull << 47);
	/* allow :none and a built-in unused argument: the driver gets 0. */
	f->req.cmd = 0x4203;
	f->req.arg = 0x7f0000001000ull;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(mock_calls()->last_cmd, 0x4203);
	assert_int_equal(mock_calls()->last_arg, 0);
	f->req.cmd = SG_GET_TIMEOUT;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(mock_calls()->last_cmd, SG_GET_TIMEOUT);
	assert_int_equal(mock_calls()->last_arg, 0);
}

/*
 * With the daemon's low 2 GiB reserved (devcalld does it at start), small
 * integers such as CDSL_CURRENT (INT_MAX) or a 4096 block size are
 * proven not to be addresses and go through; the rest of the address
 * range is still refused. In a child: the reservation is for good.
 */
static void test_int_arg_low_reserved(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	int status = -1;
	pid_t pid;

	mock_set_ioctl(ioctl_handler);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		static const uint64_t ok[] = { 4096, 0x7fffffff, 0x10000 };
		static const uint64_t bad[] = { 1ull << 31, 0x7f0000001000ull };
		unsigned int i, wrong = 0;

		if (policy_reserve_low_addresses())
			_exit(2);
		fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
		f->req.cmd = 0x4201;
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			f->req.arg = ok[i];
			dispatch_request(f->a, &f->req, &f->resp);
			wrong += mock_calls()->last_arg != ok[i];
		}
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			f->req.arg = bad[i];
			dispatch_request(f->a, &f->req, &f->resp);
			wrong += f->resp.result != -EINVAL;
		}
		/* Nothing of ours can be down there. */
		wrong += (uintptr_t)&ok < (1ull << 31) ||
			 (uintptr_t)malloc(16) < (1ull << 31);
		_exit(wrong ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Each allow kind gives the layout it states. */
static void test_allow_kinds(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint32_t cmd, size;
		uint8_t dir;
	} want[] = {
		{ 0x4201, 0, LAYOUT_DIR_NONE }, { 0x4203, 0, LAYOUT_DIR_NONE },
		{ 0x80044202, 4, LAYOUT_DIR_OUT },
		{ 0x4204, 24, LAYOUT_DIR_BOTH }, { 0x4205, 8, LAYOUT_DIR_IN },
	};
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	struct ioctl_layout scratch;
	const struct ioctl_layout *l;
	struct devcall_layout w;
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		fake_req_init(&f->req, DEVCALL_OP_LAYOUT, h);
		f->req.cmd = want[i].cmd;
		dispatch_request(f->a, &f->req, &f->resp);
		assert_int_equal(f->resp.result, 0);
		memcpy(&w, f->resp.inline_data, sizeof(w));
		assert_int_equal(le32toh(w.arg_size), want[i].size);
		assert_int_equal(w.arg_dir, want[i].dir);
		assert_int_equal(w.nr_ptrs, 0);
	}
	l = dispatch_ioctl_layout(f->a, &vm_config(f->a)->exports[0], 0x4203,
				  &scratch, &err);
	assert_non_null(l);
	assert_true(l->arg_unused);
	l = dispatch_ioctl_layout(f->a, &vm_config(f->a)->exports[0], 0x4201,
				  &scratch, &err);
	assert_false(l->arg_unused);
	/* An _IOC number not listed is no longer guessed from its bits. */
	l = dispatch_ioctl_layout(f->a, &vm_config(f->a)->exports[0],
				  0x80044299, &scratch, &err);
	assert_null(l);
	assert_int_equal(err, -ENOTTY);
}

/* BLKPG and BLKRRPART need host-partitions = allow. */
static void test_host_partitions(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	int64_t hp = do_open(f, f->a, EXP_PARTS, DEVCALL_O_RDWR);

	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKPG;
	f->req.len = 24;
	f->req.inline_len = 24;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EPERM);
	assert_non_null(strstr(last_log, "host-partitions = allow"));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKRRPART;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EPERM);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, hp);
	f->req.cmd = BLKRRPART;
	f->req.arg = 0x7f0000001000ull;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 1);
	assert_int_equal(mock_calls()->last_arg, 0);
}

/* Creating or re-owning host interfaces needs host-network = allow. */
static void test_host_network(void **state)
{
	struct fixture *f = *state;
	static const uint32_t cmds[] = { TUNSETIFF, TUNSETPERSIST,
					 TUNSETOWNER, TUNSETGROUP, TUNSETLINK };
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	int64_t hn = do_open(f, f->a, EXP_NET, DEVCALL_O_RDWR);
	uint8_t ifr[40] = "dctap0";
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
		f->req.cmd = cmds[i];
		dispatch_request(f->a, &f->req, &f->resp);
		assert_int_equal(f->resp.result, -EPERM);
		assert_non_null(strstr(last_log, "host-network = allow"));
	}
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);
	/* On the opted-in export TUNSETIFF reaches the driver. */
	mock_set_ioctl(ioctl_handler);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, hn);
	f->req.cmd = TUNSETIFF;
	f->req.len = sizeof(ifr);
	f->req.inline_len = sizeof(ifr);
	memcpy(f->req.inline_data, ifr, sizeof(ifr));
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 1);
	assert_int_equal(mock_calls()->last_cmd, TUNSETIFF);
}

/* O_EXCL on a block node reaches the host only with host-exclusive. */
static void test_host_exclusive(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	if (stat("/dev/loop0", &st) || !S_ISBLK(st.st_mode))
		skip();
	assert_true(do_open(f, f->a, EXP_BLK, DEVCALL_O_RDWR |
			    DEVCALL_O_EXCL) > 0);
	assert_int_equal(mock_calls()->last_oflags, O_RDWR);
	assert_true(do_open(f, f->a, EXP_BLK_EXCL, DEVCALL_O_RDWR |
			    DEVCALL_O_EXCL) > 0);
	assert_int_equal(mock_calls()->last_oflags, O_RDWR | O_EXCL);
	/* Not a block node: the driver's own meaning (sg's), kept. */
	assert_true(do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR |
			    DEVCALL_O_EXCL) > 0);
	assert_int_equal(mock_calls()->last_oflags, O_RDWR | O_EXCL);
}

/*
 * FSYNC reaches the backend with its datasync flag, on any access mode;
 * a backend with no fsync answers EINVAL, as Linux does for a driver
 * without one; malformed requests run nothing.
 */
static void test_fsync(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	int64_t hr = do_open(f, f->a, EXP_RO, DEVCALL_O_RDONLY);
	int64_t hn = do_open(f, f->a, EXP_NOFSYNC, DEVCALL_O_RDWR);

	assert_true(h > 0 && hr > 0 && hn > 0);
	fake_req_init(&f->req, DEVCALL_OP_FSYNC, h);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(mock_calls()->count[MOCK_FSYNC], 1);
	assert_int_equal(mock_calls()->fdatasyncs, 0);
	f->req.arg = 1;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(mock_calls()->count[MOCK_FSYNC], 2);
	assert_int_equal(mock_calls()->fdatasyncs, 1);
	/* fsync(2) works on a read-only descriptor. */
	f->req.handle = hr;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(mock_calls()->count[MOCK_FSYNC], 3);
	/* The driver's error is the guest's. */
	mock_fail_next(MOCK_FSYNC, EIO);
	f->req.handle = h;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EIO);

	/* No fsync in the backend. */
	f->req.handle = hn;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
	assert_int_equal(mock_calls()->count[MOCK_FSYNC], 4);

	/* Not 0 or 1, data with it, a bad handle: refused, nothing runs. */
	fake_req_init(&f->req, DEVCALL_OP_FSYNC, h);
	f->req.arg = 2;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
	f->req.arg = 0;
	f->req.len = 1;
	f->req.inline_len = 1;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
	fake_req_init(&f->req, DEVCALL_OP_FSYNC, 999);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EBADF);
	assert_int_equal(mock_calls()->count[MOCK_FSYNC], 4);
}

/* O_DIRECT, O_SYNC and O_DSYNC reach the backend's open as host flags. */
static void test_open_sync_direct_flags(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t wire;
		int host;
	} map[] = {
		{ DEVCALL_O_RDWR | DEVCALL_O_DIRECT, O_RDWR | O_DIRECT },
		{ DEVCALL_O_WRONLY | DEVCALL_O_DSYNC, O_WRONLY | O_DSYNC },
		{ DEVCALL_O_RDWR | DEVCALL_O_SYNC, O_RDWR | O_SYNC },
		/* O_SYNC's own value holds O_DSYNC's bit: both say O_SYNC. */
		{ DEVCALL_O_RDWR | DEVCALL_O_SYNC | DEVCALL_O_DSYNC,
		  O_RDWR | O_SYNC },
		{ DEVCALL_O_RDONLY | DEVCALL_O_DIRECT, O_RDONLY | O_DIRECT },
		{ DEVCALL_O_RDWR | DEVCALL_O_DIRECT | DEVCALL_O_DSYNC |
		  DEVCALL_O_NONBLOCK, O_RDWR | O_DIRECT | O_DSYNC |
		  O_NONBLOCK },
	};
	unsigned int i, opens;
	int64_t h;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		h = do_open(f, f->a, EXP_RW, map[i].wire);
		assert_true(h > 0);
		assert_int_equal(mock_calls()->last_oflags, map[i].host);
		assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
	}
	/* Refused before the backend: access mode 3, a bit past O_DSYNC,
	 * writing (even O_DIRECT) on a read-only export. */
	opens = mock_calls()->count[MOCK_OPEN];
	assert_int_equal(do_open(f, f->a, EXP_RW, 3 | DEVCALL_O_DIRECT),
			 -EINVAL);
	assert_int_equal(do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR |
				 (DEVCALL_O_DSYNC << 1)), -EINVAL);
	assert_int_equal(do_open(f, f->a, EXP_RO, DEVCALL_O_WRONLY |
				 DEVCALL_O_DIRECT | DEVCALL_O_SYNC), -EROFS);
	assert_int_equal(mock_calls()->count[MOCK_OPEN], opens);
	assert_true(do_open(f, f->a, EXP_RO, DEVCALL_O_RDONLY |
			    DEVCALL_O_DIRECT | DEVCALL_O_SYNC) > 0);
	assert_int_equal(mock_calls()->last_oflags,
			 O_RDONLY | O_DIRECT | O_SYNC);
}

/* Where the write's copy sits, as the backend saw it. */
static uintptr_t copied_at;

static void record_write_buf(bool write, const struct iovec *iov,
			     int iovcnt)
{
	if (write && iovcnt == 1)
		copied_at = (uintptr_t)iov[0].iov_base;
}

/*
 * A write of up to a page is copied (test_write_payload_stable_under_race)
 * to the guest buffer's own offset in a page: O_DIRECT alignment on the
 * host is the guest's, misaligned included.
 */
static void test_write_copy_keeps_alignment(void **state)
{
	struct fixture *f = *state;
	uint64_t base = fake_guest_alloc(&f->g, 3 * 4096);
	static const uint64_t skews[] = { 0, 1, 512, 3584, 4095 };
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR | DEVCALL_O_DIRECT);
	uint8_t data[512];
	unsigned int i;
	size_t len;

	assert_true(h > 0);
	base = (base + 4095) & ~4095ull;
	memset(data, 0x5a, sizeof(data));
	mock_set_rw_hook(record_write_buf);
	for (i = 0; i < sizeof(skews) / sizeof(skews[0]); i++) {
		uint32_t n = skews[i] == 4095 ? 1 : 512;

		fake_guest_write(&f->g, base + skews[i], data, n);
		fake_req_init(&f->req, DEVCALL_OP_WRITE, h);
		f->req.flags = DEVCALL_REQ_F_OFFSET | DEVCALL_REQ_F_DIRECT;
		f->req.len = n;
		fake_req_seg(&f->req, base + skews[i], n, GUEST_SEG_TO_HOST, 0);
		copied_at = 1;
		dispatch_request(f->a, &f->req, &f->resp);
		assert_int_equal(f->resp.result, n);
		assert_int_equal(copied_at & 4095, skews[i]);
		assert_memory_equal(mock_content(&len), data, n);
	}
	mock_set_rw_hook(NULL);
}

/*
 * A file opened O_DIRECT follows the guest file's O_DIRECT from request to
 * request (fcntl may drop it and take it back); one opened without may
 * not ask for it.
 */
static void test_direct_follows_fcntl(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR | DEVCALL_O_DIRECT);
	int64_t hb = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	static const uint32_t seq[] = { DEVCALL_REQ_F_DIRECT, 0,
					DEVCALL_REQ_F_DIRECT };
	unsigned int i;

	assert_true(h > 0 && hb > 0);
	for (i = 0; i < 3; i++) {
		fake_req_init(&f->req, DEVCALL_OP_READ, h);
		f->req.flags = seq[i];
		f->req.len = 8;
		dispatch_request(f->a, &f->req, &f->resp);
		assert_int_equal(f->resp.result, 8);
		assert_int_equal(mock_calls()->set_directs, i + 1);
		assert_int_equal(mock_calls()->last_direct, !!seq[i]);
	}
	fake_req_init(&f->req, DEVCALL_OP_WRITE, hb);
	f->req.flags = DEVCALL_REQ_F_DIRECT;
	f->req.len = 1;
	f->req.inline_len = 1;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
	f->req.flags = 0;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 1);
	assert_int_equal(mock_calls()->set_directs, 3);
	assert_int_equal(mock_calls()->count[MOCK_WRITE], 1);
}

/* What the driver saw of a descriptor argument. */
static struct {
	int fd;
	uint32_t block_size;
} fd_seen;

#define FD_BOTH_CMD	_IOWR('B', 0x99, uint64_t)	/* fd, then a value */
#define FD_FIELD_CMD	_IOWR('B', 0x9a, uint64_t)	/* a value, a new fd */

static long fd_handler(uint32_t cmd, unsigned long arg)
{
	struct loop_config *lc = (struct loop_config *)arg;
	int32_t *both = (int32_t *)arg;

	switch (cmd) {
	case LOOP_SET_FD:
		fd_seen.fd = (int)arg;
		return 0;
	case LOOP_CONFIGURE:
		fd_seen.fd = (int)lc->fd;
		fd_seen.block_size = lc->block_size;
		return 0;
	case FD_BOTH_CMD:
		fd_seen.fd = both[0];
		both[1] = 99;
		return 0;
	case FD_FIELD_CMD:
		both[1] = 88;		/* the "driver's" new descriptor */
		return both[0];
	case TIOCGPTPEER:
		return 77;		/* the "driver's" new descriptor */
	case 0x4201:
		return (long)arg + 1;
	}
	return -ENOTTY;
}

/* The queue limits BLKINFO reads: the backend's ioctls. */
static long blkinfo_ioctl(uint32_t cmd, unsigned long arg)
{
	switch (cmd) {
	case BLKGETSIZE64:
		*(uint64_t *)arg = 96ull << 20;
		return 0;
	case BLKSSZGET:
		*(int *)arg = 4096;
		return 0;
	case BLKPBSZGET:
		*(unsigned int *)arg = 4096;
		return 0;
	case BLKIOMIN:
		*(unsigned int *)arg = 8192;
		return 0;
	case BLKIOOPT:
		*(unsigned int *)arg = 65536;
		return 0;
	case BLKROGET:
		*(int *)arg = 0;
		return 0;
	case BLKROTATIONAL:
		*(unsigned short *)arg = 1;
		return 0;
	}
	return -ENOTTY;
}

static int64_t fd_ioctl(struct fixture *f, struct vm *vm, uint64_t h,
			uint32_t cmd, uint32_t flags, uint64_t fd_handle)
{
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = cmd;
	f->req.flags = flags;
	f->req.offset = fd_handle;
	dispatch_request(vm, &f->req, &f->resp);
	return f->resp.result;
}

/*
 * A descriptor argument is a handle of the same VM: the driver gets the
 * daemon's descriptor of that file; a missing, closed or foreign handle,
 * or a file with no host descriptor, is EBADF; the guest's own number is
 * what comes back in the argument.
 */
static void test_fd_in(void **state)
{
	struct fixture *f = *state;
	struct ioctl_layout both = {
		.cmd = FD_BOTH_CMD, .name = "FD_BOTH", .arg_size = 8,
		.arg_dir = LAYOUT_DIR_BOTH, .fd = LAYOUT_FD_IN_FIELD,
	};
	struct loop_config lc = { .fd = 7, .block_size = 4096 };
	int64_t img, loop, other, nofsync;
	int32_t pair[2] = { 7, 0 };
	unsigned int calls;

	mock_set_ioctl(fd_handler);
	img = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);	/* host fd 1001 */
	loop = do_open(f, f->a, EXP_BLK, DEVCALL_O_RDWR);	/* 1002 */
	nofsync = do_open(f, f->a, EXP_NOFSYNC, DEVCALL_O_RDWR);
	assert_true(img > 0 && loop > 0 && nofsync > 0);
	/* VM b's fourth file: a handle VM a has never had. */
	assert_true(do_open(f, f->b, 1, DEVCALL_O_RDWR) > 0);
	assert_true(do_open(f, f->b, 1, DEVCALL_O_RDWR) > 0);
	assert_true(do_open(f, f->b, 1, DEVCALL_O_RDWR) > 0);
	other = do_open(f, f->b, 1, DEVCALL_O_RDWR);
	assert_true(other > 0);

	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_FD_IN, img), 0);
	assert_int_equal(fd_seen.fd, MOCK_FD_BASE + 1);
	calls = mock_calls()->count[MOCK_IOCTL];
	/* No handle (an older guest sends its number): EBADF. */
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD, 0, 0), -EBADF);
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_FD_IN, 0), -EBADF);
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_FD_IN, other), -EBADF);
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_FD_IN, nofsync), -EBADF);
	/* The flag on an ioctl that takes no descriptor. */
	assert_int_equal(fd_ioctl(f, f->a, img, 0x4201, DEVCALL_REQ_F_FD_IN,
				  img), -EINVAL);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], calls);

	/* A field of the argument. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, loop);
	f->req.cmd = LOOP_CONFIGURE;
	f->req.flags = DEVCALL_REQ_F_FD_IN | DEVCALL_REQ_F_ARG_BUF;
	f->req.offset = img;
	f->req.len = sizeof(lc);
	f->req.inline_len = sizeof(lc);
	memcpy(f->req.inline_data, &lc, sizeof(lc));
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(fd_seen.fd, MOCK_FD_BASE + 1);
	assert_int_equal(fd_seen.block_size, 4096);

	/* Both ways: the guest's number back, never the daemon's. */
	assert_int_equal(layout_register(&both), 0);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, loop);
	f->req.cmd = FD_BOTH_CMD;
	f->req.flags = DEVCALL_REQ_F_FD_IN | DEVCALL_REQ_F_ARG_BUF;
	f->req.offset = img;
	f->req.len = 8;
	f->req.inline_len = 8;
	memcpy(f->req.inline_data, pair, 8);
	dispatch_request(f->a, &f->req, &f->resp);
	layout_unregister_all();
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(fd_seen.fd, MOCK_FD_BASE + 1);
	memcpy(pair, f->resp.inline_data, 8);
	assert_int_equal(pair[0], 7);
	assert_int_equal(pair[1], 99);

	/* Closed: EBADF. */
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, img), 0);
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_FD_IN, img), -EBADF);
}

/*
 * A returned descriptor is a new file of the VM: a handle the guest
 * uses like an opened one, counted against max-open, gone on reset.
 */
static void test_fd_out(void **state)
{
	struct fixture *f = *state;
	int64_t h, peer, loop;

	mock_set_ioctl(fd_handler);
	h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	assert_true(h > 0);
	/* A guest that cannot take a handle: refused before the driver. */
	assert_int_equal(fd_ioctl(f, f->a, h, TIOCGPTPEER, 0, 0),
			 -EOPNOTSUPP);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);

	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = TIOCGPTPEER;
	f->req.flags = DEVCALL_REQ_F_FD_OUT;
	f->req.arg = O_RDWR | O_NOCTTY;
	dispatch_request(f->a, &f->req, &f->resp);
	peer = f->resp.result;
	assert_true(peer > 0);
	assert_int_not_equal(peer, 77);
	assert_int_equal(mock_calls()->last_arg, O_RDWR | O_NOCTTY);
	assert_int_equal(f->resp.mode, S_IFCHR | 0600);
	assert_int_equal(f->resp.flags, 0);
	assert_int_equal(mock_calls()->count[MOCK_ADOPT], 1);
	assert_int_equal(vm_open_count(f->a), 2);
	/* The new file serves ioctls, and lends its descriptor. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, peer);
	f->req.cmd = 0x4201;
	f->req.arg = 41;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 42);
	loop = do_open(f, f->a, EXP_BLK, DEVCALL_O_RDWR);
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_FD_IN, peer), 0);
	assert_int_equal(fd_seen.fd, 77);
	/* CLOSE closes it. */
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, peer), 0);
	assert_int_equal(vm_open_count(f->a), 2);
	assert_int_equal(mock_calls()->open_now, 2);

	/* max-open (4) counts them: the fifth file is closed at once. */
	assert_true(fd_ioctl(f, f->a, h, TIOCGPTPEER, DEVCALL_REQ_F_FD_OUT,
			     0) > 0);
	assert_true(fd_ioctl(f, f->a, h, TIOCGPTPEER, DEVCALL_REQ_F_FD_OUT,
			     0) > 0);
	assert_int_equal(vm_open_count(f->a), 4);
	assert_int_equal(fd_ioctl(f, f->a, h, TIOCGPTPEER,
				  DEVCALL_REQ_F_FD_OUT, 0), -EMFILE);
	assert_int_equal(mock_calls()->open_now, 4);
	assert_int_equal(mock_calls()->count[MOCK_ADOPT], 4);

	/* Reset closes them with the rest. */
	vm_reset(f->a);
	assert_int_equal(vm_open_count(f->a), 0);
	assert_int_equal(mock_calls()->open_now, 0);
}

static int64_t fd_field_ioctl(struct fixture *f, int64_t h, uint32_t flags,
			      int32_t pair[2])
{
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = FD_FIELD_CMD;
	f->req.flags = flags | DEVCALL_REQ_F_ARG_BUF;
	f->req.len = 8;
	f->req.inline_len = 8;
	memcpy(f->req.inline_data, pair, 8);
	dispatch_request(f->a, &f->req, &f->resp);
	if (f->resp.inline_len == 8)
		memcpy(pair, f->resp.inline_data, 8);
	return f->resp.result;
}

/*
 * A descriptor the driver writes into the argument: the guest gets -1
 * there and the new file's handle beside the result; a call that fails on
 * the way back (max-open, a fault) leaves no file behind.
 */
static void test_fd_out_field(void **state)
{
	struct fixture *f = *state;
	struct ioctl_layout fl = {
		.cmd = FD_FIELD_CMD, .name = "FD_FIELD", .arg_size = 8,
		.arg_dir = LAYOUT_DIR_BOTH, .fd = LAYOUT_FD_OUT_FIELD,
		.fd_off = 4,
	};
	int32_t pair[2] = { 5, 3 };
	int64_t h, nh, loop;
	uint64_t gpa;

	mock_set_ioctl(fd_handler);
	assert_int_equal(layout_register(&fl), 0);
	h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);
	assert_true(h > 0);
	/* A guest that cannot take a handle: refused before the driver. */
	assert_int_equal(fd_field_ioctl(f, h, 0, pair), -EOPNOTSUPP);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);

	assert_int_equal(fd_field_ioctl(f, h, DEVCALL_REQ_F_FD_OUT, pair), 5);
	assert_int_equal(pair[0], 5);
	assert_int_equal(pair[1], -1);	/* never the daemon's 88 */
	assert_true(f->resp.flags & DEVCALL_RESP_F_FD_FIELD);
	assert_int_equal(f->resp.mode, S_IFCHR | 0600);
	nh = (int64_t)f->resp.size;
	assert_true(nh > 0 && nh != h);
	assert_int_equal(vm_open_count(f->a), 2);
	/* The new file serves ioctls, and lends its descriptor. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, nh);
	f->req.cmd = 0x4201;
	f->req.arg = 41;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 42);
	loop = do_open(f, f->a, EXP_BLK, DEVCALL_O_RDWR);
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_FD_IN, nh), 0);
	assert_int_equal(fd_seen.fd, 88);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, nh), 0);
	assert_int_equal(vm_open_count(f->a), 2);
	assert_int_equal(mock_calls()->open_now, 2);

	/* A driver error: no descriptor, nothing adopted. */
	pair[0] = -EIO;
	assert_int_equal(fd_field_ioctl(f, h, DEVCALL_REQ_F_FD_OUT, pair),
			 -EIO);
	assert_int_equal(f->resp.flags & DEVCALL_RESP_F_FD_FIELD, 0);
	assert_int_equal(mock_calls()->count[MOCK_ADOPT], 1);

	/* An argument the host cannot write back: the file is closed. */
	pair[0] = 0;
	pair[1] = 3;
	gpa = fake_guest_alloc(&f->g, 8);
	fake_guest_write(&f->g, gpa, pair, 8);
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = FD_FIELD_CMD;
	f->req.flags = DEVCALL_REQ_F_FD_OUT;
	f->req.len = 8;
	fake_req_seg(&f->req, gpa, 8, GUEST_SEG_TO_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EFAULT);
	assert_int_equal(f->resp.flags & DEVCALL_RESP_F_FD_FIELD, 0);
	assert_int_equal(vm_open_count(f->a), 2);
	assert_int_equal(mock_calls()->open_now, 2);
	/* Through guest memory that can be written: -1 lands there. */
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = FD_FIELD_CMD;
	f->req.flags = DEVCALL_REQ_F_FD_OUT;
	f->req.len = 8;
	fake_req_seg(&f->req, gpa, 8,
		     GUEST_SEG_TO_HOST | GUEST_SEG_FROM_HOST, 0);
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_true(f->resp.flags & DEVCALL_RESP_F_FD_FIELD);
	fake_guest_read(&f->g, gpa, pair, 8);
	assert_int_equal(pair[1], -1);
	assert_int_equal(vm_open_count(f->a), 3);

	/* max-open (4) counts them: the fifth file is closed at once. */
	pair[0] = 0;
	assert_int_equal(fd_field_ioctl(f, h, DEVCALL_REQ_F_FD_OUT, pair), 0);
	assert_int_equal(vm_open_count(f->a), 4);
	assert_int_equal(fd_field_ioctl(f, h, DEVCALL_REQ_F_FD_OUT, pair),
			 -EMFILE);
	assert_int_equal(f->resp.flags & DEVCALL_RESP_F_FD_FIELD, 0);
	assert_int_equal(vm_open_count(f->a), 4);
	assert_int_equal(mock_calls()->open_now, 4);

	layout_unregister_all();
	vm_reset(f->a);
	assert_int_equal(mock_calls()->open_now, 0);
}

/*
 * A 32-bit process's descriptor ioctls: the native layouts serve it (no
 * DEVCALL_RESP_F_COMPAT), descriptors in and out as for a 64-bit one.
 */
static void test_fd_compat(void **state)
{
	struct fixture *f = *state;
	struct loop_config lc = { .fd = 7, .block_size = 512 };
	struct devcall_layout w;
	struct ioctl_layout l;
	int64_t img, loop;

	mock_set_ioctl(fd_handler);
	img = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);	/* host fd 1001 */
	loop = do_open(f, f->a, EXP_BLK, DEVCALL_O_RDWR);
	fake_req_init(&f->req, DEVCALL_OP_LAYOUT, loop);
	f->req.cmd = LOOP_CONFIGURE;
	f->req.flags = DEVCALL_REQ_F_COMPAT;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(f->resp.flags & DEVCALL_RESP_F_COMPAT, 0);
	memcpy(&w, f->resp.inline_data, sizeof(w));
	assert_int_equal(layout_decode(&w, &l), 0);
	assert_int_equal(l.fd, LAYOUT_FD_IN_FIELD);

	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_COMPAT | DEVCALL_REQ_F_FD_IN,
				  img), 0);
	assert_int_equal(fd_seen.fd, MOCK_FD_BASE + 1);
	assert_int_equal(fd_ioctl(f, f->a, loop, LOOP_SET_FD,
				  DEVCALL_REQ_F_COMPAT, 0), -EBADF);

	fd_seen.fd = -1;
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, loop);
	f->req.cmd = LOOP_CONFIGURE;
	f->req.flags = DEVCALL_REQ_F_COMPAT | DEVCALL_REQ_F_FD_IN |
		       DEVCALL_REQ_F_ARG_BUF;
	f->req.offset = img;
	f->req.len = sizeof(lc);
	f->req.inline_len = sizeof(lc);
	memcpy(f->req.inline_data, &lc, sizeof(lc));
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(fd_seen.fd, MOCK_FD_BASE + 1);
	assert_int_equal(fd_seen.block_size, 512);

	assert_true(fd_ioctl(f, f->a, img, TIOCGPTPEER, DEVCALL_REQ_F_COMPAT |
			     DEVCALL_REQ_F_FD_OUT, 0) > 0);
	assert_int_equal(mock_calls()->count[MOCK_ADOPT], 1);
	assert_int_equal(vm_open_count(f->a), 3);
}

/* KVM_SET_USER_MEMORY_REGION: never, whatever the policy says. */
static void test_kvm_memory_region_refused(void **state)
{
	struct fixture *f = *state;
	int64_t h = do_open(f, f->a, EXP_RW, DEVCALL_O_RDWR);

	nr_logs = 0;
	fake_req_init(&f->req, DEVCALL_OP_LAYOUT, h);
	f->req.cmd = 0x4020ae46;	/* KVM_SET_USER_MEMORY_REGION */
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EPERM);
	assert_int_equal(nr_logs, 1);
	assert_non_null(strstr(last_log, "memory slot"));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = 0x4020ae46;
	f->req.len = 32;
	f->req.inline_len = 32;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EPERM);
	assert_int_equal(mock_calls()->count[MOCK_IOCTL], 0);
}

static void sysfs_put(const char *dir, const char *name, const char *val)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(val, fp);
	fclose(fp);
}

/*
 * BLKINFO: the block limits from the backend's ioctls and from sysfs queue
 * attributes of the file's device; read-only from the export; ENOTBLK
 * for a file that is no block device; no segments or inline bytes.
 */
static void test_blkinfo(void **state)
{
	struct fixture *f = *state;
	char root[] = "/tmp/devcall-blkinfo-XXXXXX", dir[128], cmd[160];
	struct devcall_blkinfo bi;
	int64_t h, hro;

	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/7:3", root);
	assert_int_equal(mkdir(dir, 0700), 0);
	strcat(dir, "/queue");
	assert_int_equal(mkdir(dir, 0700), 0);
	sysfs_put(dir, "max_hw_sectors_kb", "1280\n");
	sysfs_put(dir, "discard_max_bytes", "4294966784\n");
	sysfs_put(dir, "discard_granularity", "4096\n");
	sysfs_put(dir, "write_zeroes_max_bytes", "0\n");
	config_sysfs_dev_block = root;
	mock_set_rdev(makedev(7, 3));
	mock_set_ioctl(blkinfo_ioctl);

	h = do_open(f, f->a, EXP_BLK, DEVCALL_O_RDWR);
	assert_true(h > 0);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_BLKINFO, h), 0);
	assert_int_equal(f->resp.inline_len, sizeof(bi));
	memcpy(&bi, f->resp.inline_data, sizeof(bi));
	assert_int_equal(le64toh(bi.size), 96ull << 20);
	assert_int_equal(le32toh(bi.logical_block_size), 4096);
	assert_int_equal(le32toh(bi.physical_block_size), 4096);
	assert_int_equal(le32toh(bi.io_min), 8192);
	assert_int_equal(le32toh(bi.io_opt), 65536);
	assert_int_equal(le32toh(bi.max_hw_bytes), 1280 * 1024);
	assert_int_equal(le32toh(bi.flags), DEVCALL_BLKINFO_F_ROTATIONAL);
	assert_int_equal(le64toh(bi.discard_max_bytes), 4294966784ull);
	assert_int_equal(le32toh(bi.discard_granularity), 4096);
	assert_int_equal(le64toh(bi.write_zeroes_max_bytes), 0);
	assert_int_equal(le32toh(bi.max_request), 64 << 10);
	assert_int_equal(bi.reserved2, 0);

	/* Segments or inline bytes: malformed. */
	fake_req_init(&f->req, DEVCALL_OP_BLKINFO, h);
	f->req.inline_len = 4;
	dispatch_request(f->a, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EINVAL);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, h), 0);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_BLKINFO, h), -EBADF);

	/* A read-only export says so; no sysfs: no discard. */
	config_sysfs_dev_block = "/nonexistent";
	hro = do_open(f, f->a, EXP_RO, DEVCALL_O_RDONLY);
	assert_true(hro > 0);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_BLKINFO, hro), 0);
	memcpy(&bi, f->resp.inline_data, sizeof(bi));
	assert_true(le32toh(bi.flags) & DEVCALL_BLKINFO_F_RO);
	assert_int_equal(le64toh(bi.discard_max_bytes), 0);
	assert_int_equal(le32toh(bi.max_hw_bytes), 0);
	assert_int_equal(do_simple(f, f->a, DEVCALL_OP_CLOSE, hro), 0);

	config_sysfs_dev_block = "/sys/dev/block";
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
}

/* A file that is no block device has no queue limits. */
static void test_blkinfo_not_block(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct config cfg;
	struct host *host;
	struct vm *vm;
	int64_t h;

	(void)f;
	config_init(&cfg);
	fake_config_flag(&cfg, "--export", "c:null=/dev/null");
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	host = host_create();
	vm = vm_create(host, config_find_vm(&cfg, "c"));
	fake_req_init(&f->req, DEVCALL_OP_OPEN, 0);
	f->req.export_id = 1;
	f->req.arg = DEVCALL_O_RDONLY;
	dispatch_request(vm, &f->req, &f->resp);
	h = f->resp.result;
	assert_true(h > 0);
	fake_req_init(&f->req, DEVCALL_OP_BLKINFO, h);
	dispatch_request(vm, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -ENOTBLK);
	assert_int_equal(f->resp.inline_len, 0);
	fake_req_init(&f->req, DEVCALL_OP_CLOSE, h);
	dispatch_request(vm, &f->req, &f->resp);
	vm_destroy(vm);
	host_destroy(host);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_open_read_write_close),
	T(test_inline_io_and_nonblock),
	T(test_exclusive_across_vms),
	T(test_read_only_export),
	T(test_bad_handles),
	T(test_ioctl_layouts_and_policy),
	T(test_limits),
	T(test_segments_outside_ram),
	T(test_wire_every_request_answered),
	T(test_backend_errors_propagate),
	T(test_old_epoch),
	T(test_call_budget),
	T(test_layout_published),
	T(test_ioctl_input_stable_under_race),
	T(test_ioctl_large_input_zero_copy),
	T(test_write_payload_stable_under_race),
	T(test_raw_scsi_needs_passthrough),
	T(test_sg_io_refused_opcode),
	T(test_cdrom_send_packet),
	T(test_int_arg_not_an_address),
	T(test_int_arg_low_reserved),
	T(test_allow_kinds),
	T(test_host_partitions),
	T(test_host_network),
	T(test_host_exclusive),
	T(test_fsync),
	T(test_open_sync_direct_flags),
	T(test_write_copy_keeps_alignment),
	T(test_direct_follows_fcntl),
	T(test_fd_in),
	T(test_fd_out),
	T(test_fd_out_field),
	T(test_fd_compat),
	T(test_kvm_memory_region_refused),
	T(test_blkinfo),
	T(test_blkinfo_not_block),
};

TEST_MAIN("dispatch", tests, NULL, NULL)
