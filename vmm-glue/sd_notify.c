// SPDX-License-Identifier: MIT
/* systemd's notification protocol and fd store: see sd_notify.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "sd_notify.h"

/* More than FileDescriptorStoreMax= the unit sets; the rest is closed. */
#define LISTEN_FDS_MAX		1024
#define LISTEN_FDS_START	3	/* SD_LISTEN_FDS_START */
#define NOTIFY_MSG_MAX		1024

struct listen_fd {
	char name[256];			/* FDNAME: at most 255 characters */
	int fd;				/* -1 once taken */
};

static const struct timeval send_timeout = { .tv_sec = 2 };
static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addr_len;
static int watchdog_ms = -1;
static bool use_fdstore;
static struct listen_fd *listen_fds;
static unsigned int nr_listen_fds;

/* An unsigned decimal environment variable, or 0. */
static unsigned long env_ulong(const char *name)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	return errno || *end ? 0 : v;
}

static int notify_socket_open(const char *path)
{
	size_t len = strlen(path);

	/* An absolute path, or '@' for the abstract namespace. */
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(notify_addr.sun_path))
		return -EINVAL;
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, path, len);
	if (path[0] == '@')
		notify_addr.sun_path[0] = '\0';
	notify_addr_len = offsetof(struct sockaddr_un, sun_path) + len +
			  (path[0] == '/');
	/*
	 * Not connected: each datagram names the socket, so one that
	 * systemd binds again (daemon-reexec) is still reached.
	 */
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (notify_fd < 0)
		return -errno;
	/*
	 * A full queue blocks a send, as with libsystemd; but a systemd that
	 * does not read for this long must not stall the event loop for
	 * ever. A lost FDSTORE costs only that VM's next restart (an
	 * incomplete set is refused).
	 */
	if (setsockopt(notify_fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout,
		       sizeof(send_timeout)))
		log_debug("systemd: SO_SNDTIMEO: %s", strerror(errno));
	return 0;
}

/*
 * The descriptors systemd handed back, if they are meant for us: kept
 * close-on-exec, with their names (LISTEN_FDNAMES, ':' separated).
 */
static void listen_fds_collect(void)
{
	unsigned long n = env_ulong("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	unsigned int i;

	if (!n || env_ulong("LISTEN_PID") != (unsigned long)getpid())
		return;
	if (n > LISTEN_FDS_MAX) {
		log_err("systemd: %lu descriptors handed back, more than %d: "
			"none taken", n, LISTEN_FDS_MAX);
		return;
	}
	listen_fds = calloc(n, sizeof(*listen_fds));
	if (!listen_fds)
		return;
	for (i = 0; i < n; i++) {
		int fd = LISTEN_FDS_START + (int)i;
		size_t len = names ? strcspn(names, ":") : 0;

		listen_fds[i].fd = fd;
		if (len && len < sizeof(listen_fds[i].name))
			memcpy(listen_fds[i].name, names, len);
		if (names)
			names = names[len] ? names + len + 1 : NULL;
		if (fcntl(fd, F_SETFD, FD_CLOEXEC))
			listen_fds[i].fd = -1;	/* not open after all */
	}
	nr_listen_fds = (unsigned int)n;
}

int notify_init(bool want_fdstore)
{
	const char *sock = getenv("NOTIFY_SOCKET");
	unsigned long usec = env_ulong("WATCHDOG_USEC");
	unsigned long wpid = env_ulong("WATCHDOG_PID");
	int ret = 0;

	listen_fds_collect();
	if (sock)
		ret = notify_socket_open(sock);
	if (ret)
		log_err("systemd: NOTIFY_SOCKET %s: %s", sock, strerror(-ret));
	if (notify_fd >= 0 && usec && (!wpid || wpid == (unsigned long)getpid()))
		watchdog_ms = usec / 2000 ? (int)(usec / 2000) : 1;
	use_fdstore = notify_fd >= 0 &&
		      (want_fdstore || env_ulong("FDSTORE") > 0);
	if (want_fdstore && !use_fdstore)
		log_info("--fd-store without systemd: fd keepers hold QEMU's "
			 "descriptors");
	/* Nothing we start (fd keepers, plugins' children) speaks for us. */
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	unsetenv("FDSTORE");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	unsetenv("LISTEN_PID");
	return ret;
}

bool notify_active(void)
{
	return notify_fd >= 0;
}

int notify_watchdog_ms(void)
{
	return watchdog_ms;
}

bool fdstore_enabled(void)
{
	return use_fdstore;
}

/* One datagram: the text, and fd (if >= 0) by SCM_RIGHTS. */
static int notify_sendmsg(const char *text, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)text,
			     .iov_len = strlen(text) };
	struct msghdr msg = { .msg_name = &notify_addr,
			      .msg_namelen = notify_addr_len,
			      .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (notify_fd < 0)
		return 0;
	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(notify_fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		log_debug("systemd: notify: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

int notify_send(const char *fmt, ...)
{
	char buf[NOTIFY_MSG_MAX];
	va_list ap;
	int n;

	if (notify_fd < 0)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	return notify_sendmsg(buf, -1);
}

int fdstore_put(const char *name, int fd)
{
	char buf[300];

	if (!use_fdstore)
		return -EOPNOTSUPP;
	snprintf(buf, sizeof(buf), "FDSTORE=1\nFDNAME=%s", name);
	return notify_sendmsg(buf, fd);
}

int fdstore_remove(const char *name)
{
	char buf[300];

	/* Also without --fd-store: what an earlier run stored goes. */
	if (notify_fd < 0)
		return -EOPNOTSUPP;
	snprintf(buf, sizeof(buf), "FDSTOREREMOVE=1\nFDNAME=%s", name);
	return notify_sendmsg(buf, -1);
}

int fdstore_take(const char *name)
{
	unsigned int i;
	int found = -1;

	for (i = 0; i < nr_listen_fds; i++) {
		if (listen_fds[i].fd < 0 || strcmp(listen_fds[i].name, name))
			continue;
		if (found >= 0)
			return -EEXIST;	/* left for the unclaimed sweep */
		found = (int)i;
	}
	if (found < 0)
		return -ENOENT;
	i = (unsigned int)found;
	found = listen_fds[i].fd;
	listen_fds[i].fd = -1;
	return found;
}

void fdstore_release_unclaimed(void)
{
	unsigned int i;

	for (i = 0; i < nr_listen_fds; i++) {
		if (listen_fds[i].fd < 0)
			continue;
		log_info("systemd: descriptor '%s' handed back and not used: "
			 "closed and removed from the store",
			 listen_fds[i].name[0] ? listen_fds[i].name : "?");
		close(listen_fds[i].fd);
		listen_fds[i].fd = -1;
		if (listen_fds[i].name[0])
			fdstore_remove(listen_fds[i].name);
	}
	free(listen_fds);
	listen_fds = NULL;
	nr_listen_fds = 0;
}
