// SPDX-License-Identifier: MIT
/*
 * The fd keeper: descriptors put by one daemon connection are taken back
 * by the next one (the same open files, not copies of their state), the
 * keeper outlives the connection that started it, DROP forgets, QUIT ends
 * it, and a keeper whose held peer hung up while no daemon was connected
 * exits by itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_put_take_across_connections,
			setup, teardown),
	cmocka_unit_test_setup_teardown(test_exits_when_peer_gone,
			setup, teardown),
};

TEST_MAIN("fd_keeper", tests, NULL, NULL)
