// SPDX-License-Identifier: MIT
/*
 * sgrw: the sg driver's read/write/poll semantics on a forwarded drive
 * node, from a guest program with plain system calls. Prints
 * "CHECK <name> ok|fail [detail]" lines; the host counts them.
 *
 *   sgrw DEV MS   blocking read sleeps until another thread writes a
 *                 command MS milliseconds later; O_NONBLOCK read gives
 *                 EAGAIN; poll: POLLOUT with nothing queued, POLLIN (and
 *                 no POLLOUT) with a reply waiting; the reply's header
 *                 and data (INQUIRY); CHECK CONDITION sense in the
 *                 header; a second command while one is outstanding is
 *                 EDOM; a written struct sg_io_hdr is refused
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <scsi/sg.h>

static int failed;

static void check(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("CHECK %s %s", name, ok ? "ok" : "fail");
	if (fmt && *fmt) {
		putchar(' ');
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	putchar('\n');
	fflush(stdout);
	failed |= !ok;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct writer {
	int fd;
	int delay_ms;
	double at;
	ssize_t ret;
};

/* struct sg_header, an INQUIRY for 36 bytes behind it. */
static ssize_t send_inquiry(int fd, int pack_id)
{
	uint8_t buf[sizeof(struct sg_header) + 6] = { 0 };
	struct sg_header *h = (struct sg_header *)buf;

	h->reply_len = sizeof(struct sg_header) + 36;
	h->pack_id = pack_id;
	buf[sizeof(*h)] = 0x12;
	buf[sizeof(*h) + 4] = 36;
	return write(fd, buf, sizeof(buf));
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;

	usleep(w->delay_ms * 1000);
	w->at = now_ms();
	w->ret = send_inquiry(w->fd, 7);
	return NULL;
}

int main(int argc, char **argv)
{
	uint8_t rbuf[sizeof(struct sg_header) + 64];
	struct sg_header *rh = (struct sg_header *)rbuf;
	struct writer w = { 0 };
	struct pollfd p;
	struct sg_io_hdr io;
	pthread_t t;
	double t0, t1;
	ssize_t n;
	int fd, flags, ms;

	if (argc != 3) {
		fprintf(stderr, "usage: sgrw DEV MS\n");
		return 2;
	}
	ms = atoi(argv[2]);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}

	/* Nothing queued: writable, not readable; O_NONBLOCK: EAGAIN. */
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	n = poll(&p, 1, 0);
	check("poll-idle", n == 1 && p.revents == POLLOUT, "revents 0x%x",
	      p.revents);
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	n = read(fd, rbuf, sizeof(rbuf));
	check("nonblock-eagain", n < 0 && errno == EAGAIN, "ret %zd errno %d",
	      n, n < 0 ? errno : 0);
	fcntl(fd, F_SETFL, flags);

	/* A blocking read sleeps until another thread's write. */
	w.fd = fd;
	w.delay_ms = ms;
	t0 = now_ms();
	pthread_create(&t, NULL, writer_main, &w);
	n = read(fd, rbuf, sizeof(rbuf));
	t1 = now_ms();
	pthread_join(t, NULL);
	check("blocking-read-sleeps", n == (ssize_t)sizeof(*rh) + 36 &&
	      w.ret == (ssize_t)sizeof(*rh) + 6 && t1 - t0 >= ms * 0.9 &&
	      t1 >= w.at, "read %zd after %.0f ms (write at %.0f ms)", n,
	      t1 - t0, w.at - t0);
	check("reply-inquiry", rh->pack_id == 7 && rh->result == 0 &&
	      rh->target_status == 0 && (rbuf[sizeof(*rh)] & 0x1f) == 5 &&
	      !memcmp(rbuf + sizeof(*rh) + 8, "DEVCALL ", 8),
	      "pack_id %d type 0x%x", rh->pack_id, rbuf[sizeof(*rh)]);

	/* A reply waiting: readable; one outstanding: not writable. */
	n = send_inquiry(fd, 8);
	p = (struct pollfd){ .fd = fd, .events = POLLIN | POLLOUT };
	poll(&p, 1, 1000);
	check("poll-reply", p.revents == POLLIN, "revents 0x%x", p.revents);
	n = send_inquiry(fd, 9);
	check("second-outstanding-edom", n < 0 && errno == EDOM,
	      "ret %zd errno %d", n, n < 0 ? errno : 0);
	n = read(fd, rbuf, sizeof(rbuf));
	check("reply-pack-id", n > 0 && rh->pack_id == 8, "pack_id %d",
	      rh->pack_id);

	/* An unknown opcode: CHECK CONDITION, sense in the header. */
	{
		uint8_t b[sizeof(struct sg_header) + 10] = { 0 };

		((struct sg_header *)b)->reply_len = sizeof(struct sg_header);
		b[sizeof(struct sg_header)] = 0x3c;	/* READ BUFFER */
		n = write(fd, b, sizeof(b));
		n = read(fd, rbuf, sizeof(rbuf));
		check("reply-check-condition", n == sizeof(*rh) &&
		      rh->target_status == 1 && rh->sense_buffer[2] == 5 &&
		      rh->sense_buffer[12] == 0x20, "status %d key %d asc 0x%x",
		      rh->target_status, rh->sense_buffer[2],
		      rh->sense_buffer[12]);
	}

	/* sg v3 through write(): its pointers are not followed. */
	memset(&io, 0, sizeof(io));
	io.interface_id = 'S';
	io.dxfer_direction = SG_DXFER_NONE;
	io.cmd_len = 6;
	io.cmdp = rbuf;
	memset(rbuf, 0, 6);
	n = write(fd, &io, sizeof(io));
	check("v3-write-refused", n < 0 && errno == ENOSYS, "ret %zd errno %d",
	      n, n < 0 ? errno : 0);
	close(fd);
	return failed;
}
