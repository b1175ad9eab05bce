// SPDX-License-Identifier: MIT
/*
 * systemd's protocol as sd_notify.c speaks it, against a socket of the
 * test's: notifications reach an abstract or a path NOTIFY_SOCKET; the fd
 * store is used only under systemd and when asked for (--fd-store or
 * $FDSTORE); FDSTORE=1 passes the very file; LISTEN_FDS are taken only
 * with our LISTEN_PID, by name, a name given twice is refused, and what
 * nobody takes is closed and removed from the store. notify_init() reads
 * the environment once, so each case runs in a child of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sd_notify.h"

/* A datagram socket as systemd's, bound at name ('@': abstract). */
static int notify_listen(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + strlen(name);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memcpy(sa.sun_path, name, strlen(name));
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	else
		unlink(name);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, len), 0);
	return fd;
}

/* One datagram's text (empty if none within 1 s), and its fd if any. */
static void notify_read(int s, char *buf, size_t size, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct timeval tv = { .tv_sec = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (fd)
		*fd = -1;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
	buf[n > 0 ? n : 0] = '\0';
	for (cm = CMSG_FIRSTHDR(&msg); n > 0 && cm;
	     cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_type == SCM_RIGHTS && fd)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
}

static void env_clear(void)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("FDSTORE");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	unsetenv("LISTEN_PID");
}

/* Run fn in a child; the test passes if the child's checks did. */
static void in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		env_clear();
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* A check in the child: its line number is the exit status. */
#define CHILD_CHECK(cond) do { if (!(cond)) _exit(__LINE__ & 0xff ? : 1); } \
	while (0)

static void child_no_systemd(void)
{
	CHILD_CHECK(notify_init(true) == 0);
	CHILD_CHECK(!notify_active());
	CHILD_CHECK(!fdstore_enabled());	/* --fd-store alone: keepers */
	CHILD_CHECK(notify_send("READY=1") == 0);
	CHILD_CHECK(notify_watchdog_ms() == -1);
	CHILD_CHECK(fdstore_put("x", 0) == -EOPNOTSUPP);
}

static void test_without_systemd_nothing_is_sent(void **state)
{
	(void)state;
	in_child(child_no_systemd);
}

static void child_abstract_notify(void)
{
	char name[64], buf[256];
	int s;

	snprintf(name, sizeof(name), "@devcall-test-notify-%d", getpid());
	s = notify_listen(name);
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	CHILD_CHECK(notify_init(false) == 0);
	CHILD_CHECK(notify_active());
	CHILD_CHECK(!fdstore_enabled());	/* not asked for */
	CHILD_CHECK(!getenv("NOTIFY_SOCKET") && !getenv("WATCHDOG_USEC"));
	CHILD_CHECK(notify_watchdog_ms() == 100);
	CHILD_CHECK(notify_send("READY=1\nSTATUS=%d VM(s)", 2) == 0);
	notify_read(s, buf, sizeof(buf), NULL);
	CHILD_CHECK(!strcmp(buf, "READY=1\nSTATUS=2 VM(s)"));
}

static void test_abstract_socket_and_watchdog(void **state)
{
	(void)state;
	in_child(child_abstract_notify);
}

static void child_watchdog_other_pid(void)
{
	char name[64];

	snprintf(name, sizeof(name), "@devcall-test-wd-%d", getpid());
	notify_listen(name);
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("WATCHDOG_USEC", "200000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	CHILD_CHECK(notify_init(false) == 0);
	CHILD_CHECK(notify_watchdog_ms() == -1);
}

static void test_watchdog_for_another_pid_is_not_ours(void **state)
{
	(void)state;
	in_child(child_watchdog_other_pid);
}

static void child_fdstore_put(void)
{
	char path[64], buf[256];
	struct stat a, b;
	int s, fd, got;

	snprintf(path, sizeof(path), "/tmp/devcall-test-notify.%d", getpid());
	s = notify_listen(path);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("FDSTORE", "4", 1);		/* systemd 254+ */
	CHILD_CHECK(notify_init(false) == 0);
	CHILD_CHECK(fdstore_enabled());
	fd = memfd_create("t", MFD_CLOEXEC);
	CHILD_CHECK(fdstore_put("vm-shm", fd) == 0);
	notify_read(s, buf, sizeof(buf), &got);
	CHILD_CHECK(!strcmp(buf, "FDSTORE=1\nFDNAME=vm-shm"));
	CHILD_CHECK(got >= 0 && !fstat(fd, &a) && !fstat(got, &b) &&
		    a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	CHILD_CHECK(fdstore_remove("vm-shm") == 0);
	notify_read(s, buf, sizeof(buf), NULL);
	unlink(path);
	CHILD_CHECK(!strcmp(buf, "FDSTOREREMOVE=1\nFDNAME=vm-shm"));
}

static void test_fdstore_passes_the_same_file(void **state)
{
	(void)state;
	in_child(child_fdstore_put);
}

/* Descriptors 3, 4, 5 as systemd hands them: three pipe ends. */
static void listen_fds_make(int fds[3])
{
	int p[2], i;

	for (i = 0; i < 3; i++) {
		CHILD_CHECK(pipe(p) == 0);
		fds[i] = p[0];
	}
	for (i = 0; i < 3; i++)
		CHILD_CHECK(dup2(fds[i], 20 + i) == 20 + i);
	for (i = 0; i < 3; i++)
		CHILD_CHECK(dup2(20 + i, 3 + i) == 3 + i);
}

static void child_listen_fds(void)
{
	char name[64], pid[16], buf[256], seen[2][256];
	int fds[3], s, i;

	listen_fds_make(fds);		/* first: 3.. are free */
	snprintf(name, sizeof(name), "@devcall-test-listen-%d", getpid());
	s = notify_listen(name);
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("NOTIFY_SOCKET", name, 1);
	setenv("LISTEN_FDS", "3", 1);
	setenv("LISTEN_FDNAMES", "a:b:a", 1);
	setenv("LISTEN_PID", pid, 1);
	CHILD_CHECK(notify_init(true) == 0);
	CHILD_CHECK(fdstore_enabled());
	CHILD_CHECK(!getenv("LISTEN_FDS") && !getenv("LISTEN_PID"));
	CHILD_CHECK(fcntl(3, F_GETFD) & FD_CLOEXEC);
	CHILD_CHECK(fdstore_take("b") == 4);
	CHILD_CHECK(fdstore_take("b") == -ENOENT);	/* taken */
	CHILD_CHECK(fdstore_take("a") == -EEXIST);	/* which one? */
	CHILD_CHECK(fdstore_take("c") == -ENOENT);
	fdstore_release_unclaimed();
	CHILD_CHECK(fcntl(3, F_GETFD) < 0 && fcntl(5, F_GETFD) < 0);
	CHILD_CHECK(fcntl(4, F_GETFD) >= 0);		/* ours now */
	for (i = 0; i < 2; i++)
		notify_read(s, seen[i], sizeof(seen[i]), NULL);
	CHILD_CHECK(!strcmp(seen[0], "FDSTOREREMOVE=1\nFDNAME=a") &&
		    !strcmp(seen[1], seen[0]));
	notify_read(s, buf, sizeof(buf), NULL);
	CHILD_CHECK(!buf[0]);			/* nothing about b */
}

static void test_listen_fds_by_name(void **state)
{
	(void)state;
	in_child(child_listen_fds);
}

static void child_listen_fds_not_ours(void)
{
	int fds[3];

	listen_fds_make(fds);
	setenv("LISTEN_FDS", "3", 1);
	setenv("LISTEN_FDNAMES", "a:b:c", 1);
	setenv("LISTEN_PID", "1", 1);		/* for another process */
	CHILD_CHECK(notify_init(false) == 0);
	CHILD_CHECK(fdstore_take("a") == -ENOENT);
	CHILD_CHECK(!(fcntl(3, F_GETFD) & FD_CLOEXEC));	/* untouched */
	fdstore_release_unclaimed();
	CHILD_CHECK(fcntl(3, F_GETFD) >= 0 && fcntl(5, F_GETFD) >= 0);
}

static void test_listen_fds_of_another_pid_are_left(void **state)
{
	(void)state;
	in_child(child_listen_fds_not_ours);
}

static void child_bad_notify_socket(void)
{
	setenv("NOTIFY_SOCKET", "relative/path", 1);
	CHILD_CHECK(notify_init(true) == -EINVAL);
	CHILD_CHECK(!notify_active() && !fdstore_enabled());
}

static void test_bad_notify_socket_means_no_systemd(void **state)
{
	(void)state;
	in_child(child_bad_notify_socket);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_without_systemd_nothing_is_sent),
	cmocka_unit_test(test_abstract_socket_and_watchdog),
	cmocka_unit_test(test_watchdog_for_another_pid_is_not_ours),
	cmocka_unit_test(test_fdstore_passes_the_same_file),
	cmocka_unit_test(test_listen_fds_by_name),
	cmocka_unit_test(test_listen_fds_of_another_pid_are_left),
	cmocka_unit_test(test_bad_notify_socket_means_no_systemd),
};

TEST_MAIN("sd_notify", tests, NULL, NULL)
