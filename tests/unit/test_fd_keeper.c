// SPDX-License-Identifier: MIT
/*
 * The fd keeper: descriptors put by one daemon connection are taken back
 * by the next one (the same open files, not copies of their state), the
 * keeper outlives the connection that started it, DROP forgets, QUIT ends
 * it, and a keeper whose held peer hung up while no daemon was connected
 * exits by itself. Only the daemon's user reaches a keeper: another user
 * can neither connect (0600) nor, with the mode opened up, TAKE or PUT
 * (SO_PEERCRED). keeper_check_fds refuses what a session must not adopt.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "fd_keeper.h"

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/devcall-keeper-test.%d", getpid());
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_put_take_across_connections(void **state)
{
	int p[2], fds[KEEPER_MAX_FDS], ks, n;
	char c = 0;

	(void)state;
	assert_int_equal(pipe(p), 0);
	ks = keeper_open(path);
	assert_true(ks >= 0);
	assert_int_equal(keeper_take(ks, fds, KEEPER_MAX_FDS), 0);
	assert_int_equal(keeper_put(ks, p, 2), 0);
	close(ks);		/* the daemon dies */
	close(p[0]);
	close(p[1]);

	ks = keeper_open(path);	/* the next one finds the same keeper */
	assert_true(ks >= 0);
	n = keeper_take(ks, fds, KEEPER_MAX_FDS);
	assert_int_equal(n, 2);
	assert_int_equal(write(fds[1], "k", 1), 1);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, 'k');
	/* A take leaves the keeper its copies. */
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(keeper_take(ks, fds, KEEPER_MAX_FDS), 2);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(keeper_drop(ks), 0);
	assert_int_equal(keeper_take(ks, fds, KEEPER_MAX_FDS), 0);
	keeper_quit(ks);
	/* Gone: a new open starts a new, empty keeper. */
	ks = keeper_open(path);
	assert_true(ks >= 0);
	assert_int_equal(keeper_take(ks, fds, KEEPER_MAX_FDS), 0);
	keeper_quit(ks);
}

static void test_exits_when_peer_gone(void **state)
{
	int sp[2], ks, i, s;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	ks = keeper_open(path);
	assert_true(ks >= 0);
	assert_int_equal(keeper_put(ks, sp, 1), 0);	/* "QEMU's" end */
	close(sp[0]);
	close(ks);		/* no daemon now */
	close(sp[1]);		/* "QEMU" exits */
	for (i = 0; i < 100; i++) {
		s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, path);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
			close(s);
			break;
		}
		close(s);
		usleep(20000);
	}
	assert_true(i < 100);
}

#define NOBODY	65534

/*
 * In a child as nobody: connect to the keeper, send op (PUT with a pipe),
 * and see whether anything but a hang-up comes back. Exit 0: refused at
 * connect; 1: the keeper hung up; 2: it answered (wrong); 3+: test error.
 */
static int foreign_try(char op)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, reply;
		struct iovec iov = { .iov_base = &op, .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		struct cmsghdr *cm;
		int s, p[2];

		alarm(5);
		if (pipe(p) || setgroups(0, NULL) || setgid(NOBODY) ||
		    setuid(NOBODY))
			_exit(3);
		s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
		strcpy(sa.sun_path, path);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
			_exit(errno == EACCES ? 0 : 4);
		if (op == 'P') {
			msg.msg_control = cbuf;
			msg.msg_controllen = sizeof(cbuf);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), p, sizeof(int));
		}
		if (sendmsg(s, &msg, MSG_NOSIGNAL) != 1)
			_exit(1);
		_exit(recv(s, &reply, 1, 0) == 1 ? 2 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_foreign_user_cannot_take_or_put(void **state)
{
	int p[2], fds[KEEPER_MAX_FDS], ks, n;
	struct stat st;
	char c = 0;

	(void)state;
	if (geteuid())
		skip();
	assert_int_equal(pipe(p), 0);
	ks = keeper_open(path);
	assert_true(ks >= 0);
	assert_int_equal(keeper_put(ks, p, 2), 0);
	close(ks);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(foreign_try('T'), 0);	/* the mode stops it */
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(foreign_try('T'), 1);	/* SO_PEERCRED stops it */
	assert_int_equal(foreign_try('P'), 1);

	/* What the daemon put is still there, untouched. */
	ks = keeper_open(path);
	assert_true(ks >= 0);
	n = keeper_take(ks, fds, KEEPER_MAX_FDS);
	assert_int_equal(n, 2);
	assert_int_equal(write(p[1], "q", 1), 1);
	assert_int_equal(read(fds[0], &c, 1), 1);
	assert_int_equal(c, 'q');
	close(fds[0]);
	close(fds[1]);
	close(p[0]);
	close(p[1]);
	keeper_quit(ks);
}

#define NR_TEST_FDS	6	/* connection, shm, 4 eventfds */
#define SHM_TEST_SIZE	(1u << 20)

/* A set of descriptors as a session keeps them, all valid. */
static void make_fds(int *fds, int *peer)
{
	int sp[2], i;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fds[0] = sp[0];
	*peer = sp[1];
	fds[1] = memfd_create("devcall-shm", MFD_CLOEXEC);
	assert_int_equal(ftruncate(fds[1], SHM_TEST_SIZE), 0);
	for (i = 2; i < NR_TEST_FDS; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
}

static void close_fds(int *fds, int n)
{
	while (n)
		close(fds[--n]);
}

static void test_check_fds(void **state)
{
	struct keeper_expect e = {
		.nr_fds = NR_TEST_FDS, .shm_size = SHM_TEST_SIZE,
		.qemu = { NOBODY, (gid_t)-1 },
	};
	int fds[NR_TEST_FDS], peer, saved, other[2];
	const char *why = NULL;

	(void)state;
	make_fds(fds, &peer);
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, &why), 0);
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS - 1, &e, &why),
			 -EINVAL);

	/* A shared memory of the wrong size. */
	assert_int_equal(ftruncate(fds[1], SHM_TEST_SIZE / 2), 0);
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, &why),
			 -EINVAL);
	assert_int_equal(ftruncate(fds[1], SHM_TEST_SIZE), 0);

	/* A pipe where an eventfd belongs. */
	assert_int_equal(pipe(other), 0);
	saved = fds[4];
	fds[4] = other[0];
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, &why),
			 -EINVAL);
	fds[4] = saved;

	/* An eventfd where the shared memory belongs. */
	saved = fds[1];
	fds[1] = fds[2];
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, &why),
			 -EINVAL);
	fds[1] = saved;

	/* Not a connected stream socket for QEMU's connection. */
	saved = fds[0];
	fds[0] = other[1];
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, &why),
			 -EINVAL);
	fds[0] = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, &why),
			 -ENOTCONN);
	close(fds[0]);
	fds[0] = saved;
	close(other[0]);
	close(other[1]);
	close(peer);
	close_fds(fds, NR_TEST_FDS);
}

/* QEMU's connection must come from QEMU's user. */
static void test_check_fds_peer(void **state)
{
	struct keeper_expect e = {
		.nr_fds = NR_TEST_FDS, .shm_size = SHM_TEST_SIZE,
		.qemu = { 1234, (gid_t)-1 },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fds[NR_TEST_FDS], peer, ls, status;
	pid_t pid;

	(void)state;
	if (geteuid())
		skip();
	make_fds(fds, &peer);
	close(peer);
	close(fds[0]);
	strcpy(sa.sun_path, path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(listen(ls, 1), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		char c;

		alarm(5);
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ||
		    connect(s, (struct sockaddr *)&sa, sizeof(sa)))
			_exit(1);
		/* Wait for the keeper to hang up; the byte is not used. */
		if (read(s, &c, 1) < 0)
			_exit(0);
		_exit(0);
	}
	fds[0] = accept(ls, NULL, NULL);
	assert_true(fds[0] >= 0);
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, NULL),
			 -EACCES);
	e.qemu.uid = NOBODY;
	assert_int_equal(keeper_check_fds(fds, NR_TEST_FDS, &e, NULL), 0);
	close_fds(fds, NR_TEST_FDS);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(ls);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_put_take_across_connections,
			setup, teardown),
	cmocka_unit_test_setup_teardown(test_exits_when_peer_gone,
			setup, teardown),
	cmocka_unit_test_setup_teardown(test_foreign_user_cannot_take_or_put,
			setup, teardown),
	cmocka_unit_test_setup_teardown(test_check_fds, setup, teardown),
	cmocka_unit_test_setup_teardown(test_check_fds_peer, setup, teardown),
};

TEST_MAIN("fd_keeper", tests, NULL, NULL)
