// SPDX-License-Identifier: MIT
/*
 * The daemon's sockets: created with exactly the mode and group asked
 * for whatever the umask, never over something that is not a socket;
 * SO_PEERCRED lets in root, the daemon's user, QEMU's user and the
 * socket group's primary members, nobody else; the run directory is made
 * 0700 or 0750 with the group, tightened, and never a symlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "sock.h"

#define NOBODY	65534

static char dir[64], path[96];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/devcall-sock-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/vm.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void assert_mode(const char *p, mode_t mode, gid_t gid)
{
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
	if (gid != (gid_t)-1)
		assert_int_equal(st.st_gid, gid);
}

static void test_listen_mode_whatever_umask(void **state)
{
	mode_t old = umask(0);
	int fd;

	(void)state;
	fd = sock_listen(path, SOCK_STREAM, 1, 0600, (gid_t)-1);
	assert_true(fd >= 0);
	assert_mode(path, 0600, (gid_t)-1);
	close(fd);
	/* A stale socket is replaced; a narrow umask does not narrow it. */
	umask(0077);
	fd = sock_listen(path, SOCK_STREAM, 1, 0660, (gid_t)-1);
	assert_true(fd >= 0);
	assert_mode(path, 0660, (gid_t)-1);
	close(fd);
	umask(old);
}

static void test_listen_group(void **state)
{
	int fd;

	(void)state;
	if (geteuid())
		skip();
	fd = sock_listen(path, SOCK_SEQPACKET | SOCK_NONBLOCK, 1, 0660,
			 NOBODY);
	assert_true(fd >= 0);
	assert_mode(path, 0660, NOBODY);
	close(fd);
}

static void test_listen_leaves_other_files(void **state)
{
	int fd;

	(void)state;
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sock_listen(path, SOCK_STREAM, 1, 0600, (gid_t)-1),
			 -EEXIST);
}

/* Connect to path as uid:gid in a child; it waits for the hang-up. */
static pid_t connect_as(uid_t uid, gid_t gid, int *connect_errno)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0), err = 0;
		char c;

		alarm(5);
		close(p[0]);
		strcpy(sa.sun_path, path);
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(2);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)))
			err = errno;
		if (write(p[1], &err, sizeof(err)) != sizeof(err))
			_exit(3);
		/* Stay connected until the peer hangs up; the byte is not used. */
		if (!err && read(s, &c, 1) < 0)
			_exit(0);
		_exit(0);
	}
	close(p[1]);
	assert_int_equal(read(p[0], connect_errno, sizeof(int)), sizeof(int));
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_peer_check(void **state)
{
	const struct sock_peer_policy qemu = { NOBODY, (gid_t)-1 };
	const struct sock_peer_policy group = { 1234, NOBODY };
	const struct sock_peer_policy other = { 1234, 4321 };
	struct ucred cred;
	int ls, c, err;
	pid_t pid;

	(void)state;
	if (geteuid())
		skip();
	ls = sock_listen(path, SOCK_STREAM, 4, 0666, (gid_t)-1);
	assert_true(ls >= 0);
	assert_int_equal(chmod(dir, 0755), 0);

	pid = connect_as(NOBODY, NOBODY, &err);
	assert_int_equal(err, 0);
	c = accept(ls, NULL, NULL);
	assert_true(c >= 0);
	assert_int_equal(sock_peer_check(c, &qemu, &cred), 0);
	assert_int_equal(cred.uid, NOBODY);
	assert_int_equal(sock_peer_check(c, &group, NULL), 0);
	assert_int_equal(sock_peer_check(c, &other, NULL), -EACCES);
	assert_int_equal(sock_peer_check(c, &SOCK_PEER_SELF, NULL), -EACCES);
	close(c);
	reap(pid);

	/* The same user in another primary group: not the group's. */
	pid = connect_as(NOBODY, 4322, &err);
	assert_int_equal(err, 0);
	c = accept(ls, NULL, NULL);
	assert_int_equal(sock_peer_check(c, &group, NULL), -EACCES);
	close(c);
	reap(pid);

	/* Root (this test) is always accepted. */
	{
		int sp[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
		assert_int_equal(sock_peer_check(sp[0], &other, NULL), 0);
		close(sp[0]);
		close(sp[1]);
	}
	close(ls);

	/* A 0600 socket: others cannot even connect. */
	ls = sock_listen(path, SOCK_STREAM, 4, 0600, (gid_t)-1);
	assert_true(ls >= 0);
	pid = connect_as(NOBODY, NOBODY, &err);
	assert_int_equal(err, EACCES);
	reap(pid);
	close(ls);
}

static void test_rundir(void **state)
{
	char run[128], link[128];

	(void)state;
	snprintf(run, sizeof(run), "%s/run", dir);
	assert_int_equal(rundir_prepare(run, (gid_t)-1, false), 0);
	assert_mode(run, 0700, (gid_t)-1);
	if (geteuid())
		skip();
	assert_int_equal(chmod(run, 0777), 0);
	assert_int_equal(rundir_prepare(run, NOBODY, false), 0);
	assert_mode(run, 0750, NOBODY);
	/* A control group of its own: others may search, not list. */
	assert_int_equal(rundir_prepare(run, NOBODY, true), 0);
	assert_mode(run, 0751, NOBODY);
	assert_int_equal(rundir_prepare(run, NOBODY, false), 0);
	assert_mode(run, 0750, NOBODY);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(run, link), 0);
	assert_int_equal(rundir_prepare(link, NOBODY, false), -ELOOP);
	assert_int_equal(chown(run, NOBODY, NOBODY), 0);
	assert_int_equal(rundir_prepare(run, NOBODY, false), -EPERM);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_listen_mode_whatever_umask),
	T(test_listen_group),
	T(test_listen_leaves_other_files),
	T(test_peer_check),
	T(test_rundir),
};

TEST_MAIN("sock", tests, NULL, NULL)
