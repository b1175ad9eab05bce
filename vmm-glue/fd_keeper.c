// SPDX-License-Identifier: MIT
/*
 * The file descriptor keeper: see fd_keeper.h. Protocol on a
 * SOCK_SEQPACKET socket, one request and at most one reply per packet:
 * a one-byte operation, with SCM_RIGHTS descriptors for PUT and in the
 * reply to TAKE. The keeper serves one daemon connection at a time, and
 * only the daemon's own user (its socket is 0600, and SO_PEERCRED is
 * checked): anyone else could take QEMU's descriptors or put fakes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd_keeper.h"

enum { KEEP_PUT = 'P', KEEP_TAKE = 'T', KEEP_DROP = 'D', KEEP_QUIT = 'Q' };

static int send_op(int s, char op, const int *fds, unsigned int nr)
{
	char cbuf[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)] = { 0 };
	struct iovec iov = { .iov_base = &op, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (nr > KEEPER_MAX_FDS)
		return -EINVAL;
	if (nr) {
		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nr);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nr);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nr);
	}
	return sendmsg(s, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

/* One packet: its operation, and any descriptors it carried. */
static int recv_op(int s, char *op, int *fds, unsigned int max)
{
	char cbuf[CMSG_SPACE(sizeof(int) * KEEPER_MAX_FDS)];
	struct iovec iov = { .iov_base = op, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	unsigned int nr = 0, i;
	ssize_t n;

	do
		n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n < 0 ? -errno : -ECONNRESET;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nr = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nr > max) {
			int *got = (int *)CMSG_DATA(cm);

			for (i = 0; i < nr; i++)
				close(got[i]);
			return -E2BIG;
		}
		memcpy(fds, CMSG_DATA(cm), sizeof(int) * nr);
	}
	return (int)nr;
}

static void close_all(int *fds, unsigned int *nr)
{
	while (*nr)
		close(fds[--*nr]);
}

/*
 * Serve one daemon at a time. With no daemon connected, watch the held
 * QEMU connection (the first descriptor put): once QEMU has gone there is
 * nothing left to keep, and the keeper exits.
 */
static __attribute__((noreturn)) void keeper_main(int ls, const char *path)
{
	int held[KEEPER_MAX_FDS], got[KEEPER_MAX_FDS];
	unsigned int nr_held = 0;
	int c = -1, n;
	char op;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c >= 0 ? c : ls, .events = POLLIN },
			{ .fd = nr_held ? held[0] : -1, .events = POLLRDHUP },
		};

		if (poll(p, c >= 0 ? 1 : 2, -1) < 0)
			continue;
		if (c < 0 && (p[1].revents & (POLLHUP | POLLRDHUP | POLLERR))) {
			unlink(path);
			_exit(0);
		}
		if (!p[0].revents)
			continue;
		if (c < 0) {
			c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0 && sock_peer_check(c, &SOCK_PEER_SELF, NULL)) {
				close(c);
				c = -1;
			}
			continue;
		}
		n = recv_op(c, &op, got, KEEPER_MAX_FDS);
		if (n < 0) {
			/* The daemon went away: keep all for the next one. */
			close(c);
			c = -1;
			if (!nr_held)
				_exit(0);
			continue;
		}
		switch (op) {
		case KEEP_PUT:
			close_all(held, &nr_held);
			memcpy(held, got, sizeof(int) * n);
			nr_held = n;
			send_op(c, op, NULL, 0);
			break;
		case KEEP_TAKE:
			send_op(c, op, held, nr_held);
			break;
		case KEEP_DROP:
			close_all(held, &nr_held);
			send_op(c, op, NULL, 0);
			break;
		case KEEP_QUIT:
			/* Gone before the answer: a new daemon finds no keeper. */
			unlink(path);
			close(ls);
			send_op(c, op, NULL, 0);
			_exit(0);
		default:
			while (n)
				close(got[--n]);
			break;
		}
	}
}

static int keeper_connect(const struct sockaddr_un *sa)
{
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	if (connect(s, (const struct sockaddr *)sa, sizeof(*sa))) {
		int err = -errno;

		close(s);
		return err;
	}
	/* A keeper of another user's would be handed QEMU's descriptors. */
	if (sock_peer_check(s, &SOCK_PEER_SELF, NULL)) {
		close(s);
		return -EACCES;
	}
	return s;
}

int keeper_open(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t pid;
	int s, ls;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	s = keeper_connect(&sa);
	if (s >= 0 || s == -EACCES)
		return s;

	ls = sock_listen(path, SOCK_SEQPACKET, 2, 0600, (gid_t)-1);
	if (ls < 0)
		return ls;
	pid = fork();
	if (pid < 0) {
		s = -errno;
		close(ls);
		return s;
	}
	if (pid == 0) {
		/*
		 * Outlive the daemon, and never be its child to reap: the
		 * keeper is a grandchild in its own session, with nothing
		 * else kept open.
		 */
		sigset_t none;

		if (fork() != 0)
			_exit(0);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		setsid();
		prctl(PR_SET_NAME, "devcalld-keeper");
		if (dup2(ls, 3) < 0)
			_exit(1);
		close_range(4, ~0u, 0);
		close(0);
		if (open("/dev/null", O_RDWR) != 0)
			_exit(1);
		dup2(0, 1);
		dup2(0, 2);
		keeper_main(3, path);
	}
	close(ls);
	waitpid(pid, NULL, 0);
	return keeper_connect(&sa);
}

/*
 * One operation and its reply: fds go with it, up to max come back in out.
 * The number that came back, or -errno.
 */
static int request(int ks, char op, const int *fds, unsigned int nr,
		   int *out, unsigned int max)
{
	char reply;
	int ret = send_op(ks, op, fds, nr);

	if (ret)
		return ret;
	ret = recv_op(ks, &reply, out, max);
	if (ret >= 0 && reply != op) {
		while (ret)
			close(out[--ret]);
		return -EPROTO;
	}
	return ret;
}

int keeper_put(int ks, const int *fds, unsigned int nr)
{
	return request(ks, KEEP_PUT, fds, nr, NULL, 0);
}

int keeper_take(int ks, int *fds, unsigned int max)
{
	return request(ks, KEEP_TAKE, NULL, 0, fds, max);
}

int keeper_drop(int ks)
{
	return request(ks, KEEP_DROP, NULL, 0, NULL, 0);
}

void keeper_quit(int ks)
{
	request(ks, KEEP_QUIT, NULL, 0, NULL, 0);
	close(ks);
}

static int check_fail(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

static int check_client(int fd, const struct keeper_expect *e,
			const char **why)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof(int), plen = sizeof(peer);
	int domain = -1, type = -1;

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    domain != AF_UNIX || type != SOCK_STREAM)
		return check_fail(why, "QEMU's connection: not a Unix stream "
				  "socket", -EINVAL);
	if (getpeername(fd, (struct sockaddr *)&peer, &plen))
		return check_fail(why, "QEMU's connection: not connected",
				  -ENOTCONN);
	if (sock_peer_check(fd, &e->qemu, NULL))
		return check_fail(why, "QEMU's connection: peer is not QEMU's "
				  "user", -EACCES);
	return 0;
}

static bool is_eventfd(int fd)
{
	char link[32], target[32];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[eventfd]");
}

int keeper_check_fds(const int *fds, unsigned int nr,
		     const struct keeper_expect *e, const char **why)
{
	struct stat st;
	unsigned int i;
	int ret;

	if (nr != e->nr_fds || nr < 2)
		return check_fail(why, "wrong number of descriptors", -EINVAL);
	ret = check_client(fds[0], e, why);
	if (ret)
		return ret;
	if (fstat(fds[1], &st) || !S_ISREG(st.st_mode))
		return check_fail(why, "shared memory: not a file", -EINVAL);
	if (st.st_uid != geteuid())
		return check_fail(why, "shared memory: not the daemon's",
				  -EPERM);
	if ((uint64_t)st.st_size != e->shm_size)
		return check_fail(why, "shared memory: wrong size", -EINVAL);
	for (i = 2; i < nr; i++)
		if (!is_eventfd(fds[i]))
			return check_fail(why, "doorbell or interrupt: not an "
					  "eventfd", -EINVAL);
	return 0;
}
