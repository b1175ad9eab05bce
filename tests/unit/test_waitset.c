// SPDX-License-Identifier: MIT
/*
 * Requests that wait, through the dispatcher and the host's wait set: a
 * blocking read parks instead of blocking, wakes when its file is ready,
 * and ends exactly once when cancelled by tag, by CLOSE or by the VM's
 * reset; POLL answers at once or parks; hundreds of waiters on one set.
 * The mock backend's readiness is a pipe the test writes; a real host pty
 * (sys backend) is checked too.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "backend_mock.h"
#include "dispatch.h"
#include "fake_guest.h"
#include "waitset.h"

#define MANY	300

struct parked {
	struct waiter w;
	struct request req;
	int ended;		/* times ready() ran */
	int err;		/* its last err */
};

struct fixture {
	struct config cfg;
	struct host *host;
	struct vm *vm;
	struct fake_guest g;
	struct waitset *ws;
	int pipe[2];
	char fifo[64];
	struct response resp;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	mock_reset();
	config_init(&f->cfg);
	fake_config_flag(&f->cfg, "--vm", "a,max-open=64");
	fake_config_flag(&f->cfg, "--export", "a:dev=/dev/null,backend=mock");
	fake_config_flag(&f->cfg, "--export", "a:ptmx=/dev/ptmx");
	snprintf(f->fifo, sizeof(f->fifo), "/tmp/devcall-waitset.%d.fifo",
		 getpid());
	unlink(f->fifo);
	assert_int_equal(mkfifo(f->fifo, 0600), 0);
	{
		char flag[128];

		snprintf(flag, sizeof(flag), "a:fifo=%s", f->fifo);
		fake_config_flag(&f->cfg, "--export", flag);
	}
	if (config_finish(&f->cfg, err, sizeof(err)))
		fail_msg("%s", err);
	f->host = host_create();
	f->vm = vm_create(f->host, config_find_vm(&f->cfg, "a"));
	f->ws = host_waitset(f->host);
	fake_guest_init(&f->g);
	vm_set_memory(f->vm, &f->g.gm);
	assert_int_equal(pipe2(f->pipe, O_NONBLOCK), 0);
	mock_set_poll_fd(f->pipe[0]);
	mock_set_empty(true);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vm_destroy(f->vm);
	assert_int_equal(waitset_count(f->ws), 0);
	assert_int_equal(mock_calls()->open_now, 0);
	host_destroy(f->host);
	fake_guest_fini(&f->g);
	close(f->pipe[0]);
	close(f->pipe[1]);
	unlink(f->fifo);
	free(f);
	return 0;
}

static uint64_t open_export(struct fixture *f, uint32_t id)
{
	struct request *req = calloc(1, sizeof(*req));
	uint64_t h;

	fake_req_init(req, DEVCALL_OP_OPEN, 0);
	req->export_id = id;
	req->arg = DEVCALL_O_RDWR;
	dispatch_request(f->vm, req, &f->resp);
	assert_true(f->resp.result > 0);
	h = (uint64_t)f->resp.result;
	free(req);
	return h;
}

static void ready(struct waiter *w, int err)
{
	struct parked *p = (struct parked *)w;

	p->ended++;
	p->err = err;
}

/* Park w for the wait dispatch asked for, as a session does. */
static int park(struct fixture *f, const struct dispatch_wait *wait,
		struct waiter *w)
{
	return waitset_park(f->ws, vm_waitset_owner(f->vm), &wait->file->wait,
			    wait->fd, wait->handle, wait->tag, wait->events,
			    w);
}

/* Dispatch p's request; park it if it has to wait. 1 if parked. */
static int serve(struct fixture *f, struct parked *p)
{
	struct dispatch_wait wait = { 0 };

	dispatch_request_wait(f->vm, &p->req, &f->resp, &wait);
	if (!wait.file)
		return 0;
	p->w.ready = ready;
	assert_int_equal(park(f, &wait, &p->w), 0);
	return 1;
}

static void read_req(struct parked *p, uint64_t handle, uint64_t tag,
		     bool nonblock)
{
	fake_req_init(&p->req, DEVCALL_OP_READ, handle);
	p->req.tag = tag;
	p->req.len = 16;
	p->req.flags = nonblock ? DEVCALL_REQ_F_NONBLOCK : 0;
	p->ended = 0;
}

static void make_ready(struct fixture *f)
{
	assert_int_equal(write(f->pipe[1], "x", 1), 1);
	mock_set_empty(false);
}

static void test_blocking_read_parks_then_wakes(void **state)
{
	struct fixture *f = *state;
	uint64_t h = open_export(f, 1);
	struct parked *p = calloc(1, sizeof(*p));

	read_req(p, h, 10, false);
	assert_int_equal(serve(f, p), 1);
	assert_int_equal(waitset_count(f->ws), 1);
	/* Nothing ready: running the set wakes no one. */
	waitset_run(f->ws);
	assert_int_equal(p->ended, 0);
	make_ready(f);
	waitset_run(f->ws);
	assert_int_equal(p->ended, 1);
	assert_int_equal(p->err, 0);
	assert_int_equal(waitset_count(f->ws), 0);
	/* Served again, it reads. */
	assert_int_equal(serve(f, p), 0);
	assert_int_equal(f->resp.result, 16);
	assert_int_equal(f->resp.tag, 10);
	free(p);
}

static void test_nonblock_read_eagain(void **state)
{
	struct fixture *f = *state;
	uint64_t h = open_export(f, 1);
	struct parked *p = calloc(1, sizeof(*p));

	read_req(p, h, 11, true);
	assert_int_equal(serve(f, p), 0);
	assert_int_equal(f->resp.result, -EAGAIN);
	assert_int_equal(waitset_count(f->ws), 0);
	free(p);
}

static void test_cancel_by_tag(void **state)
{
	struct fixture *f = *state;
	uint64_t h = open_export(f, 1);
	struct parked *p = calloc(2, sizeof(*p));
	struct request *req = calloc(1, sizeof(*req));

	read_req(&p[0], h, 20, false);
	read_req(&p[1], h, 21, false);
	assert_int_equal(serve(f, &p[0]), 1);
	assert_int_equal(serve(f, &p[1]), 1);
	/* CANCEL of tag 20 ends that one only, with EINTR. */
	fake_req_init(req, DEVCALL_OP_CANCEL, 0);
	req->arg = 20;
	dispatch_request(f->vm, req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(p[0].ended, 1);
	assert_int_equal(p[0].err, -EINTR);
	assert_int_equal(p[1].ended, 0);
	/* A tag not parked: ENOENT, and it cannot park afterwards. */
	req->arg = 22;
	dispatch_request(f->vm, req, &f->resp);
	assert_int_equal(f->resp.result, -ENOENT);
	{
		struct dispatch_wait wait = { 0 };
		struct parked q = { 0 };

		read_req(&q, h, 22, false);
		dispatch_request_wait(f->vm, &q.req, &f->resp, &wait);
		assert_non_null(wait.file);
		q.w.ready = ready;
		assert_int_equal(park(f, &wait, &q.w), -EINTR);
		assert_int_equal(q.ended, 0);
	}
	/* CLOSE ends the rest, with EBADF; the file closes after. */
	fake_req_init(req, DEVCALL_OP_CLOSE, h);
	dispatch_request(f->vm, req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(p[1].ended, 1);
	assert_int_equal(p[1].err, -EBADF);
	assert_int_equal(waitset_count(f->ws), 0);
	assert_int_equal(mock_calls()->open_now, 0);
	free(req);
	free(p);
}

/* A CLOSE between a request's dispatch and its parking: it must not park. */
static void test_park_after_close_refused(void **state)
{
	struct fixture *f = *state;
	uint64_t h = open_export(f, 1);
	struct request *req = calloc(1, sizeof(*req));
	struct dispatch_wait wait = { 0 };
	struct parked p = { 0 };

	read_req(&p, h, 50, false);
	dispatch_request_wait(f->vm, &p.req, &f->resp, &wait);
	assert_non_null(wait.file);
	fake_req_init(req, DEVCALL_OP_CLOSE, h);
	dispatch_request(f->vm, req, &f->resp);
	assert_int_equal(f->resp.result, 0);
	assert_int_equal(mock_calls()->open_now, 1);	/* our reference */
	p.w.ready = ready;
	assert_int_equal(park(f, &wait, &p.w), -EBADF);
	assert_int_equal(waitset_count(f->ws), 0);
	assert_int_equal(mock_calls()->open_now, 0);
	free(req);
}

static void test_reset_cancels(void **state)
{
	struct fixture *f = *state;
	uint64_t h = open_export(f, 1);
	struct parked *p = calloc(1, sizeof(*p));

	read_req(p, h, 30, false);
	assert_int_equal(serve(f, p), 1);
	vm_reset(f->vm);
	assert_int_equal(p->ended, 1);
	assert_int_equal(p->err, -ECANCELED);
	assert_int_equal(mock_calls()->open_now, 0);
	free(p);
}

static void test_poll(void **state)
{
	struct fixture *f = *state;
	uint64_t h = open_export(f, 1);
	struct parked *p = calloc(1, sizeof(*p));

	fake_req_init(&p->req, DEVCALL_OP_POLL, h);
	p->req.arg = POLLIN;
	/* Asking only: answered at once, nothing ready. */
	p->req.flags = DEVCALL_REQ_F_NONBLOCK;
	assert_int_equal(serve(f, p), 0);
	assert_int_equal(f->resp.result, 0);
	/* Waiting: parked until the pipe has data. */
	p->req.flags = 0;
	assert_int_equal(serve(f, p), 1);
	make_ready(f);
	waitset_run(f->ws);
	assert_int_equal(p->ended, 1);
	assert_int_equal(serve(f, p), 0);
	assert_int_equal(f->resp.result, POLLIN);
	/* Unknown event bits are refused. */
	p->req.arg = 1u << 20;
	assert_int_equal(serve(f, p), 0);
	assert_int_equal(f->resp.result, -EINVAL);
	free(p);
}

static void test_many_waiters(void **state)
{
	struct fixture *f = *state;
	struct parked *p = calloc(MANY, sizeof(*p));
	uint64_t h[8];
	int i;

	for (i = 0; i < 8; i++)
		h[i] = open_export(f, 1);
	for (i = 0; i < MANY; i++) {
		read_req(&p[i], h[i % 8], 1000 + i, false);
		assert_int_equal(serve(f, &p[i]), 1);
	}
	assert_int_equal(waitset_count(f->ws), MANY);
	make_ready(f);
	waitset_run(f->ws);
	waitset_run(f->ws);
	for (i = 0; i < MANY; i++)
		assert_int_equal(p[i].ended, 1);
	assert_int_equal(waitset_count(f->ws), 0);
	free(p);
}

/*
 * A blocking write to a host FIFO larger than the pipe holds: it parks
 * for room as often as it must, then answers with all of it, and the
 * reader gets every byte in order; a cancel after progress would report
 * the bytes written (the caller's part, see dispatch_wait.done).
 */
static void test_blocking_stream_write_whole(void **state)
{
	struct fixture *f = *state;
	size_t len = 200 * 1024, got = 0;
	struct parked *p = calloc(1, sizeof(*p));
	uint8_t *data = malloc(len), *back = malloc(len);
	struct dispatch_wait wait = { 0 };
	uint64_t gpa, h;
	int rd, parks = 0;
	size_t i;

	for (i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + i / 4096);
	h = open_export(f, 3);
	rd = open(f->fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	gpa = fake_guest_alloc(&f->g, len);
	fake_guest_write(&f->g, gpa, data, len);
	fake_req_init(&p->req, DEVCALL_OP_WRITE, h);
	p->req.tag = 60;
	p->req.len = len;
	fake_req_seg(&p->req, gpa, len, DEVCALL_SEG_TO_HOST, 0);
	for (;;) {
		dispatch_request_wait(f->vm, &p->req, &f->resp, &wait);
		if (!wait.file)
			break;
		parks++;
		p->w.ready = ready;
		p->ended = 0;
		assert_int_equal(park(f, &wait, &p->w), 0);
		/* The reader makes room, a little at a time. */
		while (!p->ended) {
			ssize_t n = read(rd, back + got, 32 * 1024);

			if (n > 0)
				got += n;
			waitset_run(f->ws);
		}
		assert_int_equal(p->err, 0);
	}
	assert_int_equal(f->resp.result, (int64_t)len);
	assert_true(parks >= 2);
	while (got < len) {
		ssize_t n = read(rd, back + got, len - got);

		assert_true(n > 0);
		got += n;
	}
	assert_memory_equal(back, data, len);
	close(rd);
	free(data);
	free(back);
	free(p);
}

/* A real host pty through the sys backend: a read waits for the slave. */
static void test_pty_sys_backend(void **state)
{
	struct fixture *f = *state;
	uint64_t h = open_export(f, 2);
	struct parked *p = calloc(1, sizeof(*p));
	struct open_file *file = vm_file_get(f->vm, h);
	int fd, unlock = 0, slave;
	unsigned int n;
	char name[64];

	fd = file->exp->backend->poll_fd(file->priv);
	vm_file_put(f->vm, file);
	assert_int_equal(ioctl(fd, TIOCSPTLCK, &unlock), 0);
	assert_int_equal(ioctl(fd, TIOCGPTN, &n), 0);
	snprintf(name, sizeof(name), "/dev/pts/%u", n);

	read_req(p, h, 40, false);
	assert_int_equal(serve(f, p), 1);
	slave = open(name, O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	waitset_run(f->ws);
	assert_int_equal(p->ended, 0);
	assert_int_equal(write(slave, "hi\n", 3), 3);
	{
		struct pollfd pfd = { .fd = waitset_fd(f->ws), .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 5000), 1);
	}
	waitset_run(f->ws);
	assert_int_equal(p->ended, 1);
	close(slave);
	free(p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_blocking_read_parks_then_wakes),
	T(test_nonblock_read_eagain),
	T(test_cancel_by_tag),
	T(test_park_after_close_refused),
	T(test_reset_cancels),
	T(test_poll),
	T(test_many_waiters),
	T(test_blocking_stream_write_whole),
	T(test_pty_sys_backend),
};

TEST_MAIN("waitset", tests, NULL, NULL)
