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
 *                 EDOM; sg v3 by write()+read(): INQUIRY and READ(10)
 *                 answer as by ioctl(SG_IO) (data, sense, status,
 *                 resid), poll POLLIN, a blocking read sleeps, pack_id
 *                 and usr_ptr come back; interface_id 'Q' is ENOSYS, a
 *                 bogus dxferp EFAULT, a short header EINVAL, an
 *                 opcode scsi-opcodes refuses EPERM
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
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

static void on_alarm(int sig)
{
	(void)sig;
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

/* A v3 header for cdb; data and sense in the caller's buffers. */
static void v3_fill(struct sg_io_hdr *h, const uint8_t *cdb, int cdb_len,
		    void *data, unsigned int len, uint8_t *sense)
{
	memset(h, 0, sizeof(*h));
	h->interface_id = 'S';
	h->cmdp = (uint8_t *)cdb;
	h->cmd_len = cdb_len;
	h->dxfer_direction = len ? SG_DXFER_FROM_DEV : SG_DXFER_NONE;
	h->dxferp = data;
	h->dxfer_len = len;
	h->sbp = sense;
	h->mx_sb_len = 32;
	h->timeout = 10000;
}

/*
 * cdb by ioctl(SG_IO) and by write()+read(): the same status, sense,
 * resid and data. The read is blocking; poll first says POLLIN.
 */
static void v3_compare(int fd, const char *name, const uint8_t *cdb,
		       int cdb_len, unsigned int len)
{
	static uint8_t a[2048], b[2048];
	uint8_t sa[32] = { 0 }, sb[32] = { 0 };
	struct sg_io_hdr io, w, r;
	struct pollfd p;
	char cname[64];
	ssize_t n, m;
	int ok;

	if (len > sizeof(a))
		len = sizeof(a);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	v3_fill(&io, cdb, cdb_len, a, len, sa);
	ok = ioctl(fd, SG_IO, &io) == 0;
	v3_fill(&w, cdb, cdb_len, b, len, sb);
	w.pack_id = 4242;
	w.usr_ptr = &w;
	n = write(fd, &w, sizeof(w));
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	poll(&p, 1, 2000);
	snprintf(cname, sizeof(cname), "v3-%s-poll", name);
	check(cname, p.revents == POLLIN, "revents 0x%x", p.revents);
	memset(&r, 0xaa, sizeof(r));
	m = n == (ssize_t)sizeof(w) ? read(fd, &r, sizeof(r)) : -1;
	snprintf(cname, sizeof(cname), "v3-%s", name);
	check(cname, ok && n == (ssize_t)sizeof(w) &&
	      m == (ssize_t)sizeof(r) && r.interface_id == 'S' &&
	      r.pack_id == 4242 && r.usr_ptr == &w &&
	      r.status == io.status && r.masked_status == io.masked_status &&
	      r.host_status == io.host_status &&
	      r.driver_status == io.driver_status &&
	      r.sb_len_wr == io.sb_len_wr && r.resid == io.resid &&
	      r.info == io.info && !memcmp(sa, sb, sizeof(sa)) &&
	      !memcmp(a, b, sizeof(a)),
	      "write %zd read %zd status 0x%x/0x%x sense %u/%u key %x/%x "
	      "resid %d/%d data %s", n, m, r.status, io.status, r.sb_len_wr,
	      io.sb_len_wr, sb[2] & 0xf, sa[2] & 0xf, r.resid, io.resid,
	      memcmp(a, b, sizeof(a)) ? "differs" : "same");
}

struct v3_writer {
	int fd;
	int delay_ms;
	double at;
	ssize_t ret;
	struct sg_io_hdr h;
};

static void *v3_writer_main(void *arg)
{
	struct v3_writer *w = arg;

	usleep(w->delay_ms * 1000);
	w->at = now_ms();
	w->ret = write(w->fd, &w->h, sizeof(w->h));
	return NULL;
}

static void v3_checks(int fd, int ms)
{
	static const uint8_t inq[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t read10[10] = { 0x28, 0, 0, 0, 0, 16, 0, 0, 1 };
	/* past the end of any CD: CHECK CONDITION from the drive */
	static const uint8_t far[10] = { 0x28, 0, 0x7f, 0xff, 0xff, 0, 0, 0, 1 };
	static const uint8_t rdbuf[10] = { 0x3c };	/* not in scsi-opcodes */
	uint8_t data[2048], sense[32];
	struct v3_writer w = { 0 };
	struct sg_io_hdr h, r;
	pthread_t t;
	double t0, t1;
	ssize_t n;
	int flags;

	v3_compare(fd, "inquiry", inq, 6, 96);
	v3_compare(fd, "read10", read10, 10, 2048);

	/* A blocking read sleeps until another thread's v3 write. */
	w.fd = fd;
	w.delay_ms = ms;
	v3_fill(&w.h, inq, 6, data, 96, sense);
	w.h.pack_id = 77;
	t0 = now_ms();
	pthread_create(&t, NULL, v3_writer_main, &w);
	alarm(10);		/* a write that failed leaves no reply */
	n = read(fd, &r, sizeof(r));
	alarm(0);
	t1 = now_ms();
	pthread_join(t, NULL);
	check("v3-blocking-read-sleeps", n == (ssize_t)sizeof(r) &&
	      w.ret == (ssize_t)sizeof(w.h) && r.pack_id == 77 &&
	      t1 - t0 >= ms * 0.9 && t1 >= w.at,
	      "read %zd after %.0f ms (write at %.0f ms)", n, t1 - t0,
	      w.at - t0);

	/* As sg: another interface is ENOSYS, a short header EINVAL. */
	v3_fill(&h, inq, 6, data, 96, sense);
	h.interface_id = 'Q';
	n = write(fd, &h, sizeof(h));
	check("v3-interface-q-enosys", n < 0 && errno == ENOSYS,
	      "ret %zd errno %d", n, n < 0 ? errno : 0);
	h.interface_id = 'S';
	n = write(fd, &h, sizeof(struct sg_header) + 8);
	check("v3-short-einval", n < 0 && errno == EINVAL,
	      "ret %zd errno %d", n, n < 0 ? errno : 0);
	/* Pointers the guest does not map: EFAULT, nothing queued. */
	h.dxferp = (void *)(uintptr_t)0x10;
	n = write(fd, &h, sizeof(h));
	check("v3-bogus-dxferp-efault", n < 0 && errno == EFAULT,
	      "ret %zd errno %d", n, n < 0 ? errno : 0);
	h.dxferp = data;
	h.cmdp = (void *)(uintptr_t)0xdead0000;
	n = write(fd, &h, sizeof(h));
	check("v3-bogus-cmdp-efault", n < 0 && errno == EFAULT,
	      "ret %zd errno %d", n, n < 0 ? errno : 0);
	flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	/* An opcode the export refuses: no reply to carry sense, EPERM */
	v3_fill(&h, rdbuf, 10, data, 0, sense);
	n = write(fd, &h, sizeof(h));
	check("v3-refused-opcode-eperm", n < 0 && errno == EPERM,
	      "ret %zd errno %d", n, n < 0 ? errno : 0);
	n = read(fd, &r, sizeof(r));
	check("v3-nothing-queued", n < 0 && errno == EAGAIN,
	      "ret %zd errno %d", n, n < 0 ? errno : 0);
	fcntl(fd, F_SETFL, flags);
	v3_compare(fd, "check-condition", far, 10, 2048);
}

int main(int argc, char **argv)
{
	uint8_t rbuf[sizeof(struct sg_header) + 64];
	struct sg_header *rh = (struct sg_header *)rbuf;
	struct writer w = { 0 };
	struct pollfd p;
	pthread_t t;
	double t0, t1;
	ssize_t n;
	int fd, flags, ms;

	if (argc != 3) {
		fprintf(stderr, "usage: sgrw DEV MS\n");
		return 2;
	}
	ms = atoi(argv[2]);
	/* SIGALRM interrupts a read that would wait for ever (EINTR) */
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm },
		  NULL);
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

	v3_checks(fd, ms);
	close(fd);
	return failed;
}
