// SPDX-License-Identifier: MIT
/*
 * dcwait: checks on forwarded files that wait - poll, select, epoll,
 * O_NONBLOCK, blocking reads, signals, many waiters, a host pty - run
 * inside the guest with plain system calls. Each command prints
 * "CHECK <name> ok|fail [detail]" lines.
 *
 *   dcwait fifo DEV          DEV: a host FIFO (opened O_RDWR, so any
 *                            number of readers and writers): poll,
 *                            select, epoll, EAGAIN, blocking read,
 *                            signals with and without SA_RESTART
 *   dcwait waiters DEV N     N processes block reading DEV at once; then
 *                            N bytes are written and every one wakes
 *   dcwait pty DEV           DEV: the host's /dev/ptmx. Prints PTN=<n>;
 *                            the host writes "ping\n" to /dev/pts/<n>
 *                            and expects "pong\n" back
 *   dcwait block DEV         a blocking read that never gets data;
 *                            prints its errno when it ends
 *   dcwait orphan DEV        DEV: a host FIFO nobody has open. A process
 *                            killed in a blocking open for writing; then
 *                            a reader opens (the host checks that the
 *                            orphaned open was closed)
 *   dcwait lat DEV N         N reads of 16 bytes, one at a time; prints
 *                            the latency percentiles in us
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("CHECK %s %s ", name, ok ? "ok" : "fail");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A child that writes msg to dev after delay_ms. */
static pid_t write_later(const char *dev, const char *msg, int delay_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(dev, O_WRONLY);

		usleep(delay_ms * 1000);
		_exit(fd < 0 || write(fd, msg, strlen(msg)) !=
		      (ssize_t)strlen(msg));
	}
	return pid;
}

static int reap(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       !WEXITSTATUS(st);
}

/* Wait (at most 10 s) until process pid sleeps in poll(2). */
static void wait_in_poll(pid_t pid)
{
	char path[64], wchan[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	for (i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");
		int got = f && fgets(wchan, sizeof(wchan), f) &&
			  strstr(wchan, "poll");

		if (f)
			fclose(f);
		if (got)
			return;
		usleep(10000);
	}
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void set_alarm_handler(int restart)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sa.sa_flags = restart ? SA_RESTART : 0;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
}

/* Arm a one-shot interval timer of ms milliseconds. */
static void alarm_ms(int ms)
{
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	setitimer(ITIMER_REAL, &it, NULL);
}

static int cmd_fifo(const char *dev)
{
	int fd = open(dev, O_RDWR), ep, n;
	struct pollfd p;
	struct epoll_event ev, got;
	char buf[64];
	fd_set rfds;
	struct timeval tv;
	double t;
	pid_t w;

	if (fd < 0) {
		check("fifo-open", 0, "%s", strerror(errno));
		return 1;
	}

	/* poll: nothing to read yet, always writable. */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	t = now();
	n = poll(&p, 1, 300);
	check("poll-timeout-empty", n == 0 && now() - t >= 0.25,
	      "n=%d %.2fs", n, now() - t);
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	n = poll(&p, 1, 5000);
	check("poll-writable-now", n == 1 && (p.revents & POLLOUT),
	      "n=%d revents=%#x", n, p.revents);

	/* poll wakes when another process writes, not before. */
	w = write_later(dev, "a", 700);
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	t = now();
	n = poll(&p, 1, 20000);
	t = now() - t;
	check("poll-wakes-on-data", n == 1 && (p.revents & POLLIN) &&
	      t >= 0.5 && t < 10, "n=%d revents=%#x after %.2fs", n,
	      p.revents, t);
	check("poll-data-read", read(fd, buf, sizeof(buf)) == 1 &&
	      buf[0] == 'a' && reap(w), "-");

	/*
	 * Four pollers hold every POLL slot of the file with events a FIFO
	 * never reports; a fifth poller, for POLLIN, must still wake.
	 */
	{
		/* None a subset of another: each takes a slot of its own. */
		static const short never[] = { POLLPRI, POLLRDBAND,
					       POLLWRBAND, POLLRDHUP };
		pid_t kids[4];
		int k;

		for (k = 0; k < 4; k++) {
			kids[k] = fork();
			if (kids[k] == 0) {
				struct pollfd q = { .fd = fd, .events = never[k] };

				_exit(poll(&q, 1, 4000) != 0);
			}
		}
		/* Until each of them sleeps in poll, its slot taken. */
		for (k = 0; k < 4; k++)
			wait_in_poll(kids[k]);
		w = write_later(dev, "p", 700);
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		t = now();
		n = poll(&p, 1, 20000);
		t = now() - t;
		check("poll-slots-full-still-wakes", n == 1 &&
		      (p.revents & POLLIN) && t < 5, "n=%d after %.2fs", n, t);
		check("poll-slots-data-read", read(fd, buf, sizeof(buf)) == 1 &&
		      buf[0] == 'p' && reap(w), "-");
		for (k = 0; k < 4; k++)
			check("poll-never-events-time-out", reap(kids[k]),
			      "poller %d", k);
	}

	/* select. */
	w = write_later(dev, "b", 700);
	FD_ZERO(&rfds);
	FD_SET(fd, &rfds);
	tv = (struct timeval){ 20, 0 };
	t = now();
	n = select(fd + 1, &rfds, NULL, NULL, &tv);
	t = now() - t;
	check("select-wakes-on-data", n == 1 && FD_ISSET(fd, &rfds) &&
	      t >= 0.5 && t < 10, "n=%d after %.2fs", n, t);
	check("select-data-read", read(fd, buf, sizeof(buf)) == 1 &&
	      buf[0] == 'b' && reap(w), "-");

	/* epoll, level-triggered: ready while unread, quiet after. */
	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = fd };
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	n = epoll_wait(ep, &got, 1, 300);
	check("epoll-timeout-empty", n == 0, "n=%d", n);
	w = write_later(dev, "c", 700);
	t = now();
	n = epoll_wait(ep, &got, 1, 20000);
	t = now() - t;
	check("epoll-wakes-on-data", n == 1 && (got.events & EPOLLIN) &&
	      t >= 0.5 && t < 10, "n=%d after %.2fs", n, t);
	n = epoll_wait(ep, &got, 1, 2000);
	check("epoll-level-still-ready", n == 1, "n=%d", n);
	check("epoll-data-read", read(fd, buf, sizeof(buf)) == 1 &&
	      buf[0] == 'c' && reap(w), "-");
	n = epoll_wait(ep, &got, 1, 300);
	check("epoll-quiet-after-read", n == 0, "n=%d", n);
	close(ep);

	/* O_NONBLOCK: EAGAIN at once, on read; the file stays usable. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	t = now();
	n = read(fd, buf, sizeof(buf));
	t = now() - t;
	check("nonblock-read-eagain", n < 0 && errno == EAGAIN && t < 1,
	      "n=%d errno=%d after %.3fs", n, errno, t);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);

	/* Writes: EAGAIN once the host pipe is full, a blocking one waits. */
	{
		static char chunk[4096];
		long filled = 0;

		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		while (filled < (4l << 20) &&
		       (n = write(fd, chunk, sizeof(chunk))) > 0)
			filled += n;
		check("nonblock-write-eagain", n < 0 && errno == EAGAIN &&
		      filled > 0, "after %ld bytes, errno=%d", filled, errno);
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		w = fork();
		if (w == 0) {
			/* Make room after a while: the blocked write goes on. */
			int r = open(dev, O_RDWR | O_NONBLOCK);
			long drained = 0;

			usleep(700000);
			while (r >= 0 && drained < filled &&
			       (n = read(r, chunk, sizeof(chunk))) > 0)
				drained += n;
			_exit(drained < filled);
		}
		t = now();
		n = write(fd, "z", 1);
		t = now() - t;
		check("blocking-write-waits-for-room", n == 1 && t >= 0.5 &&
		      reap(w), "n=%d after %.2fs", n, t);
		n = read(fd, buf, 1);	/* the byte the blocked write put */
		check("blocking-write-data", n == 1 && buf[0] == 'z', "n=%d", n);
	}

	/* A blocking write bigger than the host pipe writes all of it. */
	{
		static char big[256 * 1024];
		long drained = 0;
		int k;

		for (k = 0; k < (int)sizeof(big); k++)
			big[k] = (char)(k % 251);
		w = fork();
		if (w == 0) {
			/* A slow reader: 16 KiB every 20 ms, checking order. */
			int r = open(dev, O_RDWR);
			char in[16384];
			int bad = 0;

			while (r >= 0 && drained < (long)sizeof(big)) {
				n = read(r, in, sizeof(in));
				if (n <= 0)
					break;
				for (k = 0; k < n; k++)
					bad |= in[k] != (char)((drained + k) % 251);
				drained += n;
				usleep(20000);
			}
			_exit(bad || drained != (long)sizeof(big));
		}
		n = write(fd, big, sizeof(big));
		check("blocking-write-whole", n == (int)sizeof(big) && reap(w),
		      "wrote %d of %zu", n, sizeof(big));
	}

	/* A blocking read waits for a writer. */
	w = write_later(dev, "d", 700);
	t = now();
	n = read(fd, buf, sizeof(buf));
	t = now() - t;
	check("blocking-read-waits", n == 1 && buf[0] == 'd' && t >= 0.5 &&
	      reap(w), "n=%d after %.2fs", n, t);

	/* A signal without SA_RESTART: EINTR, as from a local driver. */
	set_alarm_handler(0);
	alarms = 0;
	alarm_ms(400);
	t = now();
	n = read(fd, buf, sizeof(buf));
	t = now() - t;
	check("signal-eintr", n < 0 && errno == EINTR && alarms == 1 &&
	      t < 5, "n=%d errno=%d alarms=%d after %.2fs", n, errno,
	      (int)alarms, t);
	/* Nothing was lost or left behind: the next byte is the next read. */
	w = write_later(dev, "e", 100);
	n = read(fd, buf, sizeof(buf));
	check("after-eintr-next-read", n == 1 && buf[0] == 'e' && reap(w),
	      "n=%d", n);

	/* With SA_RESTART the read restarts and gets the later data. */
	set_alarm_handler(1);
	alarms = 0;
	alarm_ms(300);
	w = write_later(dev, "f", 1500);
	t = now();
	n = read(fd, buf, sizeof(buf));
	t = now() - t;
	check("signal-sa-restart", n == 1 && buf[0] == 'f' && alarms == 1 &&
	      t >= 1.2 && reap(w), "n=%d alarms=%d after %.2fs", n,
	      (int)alarms, t);
	close(fd);
	return failures != 0;
}

static int cmd_waiters(const char *dev, int nr)
{
	int fd = open(dev, O_RDWR), i, woke = 0, wfd;
	pid_t *pids = calloc(nr, sizeof(*pids));
	char *bytes = malloc(nr);
	double t;

	if (fd < 0 || !pids || !bytes) {
		check("waiters-open", 0, "%s", strerror(errno));
		return 1;
	}
	for (i = 0; i < nr; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			char c;

			_exit(read(fd, &c, 1) == 1 ? 0 : 1);
		}
	}
	/* Let every reader reach the host and wait there. */
	sleep(3);
	printf("WAITING %d\n", nr);
	fflush(stdout);
	/* The host counts the daemon's threads now. */
	sleep(4);
	memset(bytes, 'w', nr);
	wfd = open(dev, O_WRONLY);
	t = now();
	if (wfd < 0 || write(wfd, bytes, nr) != nr)
		check("waiters-write", 0, "%s", strerror(errno));
	for (i = 0; i < nr; i++)
		woke += reap(pids[i]);
	t = now() - t;
	check("waiters-all-woke", woke == nr, "%d of %d in %.2fs", woke, nr, t);
	return woke != nr;
}

static int cmd_pty(const char *dev)
{
	int fd = open(dev, O_RDWR | O_NOCTTY), unlock = 0, n;
	struct termios tio, back;
	unsigned int ptn = ~0u;
	struct pollfd p;
	char buf[64] = "";
	double t;

	if (fd < 0) {
		check("pty-open", 0, "%s", strerror(errno));
		return 1;
	}
	check("pty-unlockpt", ioctl(fd, TIOCSPTLCK, &unlock) == 0, "%s",
	      strerror(errno));
	check("pty-tiocgptn", ioctl(fd, TIOCGPTN, &ptn) == 0 && ptn < 4096,
	      "ptn %u", ptn);
	/* termios round trip: raw mode set, read back as set. */
	n = tcgetattr(fd, &tio);
	cfmakeraw(&tio);
	tio.c_cc[VMIN] = 1;
	n = n || tcsetattr(fd, TCSANOW, &tio) || tcgetattr(fd, &back);
	check("pty-tcsets-tcgets", !n && !(back.c_lflag & (ICANON | ECHO)) &&
	      back.c_lflag == tio.c_lflag && back.c_iflag == tio.c_iflag,
	      "lflag %#x", back.c_lflag);
	printf("PTN=%u\n", ptn);
	fflush(stdout);
	/* The host opens the slave and writes; poll wakes on it. */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	t = now();
	n = poll(&p, 1, 60000);
	check("pty-poll-wakes", n == 1 && (p.revents & POLLIN), "after %.2fs",
	      now() - t);
	usleep(100000);
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	check("pty-read-from-host", n == 5 && !strcmp(buf, "ping\n"),
	      "got %d bytes", n);
	check("pty-write-to-host", write(fd, "pong\n", 5) == 5, "-");
	/* Keep the master open until the host has read. */
	sleep(3);
	close(fd);
	return failures != 0;
}

/*
 * A process killed while its open(2) waits on the host (a FIFO opened for
 * writing with no reader blocks in the host's open): the host open
 * finishes once a reader comes, and the guest must close what it opened
 * for nobody. The host checks no file is left open at the end.
 */
static int cmd_orphan(const char *dev)
{
	pid_t pid = fork();
	int r, st;

	if (pid == 0) {
		int fd = open(dev, O_WRONLY);

		_exit(fd < 0);
	}
	usleep(800000);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	check("orphan-open-killed", WIFSIGNALED(st), "status %#x", st);
	/* A reader lets the host's open finish; its answer has no owner. */
	r = open(dev, O_RDONLY | O_NONBLOCK);
	check("orphan-reader-open", r >= 0, "%s", r < 0 ? strerror(errno) : "-");
	usleep(1500000);
	close(r);
	return failures != 0;
}

static int cmd_block(const char *dev)
{
	int fd = open(dev, O_RDWR), n;
	char c;
	double t;

	if (fd < 0) {
		printf("BLOCK-OPEN errno=%d\n", errno);
		return 1;
	}
	printf("BLOCKING\n");
	fflush(stdout);
	t = now();
	n = read(fd, &c, 1);
	printf("BLOCK-END n=%d errno=%d after=%.2f\n", n, n < 0 ? errno : 0,
	       now() - t);
	fflush(stdout);
	return 0;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/*
 * n small reads of dev, one at a time: the latency of each, in us. Prints
 * "LAT n=N p50=US p99=US max=US errors=E".
 */
static int cmd_lat(const char *dev, int n)
{
	long *us = calloc(n > 0 ? n : 1, sizeof(*us));
	int fd = open(dev, O_RDONLY), i, errors = 0;
	char buf[16];

	if (fd < 0 || !us || n <= 0) {
		printf("LAT open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		double t = now();

		if (read(fd, buf, sizeof(buf)) != sizeof(buf))
			errors++;
		us[i] = (long)((now() - t) * 1e6);
	}
	qsort(us, n, sizeof(*us), cmp_long);
	printf("LAT n=%d p50=%ld p99=%ld max=%ld errors=%d\n", n, us[n / 2],
	       us[(n * 99) / 100], us[n - 1], errors);
	free(us);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: dcwait CMD DEV [ARG]\n");
		return 2;
	}
	if (!strcmp(argv[1], "fifo"))
		return cmd_fifo(argv[2]);
	if (!strcmp(argv[1], "waiters") && argc > 3)
		return cmd_waiters(argv[2], atoi(argv[3]));
	if (!strcmp(argv[1], "pty"))
		return cmd_pty(argv[2]);
	if (!strcmp(argv[1], "block"))
		return cmd_block(argv[2]);
	if (!strcmp(argv[1], "orphan"))
		return cmd_orphan(argv[2]);
	if (!strcmp(argv[1], "lat") && argc > 3)
		return cmd_lat(argv[2], atoi(argv[3]));
	fprintf(stderr, "dcwait: unknown command %s\n", argv[1]);
	return 2;
}
