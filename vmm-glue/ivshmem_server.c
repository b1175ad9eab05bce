// SPDX-License-Identifier: MIT
/* The ivshmem server end of one VM: see ivshmem_server.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fd_keeper.h"
#include "ivshmem_server.h"
#include "log.h"
#include "sd_notify.h"

#define KEEP_NR_FDS	((int)(2 + 2 * DEVCALL_NR_VECTORS))

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Descriptor i of what QEMU holds, as the store names it: "VM-ivshmem"
 * (the connection), "VM-shm", "VM-db0".. (doorbells), "VM-irq0"..
 */
static void store_name(const struct ivshmem_server *srv, int i, char *buf,
		       size_t size)
{
	if (i == 0)
		snprintf(buf, size, "%s-ivshmem", srv->name);
	else if (i == 1)
		snprintf(buf, size, "%s-shm", srv->name);
	else if (i < 2 + (int)DEVCALL_NR_VECTORS)
		snprintf(buf, size, "%s-db%d", srv->name, i - 2);
	else
		snprintf(buf, size, "%s-irq%d", srv->name,
			 i - 2 - (int)DEVCALL_NR_VECTORS);
}

/* Forget what is stored: QEMU went away, or it was refused. */
static void store_drop(struct ivshmem_server *srv)
{
	char name[64];
	int i;

	if (!fdstore_enabled()) {
		if (srv->keeper >= 0)
			keeper_drop(srv->keeper);
		return;
	}
	for (i = 0; i < KEEP_NR_FDS; i++) {
		store_name(srv, i, name, sizeof(name));
		fdstore_remove(name);
	}
}

/*
 * What systemd handed back for this VM (LISTEN_FDS): all of it, in
 * keeper order, or nothing (n = 0, the pieces closed).
 */
static int store_take_systemd(struct ivshmem_server *srv, int *fds)
{
	char name[64];
	int i, n = 0;

	for (i = 0; i < KEEP_NR_FDS; i++) {
		store_name(srv, i, name, sizeof(name));
		fds[i] = fdstore_take(name);
		n += fds[i] >= 0;
	}
	if (n == KEEP_NR_FDS || !n)
		return n;
	log_warn("vm %s: systemd handed back %d of QEMU's %d descriptors: "
		 "refused", srv->name, n, KEEP_NR_FDS);
	for (i = 0; i < KEEP_NR_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	store_drop(srv);
	return 0;
}

/*
 * Take back a QEMU a killed (or restarted) daemon served: its
 * connection, shared memory and eventfds, from systemd's fd store when
 * systemd runs us with one, else from this VM's fd keeper (started here
 * if there is none).
 */
static int server_store_open(struct ivshmem_server *srv)
{
	struct keeper_expect expect;
	const char *why = NULL;
	char path[PATH_MAX];
	int fds[KEEPER_MAX_FDS], n, i;

	if (fdstore_enabled()) {
		n = store_take_systemd(srv, fds);
	} else if (srv->access.no_keeper) {
		return 0;
	} else {
		snprintf(path, sizeof(path), "%s.keep", srv->socket_path);
		srv->keeper = keeper_open(path);
		if (srv->keeper < 0) {
			log_err("vm %s: fd keeper %s: %s", srv->name, path,
				strerror(-srv->keeper));
			return srv->keeper;
		}
		n = keeper_take(srv->keeper, fds, KEEPER_MAX_FDS);
	}
	if (n <= 0)
		return 0;
	/* Whatever a keeper hands back is checked like a guest's bytes. */
	expect.nr_fds = KEEP_NR_FDS;
	expect.shm_size = DEVCALL_SHM_SIZE;
	expect.qemu = srv->access.peer;
	if (keeper_check_fds(fds, n, &expect, &why)) {
		log_warn("vm %s: %s descriptors refused: %s", srv->name,
			 fdstore_enabled() ? "systemd's" : "keeper's",
			 why ? why : "unexpected");
		for (i = 0; i < n; i++)
			close(fds[i]);
		store_drop(srv);
		return 0;
	}
	srv->client_fd = fds[0];
	srv->shm_fd = fds[1];
	for (i = 0; i < (int)DEVCALL_NR_VECTORS; i++) {
		srv->db_fd[i] = fds[2 + i];
		srv->irq_fd[i] = fds[2 + DEVCALL_NR_VECTORS + i];
	}
	return 0;
}

/* Hand the store what QEMU holds, so a new daemon can take it back. */
static void server_store_put(struct ivshmem_server *srv)
{
	int fds[KEEP_NR_FDS], i, ret = 0;
	char name[64];

	fds[0] = srv->client_fd;
	fds[1] = srv->shm_fd;
	for (i = 0; i < (int)DEVCALL_NR_VECTORS; i++) {
		fds[2 + i] = srv->db_fd[i];
		fds[2 + DEVCALL_NR_VECTORS + i] = srv->irq_fd[i];
	}
	if (!fdstore_enabled() && srv->keeper < 0) {
		return;			/* none: no_keeper */
	} else if (!fdstore_enabled()) {
		ret = keeper_put(srv->keeper, fds, KEEP_NR_FDS);
	} else {
		for (i = 0; i < KEEP_NR_FDS && !ret; i++) {
			store_name(srv, i, name, sizeof(name));
			ret = fdstore_put(name, fds[i]);
		}
	}
	if (ret)
		log_warn("vm %s: %s: %s: a daemon restart will lose this QEMU",
			 srv->name, fdstore_enabled() ? "systemd's fd store" :
			 "fd keeper", strerror(-ret));
}

/* A doorbell on the event loop, or handed to the owner's threads. */
static int server_watch_db(struct ivshmem_server *srv, unsigned int i)
{
	if (!(srv->ops->direct_vecs & (1u << i)))
		return event_watch(srv->epfd, srv->db_fd[i],
				   &srv->ev_db[i].src);
	srv->ops->doorbell_fd(srv->ctx, i, srv->db_fd[i], true);
	return 0;
}

static void server_unwatch_db(struct ivshmem_server *srv, unsigned int i)
{
	if (srv->db_fd[i] < 0)
		return;
	if (srv->ops->direct_vecs & (1u << i))
		srv->ops->doorbell_fd(srv->ctx, i, srv->db_fd[i], false);
	else
		event_unwatch(srv->epfd, srv->db_fd[i]);
}

static void server_on_listen(struct event_src *src, uint32_t events);
static void server_on_client(struct event_src *src, uint32_t events);
static void server_on_doorbell(struct event_src *src, uint32_t events);

int ivshmem_server_init(struct ivshmem_server *srv, const char *name,
			const char *socket_path, int epfd,
			const struct ivshmem_server_access *access,
			const struct ivshmem_server_ops *ops, void *ctx)
{
	pthread_rwlockattr_t attr;
	unsigned int i;
	int ret;

	memset(srv, 0, sizeof(*srv));
	srv->name = name;
	srv->socket_path = socket_path;
	srv->epfd = epfd;
	srv->ops = ops;
	srv->ctx = ctx;
	srv->access = *access;
	srv->listen_fd = srv->client_fd = srv->shm_fd = srv->keeper = -1;
	pthread_rwlockattr_init(&attr);
	/* A disconnect must not wait out a stream of interrupts. */
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&srv->fd_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	srv->ev_listen = (struct ivshmem_server_ev){ { server_on_listen },
						     srv, 0 };
	srv->ev_client = (struct ivshmem_server_ev){ { server_on_client },
						     srv, 0 };
	for (i = 0; i < DEVCALL_NR_VECTORS; i++) {
		srv->db_fd[i] = srv->irq_fd[i] = -1;
		srv->ev_db[i] = (struct ivshmem_server_ev){
			{ server_on_doorbell }, srv, i };
	}
	ret = server_store_open(srv);
	if (ret)
		return ret;
	if (srv->shm_fd < 0) {
		srv->shm_fd = memfd_create("devcall-shm", MFD_CLOEXEC);
		if (srv->shm_fd < 0 || ftruncate(srv->shm_fd, DEVCALL_SHM_SIZE))
			return -errno;
	}
	return 0;
}

/* Serve a QEMU an earlier daemon served, taken back from the keeper. */
static int server_adopt(struct ivshmem_server *srv)
{
	unsigned int i;
	uint64_t n;
	int ret;

	ret = event_watch(srv->epfd, srv->client_fd, &srv->ev_client.src);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++) {
		if (read(srv->db_fd[i], &n, sizeof(n)) < 0 && errno != EAGAIN)
			ret = -errno;
		if (!ret)
			ret = server_watch_db(srv, i);
	}
	return ret;
}

int ivshmem_server_start(struct ivshmem_server *srv)
{
	int ret;

	if (srv->client_fd >= 0) {
		ret = server_adopt(srv);
		if (ret)
			return ret;
		log_info("vm %s: QEMU taken back from %s", srv->name,
			 fdstore_enabled() ? "systemd's fd store" :
			 "the fd keeper");
		srv->ops->connected(srv->ctx);
	}
	srv->listen_fd = sock_listen(srv->socket_path,
				     SOCK_STREAM | SOCK_NONBLOCK, 4,
				     srv->access.socket_mode,
				     srv->access.socket_gid);
	if (srv->listen_fd < 0)
		return srv->listen_fd;
	return event_watch(srv->epfd, srv->listen_fd, &srv->ev_listen.src);
}

/* Let the client go; drop: and what is stored for a next daemon. */
static void server_disconnect(struct ivshmem_server *srv, bool drop)
{
	unsigned int i;

	if (srv->client_fd < 0)
		return;
	event_unwatch(srv->epfd, srv->client_fd);
	close_fd(&srv->client_fd);
	if (drop)
		store_drop(srv);
	pthread_rwlock_wrlock(&srv->fd_lock);
	for (i = 0; i < DEVCALL_NR_VECTORS; i++) {
		server_unwatch_db(srv, i);
		close_fd(&srv->db_fd[i]);
		close_fd(&srv->irq_fd[i]);
	}
	pthread_rwlock_unlock(&srv->fd_lock);
	srv->ops->disconnected(srv->ctx);
}

void ivshmem_server_disconnect(struct ivshmem_server *srv)
{
	server_disconnect(srv, true);
}

void ivshmem_server_fini(struct ivshmem_server *srv)
{
	/*
	 * A daemon that failed to start leaves systemd's store as it was:
	 * the next start (Restart=on-failure) takes QEMU back. A keeper
	 * is ended below all the same, as it always was.
	 */
	server_disconnect(srv, !fdstore_enabled());
	if (srv->listen_fd >= 0) {
		event_unwatch(srv->epfd, srv->listen_fd);
		unlink(srv->socket_path);
		close_fd(&srv->listen_fd);
	}
	close_fd(&srv->shm_fd);
	ivshmem_server_stop(srv);
}

void ivshmem_server_stop(struct ivshmem_server *srv)
{
	if (srv->keeper >= 0)
		keeper_quit(srv->keeper);
	srv->keeper = -1;
}

bool ivshmem_server_connected(const struct ivshmem_server *srv)
{
	return srv->client_fd >= 0;
}

pid_t ivshmem_server_peer_pid(const struct ivshmem_server *srv)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (srv->client_fd < 0 ||
	    getsockopt(srv->client_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -1;
	return cred.pid;
}

static int send_msg(int fd, int64_t value, int pass_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	int64_t le = (int64_t)htole64((uint64_t)value);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (pass_fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL) == sizeof(le) ? 0 : -EIO;
}

/* A QEMU connects: refuse a second one, else speak the protocol. */
static void server_on_listen(struct event_src *src, uint32_t events)
{
	struct ivshmem_server *srv = ((struct ivshmem_server_ev *)src)->srv;
	int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	struct ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	unsigned int i;
	int ret = 0;

	(void)events;
	if (fd < 0)
		return;
	if (sock_peer_check(fd, &srv->access.peer, &cred)) {
		log_warn("vm %s: connection from uid %d gid %d pid %d refused: "
			 "not QEMU's user or group", srv->name, (int)cred.uid,
			 (int)cred.gid, (int)cred.pid);
		close(fd);
		return;
	}
	if (srv->client_fd >= 0) {
		log_warn("vm %s: a second QEMU connected; refused", srv->name);
		close(fd);
		return;
	}
	pthread_rwlock_wrlock(&srv->fd_lock);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++) {
		srv->db_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		srv->irq_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (srv->db_fd[i] < 0 || srv->irq_fd[i] < 0)
			ret = -errno;
	}
	pthread_rwlock_unlock(&srv->fd_lock);
	/* Version, the client's id, the shared memory, then the doorbells. */
	if (!ret)
		ret = send_msg(fd, 0, -1);
	if (!ret)
		ret = send_msg(fd, IVSHMEM_CLIENT_PEER, -1);
	if (!ret)
		ret = send_msg(fd, -1, srv->shm_fd);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++)
		ret = send_msg(fd, IVSHMEM_SERVER_PEER, srv->db_fd[i]);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++)
		ret = send_msg(fd, IVSHMEM_CLIENT_PEER, srv->irq_fd[i]);
	srv->client_fd = fd;
	if (!ret)
		ret = event_watch(srv->epfd, fd, &srv->ev_client.src);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++)
		ret = server_watch_db(srv, i);
	if (ret) {
		log_err("vm %s: ivshmem handshake failed: %s", srv->name,
			strerror(-ret));
		ivshmem_server_disconnect(srv);
		return;
	}
	server_store_put(srv);
	log_info("vm %s: QEMU connected", srv->name);
	srv->ops->connected(srv->ctx);
}

/* The QEMU's socket has events: EOF or any byte ends the session. */
static void server_on_client(struct event_src *src, uint32_t events)
{
	struct ivshmem_server *srv = ((struct ivshmem_server_ev *)src)->srv;
	char byte;
	ssize_t n;

	if (srv->client_fd < 0)
		return;
	n = recv(srv->client_fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
	    !(events & (EPOLLHUP | EPOLLERR)))
		return;			/* nothing there after all */
	if (n > 0)
		log_warn("vm %s: QEMU sent data: protocol error", srv->name);
	ivshmem_server_disconnect(srv);
}

static void server_on_doorbell(struct event_src *src, uint32_t events)
{
	struct ivshmem_server_ev *ev = (struct ivshmem_server_ev *)src;
	struct ivshmem_server *srv = ev->srv;
	uint64_t n;

	(void)events;
	if (srv->db_fd[ev->vec] < 0 ||
	    (read(srv->db_fd[ev->vec], &n, sizeof(n)) < 0 && errno != EAGAIN))
		return;
	srv->ops->doorbell(srv->ctx, ev->vec);
}

void ivshmem_server_interrupt(struct ivshmem_server *srv, unsigned int vec)
{
	uint64_t one = 1;

	pthread_rwlock_rdlock(&srv->fd_lock);
	if (vec < DEVCALL_NR_VECTORS && srv->irq_fd[vec] >= 0 &&
	    write(srv->irq_fd[vec], &one, sizeof(one)) != sizeof(one))
		log_debug("vm %s: interrupt %u: %s", srv->name, vec,
			  strerror(errno));
	pthread_rwlock_unlock(&srv->fd_lock);
}

bool ivshmem_server_doorbell_live(struct ivshmem_server *srv,
				  unsigned int vec)
{
	bool there;

	/* Under the lock: a disconnect may close it, and its number reused. */
	pthread_rwlock_rdlock(&srv->fd_lock);
	there = vec < DEVCALL_NR_VECTORS && srv->db_fd[vec] >= 0;
	pthread_rwlock_unlock(&srv->fd_lock);
	return there;
}

void ivshmem_server_rearm(struct ivshmem_server *srv, unsigned int vec)
{
	uint64_t one = 1;

	pthread_rwlock_rdlock(&srv->fd_lock);
	if (vec < DEVCALL_NR_VECTORS && srv->db_fd[vec] >= 0 &&
	    write(srv->db_fd[vec], &one, sizeof(one)) != sizeof(one))
		log_debug("vm %s: rearm %u: %s", srv->name, vec,
			  strerror(errno));
	pthread_rwlock_unlock(&srv->fd_lock);
}
