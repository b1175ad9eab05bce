// SPDX-License-Identifier: MIT
/*
 * The hostile-guest suite: scenarios in which VM A's "guest kernel" (a
 * fakeqemu.h fake, no VM booted) attacks the real devcalld through its
 * register block, mailbox, ring and requests, while VM B, the victim,
 * must go on being served.
 *
 * usage: hostile --dir DIR --pid PID [--list] [--after NAME] [FILTER...]
 *
 * DIR is what tests/hostile/run.sh set up: DIR/run/NAME.sock etc. (the
 * daemon's run dir), DIR/ram/NAME.ram (guest RAM, q35, in a 0700 dir), host FIFOs and files
 * (see run.sh). PID is the daemon's. A FILTER runs the scenarios whose
 * name contains it. Prints "ok NAME" or "FAIL NAME: why" per scenario,
 * then "N passed, N failed". Exit status 0 if all passed, 1 if some
 * failed, 3 if the daemon died (run.sh restarts it and goes on --after
 * the scenario that killed it).
 *
 * After every scenario: the daemon is alive; B completes an OPEN, READ,
 * CLOSE round trip on /dev/zero within B_ROUNDTRIP_MS; the daemon's RSS
 * and descriptor count grew by at most RSS_BOUND_KB and FDS_BOUND since
 * the scenario started.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "fakeqemu.h"

#define B_ROUNDTRIP_MS	1000		/* B served after every scenario */
#define RSS_BOUND_KB	(48 * 1024)	/* RSS growth per scenario */
#define FDS_BOUND	64		/* descriptor growth per scenario */
#define CALL_MS		1000		/* an answer that should come at once */
#define NOBODY		65534

/* The exports run.sh gives A and B, in this order (ids 1..). */
enum { EXP_ZERO = 1, EXP_NULL, EXP_FIFO, EXP_WFIFO, EXP_EXCL, EXP_FILE,
       EXP_SLOW };

/* EXP_SLOW's reads: 16 bytes after SLOW_READ_MS (a script rule). */
#define SLOW_READ_MS	50

/* A's budget as run.sh configures it (max-calls, max-call-bytes). */
#define A_MAX_CALLS	64
#define A_MAX_CALL_BYTES (1u << 20)
#define A_WORKERS	4

#define NEEDS_RESET	VIRTIO_CONFIG_S_NEEDS_RESET

struct ctx {
	const char *dir;
	pid_t daemon;
	bool budget;		/* the daemon took max-calls & co */
	struct fq a, b;
	int a_fifo, b_fifo;	/* host ends (O_RDWR) of A's and B's FIFO */
	char why[1024];
	long rss0;
	int fds0;
};

static int fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->why[0])		/* the first reason is the one to read */
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -1;
}

static const char *path(const struct ctx *c, const char *name)
{
	static char buf[4][512];
	static unsigned int n;
	char *p = buf[n++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", c->dir, name);
	return p;
}

static void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

/* ---- the daemon from outside: alive, RSS, descriptors ---- */

static bool daemon_alive(pid_t pid)
{
	char p[64], st[256];
	FILE *f;
	bool alive = false;

	snprintf(p, sizeof(p), "/proc/%d/stat", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return false;
	if (fgets(st, sizeof(st), f)) {
		char *r = strrchr(st, ')');

		alive = r && r[1] == ' ' && r[2] != 'Z' && r[2] != 'X';
	}
	fclose(f);
	return alive;
}

static long daemon_rss_kb(pid_t pid)
{
	char p[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int daemon_fds(pid_t pid)
{
	char p[64];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	d = opendir(p);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Wait up to ms for the daemon's descriptors to drop to at most want. */
static int fds_settle(struct ctx *c, int want, int ms)
{
	int64_t end = fq_now_ms() + ms;
	int n;

	while ((n = daemon_fds(c->daemon)) > want && fq_now_ms() < end)
		msleep(20);
	return n;
}

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : (long)st.st_size;
}

/* ---- host ends of the FIFOs ---- */

static void fifo_drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void fifo_feed(int fd, size_t n)
{
	char buf[4096] = { 0 };

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		if (write(fd, buf, k) != (ssize_t)k)
			return;
		n -= k;
	}
}

/* A reader on A's write FIFO: every blocked OPEN for writing completes. */
static int wfifo_release(struct ctx *c)
{
	return open(path(c, "a-w.fifo"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/* ---- small helpers over fakeqemu ---- */

/* Wait for a status bit; give up early if the queue answers instead. */
static int wait_status(struct fq *f, uint32_t bit, int ms)
{
	int64_t end = fq_now_ms() + ms;

	while (!(fq_status(f) & bit)) {
		if (fq_now_ms() >= end)
			return -ETIMEDOUT;
		if (f->q.num && le16toh(f->q.used->idx) != f->q.last_used) {
			msleep(50);	/* NEEDS_RESET may still follow */
			return fq_status(f) & bit ? 0 : -EPROTO;
		}
		fq_wait_irq(f, DEVCALL_MSIX_VEC_CONFIG, 10);
	}
	return 0;
}

/* Answered slots among the busy ones, and how many with result want. */
static unsigned int count_answers(struct fq *f, int64_t want,
				  unsigned int *nr_want)
{
	unsigned int s, n = 0;

	fq_reap(f);
	*nr_want = 0;
	for (s = 0; s < f->q.nr_slots; s++) {
		if (f->q.slot[s].state != FQ_SLOT_DONE)
			continue;
		n++;
		*nr_want += fq_result(f, s) == want;
	}
	return n;
}

static void release_all(struct fq *f)
{
	unsigned int s;

	for (s = 0; s < f->q.nr_slots; s++)
		fq_release(f, (int)s);
}

static int submit_simple(struct fq *f, uint16_t op, uint64_t handle,
			 uint32_t len, uint32_t flags, uint64_t arg)
{
	struct devcall_req r;

	fq_req_init(f, &r, op);
	r.handle = htole64(handle);
	r.len = htole32(len);
	r.flags = htole32(flags);
	r.arg = htole64(arg);
	return fq_submit(f, &r, NULL, 0, NULL, 0);
}

static int submit_open(struct fq *f, uint32_t export_id, uint64_t oflags)
{
	struct devcall_req r;

	fq_req_init(f, &r, DEVCALL_OP_OPEN);
	r.export_id = htole32(export_id);
	r.arg = htole64(oflags);
	return fq_submit(f, &r, NULL, 0, NULL, 0);
}

/*
 * A big READ written at wire_gpa: nr_segs one-byte segments, contiguous
 * from data_gpa (the daemon merges them into one iovec), so the request
 * is as large as the ABI allows while the READ itself is valid.
 */
static uint32_t big_read_wire(struct ctx *c, uint64_t wire_gpa,
			      uint64_t handle, unsigned int nr_segs,
			      uint64_t data_gpa)
{
	uint32_t len = sizeof(struct devcall_req) +
		       nr_segs * sizeof(struct devcall_seg);
	uint8_t *w = fq_gpa(&c->a, wire_gpa, len);
	struct devcall_seg *seg = (void *)(w + sizeof(struct devcall_req));
	struct devcall_req r;
	unsigned int i;

	fq_req_init(&c->a, &r, DEVCALL_OP_READ);
	r.handle = htole64(handle);
	r.len = htole32(nr_segs);
	r.nr_segs = htole16(nr_segs);
	memcpy(w, &r, sizeof(r));
	for (i = 0; i < nr_segs; i++) {
		seg[i].addr = htole64(data_gpa + i);
		seg[i].len = htole32(1);
		seg[i].flags = htole16(DEVCALL_SEG_FROM_HOST);
		seg[i].buf = 0;
	}
	return len;
}

/* A comes back: a fresh driver start and a round trip. */
static int a_recovers(struct ctx *c, unsigned int ring_set)
{
	int ret = fq_driver_start(&c->a, 256, ring_set);

	if (ret)
		return fail(c, "A could not start its driver again (%d)", ret);
	ret = fq_roundtrip(&c->a, EXP_ZERO, CALL_MS);
	if (ret)
		return fail(c, "A not served after its reset: %s",
			    strerror(-ret));
	return 0;
}

/* ---- 1: republish-inflight-head ---- */

static int t_republish_inflight_head(struct ctx *c)
{
	struct fq *a = &c->a;
	int64_t h, z;
	uint32_t len;
	long rss0 = daemon_rss_kb(c->daemon);
	int s, i = 0, m, head;
	bool broken = false;

	h = fq_open(a, EXP_FIFO, DEVCALL_O_RDONLY, CALL_MS);
	z = fq_open(a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	if (h <= 0 || z <= 0)
		return fail(c, "setup: OPEN fifo %lld, zero %lld",
			    (long long)h, (long long)z);
	len = big_read_wire(c, FQ_DATA_GPA, (uint64_t)h, DEVCALL_MAX_SEGS,
			    FQ_DATA_GPA + 0x20000);
	s = fq_submit_at(a, 1, FQ_DATA_GPA, len);
	fq_kick(a);
	if (!fq_wait(a, s, 100))
		return fail(c, "setup: the READ did not park (result %lld)",
			    (long long)fq_result(a, s));
	head = 2 * s;
	while (i < 4000) {
		int k;

		for (k = 0; k < 100; k++, i++)
			fq_publish(a, (uint16_t)head);
		m = submit_simple(a, DEVCALL_OP_READ, (uint64_t)z, 1,
				  DEVCALL_REQ_F_NONBLOCK, 0);
		fq_kick(a);
		/* The marker answered: everything before it was popped. */
		if (fq_wait(a, m, CALL_MS) == 0) {
			fq_release(a, m);
		} else if (fq_status(a) & NEEDS_RESET) {
			broken = true;
			break;
		} else {
			return fail(c, "after %d republishes: neither an "
				    "answer nor NEEDS_RESET", i);
		}
		if (daemon_rss_kb(c->daemon) - rss0 > RSS_BOUND_KB)
			return fail(c, "after %d republishes of an in-flight "
				    "head: no NEEDS_RESET, RSS +%ld KiB", i,
				    daemon_rss_kb(c->daemon) - rss0);
	}
	if (!broken)
		return fail(c, "%d republishes of an in-flight head: no "
			    "NEEDS_RESET, RSS +%ld KiB", i,
			    daemon_rss_kb(c->daemon) - rss0);
	/* Broken means broken: nothing more is served until a reset. */
	m = submit_simple(a, DEVCALL_OP_READ, (uint64_t)z, 1,
			  DEVCALL_REQ_F_NONBLOCK, 0);
	fq_kick(a);
	if (fq_wait(a, m, 300) == 0)
		return fail(c, "a request was served on the broken queue");
	return a_recovers(c, 1);
}

/* ---- 2: parked-poll-flood ---- */

static int t_parked_poll_flood(struct ctx *c)
{
	struct fq *a = &c->a;
	unsigned int i, n, answered, eagain, parked;
	int64_t h;

	if (fq_driver_start(a, 1024, 0))
		return fail(c, "setup: a 1024-entry queue was refused");
	h = fq_open(a, EXP_FIFO, DEVCALL_O_RDONLY, CALL_MS);
	if (h <= 0)
		return fail(c, "setup: OPEN fifo %lld", (long long)h);
	n = a->q.nr_slots - 1;
	for (i = 0; i < n; i++)
		submit_simple(a, DEVCALL_OP_POLL, (uint64_t)h, 0, 0, POLLIN);
	fq_kick(a);
	msleep(500);
	answered = count_answers(a, -EAGAIN, &eagain);
	parked = n - answered;
	printf("# parked-poll-flood: %u POLLs: %u parked, %u -EAGAIN, %u "
	       "other\n", n, parked, eagain, answered - eagain);
	fq_reset(a);
	if (!c->budget)
		return fail(c, "the daemon has no max-calls knob (config "
			    "refused it); %u of %u POLLs parked", parked, n);
	if (answered != eagain)
		return fail(c, "%u answers other than -EAGAIN",
			    answered - eagain);
	if (parked > A_MAX_CALLS)
		return fail(c, "%u POLLs parked, budget max-calls=%u", parked,
			    A_MAX_CALLS);
	return a_recovers(c, 1);
}

/* ---- 3: parked-read-bytes ---- */

static int t_parked_read_bytes(struct ctx *c)
{
	struct fq *a = &c->a;
	unsigned int i, n = 200, answered, eagain, parked, limit;
	uint32_t len;
	int64_t h;

	if (fq_driver_start(a, 1024, 0))
		return fail(c, "setup: a 1024-entry queue was refused");
	h = fq_open(a, EXP_FIFO, DEVCALL_O_RDONLY, CALL_MS);
	if (h <= 0)
		return fail(c, "setup: OPEN fifo %lld", (long long)h);
	len = big_read_wire(c, FQ_DATA_GPA, (uint64_t)h, DEVCALL_MAX_SEGS,
			    FQ_DATA_GPA + 0x20000);
	for (i = 0; i < n; i++)
		fq_submit_at(a, 0x100 + i, FQ_DATA_GPA, len);
	fq_kick(a);
	msleep(500);
	answered = count_answers(a, -EAGAIN, &eagain);
	parked = n - answered;
	limit = A_MAX_CALL_BYTES / len + 1;
	printf("# parked-read-bytes: %u READs of %u request bytes: %u "
	       "parked (%u KiB), %u -EAGAIN, %u other\n", n, len, parked,
	       parked * len >> 10, eagain, answered - eagain);
	fq_reset(a);
	if (!c->budget)
		return fail(c, "the daemon has no max-call-bytes knob; %u "
			    "READs (%u KiB of requests) parked", parked,
			    parked * len >> 10);
	if (answered != eagain)
		return fail(c, "%u answers other than -EAGAIN",
			    answered - eagain);
	if (parked > limit)
		return fail(c, "%u READs of %u bytes parked, budget "
			    "max-call-bytes=%u allows %u", parked, len,
			    A_MAX_CALL_BYTES, limit);
	return a_recovers(c, 1);
}

/* ---- 4: blocking-opens ---- */

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

static int t_blocking_opens(struct ctx *c)
{
	struct fq *a = &c->a, *b = &c->b;
	static int64_t lat[1000];
	int slot[16], i, n = 0, rfd, ret = 0;
	int64_t hb, t;

	for (i = 0; i < 16; i++)
		slot[i] = submit_open(a, EXP_WFIFO, DEVCALL_O_WRONLY);
	fq_kick(a);
	msleep(100);
	hb = fq_open(b, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	if (hb == FQ_NO_ANSWER) {
		ret = fail(c, "B's OPEN of zero not answered within %d ms: "
			   "A's 16 blocked OPENs hold every worker", CALL_MS);
		goto release;
	}
	if (hb <= 0) {
		ret = fail(c, "B's OPEN of zero: %lld", (long long)hb);
		goto release;
	}
	for (n = 0; n < 1000; n++) {
		t = fq_now_us();
		if (fq_read_inline(b, (uint64_t)hb, 16, 0, CALL_MS) != 16) {
			ret = fail(c, "B's READ %d not served within %d ms", n,
				   CALL_MS);
			break;
		}
		lat[n] = fq_now_us() - t;
	}
	fq_close(b, (uint64_t)hb, CALL_MS);
	if (n) {
		qsort(lat, (size_t)n, sizeof(lat[0]), cmp_i64);
		printf("# blocking-opens: B %d READs: p50 %lld us, p99 %lld "
		       "us\n", n, (long long)lat[n / 2],
		       (long long)lat[n * 99 / 100]);
		if (n == 1000 && lat[n * 99 / 100] >= 50000)
			ret = fail(c, "B's p99 %lld us >= 50 ms",
				   (long long)lat[n * 99 / 100]);
	}
release:
	rfd = wfifo_release(c);
	for (i = 0; i < 16; i++) {
		if (fq_wait(a, slot[i], 3000)) {
			ret = fail(c, "A's OPEN %d not answered after the "
				   "FIFO got a reader", i);
			continue;
		}
		if (fq_result(a, slot[i]) <= 0)
			ret = fail(c, "A's OPEN %d answered %lld", i,
				   (long long)fq_result(a, slot[i]));
		else
			fq_close(a, (uint64_t)fq_result(a, slot[i]), CALL_MS);
		fq_release(a, slot[i]);
	}
	close(rfd);
	return ret;
}

/* ---- irq-batch: one interrupt for a run, never an answer without ---- */

/*
 * Reap until every slot in slot[] is answered, each look at the ring
 * after an interrupt of A's queue (fq_wait() also polls the ring): an
 * answer the daemon left on the ring with no interrupt after it times
 * out here. Adds the interrupts seen (the eventfd's count: every write
 * the daemon made).
 */
static int wait_by_irq(struct fq *f, const int *slot, int n, int ms,
		       uint64_t *irqs)
{
	struct pollfd p = {
		.fd = f->irq_fd[DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ)],
		.events = POLLIN,
	};
	uint64_t v;
	int i, done;

	for (;;) {
		if (poll(&p, 1, ms) <= 0 || read(p.fd, &v, sizeof(v)) != sizeof(v))
			return -ETIMEDOUT;
		*irqs += v;
		fq_reap(f);
		for (i = done = 0; i < n; i++)
			done += fq_result(f, slot[i]) != FQ_NO_ANSWER;
		if (done == n)
			return 0;
	}
}

static void irq_drain(struct fq *f)
{
	fq_reap(f);
	fq_wait_irq(f, DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ), 0);
}

#define IRQ_RUN		32

static int t_irq_batch(struct ctx *c)
{
	struct fq *a = &c->a;
	int slot[IRQ_RUN], i, ret = 0, rfd;
	uint64_t irqs = 0;
	int64_t h;

	h = fq_open(a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	if (h <= 0)
		return fail(c, "OPEN of zero: %lld", (long long)h);
	/* A run of short reads in one kick: fewer interrupts than answers. */
	irq_drain(a);
	for (i = 0; i < IRQ_RUN; i++)
		slot[i] = submit_simple(a, DEVCALL_OP_READ, (uint64_t)h, 16, 0, 0);
	fq_kick(a);
	if (wait_by_irq(a, slot, IRQ_RUN, CALL_MS, &irqs))
		ret = fail(c, "answers of a run of %d READs left on the ring "
			   "with no interrupt after them", IRQ_RUN);
	for (i = 0; i < IRQ_RUN; i++) {
		if (!ret && fq_result(a, slot[i]) != 16)
			ret = fail(c, "READ %d answered %lld", i,
				   (long long)fq_result(a, slot[i]));
		fq_release(a, slot[i]);
	}
	printf("# irq-batch: %d READs, %llu interrupts\n", IRQ_RUN,
	       (unsigned long long)irqs);
	if (!ret && (irqs == 0 || irqs >= IRQ_RUN))
		ret = fail(c, "%llu interrupts for %d answers in one run",
			   (unsigned long long)irqs, IRQ_RUN);

	/*
	 * All of A's workers but one held in OPENs of a FIFO with no
	 * reader; then a short READ and one more such OPEN, both for the
	 * last worker: the READ's answer is signalled before that worker
	 * blocks, not held behind the OPEN.
	 */
	for (i = 0; i < A_WORKERS - 1; i++)
		slot[2 + i] = submit_open(a, EXP_WFIFO, DEVCALL_O_WRONLY);
	fq_kick(a);
	msleep(100);
	irq_drain(a);
	slot[0] = submit_simple(a, DEVCALL_OP_READ, (uint64_t)h, 16, 0, 0);
	slot[1] = submit_open(a, EXP_WFIFO, DEVCALL_O_WRONLY);
	fq_kick(a);
	if (!ret && wait_by_irq(a, slot, 1, CALL_MS, &irqs))
		ret = fail(c, "a READ's answer held behind a blocking OPEN");
	if (!ret && fq_result(a, slot[1]) != FQ_NO_ANSWER)
		ret = fail(c, "the OPEN of a FIFO with no reader did not block");
	rfd = wfifo_release(c);
	for (i = 1; i < A_WORKERS + 1; i++) {
		if (fq_wait(a, slot[i], 3000)) {
			ret = ret ? ret : fail(c, "an OPEN not answered after "
					       "the FIFO got a reader");
		} else if (fq_result(a, slot[i]) > 0) {
			fq_close(a, (uint64_t)fq_result(a, slot[i]), CALL_MS);
		}
		fq_release(a, slot[i]);
	}
	fq_release(a, slot[0]);
	if (rfd >= 0)
		close(rfd);
	fq_close(a, (uint64_t)h, CALL_MS);
	return ret;
}

/* ---- slow-reads-side-by-side: short calls that take long ---- */

/*
 * Reads are served in a row by the worker that took them while they
 * are fast; when each takes long (a disk's, here a script's 50 ms) the
 * chains behind one go to the other workers, so the host device sees
 * them side by side. Fast reads first teach the session they are fast.
 */
#define SLOW_RUN	8

static int t_slow_reads(struct ctx *c)
{
	struct fq *a = &c->a;
	int slot[SLOW_RUN], i, round, ret = 0;
	int64_t hz, hs, t, ms = 0;

	hz = fq_open(a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	hs = fq_open(a, EXP_SLOW, DEVCALL_O_RDONLY, CALL_MS);
	if (hz <= 0 || hs <= 0)
		return fail(c, "OPEN of zero or slow: %lld %lld",
			    (long long)hz, (long long)hs);
	for (i = 0; i < 64 && !ret; i++)
		if (fq_read_inline(a, (uint64_t)hz, 16, 0, CALL_MS) != 16)
			ret = fail(c, "READ of zero %d", i);
	/* Twice: the first run also teaches the session they are slow. */
	for (round = 0; round < 2 && !ret; round++) {
		for (i = 0; i < SLOW_RUN; i++)
			slot[i] = submit_simple(a, DEVCALL_OP_READ,
						(uint64_t)hs, 16, 0, 0);
		t = fq_now_ms();
		fq_kick(a);
		for (i = 0; i < SLOW_RUN; i++) {
			if (fq_wait(a, slot[i], 5000))
				ret = ret ? ret : fail(c, "slow READ %d not "
						       "answered", i);
			else if (!ret && fq_result(a, slot[i]) != 16)
				ret = fail(c, "slow READ %d: %lld", i,
					   (long long)fq_result(a, slot[i]));
			fq_release(a, slot[i]);
		}
		ms = fq_now_ms() - t;
	}
	printf("# slow-reads: %d READs of %d ms each with %d workers: %lld ms\n",
	       SLOW_RUN, SLOW_READ_MS, A_WORKERS, (long long)ms);
	/* One at a time: SLOW_RUN * 50 = 400 ms; four side by side: 100. */
	if (!ret && ms >= SLOW_RUN * SLOW_READ_MS * 3 / 4)
		ret = fail(c, "%d slow READs took %lld ms: served one at a "
			   "time", SLOW_RUN, (long long)ms);
	fq_close(a, (uint64_t)hz, CALL_MS);
	fq_close(a, (uint64_t)hs, CALL_MS);
	return ret;
}

/* ---- ring-poll: B polls its ring (poll-us), A does not ---- */

#define POLL_READS	1000
#define POLL_THINK_US	100

/*
 * n READs of 16 bytes, each published POLL_THINK_US after the answer to
 * the one before (longer than a worker takes to go back to sleep,
 * shorter than B's poll-us); how many needed a doorbell (the ring's
 * VRING_USED_F_NO_NOTIFY was clear when the guest published).
 */
static int doorbells_per_reads(struct ctx *c, struct fq *f, int n,
			       int *rung)
{
	int64_t h = fq_open(f, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	int i, s, ret = 0;

	*rung = 0;
	if (h <= 0)
		return fail(c, "OPEN of zero: %lld", (long long)h);
	for (i = 0; i < n && !ret; i++) {
		int64_t until = fq_now_us() + POLL_THINK_US;

		while (fq_now_us() < until)
			;
		s = submit_simple(f, DEVCALL_OP_READ, (uint64_t)h, 16, 0, 0);
		*rung += fq_kick_prepared(f);
		if (s < 0 || fq_wait(f, s, CALL_MS) || fq_result(f, s) != 16)
			ret = fail(c, "READ %d: %lld", i,
				   (long long)fq_result(f, s));
		fq_release(f, s);
	}
	fq_close(f, (uint64_t)h, CALL_MS);
	return ret;
}


static int t_ring_poll(struct ctx *c)
{
	int rung_a, rung_b;

	if (doorbells_per_reads(c, &c->a, POLL_READS, &rung_a) ||
	    doorbells_per_reads(c, &c->b, POLL_READS, &rung_b))
		return -1;
	printf("# ring-poll: %d READs %d us apart rang the doorbell %d "
	       "times on A (no poll-us), %d on B (poll-us = 1000)\n",
	       POLL_READS, POLL_THINK_US, rung_a, rung_b);
	if (rung_a < POLL_READS * 3 / 4)
		return fail(c, "A rang only %d times in %d READs with no "
			    "polling", rung_a, POLL_READS);
	if (rung_b >= rung_a / 2)
		return fail(c, "B rang %d times in %d READs: its worker did "
			    "not watch the ring", rung_b, POLL_READS);
	return 0;
}

/* ---- 5: reset-around-queued-call ---- */

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

static int t_reset_around_queued_call(struct ctx *c)
{
	struct fq *a = &c->a;
	struct devcall_seg seg;
	struct devcall_req r;
	uint8_t *data = fq_gpa(a, FQ_DATA_GPA, 256), *resp;
	int64_t z;
	int i, s, rfd, ret = 0;

	z = fq_open(a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	if (z <= 0)
		return fail(c, "setup: OPEN zero %lld", (long long)z);
	for (i = 0; i < 8; i++)
		submit_open(a, EXP_WFIFO, DEVCALL_O_WRONLY);
	fq_kick(a);
	msleep(100);
	memset(data, 0xa5, 256);
	fq_req_init(a, &r, DEVCALL_OP_READ);
	r.handle = htole64((uint64_t)z);
	r.len = htole32(256);
	r.nr_segs = htole16(1);
	seg = (struct devcall_seg){ .addr = htole64(FQ_DATA_GPA),
				    .len = htole32(256),
				    .flags = htole16(DEVCALL_SEG_FROM_HOST) };
	s = fq_submit(a, &r, &seg, 1, NULL, 0);
	resp = fq_slot_resp(a, s);
	memset(resp, 0x5a, FQ_RESP_MAX);
	fq_kick(a);
	if (!fq_wait(a, s, 100))
		ret = fail(c, "setup: the READ was served at once (%lld): "
			   "A's workers were not all busy",
			   (long long)fq_result(a, s));
	/* Two resets, the rings elsewhere each time. */
	if (fq_driver_start(a, 256, 1) || fq_driver_start(a, 256, 2))
		ret = fail(c, "A's resets failed");
	rfd = wfifo_release(c);
	msleep(500);
	if (!all_bytes(data, 256, 0xa5))
		ret = fail(c, "the READ queued before the reset wrote its "
			   "data into guest RAM after it");
	if (!all_bytes(resp, FQ_RESP_MAX, 0x5a))
		ret = fail(c, "the READ queued before the reset was answered "
			   "into guest RAM after it (result %lld)",
			   (long long)(int64_t)le64toh(((struct devcall_resp *)
						       resp)->result));
	if (a->q.used && a->q.used->idx)
		ret = fail(c, "the new queue got %u used entries it never "
			   "asked for", le16toh(a->q.used->idx));
	if (!ret)
		ret = fq_roundtrip(a, EXP_ZERO, CALL_MS) ?
		      fail(c, "A not served after its resets") : 0;
	close(rfd);
	return ret;
}

/* ---- 6: open-racing-reset ---- */

static int t_open_racing_reset(struct ctx *c)
{
	struct fq *a = &c->a, *b = &c->b;
	int i, s, rfd, fds, ret = 0;
	int64_t hb;

	for (i = 0; i < 8; i++)
		submit_open(a, EXP_WFIFO, DEVCALL_O_WRONLY);
	fq_kick(a);
	msleep(100);
	s = submit_open(a, EXP_EXCL, DEVCALL_O_RDONLY);
	fq_kick(a);
	if (!fq_wait(a, s, 100))
		ret = fail(c, "setup: the exclusive OPEN was served at once "
			   "(%lld)", (long long)fq_result(a, s));
	if (fq_driver_start(a, 256, 1))
		ret = fail(c, "A's reset failed");
	rfd = wfifo_release(c);
	msleep(300);
	hb = fq_open(b, EXP_EXCL, DEVCALL_O_RDONLY, CALL_MS);
	if (hb <= 0)
		ret = fail(c, "B's OPEN of the exclusive export after A's "
			   "reset: %lld%s", (long long)hb,
			   hb == -EBUSY ? " (EBUSY: A's OPEN queued before "
			   "the reset holds it)" : "");
	else
		fq_close(b, (uint64_t)hb, CALL_MS);
	close(rfd);
	fds = fds_settle(c, c->fds0, 1000);
	if (fds > c->fds0)
		ret = fail(c, "daemon holds %d descriptors, %d at the start: "
			   "OPENs answered after the reset leaked", fds,
			   c->fds0);
	return ret;
}

/* ---- malformed chains: NEEDS_RESET, not an answer ---- */

enum bad_kind { BAD_INDEX, BAD_LOOP, BAD_RW_ORDER, BAD_INDIRECT,
		BAD_OUTSIDE, BAD_LEN_4G, BAD_HEAD, BAD_AVAIL_JUMP,
		NR_BAD_CHAIN = BAD_HEAD };

/* Build and publish one malformed chain on A's queue. */
static void publish_bad(struct ctx *c, enum bad_kind k)
{
	struct fq *a = &c->a;
	uint64_t req = FQ_SLOT_GPA, resp = FQ_SLOT_GPA + FQ_SLOT_REQ_MAX;
	uint16_t num = a->q.num;
	struct devcall_req r;

	fq_req_init(a, &r, DEVCALL_OP_CLOSE);
	memcpy(fq_gpa(a, req, sizeof(r)), &r, sizeof(r));
	switch (k) {
	case BAD_INDEX:
		fq_desc(a, 0, req, sizeof(r), VRING_DESC_F_NEXT, num + 7);
		break;
	case BAD_LOOP:
		fq_desc(a, 0, req, sizeof(r), VRING_DESC_F_NEXT, 1);
		fq_desc(a, 1, req, sizeof(r), VRING_DESC_F_NEXT, 0);
		break;
	case BAD_RW_ORDER:
		fq_desc(a, 0, resp, FQ_RESP_MAX,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
		fq_desc(a, 1, req, sizeof(r), 0, 0);
		break;
	case BAD_INDIRECT:
		fq_desc(a, 2, req, sizeof(r), 0, 0);	/* the table */
		fq_desc(a, 0, FQ_RING_GPA(0) + 32, 16, VRING_DESC_F_INDIRECT,
			0);
		break;
	case BAD_OUTSIDE:
		fq_desc(a, 0, 1ull << 40, sizeof(r), VRING_DESC_F_NEXT, 1);
		fq_desc(a, 1, resp, FQ_RESP_MAX, VRING_DESC_F_WRITE, 0);
		break;
	case BAD_LEN_4G:
		fq_desc(a, 0, req, 0xffffffffu, VRING_DESC_F_NEXT, 1);
		fq_desc(a, 1, resp, FQ_RESP_MAX, VRING_DESC_F_WRITE, 0);
		break;
	case BAD_HEAD:
		fq_publish(a, num + 5);
		return;
	case BAD_AVAIL_JUMP:
		a->q.avail_idx += num + 1;
		__atomic_store_n(&a->q.avail->idx, htole16(a->q.avail_idx),
				 __ATOMIC_RELEASE);
		return;
	}
	fq_publish(a, 0);
}

static const char *const bad_names[] = {
	"bad descriptor index", "descriptor loop", "readable after writable",
	"indirect descriptor", "descriptor outside RAM",
	"4 GiB descriptor length", "head out of range",
	"avail index jumping past the ring size",
};

/* One malformed chain: NEEDS_RESET within a second, no answer. */
static int bad_once(struct ctx *c, enum bad_kind k)
{
	struct fq *a = &c->a;
	uint16_t used;

	publish_bad(c, k);
	fq_kick(a);
	if (wait_status(a, NEEDS_RESET, CALL_MS)) {
		used = le16toh(a->q.used->idx);
		return fail(c, "%s: no NEEDS_RESET%s", bad_names[k], used ?
			    "; it was answered (empty) instead" :
			    " and no answer within 1 s");
	}
	if (le16toh(a->q.used->idx))
		return fail(c, "%s: NEEDS_RESET, but answered too",
			    bad_names[k]);
	return 0;
}

static int t_bad_chain(struct ctx *c, int k)
{
	if (bad_once(c, (enum bad_kind)k))
		return -1;
	return a_recovers(c, 1);
}

/* ---- zero-length descriptors ---- */

static int t_zero_length_desc(struct ctx *c)
{
	struct fq *a = &c->a;
	uint8_t *resp = fq_gpa(a, FQ_DATA_GPA, 64);
	int s;

	/* An empty request: an error answer, or the queue broken. */
	s = fq_submit_raw(a, 1, FQ_SLOT_GPA, 0, FQ_DATA_GPA + 4096,
			  FQ_RESP_MAX);
	fq_kick(a);
	if (fq_wait(a, s, CALL_MS) == 0) {
		if (fq_result(a, s) >= 0)
			return fail(c, "an empty request was answered %lld",
				    (long long)fq_result(a, s));
	} else if (!(fq_status(a) & NEEDS_RESET)) {
		return fail(c, "an empty request: no answer, no NEEDS_RESET");
	}
	if (a_recovers(c, 1))
		return -1;
	/* A zero-length response area: nothing may be written anywhere. */
	memset(resp, 0x5a, 64);
	{
		struct devcall_req r;
		uint8_t *req = fq_gpa(a, FQ_DATA_GPA + 8192, sizeof(r));

		fq_req_init(a, &r, DEVCALL_OP_OPEN);
		r.export_id = htole32(EXP_ZERO);
		memcpy(req, &r, sizeof(r));
		s = fq_submit_raw(a, 2, FQ_DATA_GPA + 8192, sizeof(r),
				  FQ_DATA_GPA, 0);
	}
	fq_kick(a);
	if (fq_wait(a, s, CALL_MS) == 0 && a->q.slot[s].used_len)
		return fail(c, "a 0-byte response area was said to get %u "
			    "bytes", a->q.slot[s].used_len);
	if (!all_bytes(resp, 64, 0x5a))
		return fail(c, "bytes written behind a 0-byte response area");
	return a_recovers(c, 2);
}

/* ---- malformed-chain-log-flood ---- */

static int t_malformed_log_flood(struct ctx *c)
{
	const char *env = getenv("HOSTILE_LOG_ITERS");
	int iters = env ? atoi(env) : 20000, i;
	long log0 = file_size(path(c, "devcalld.log")), grew;
	int64_t t0 = fq_now_ms();
	struct fq *a = &c->a;

	for (i = 0; i < iters; i++) {
		publish_bad(c, (enum bad_kind)(i % NR_BAD_CHAIN));
		fq_kick(a);
		/* Broken, or (today's daemon) answered empty. */
		while (!(fq_status(a) & NEEDS_RESET) &&
		       !le16toh(a->q.used->idx)) {
			if (fq_now_ms() - t0 > 90000)
				return fail(c, "too slow: %d rounds in 90 s",
					    i);
			fq_wait_irq(a, DEVCALL_MSIX_VEC_CONFIG, 1);
		}
		if (fq_driver_start(a, 256, 0))
			return fail(c, "round %d: A's reset failed", i);
	}
	grew = file_size(path(c, "devcalld.log")) - log0;
	printf("# malformed-chain-log-flood: %d rounds in %lld ms, log +%ld "
	       "bytes\n", iters, (long long)(fq_now_ms() - t0), grew);
	if (grew >= 1 << 20)
		return fail(c, "%d malformed chains grew the daemon log by "
			    "%ld bytes (>= 1 MiB): no rate limit", iters, grew);
	return a_recovers(c, 1);
}

/* ---- loop-hog ---- */

struct hog {
	struct ctx *c;
	volatile bool stop;
	unsigned long calls;
	int64_t handle;
};

static void *hog_main(void *arg)
{
	struct hog *h = arg;
	struct fq *a = &h->c->a;
	unsigned int s;

	while (!h->stop) {
		while (submit_simple(a, DEVCALL_OP_READ, (uint64_t)h->handle,
				     1, DEVCALL_REQ_F_NONBLOCK, 0) >= 0)
			;
		fq_kick(a);
		fq_wait_irq(a, DEVCALL_MSIX_VEC_QUEUE(0), 1);
		fq_reap(a);
		for (s = 0; s < a->q.nr_slots; s++) {
			if (a->q.slot[s].state == FQ_SLOT_DONE) {
				h->calls++;
				fq_release(a, (int)s);
			}
		}
	}
	return NULL;
}

static int t_loop_hog(struct ctx *c)
{
	struct hog h = { .c = c };
	uint32_t beat, last;
	int64_t t0, tlast, gap = 0, now;
	pthread_t th;

	h.handle = fq_open(&c->a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	if (h.handle <= 0)
		return fail(c, "setup: OPEN zero %lld", (long long)h.handle);
	last = le32toh(c->b.regs->heartbeat);
	t0 = tlast = fq_now_ms();
	pthread_create(&th, NULL, hog_main, &h);
	while ((now = fq_now_ms()) - t0 < 3000) {
		beat = le32toh(__atomic_load_n(&c->b.regs->heartbeat,
					       __ATOMIC_RELAXED));
		if (beat != last) {
			if (now - tlast > gap)
				gap = now - tlast;
			last = beat;
			tlast = now;
		}
		msleep(5);
	}
	if (fq_now_ms() - tlast > gap)
		gap = fq_now_ms() - tlast;
	h.stop = true;
	pthread_join(th, NULL);
	printf("# loop-hog: A made %lu calls in 3 s; B's longest heartbeat "
	       "gap %lld ms\n", h.calls, (long long)gap);
	if (gap > 200)
		return fail(c, "B's heartbeat stood still for %lld ms",
			    (long long)gap);
	return 0;
}

/* ---- ram-truncated ---- */

/* Did the other end of fd close within ms? */
static bool peer_hung_up(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char byte;

	if (fd < 0)
		return true;
	if (poll(&p, 1, ms) <= 0)
		return false;
	return (p.revents & (POLLHUP | POLLRDHUP)) ||
	       recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
}

static int t_ram_truncated(struct ctx *c)
{
	struct fq *a = &c->a;
	char sock[512];
	int64_t h, z;
	int s, ret = 0;

	h = fq_open(a, EXP_FIFO, DEVCALL_O_RDONLY, CALL_MS);
	z = fq_open(a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	if (h <= 0 || z <= 0)
		return fail(c, "setup: OPEN fifo %lld zero %lld",
			    (long long)h, (long long)z);
	s = submit_simple(a, DEVCALL_OP_READ, (uint64_t)h, 16, 0, 0);
	fq_kick(a);
	if (!fq_wait(a, s, 100))
		return fail(c, "setup: the READ did not park");
	/* Published, not kicked: the daemon finds it after the truncate. */
	submit_simple(a, DEVCALL_OP_READ, (uint64_t)z, 16, 0, 0);
	if (ftruncate(a->ram_fd, 0))
		return fail(c, "truncate: %s", strerror(errno));
	/* No touching our own RAM from here: it is gone for us too. */
	fq_kick(a);
	fifo_feed(c->a_fifo, 16);	/* the parked READ answers into it */
	msleep(300);
	if (!daemon_alive(c->daemon))
		ret = fail(c, "the daemon died when A's RAM file shrank "
			   "(SIGBUS)");
	if (ftruncate(a->ram_fd, (off_t)a->ram_size))
		return fail(c, "restoring A's RAM: %s", strerror(errno));
	if (ret)
		return ret;
	/* A alone is broken: the daemon let its QEMU go. */
	if (!peer_hung_up(a->sock, 1000))
		return fail(c, "A's QEMU still connected after its RAM file "
			    "was truncated");
	/* A new QEMU of A (the RAM file is whole again) is served. */
	fq_disconnect(a);
	memset(&a->q, 0, sizeof(a->q));
	snprintf(sock, sizeof(sock), "%s/run/a.sock", c->dir);
	ret = fq_connect(a, sock, 2000);
	if (ret)
		return fail(c, "A cannot connect again: %s", strerror(-ret));
	return a_recovers(c, 1);
}

/* ---- ram-symlink, ram-wrong-owner ---- */

static int t_ram_refused(struct ctx *c, const char *vm, const char *ram)
{
	char sock[512];
	struct fq x;
	int ret;

	fq_init(&x, vm);
	snprintf(sock, sizeof(sock), "%s/run/%s.sock", c->dir, vm);
	ret = fq_ram_create(&x, path(c, ram), FQ_RAM_SIZE);
	if (!ret)
		ret = fq_connect(&x, sock, 2000);
	if (ret) {
		fq_destroy(&x);
		return fail(c, "setup: %s: %s", vm, strerror(-ret));
	}
	ret = fq_driver_start(&x, 256, 0);
	fq_destroy(&x);
	if (!ret)
		return fail(c, "QUEUE_ENABLE succeeded: the daemon mapped "
			    "guest RAM through %s", vm[0] == 's' ?
			    "a symlink" : "a file owned by another uid");
	return 0;
}

static int t_ram_symlink(struct ctx *c)
{
	return t_ram_refused(c, "sym", "ram/sym-target.ram");
}

static int t_ram_wrong_owner(struct ctx *c)
{
	return t_ram_refused(c, "own", "ram/own.ram");
}

/* ---- ram-auto-lies ---- */

/* Read what the daemon sends until want shows up: 0 or -ETIMEDOUT. */
static int qmp_expect(int fd, const char *want, int ms)
{
	static char buf[16384];
	static size_t len;
	int64_t end = fq_now_ms() + ms;

	if (!want) {
		len = 0;
		return 0;
	}
	while (fq_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		buf[len] = '\0';
		if (strstr(buf, want))
			return 0;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, MSG_DONTWAIT);
		if (n <= 0)
			return -EPIPE;
		len += (size_t)n;
	}
	return -ETIMEDOUT;
}

/*
 * Play QEMU's QMP monitor for VM auto (memory = auto): a machine
 * memory-backend "ram" of type, size, share and mem-path as given.
 * Returns the connection (kept open: closing it forgets the answers).
 */
static int qmp_play(struct ctx *c, const char *type, uint64_t size,
		    bool share, const char *mem_path)
{
	char msg[1024];
	int fd = fq_qmp_connect(path(c, "run/auto.qmp"));

	if (fd < 0)
		return fd;
	qmp_expect(fd, NULL, 0);
	snprintf(msg, sizeof(msg), "{\"QMP\": {}}\r\n{\"return\": {}}\r\n"
		 "{\"return\": \"/objects/ram\", \"id\": 1}\r\n");
	if (qmp_expect(fd, "\"id\": 1}", 2000) ||
	    fq_qmp_send(fd, msg, strlen(msg)))
		goto fail;
	snprintf(msg, sizeof(msg), "{\"return\": [{\"name\": \"ram\", "
		 "\"type\": \"child<memory-backend-%s>\"}], \"id\": 2}\r\n",
		 type);
	if (qmp_expect(fd, "\"id\": 2}", 2000) ||
	    fq_qmp_send(fd, msg, strlen(msg)))
		goto fail;
	snprintf(msg, sizeof(msg), "{\"return\": %llu, \"id\": 100}\r\n"
		 "{\"return\": %s, \"id\": 101}\r\n"
		 "{\"return\": \"%s\", \"id\": 102}\r\n",
		 (unsigned long long)size, share ? "true" : "false", mem_path);
	if (qmp_expect(fd, "\"id\": 101}", 2000) ||
	    fq_qmp_send(fd, msg, strlen(msg)))
		goto fail;
	msleep(100);		/* the daemon reads it */
	return fd;
fail:
	close(fd);
	return -EPROTO;
}

/* QEMU's monitor connecting late, from another thread of the same QEMU. */
struct late_qmp {
	struct ctx *c;
	const char *ram;
	int fd;
};

static void *late_qmp_run(void *arg)
{
	struct late_qmp *l = arg;

	msleep(300);
	l->fd = qmp_play(l->c, "file", FQ_RAM_SIZE, true, l->ram);
	return NULL;
}

/*
 * memory = auto takes only a file this QEMU holds and maps shared, of
 * the size QEMU says: QMP answers naming another file, a bigger size, an
 * unshared backend or a memfd it has not are all refused; the truth is
 * served.
 */
static int t_ram_auto_lies(struct ctx *c)
{
	static const struct {
		const char *what, *type, *path;
		uint64_t size;
		bool share;
	} lies[] = {
		{ "a file QEMU does not hold", "file", "/etc/passwd",
		  FQ_RAM_SIZE, true },
		{ "a bigger size", "file", NULL, 2 * FQ_RAM_SIZE, true },
		{ "share=off", "file", NULL, FQ_RAM_SIZE, false },
		{ "a memfd QEMU does not have", "memfd", NULL, FQ_RAM_SIZE,
		  true },
	};
	const char *ram = path(c, "ram/auto.ram");
	char sock[512], real[512];
	unsigned int i;
	struct fq x;
	int ret, q;

	snprintf(real, sizeof(real), "%s", ram);
	fq_init(&x, "auto");
	snprintf(sock, sizeof(sock), "%s/run/auto.sock", c->dir);
	ret = fq_ram_create(&x, real, FQ_RAM_SIZE);
	if (!ret)
		ret = fq_connect(&x, sock, 2000);
	if (ret) {
		fq_destroy(&x);
		return fail(c, "setup: auto: %s", strerror(-ret));
	}
	for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		q = qmp_play(c, lies[i].type, lies[i].size, lies[i].share,
			     lies[i].path ? lies[i].path : real);
		if (q < 0) {
			fq_destroy(&x);
			return fail(c, "QMP for %s: %s", lies[i].what,
				    strerror(-q));
		}
		ret = fq_driver_start(&x, 256, 0);
		close(q);
		if (!ret) {
			fq_destroy(&x);
			return fail(c, "QUEUE_ENABLE succeeded with %s",
				    lies[i].what);
		}
	}
	q = qmp_play(c, "file", FQ_RAM_SIZE, true, real);
	ret = q < 0 ? q : fq_driver_start(&x, 256, 0);
	if (!ret)
		ret = fq_roundtrip(&x, EXP_ZERO, CALL_MS);
	if (q >= 0)
		close(q);
	if (ret) {
		fq_destroy(&x);
		return fail(c, "the true answers were not served: %s",
			    strerror(-ret));
	}
	/*
	 * The queue enabled before QEMU's monitor is there (a restarted
	 * daemon): the enable waits for its answers, then is served.
	 */
	{
		struct late_qmp l = { c, real, -1 };
		pthread_t t;

		/* A new QEMU: the daemon has no RAM mapped for it yet. */
		fq_disconnect(&x);
		memset(&x.q, 0, sizeof(x.q));
		ret = fq_connect(&x, sock, 2000);
		if (ret) {
			fq_destroy(&x);
			return fail(c, "auto cannot connect again: %s",
				    strerror(-ret));
		}
		if (pthread_create(&t, NULL, late_qmp_run, &l)) {
			fq_destroy(&x);
			return fail(c, "pthread_create failed");
		}
		ret = fq_driver_start(&x, 256, 0);
		pthread_join(t, NULL);
		if (!ret)
			ret = fq_roundtrip(&x, EXP_ZERO, CALL_MS);
		if (l.fd >= 0)
			close(l.fd);
	}
	fq_destroy(&x);
	if (ret)
		return fail(c, "a queue enable before QMP was not served "
			    "once QMP answered: %s", strerror(-ret));
	return 0;
}

/* ---- keeper-foreign-uid ---- */

static int connect_as(const char *p, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_usec = 500000 };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* As uid NOBODY: 0 if refused everywhere, else which door opened. */
static int foreign_child(struct ctx *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)], op = 'T';
	struct iovec iov = { .iov_base = &op, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct fq x;
	int fd, nul;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		return 9;
	fd = connect_as(path(c, "run/a.sock.keep"), SOCK_SEQPACKET);
	if (fd >= 0) {
		if (send(fd, &op, 1, 0) == 1 && recvmsg(fd, &msg, 0) > 0 &&
		    CMSG_FIRSTHDR(&msg))
			return 1;
		op = 'P';
		nul = open("/dev/null", O_RDONLY);
		msg.msg_controllen = CMSG_SPACE(sizeof(int));
		CMSG_FIRSTHDR(&msg)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&msg)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&msg)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&msg)), &nul, sizeof(int));
		if (sendmsg(fd, &msg, 0) == 1 && recv(fd, &op, 1, 0) == 1 &&
		    op == 'P')
			return 2;
		close(fd);
	}
	fq_init(&x, "c");
	if (fq_connect_once(&x, path(c, "run/c.sock"), 500) == 0)
		return 3;
	return 0;
}

static int t_keeper_foreign_uid(struct ctx *c)
{
	static const char *const what[] = {
		"", "the fd keeper gave A's QEMU descriptors to uid 65534 (TAKE)",
		"the fd keeper took descriptors from uid 65534 (PUT)",
		"uid 65534 completed the ivshmem handshake of VM c",
	};
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(foreign_child(c));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return fail(c, "child as uid 65534 failed");
	st = WEXITSTATUS(st);
	if (st == 9)
		return fail(c, "could not become uid 65534 (not root?)");
	if (st)
		return fail(c, "%s", what[st < 4 ? st : 0]);
	return 0;
}

/* ---- socket-modes ---- */

static int t_socket_modes(struct ctx *c)
{
	const char *run = path(c, "run");
	char bad[512] = "", p[512];
	struct dirent *e;
	struct stat st;
	DIR *d;

	if (stat(run, &st))
		return fail(c, "no run dir %s", run);
	if (st.st_mode & 027)
		snprintf(bad, sizeof(bad), "run dir mode %04o;",
			 st.st_mode & 07777);
	d = opendir(run);
	while (d && (e = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%s", run, e->d_name);
		if (lstat(p, &st) || !S_ISSOCK(st.st_mode) ||
		    !(st.st_mode & 007))
			continue;
		snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad),
			 " %s %04o", e->d_name, st.st_mode & 07777);
	}
	if (d)
		closedir(d);
	if (bad[0])
		return fail(c, "want run dir 0750 or tighter, sockets not "
			    "world-accessible: %.400s", bad);
	return 0;
}

/* ---- cancel-memory-per-vm ---- */

static int t_cancel_memory_per_vm(struct ctx *c)
{
	const uint64_t x = 0x7a67000000000001ull;
	struct fq *a = &c->a, *b = &c->b;
	struct devcall_req r;
	int i, s, ret = 0;
	int64_t hb;

	hb = fq_open(b, EXP_FIFO, DEVCALL_O_RDONLY, CALL_MS);
	if (hb <= 0)
		return fail(c, "setup: B's OPEN fifo %lld", (long long)hb);
	fq_req_init(b, &r, DEVCALL_OP_CANCEL);
	r.arg = htole64(x);
	fq_call(b, &r, NULL, 0, NULL, 0, CALL_MS, NULL);
	for (i = 0; i < 300; i++) {
		if (submit_simple(a, DEVCALL_OP_CANCEL, 0, 0, 0,
				  0xdead0000ull + (uint64_t)i) < 0 ||
		    i % 100 == 99) {
			fq_kick(a);
			msleep(50);
			fq_reap(a);
			release_all(a);
			if (i % 100 != 99)
				i--;
		}
	}
	fq_kick(a);
	msleep(50);
	fq_req_init(b, &r, DEVCALL_OP_READ);
	r.tag = htole64(x);
	r.handle = htole64((uint64_t)hb);
	r.len = htole32(16);
	s = fq_submit(b, &r, NULL, 0, NULL, 0);
	fq_kick(b);
	if (fq_wait(b, s, 200))
		ret = fail(c, "B's READ with the tag it cancelled earlier "
			   "parked: A's 300 CANCELs evicted B's memory");
	else if (fq_result(b, s) != -EINTR)
		ret = fail(c, "B's READ with a cancelled tag answered %lld, "
			   "want -EINTR", (long long)fq_result(b, s));
	if (ret) {		/* cancel it for real, or it waits forever */
		fq_req_init(b, &r, DEVCALL_OP_CANCEL);
		r.arg = htole64(x);
		fq_call(b, &r, NULL, 0, NULL, 0, CALL_MS, NULL);
		fq_wait(b, s, CALL_MS);
	}
	fq_release(b, s);
	fq_close(b, (uint64_t)hb, CALL_MS);
	return ret;
}

/* ---- close-handle-zero ---- */

static int t_close_handle_zero(struct ctx *c)
{
	struct fq *a = &c->a;
	unsigned int n, n16;
	int64_t h, r;
	int i;

	h = fq_open(a, EXP_FIFO, DEVCALL_O_RDONLY, CALL_MS);
	if (h <= 0)
		return fail(c, "setup: OPEN fifo %lld", (long long)h);
	for (i = 0; i < 4; i++)
		submit_simple(a, DEVCALL_OP_READ, (uint64_t)h, 16, 0, 0);
	fq_kick(a);
	msleep(100);
	if (count_answers(a, 16, &n16))
		return fail(c, "setup: READs did not park");
	r = fq_close(a, 0, CALL_MS);
	if (r != -EBADF)
		return fail(c, "CLOSE of handle 0 answered %lld, want -EBADF",
			    (long long)r);
	msleep(200);
	n = count_answers(a, 16, &n16);
	if (n)
		return fail(c, "CLOSE of handle 0 ended %u of A's 4 parked "
			    "READs", n);
	fifo_feed(c->a_fifo, 64);
	msleep(300);
	n = count_answers(a, 16, &n16);
	if (n16 != 4)
		return fail(c, "after 64 bytes into the FIFO, %u of 4 READs "
			    "got 16 bytes", n16);
	return 0;
}

/* ---- file-growth ---- */

static int t_file_growth(struct ctx *c)
{
	const char *file = path(c, "a-file.bin");
	long size0 = file_size(file), size1;
	struct devcall_req r;
	char data[16] = "hostile-hostile";
	int64_t h, ret;

	h = fq_open(&c->a, EXP_FILE, DEVCALL_O_RDWR, CALL_MS);
	if (h <= 0)
		return fail(c, "setup: OPEN file %lld", (long long)h);
	fq_req_init(&c->a, &r, DEVCALL_OP_WRITE);
	r.handle = htole64((uint64_t)h);
	r.flags = htole32(DEVCALL_REQ_F_OFFSET);
	r.offset = htole64(1ull << 30);
	r.len = htole32(sizeof(data));
	r.inline_len = htole16(sizeof(data));
	ret = fq_call(&c->a, &r, NULL, 0, data, sizeof(data), CALL_MS, NULL);
	size1 = file_size(file);
	if (truncate(file, size0))
		return fail(c, "restoring %s: %s", file, strerror(errno));
	if (ret != -EFBIG || size1 != size0)
		return fail(c, "WRITE at 1 GiB into a %ld-byte file: %lld, "
			    "file now %ld bytes (want -EFBIG, unchanged)",
			    size0, (long long)ret, size1);
	return 0;
}

/* ---- doorbell-before-queue ---- */

static int t_doorbell_before_queue(struct ctx *c)
{
	struct fq *a = &c->a;
	unsigned int v;
	int i;

	for (i = 0; i < 2000; i++)
		for (v = 0; v < DEVCALL_NR_VECTORS; v++)
			fq_ring(a, v);
	/* Queue registers scribbled on, never enabled. */
	a->regs->queue[0].num = htole32(0xffff);
	a->regs->queue[0].desc = htole64(~0ull);
	a->regs->queue[3].ready = htole32(1);
	for (v = 1; v < DEVCALL_NR_VECTORS; v++)
		fq_ring(a, v);
	msleep(50);
	return a_recovers(c, 0);
}

/* ---- mailbox-garbage ---- */

static int t_mailbox_garbage(struct ctx *c)
{
	static const struct { uint32_t cmd, arg; } bad_cmd[] = {
		{ 0, 0 }, { 4, 0 }, { 0xffffffff, 7 },
		{ DEVCALL_CMD_QUEUE_ENABLE, 1 },
		{ DEVCALL_CMD_QUEUE_ENABLE, 4 },
		{ DEVCALL_CMD_QUEUE_ENABLE, 0xffffffff },
		{ DEVCALL_CMD_QUEUE_RESET, 9 },
	};
	static const struct { uint32_t num; uint64_t d, a, u; } bad_q[] = {
		{ 0, 0x100000, 0x104000, 0x105000 },
		{ 3, 0x100000, 0x104000, 0x105000 },
		{ 2048, 0x100000, 0x104000, 0x105000 },
		{ 0x80000000, 0x100000, 0x104000, 0x105000 },
		{ 256, FQ_RAM_SIZE - 16, 0x104000, 0x105000 },
		{ 256, 1ull << 40, 0x104000, 0x105000 },
		{ 256, 0x100008, 0x104000, 0x105000 },
		{ 256, 0x100000, 0x104001, 0x105000 },
		{ 256, 0x100000, 0x104000, 0x105002 },
		{ 256, 0xfffffffffffffff0ull, 0x104000, 0x105000 },
		{ 256, 0x100000, 0x104000, FQ_RAM_SIZE - 64 },
	};
	struct fq *a = &c->a;
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(bad_cmd) / sizeof(bad_cmd[0]); i++) {
		r = fq_mailbox(a, bad_cmd[i].cmd, bad_cmd[i].arg, CALL_MS);
		if (r <= 0)
			return fail(c, "mailbox cmd %#x arg %#x: %s",
				    bad_cmd[i].cmd, bad_cmd[i].arg, r ?
				    "no answer" : "accepted");
	}
	fq_mailbox(a, DEVCALL_CMD_SET_STATUS, 3, CALL_MS);
	a->regs->driver_features = htole64(1ull << 63);
	fq_mailbox(a, DEVCALL_CMD_SET_STATUS, 0xb, CALL_MS);
	if (fq_status(a) & VIRTIO_CONFIG_S_FEATURES_OK)
		return fail(c, "FEATURES_OK with features the device never "
			    "offered");
	for (i = 0; i < sizeof(bad_q) / sizeof(bad_q[0]); i++) {
		r = fq_queue_enable(a, bad_q[i].num, bad_q[i].d, bad_q[i].a,
				    bad_q[i].u);
		if (r <= 0 || le32toh(a->regs->queue[0].ready))
			return fail(c, "QUEUE_ENABLE num %#x desc %#llx avail "
				    "%#llx used %#llx: %s", bad_q[i].num,
				    (unsigned long long)bad_q[i].d,
				    (unsigned long long)bad_q[i].a,
				    (unsigned long long)bad_q[i].u,
				    r < 0 ? "no answer" : "accepted");
	}
	/* cmd_seq jumping about is still just "a new command". */
	a->regs->cmd_seq = htole32(le32toh(a->regs->cmd_seq) + 1000);
	if (fq_mailbox(a, 0x77, 0, CALL_MS) <= 0)
		return fail(c, "a command after cmd_seq jumped: no answer");
	return a_recovers(c, 0);
}

/* ---- request-garbage ---- */

struct garbage {
	const char *what;
	int64_t want;		/* 0: any negative result */
	void (*build)(struct devcall_req *r, int64_t zh);
	uint32_t wire_len;	/* 0: as built */
};

#define G(name, body) \
	static void name(struct devcall_req *r, int64_t zh) \
	{ (void)zh; body; }

G(g_magic, r->magic = 0)
G(g_version, r->version = htole16(2))
G(g_op0, r->op = 0)
G(g_op10, r->op = htole16(10))
G(g_op13, r->op = htole16(13))
G(g_opffff, r->op = 0xffff)
G(g_reserved, r->reserved = htole32(1))
G(g_flags, r->flags = htole32(1u << 31))
G(g_nsegs, r->nr_segs = htole16(4097))
G(g_inline, r->inline_len = htole16(513))
G(g_segs_missing, r->nr_segs = htole16(2))
G(g_open0, r->op = htole16(DEVCALL_OP_OPEN); r->export_id = 0)
G(g_open999, r->op = htole16(DEVCALL_OP_OPEN);
  r->export_id = htole32(999))
G(g_open_flags, r->op = htole16(DEVCALL_OP_OPEN);
  r->export_id = htole32(EXP_ZERO); r->arg = htole64(0xffff))
G(g_handle, r->handle = htole64(0xdeadbeef))
G(g_handle_hi, r->handle = htole64(1ull << 63))
G(g_len4g, r->handle = htole64((uint64_t)zh); r->len = htole32(~0u))
G(g_ioctl, r->op = htole16(DEVCALL_OP_IOCTL);
  r->handle = htole64((uint64_t)zh); r->cmd = htole32(0xdeadbeef))
G(g_poll, r->op = htole16(DEVCALL_OP_POLL);
  r->handle = htole64((uint64_t)zh); r->arg = htole64(~0ull))
G(g_short, (void)r)

static const struct garbage garbage[] = {
	{ "bad magic", -EPROTO, g_magic, 0 },
	{ "version 2", -EPROTO, g_version, 0 },
	{ "op 0", -EPROTO, g_op0, 0 },
	{ "op 10", -EPROTO, g_op10, 0 },
	{ "op 13", -EPROTO, g_op13, 0 },
	{ "op 0xffff", -EPROTO, g_opffff, 0 },
	{ "reserved bits", -EPROTO, g_reserved, 0 },
	{ "unknown flags", -EPROTO, g_flags, 0 },
	{ "nr_segs 4097", -EINVAL, g_nsegs, 0 },
	{ "inline_len 513", -EINVAL, g_inline, 0 },
	{ "segments missing", -EINVAL, g_segs_missing, 0 },
	{ "OPEN export 0", -ENODEV, g_open0, 0 },
	{ "OPEN export 999", -ENODEV, g_open999, 0 },
	{ "OPEN flags 0xffff", -EINVAL, g_open_flags, 0 },
	{ "READ of handle 0xdeadbeef", -EBADF, g_handle, 0 },
	{ "READ of handle 1<<63", -EBADF, g_handle_hi, 0 },
	{ "READ of 4 GiB inline", 0, g_len4g, 0 },
	{ "IOCTL 0xdeadbeef", -ENOTTY, g_ioctl, 0 },
	{ "POLL of every bit", -EINVAL, g_poll, 0 },
	{ "32-byte request", -EINVAL, g_short, 32 },
};

/* A READ of the zero export with one segment, odd in one way. */
static int64_t seg_call(struct ctx *c, int64_t zh, struct devcall_seg seg)
{
	struct devcall_req r;

	fq_req_init(&c->a, &r, DEVCALL_OP_READ);
	r.handle = htole64((uint64_t)zh);
	r.len = htole32(le32toh(seg.len));
	r.nr_segs = htole16(1);
	return fq_call(&c->a, &r, &seg, 1, NULL, 0, CALL_MS, NULL);
}

static int t_request_garbage(struct ctx *c)
{
	struct fq *a = &c->a;
	struct devcall_req r;
	uint8_t *resp = fq_gpa(a, FQ_DATA_GPA, 64);
	unsigned int i;
	int64_t zh, res;
	int s;

	zh = fq_open(a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	if (zh <= 0)
		return fail(c, "setup: OPEN zero %lld", (long long)zh);
	for (i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		const struct garbage *g = &garbage[i];

		fq_req_init(a, &r, DEVCALL_OP_READ);
		r.len = htole32(16);
		g->build(&r, zh);
		if (g->wire_len) {
			memcpy(fq_gpa(a, FQ_DATA_GPA + 4096, sizeof(r)), &r,
			       sizeof(r));
			s = fq_submit_at(a, 0, FQ_DATA_GPA + 4096,
					 g->wire_len);
			fq_kick(a);
			res = fq_wait(a, s, CALL_MS) ? FQ_NO_ANSWER :
			      fq_result(a, s);
			fq_release(a, s);
		} else {
			res = fq_call(a, &r, NULL, 0, NULL, 0, CALL_MS, NULL);
		}
		if (res == FQ_NO_ANSWER)
			return fail(c, "%s: no answer", g->what);
		if (g->want ? res != g->want : res >= 0)
			return fail(c, "%s: answered %lld, want %lld", g->what,
				    (long long)res, (long long)g->want);
	}
	res = seg_call(c, zh, (struct devcall_seg){ htole64(1ull << 40),
		       htole32(16), htole16(DEVCALL_SEG_FROM_HOST), 0 });
	if (res != -EFAULT)
		return fail(c, "segment outside RAM: %lld, want -EFAULT",
			    (long long)res);
	res = seg_call(c, zh, (struct devcall_seg){ htole64(FQ_DATA_GPA),
		       htole32(16), 0, 0 });
	if (res >= 0)
		return fail(c, "segment with no direction: %lld",
			    (long long)res);
	res = seg_call(c, zh, (struct devcall_seg){ htole64(FQ_DATA_GPA),
		       htole32(16), htole16(DEVCALL_SEG_FROM_HOST),
		       htole16(64) });
	if (res >= 0)
		return fail(c, "segment of buffer 64: %lld", (long long)res);
	res = seg_call(c, zh, (struct devcall_seg){ htole64(FQ_RAM_SIZE - 8),
		       htole32(16), htole16(DEVCALL_SEG_FROM_HOST), 0 });
	if (res != -EFAULT)
		return fail(c, "segment across the end of RAM: %lld, want "
			    "-EFAULT", (long long)res);
	/* An 8-byte response area: a short answer, nothing behind it. */
	memset(resp, 0x5a, 64);
	fq_req_init(a, &r, DEVCALL_OP_READ);
	r.handle = htole64((uint64_t)zh);
	r.len = htole32(16);
	memcpy(fq_gpa(a, FQ_DATA_GPA + 4096, sizeof(r)), &r, sizeof(r));
	s = fq_submit_raw(a, 0, FQ_DATA_GPA + 4096, sizeof(r), FQ_DATA_GPA,
			  8);
	fq_kick(a);
	if (fq_wait(a, s, CALL_MS))
		return fail(c, "8-byte response area: no answer");
	if (a->q.slot[s].used_len > 8 || !all_bytes(resp + 8, 56, 0x5a))
		return fail(c, "8-byte response area: %u bytes written",
			    a->q.slot[s].used_len);
	fq_release(a, s);
	return fq_roundtrip(a, EXP_ZERO, CALL_MS) ?
	       fail(c, "A not served after the garbage") : 0;
}

/* ---- QMP ---- */

/* Read from a QMP connection until the daemon hangs up: 0, or -ETIMEDOUT. */
static int qmp_wait_hangup(int fd, int ms)
{
	int64_t end = fq_now_ms() + ms;
	char buf[4096];

	while (fq_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 50) > 0 &&
		    recv(fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			return 0;
	}
	return -ETIMEDOUT;
}

static int t_qmp_junk(struct ctx *c)
{
	static const char reset[] = "{\"event\": \"RESET\", \"data\": "
				    "{\"guest\": true}}\r\n";
	const char *qmp = path(c, "run/a.qmp");
	size_t big = 1 << 20;
	char *junk = malloc(big + 2);
	int fd, k;

	if (!junk)
		return fail(c, "out of memory");
	for (k = 0; k < 3; k++) {
		fd = fq_qmp_connect(qmp);
		if (fd < 0) {
			free(junk);
			return fail(c, "QMP connect: %s", strerror(-fd));
		}
		if (k == 0) {
			fq_qmp_send(fd, "this is not JSON }{\r\n", 21);
		} else if (k == 1) {	/* one 1 MiB line */
			junk[0] = '"';
			memset(junk + 1, 'x', big);
			junk[big + 1] = '\n';
			fq_qmp_send(fd, junk, big + 2);
		} else {		/* nesting far past any parser's depth */
			memset(junk, '[', big);
			fq_qmp_send(fd, junk, big);
		}
		if (qmp_wait_hangup(fd, 2000)) {
			close(fd);
			free(junk);
			return fail(c, "QMP junk #%d: the daemon kept the "
				    "connection", k);
		}
		close(fd);
	}
	free(junk);
	if (fq_roundtrip(&c->a, EXP_ZERO, CALL_MS))
		return fail(c, "A not served after QMP junk");
	/* A real reset from A's own QEMU still works. */
	fd = fq_qmp_connect(qmp);
	fq_qmp_send(fd, reset, sizeof(reset) - 1);
	k = 0;
	while (k++ < 100 && le32toh(c->a.regs->queue[0].ready))
		msleep(10);
	close(fd);
	if (le32toh(c->a.regs->queue[0].ready))
		return fail(c, "QMP RESET from A's QEMU did not reset A");
	return a_recovers(c, 1);
}

static int t_qmp_reset_foreign(struct ctx *c)
{
	static const char reset[] = "{\"event\": \"RESET\"}\r\n";
	int64_t h = fq_open(&c->a, EXP_ZERO, DEVCALL_O_RDONLY, CALL_MS);
	pid_t pid;
	int st;

	if (h <= 0)
		return fail(c, "setup: OPEN zero %lld", (long long)h);
	pid = fork();
	if (pid == 0) {
		int fd = fq_qmp_connect(path(c, "run/a.qmp"));

		if (fd >= 0)
			fq_qmp_send(fd, reset, sizeof(reset) - 1);
		msleep(200);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	msleep(100);
	if (!le32toh(c->a.regs->queue[0].ready))
		return fail(c, "a RESET from another process reset A");
	if (fq_read_inline(&c->a, (uint64_t)h, 16, 0, CALL_MS) != 16)
		return fail(c, "A's open file did not survive a foreign RESET");
	return 0;
}

/* ---- second-qemu, qemu-disconnect-mid-call ---- */

static int t_second_qemu(struct ctx *c)
{
	struct fq x;
	int ret;

	fq_init(&x, "a2");
	ret = fq_connect_once(&x, path(c, "run/a.sock"), 500);
	fq_destroy(&x);
	if (!ret)
		return fail(c, "a second QEMU got A's shared memory");
	if (fq_roundtrip(&c->a, EXP_ZERO, CALL_MS))
		return fail(c, "A not served after a second QEMU knocked");
	return 0;
}

static int t_qemu_disconnect_mid_call(struct ctx *c)
{
	struct fq *a = &c->a;
	int64_t hx, hf, hb = -1, end;
	int i, fds;

	hx = fq_open(a, EXP_EXCL, DEVCALL_O_RDONLY, CALL_MS);
	hf = fq_open(a, EXP_FIFO, DEVCALL_O_RDONLY, CALL_MS);
	if (hx <= 0 || hf <= 0)
		return fail(c, "setup: OPEN excl %lld fifo %lld",
			    (long long)hx, (long long)hf);
	for (i = 0; i < 32; i++)
		submit_simple(a, i & 1 ? DEVCALL_OP_POLL : DEVCALL_OP_READ,
			      (uint64_t)hf, i & 1 ? 0 : 16, 0,
			      i & 1 ? POLLIN : 0);
	fq_kick(a);
	msleep(100);
	fq_disconnect(a);
	end = fq_now_ms() + 1000;
	while (fq_now_ms() < end) {
		hb = fq_open(&c->b, EXP_EXCL, DEVCALL_O_RDONLY, CALL_MS);
		if (hb > 0)
			break;
		msleep(20);
	}
	if (hb <= 0)
		return fail(c, "B could not OPEN the exclusive export within "
			    "1 s of A's QEMU going (%lld)", (long long)hb);
	fq_close(&c->b, (uint64_t)hb, CALL_MS);
	fds = fds_settle(c, c->fds0 - 1 - 2 * (int)DEVCALL_NR_VECTORS, 1000);
	if (fds > c->fds0)
		return fail(c, "daemon holds %d descriptors after A went, %d "
			    "with A connected", fds, c->fds0);
	if (fq_connect(a, path(c, "run/a.sock"), 2000))
		return fail(c, "A could not connect again");
	return a_recovers(c, 0);
}

/* ---- the table ---- */

struct scenario {
	const char *name;
	int (*fn)(struct ctx *c);
	int (*fn_arg)(struct ctx *c, int arg);
	int arg;
	bool raw;		/* A connected, but no driver started */
};

static const struct scenario scenarios[] = {
	{ .name = "republish-inflight-head", .fn = t_republish_inflight_head },
	{ .name = "parked-poll-flood", .fn = t_parked_poll_flood },
	{ .name = "parked-read-bytes", .fn = t_parked_read_bytes },
	{ .name = "blocking-opens", .fn = t_blocking_opens },
	{ .name = "irq-batch", .fn = t_irq_batch },
	{ .name = "slow-reads-side-by-side", .fn = t_slow_reads },
	{ .name = "ring-poll", .fn = t_ring_poll },
	{ .name = "reset-around-queued-call", .fn = t_reset_around_queued_call },
	{ .name = "open-racing-reset", .fn = t_open_racing_reset },
	{ .name = "bad-desc-index", .fn_arg = t_bad_chain, .arg = BAD_INDEX },
	{ .name = "desc-loop", .fn_arg = t_bad_chain, .arg = BAD_LOOP },
	{ .name = "readable-after-writable", .fn_arg = t_bad_chain, .arg = BAD_RW_ORDER },
	{ .name = "indirect-desc", .fn_arg = t_bad_chain, .arg = BAD_INDIRECT },
	{ .name = "desc-outside-ram", .fn_arg = t_bad_chain, .arg = BAD_OUTSIDE },
	{ .name = "desc-len-4g", .fn_arg = t_bad_chain, .arg = BAD_LEN_4G },
	{ .name = "head-out-of-range", .fn_arg = t_bad_chain, .arg = BAD_HEAD },
	{ .name = "avail-idx-jump", .fn_arg = t_bad_chain, .arg = BAD_AVAIL_JUMP },
	{ .name = "zero-length-desc", .fn = t_zero_length_desc },
	{ .name = "malformed-chain-log-flood", .fn = t_malformed_log_flood },
	{ .name = "loop-hog", .fn = t_loop_hog },
	{ .name = "ram-symlink", .fn = t_ram_symlink },
	{ .name = "ram-wrong-owner", .fn = t_ram_wrong_owner },
	{ .name = "keeper-foreign-uid", .fn = t_keeper_foreign_uid },
	{ .name = "socket-modes", .fn = t_socket_modes },
	{ .name = "cancel-memory-per-vm", .fn = t_cancel_memory_per_vm },
	{ .name = "close-handle-zero", .fn = t_close_handle_zero },
	{ .name = "file-growth", .fn = t_file_growth },
	{ .name = "doorbell-before-queue", .fn = t_doorbell_before_queue, .raw = true },
	{ .name = "mailbox-garbage", .fn = t_mailbox_garbage, .raw = true },
	{ .name = "request-garbage", .fn = t_request_garbage },
	{ .name = "qmp-junk", .fn = t_qmp_junk },
	{ .name = "ram-auto-lies", .fn = t_ram_auto_lies },
	{ .name = "qmp-reset-foreign", .fn = t_qmp_reset_foreign },
	{ .name = "second-qemu", .fn = t_second_qemu },
	{ .name = "qemu-disconnect-mid-call", .fn = t_qemu_disconnect_mid_call },
	{ .name = "ram-truncated", .fn = t_ram_truncated },
};

#define NR_SCENARIOS	(sizeof(scenarios) / sizeof(scenarios[0]))

/* A fresh A for every scenario: a new connection is a new device. */
static int a_prepare(struct ctx *c, bool raw)
{
	int ret = fq_connect(&c->a, path(c, "run/a.sock"), 3000);

	if (ret)
		return fail(c, "setup: A cannot connect: %s", strerror(-ret));
	if (!raw && (ret = fq_driver_start(&c->a, 256, 0)))
		return fail(c, "setup: A's driver start: %d", ret);
	return 0;
}

/* What every scenario must leave behind. */
static int check_after(struct ctx *c)
{
	long rss;
	int fds, ret;

	if (!daemon_alive(c->daemon))
		return fail(c, "the daemon is dead");
	ret = fq_roundtrip(&c->b, EXP_ZERO, B_ROUNDTRIP_MS);
	if (ret)
		fail(c, "B's OPEN/READ/CLOSE round trip: %s (limit %d ms)",
		     strerror(-ret), B_ROUNDTRIP_MS);
	rss = daemon_rss_kb(c->daemon);
	if (rss - c->rss0 > RSS_BOUND_KB)
		fail(c, "daemon RSS grew by %ld KiB (bound %d)", rss - c->rss0,
		     RSS_BOUND_KB);
	fds = daemon_fds(c->daemon);
	if (fds - c->fds0 > FDS_BOUND)
		fail(c, "daemon descriptors grew by %d (bound %d)",
		     fds - c->fds0, FDS_BOUND);
	return c->why[0] ? -1 : 0;
}

static bool selected(const char *name, char **filters, int nr)
{
	int i;

	if (!nr)
		return true;
	for (i = 0; i < nr; i++)
		if (strstr(name, filters[i]))
			return true;
	return false;
}

static int b_prepare(struct ctx *c)
{
	int ret;

	fq_init(&c->b, "b");
	ret = fq_ram_create(&c->b, path(c, "ram/b.ram"), FQ_RAM_SIZE);
	if (!ret)
		ret = fq_connect(&c->b, path(c, "run/b.sock"), 3000);
	if (!ret)
		ret = fq_driver_start(&c->b, 256, 0);
	return ret;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	const char *after = NULL;
	char **filters = NULL;
	int i, nr_filters = 0, pass = 0, failed = 0, ret;
	bool list = false, skipping;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			c.dir = argv[++i];
		else if (!strcmp(argv[i], "--pid") && i + 1 < argc)
			c.daemon = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--after") && i + 1 < argc)
			after = argv[++i];
		else if (!strcmp(argv[i], "--list"))
			list = true;
		else if (!filters)
			filters = &argv[i], nr_filters = argc - i, i = argc;
	}
	if (list) {
		for (i = 0; i < (int)NR_SCENARIOS; i++)
			printf("%s\n", scenarios[i].name);
		return 0;
	}
	if (!c.dir || c.daemon <= 0) {
		fprintf(stderr, "usage: hostile --dir DIR --pid PID [--list] "
			"[--after NAME] [FILTER...]\n");
		return 2;
	}
	c.budget = getenv("HOSTILE_BUDGET") &&
		   !strcmp(getenv("HOSTILE_BUDGET"), "1");
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	c.a_fifo = open(path(&c, "a.fifo"), O_RDWR | O_NONBLOCK | O_CLOEXEC);
	c.b_fifo = open(path(&c, "b.fifo"), O_RDWR | O_NONBLOCK | O_CLOEXEC);
	fq_init(&c.a, "a");
	ret = fq_ram_create(&c.a, path(&c, "ram/a.ram"), FQ_RAM_SIZE);
	if (c.a_fifo < 0 || c.b_fifo < 0 || ret || b_prepare(&c)) {
		fprintf(stderr, "hostile: setup failed (FIFOs, RAM, or B "
			"cannot connect)\n");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	skipping = after != NULL;
	for (i = 0; i < (int)NR_SCENARIOS; i++) {
		const struct scenario *s = &scenarios[i];
		int64_t t0 = fq_now_ms();

		if (skipping) {
			skipping = strcmp(s->name, after) != 0;
			continue;
		}
		if (!selected(s->name, filters, nr_filters))
			continue;
		c.why[0] = '\0';
		fifo_drain(c.a_fifo);
		fifo_drain(c.b_fifo);
		ret = a_prepare(&c, s->raw);
		c.rss0 = daemon_rss_kb(c.daemon);
		c.fds0 = daemon_fds(c.daemon);
		if (!ret)
			ret = s->fn ? s->fn(&c) : s->fn_arg(&c, s->arg);
		ret |= check_after(&c);
		fq_disconnect(&c.a);
		if (ret) {
			failed++;
			printf("FAIL %s: %s (%lld ms)\n", s->name, c.why,
			       (long long)(fq_now_ms() - t0));
		} else {
			pass++;
			printf("ok %s (%lld ms)\n", s->name,
			       (long long)(fq_now_ms() - t0));
		}
		if (!daemon_alive(c.daemon)) {
			printf("# the daemon died in %s\n", s->name);
			printf("%d passed, %d failed\n", pass, failed);
			return 3;
		}
	}
	fq_destroy(&c.a);
	fq_destroy(&c.b);
	printf("%d passed, %d failed\n", pass, failed);
	return failed ? 1 : 0;
}
