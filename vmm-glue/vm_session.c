// SPDX-License-Identifier: MIT
/*
 * One VM as the daemon serves it: see vm_session.h. The protocol with QEMU
 * is its ivshmem server protocol (QEMU docs/specs/ivshmem-spec.rst): the
 * server only ever sends little-endian int64 messages, some with a file
 * descriptor; any byte from QEMU is a protocol error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "dispatch.h"
#include "fd_keeper.h"
#include "log.h"
#include "vm_session.h"

#define REQ_WIRE_MAX	(sizeof(struct devcall_req) + \
			 DEVCALL_MAX_SEGS * sizeof(struct devcall_seg) + \
			 DEVCALL_INLINE_MAX)
#define RESP_WIRE_MAX	(sizeof(struct devcall_resp) + DEVCALL_INLINE_MAX)

static void regs_init(struct vm_session *s)
{
	struct devcall_shm_regs *r = s->regs;
	struct devcall_config *c = (void *)((uint8_t *)r + DEVCALL_SHM_CONFIG_OFF);
	struct devcall_config_export *e = (void *)(c + 1);
	uint32_t epoch = le32toh(r->device_epoch) + 1;
	unsigned int i;

	memset(r, 0, DEVCALL_SHM_CONFIG_OFF);
	r->version = htole32(DEVCALL_SHM_VERSION);
	r->device_id = htole32(DEVCALL_VIRTIO_ID);
	r->vendor_id = htole32(DEVCALL_VIRTIO_VENDOR);
	r->server_peer_id = htole32(SESSION_SERVER_PEER);
	r->num_queues = htole32(1);
	r->device_features = htole64(1ull << VIRTIO_F_VERSION_1);
	r->device_epoch = htole32(epoch);
	r->queue[DEVCALL_QUEUE_REQ].num_max = htole32(DEVCALL_QUEUE_NUM_MAX);

	c->abi_version = htole32(DEVCALL_ABI_VERSION);
	c->nr_exports = htole32(s->cfg->nr_exports);
	for (i = 0; i < s->cfg->nr_exports; i++) {
		const struct export *x = &s->cfg->exports[i];

		memset(&e[i], 0, sizeof(e[i]));
		e[i].id = htole32(x->id);
		e[i].flags = htole32((x->read_only ? DEVCALL_EXPORT_F_RO : 0) |
				     (x->exclusive ? DEVCALL_EXPORT_F_EXCLUSIVE : 0));
		snprintf(e[i].name, sizeof(e[i].name), "%s", x->name);
	}
	r->config_size = htole32(sizeof(*c) + s->cfg->nr_exports * sizeof(*e));
	/* Published last: a guest that sees the magic sees the rest. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->magic = htole32(DEVCALL_SHM_MAGIC);
}

static void fill_defaults(struct vm_config *cfg, const char *run_dir)
{
	if (!cfg->socket_path[0])
		snprintf(cfg->socket_path, sizeof(cfg->socket_path),
			 "%s/%s.sock", run_dir, cfg->name);
	if (!cfg->qmp_path[0])
		snprintf(cfg->qmp_path, sizeof(cfg->qmp_path), "%s/%s.qmp",
			 run_dir, cfg->name);
	if (!cfg->memory_path[0])
		snprintf(cfg->memory_path, sizeof(cfg->memory_path),
			 "/dev/shm/devcall-%s.ram", cfg->name);
	if (!cfg->machine[0])
		strcpy(cfg->machine, "q35");
}

static int epoll_add(struct vm_session *s, int fd, struct session_ev_src *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

#define KEEP_NR_FDS	(2 + 2 * DEVCALL_NR_VECTORS)

/*
 * Start or reach this VM's keeper; if it holds a QEMU a killed daemon
 * served, take that QEMU's connection, shared memory and eventfds back.
 */
static int session_keeper_open(struct vm_session *s)
{
	char path[sizeof(s->cfg->socket_path) + 8];
	int fds[KEEPER_MAX_FDS], n, i;

	snprintf(path, sizeof(path), "%s.keep", s->cfg->socket_path);
	s->keeper = keeper_open(path);
	if (s->keeper < 0) {
		log_err("vm %s: fd keeper %s: %s", s->cfg->name, path,
			strerror(-s->keeper));
		return s->keeper;
	}
	n = keeper_take(s->keeper, fds, KEEPER_MAX_FDS);
	if (n <= 0)
		return 0;
	if (n != KEEP_NR_FDS) {
		log_warn("vm %s: keeper held %d descriptors; ignored",
			 s->cfg->name, n);
		for (i = 0; i < n; i++)
			close(fds[i]);
		keeper_drop(s->keeper);
		return 0;
	}
	s->client_fd = fds[0];
	s->shm_fd = fds[1];
	for (i = 0; i < (int)DEVCALL_NR_VECTORS; i++) {
		s->db_fd[i] = fds[2 + i];
		s->irq_fd[i] = fds[2 + DEVCALL_NR_VECTORS + i];
	}
	return 0;
}

/* Hand the keeper what QEMU holds, so a new daemon can take it back. */
static void session_keeper_put(struct vm_session *s)
{
	int fds[KEEP_NR_FDS], i, ret;

	fds[0] = s->client_fd;
	fds[1] = s->shm_fd;
	for (i = 0; i < (int)DEVCALL_NR_VECTORS; i++) {
		fds[2 + i] = s->db_fd[i];
		fds[2 + DEVCALL_NR_VECTORS + i] = s->irq_fd[i];
	}
	ret = keeper_put(s->keeper, fds, KEEP_NR_FDS);
	if (ret)
		log_warn("vm %s: fd keeper: %s: a daemon restart will lose "
			 "this QEMU", s->cfg->name, strerror(-ret));
}

/*
 * Serve a QEMU an earlier daemon served: the device is new to the guest
 * (regs_init bumped the epoch); its driver sees the heartbeat move again
 * and attaches afresh. Nothing of the old daemon's open files survives.
 */
static int session_adopt(struct vm_session *s)
{
	unsigned int i;
	uint64_t n;
	int ret;

	ret = epoll_add(s, s->client_fd, &s->ev_client);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++) {
		if (read(s->db_fd[i], &n, sizeof(n)) < 0 && errno != EAGAIN)
			ret = -errno;
		if (!ret)
			ret = epoll_add(s, s->db_fd[i], &s->ev_db[i]);
	}
	if (ret)
		return ret;
	log_info("vm %s: QEMU taken back from the fd keeper (device epoch %u)",
		 s->cfg->name, le32toh(s->regs->device_epoch));
	return 0;
}

/* A listening socket at path (long enough: checked at create), watched. */
static int listen_unix(struct vm_session *s, const char *path, int backlog,
		       struct session_ev_src *src, int *fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sa.sun_path, path);
	unlink(sa.sun_path);
	*fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*fd < 0 || bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(*fd, backlog))
		return -errno;
	return epoll_add(s, *fd, src);
}

int session_create(struct vm_session **out, struct host *host,
		   struct vm_config *cfg, const char *run_dir, int epfd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vm_session *s;
	unsigned int i;
	int ret;

	fill_defaults(cfg, run_dir);
	if (strlen(cfg->socket_path) >= sizeof(sa.sun_path) ||
	    strlen(cfg->qmp_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->epfd = epfd;
	s->client_fd = s->listen_fd = s->shm_fd = s->keeper = -1;
	s->qmp_listen_fd = -1;
	s->ev_qmp_listen = (struct session_ev_src){ SESSION_EV_QMP_LISTEN, s, 0 };
	s->ev_qmp = (struct session_ev_src){ SESSION_EV_QMP, s, 0 };
	for (i = 0; i < DEVCALL_NR_VECTORS; i++) {
		s->db_fd[i] = s->irq_fd[i] = -1;
		s->ev_db[i] = (struct session_ev_src){ SESSION_EV_DOORBELL, s, i };
	}
	s->ev_listen = (struct session_ev_src){ SESSION_EV_LISTEN, s, 0 };
	s->ev_client = (struct session_ev_src){ SESSION_EV_CLIENT, s, 0 };
	pthread_mutex_init(&s->lock, NULL);
	vq_init(&s->vq);

	ret = -ENOMEM;
	s->vm = vm_create(host, cfg);
	if (!s->vm)
		goto fail;
	ret = session_keeper_open(s);
	if (ret)
		goto fail;
	if (s->shm_fd < 0) {
		s->shm_fd = memfd_create("devcall-shm", MFD_CLOEXEC);
		if (s->shm_fd < 0 || ftruncate(s->shm_fd, DEVCALL_SHM_SIZE)) {
			ret = -errno;
			goto fail;
		}
	}
	s->regs = mmap(NULL, DEVCALL_SHM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, s->shm_fd, 0);
	if (s->regs == MAP_FAILED) {
		s->regs = NULL;
		ret = -errno;
		goto fail;
	}
	regs_init(s);
	if (s->client_fd >= 0) {
		ret = session_adopt(s);
		if (ret)
			goto fail;
	}

	ret = listen_unix(s, cfg->socket_path, 4, &s->ev_listen, &s->listen_fd);
	if (ret)
		goto fail;
	/* QEMU's QMP monitor connects here (a client chardev with reconnect). */
	ret = -ENOMEM;
	s->qmp = qmp_events_new();
	if (!s->qmp)
		goto fail;
	ret = listen_unix(s, cfg->qmp_path, 2, &s->ev_qmp_listen,
			  &s->qmp_listen_fd);
	if (ret)
		goto fail;
	log_info("vm %s: listening on %s, %u export(s)", cfg->name,
		 cfg->socket_path, cfg->nr_exports);
	*out = s;
	return 0;
fail:
	session_destroy(s);
	return ret;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void memory_drop(struct vm_session *s)
{
	struct session_memory *m;

	pthread_mutex_lock(&s->lock);
	m = s->mem;
	s->mem = NULL;
	pthread_mutex_unlock(&s->lock);
	vm_set_memory(s->vm, NULL);
	if (m)
		session_memory_put(s, m);
}

/* Back to power-on state: what a reset or a new QEMU sees. */
static void device_reset(struct vm_session *s)
{
	vq_reset(&s->vq);
	vm_reset(s->vm);
	memory_drop(s);
}

/* A reset the guest can see: the registers back to power-on too. */
static void device_reset_regs(struct vm_session *s)
{
	struct devcall_shm_regs *r = s->regs;
	unsigned int i;

	device_reset(s);
	r->status = 0;
	r->driver_features = 0;
	for (i = 0; i < DEVCALL_SHM_MAX_QUEUES; i++)
		r->queue[i].ready = 0;
}

void session_disconnect(struct vm_session *s)
{
	unsigned int i;

	if (s->client_fd < 0)
		return;
	log_info("vm %s: QEMU disconnected: closing its %u open file(s)",
		 s->cfg->name, vm_open_count(s->vm));
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->client_fd, NULL);
	close_fd(&s->client_fd);
	if (s->keeper >= 0)
		keeper_drop(s->keeper);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < DEVCALL_NR_VECTORS; i++) {
		if (s->db_fd[i] >= 0)
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->db_fd[i], NULL);
		close_fd(&s->db_fd[i]);
		close_fd(&s->irq_fd[i]);
	}
	pthread_mutex_unlock(&s->lock);
	device_reset(s);
	s->cmd_seq_done = 0;
	regs_init(s);
}

void session_destroy(struct vm_session *s)
{
	if (!s)
		return;
	session_disconnect(s);
	if (s->listen_fd >= 0) {
		unlink(s->cfg->socket_path);
		close_fd(&s->listen_fd);
	}
	if (s->qmp_listen_fd >= 0) {
		unlink(s->cfg->qmp_path);
		close_fd(&s->qmp_listen_fd);
	}
	qmp_events_free(s->qmp);
	if (s->regs)
		munmap(s->regs, DEVCALL_SHM_SIZE);
	close_fd(&s->shm_fd);
	session_stop(s);
	vm_destroy(s->vm);
	free(s);
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

int session_accept(struct vm_session *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	unsigned int i;
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (s->client_fd >= 0) {
		log_warn("vm %s: a second QEMU connected; refused", s->cfg->name);
		close(fd);
		return -EBUSY;
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++) {
		s->db_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		s->irq_fd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (s->db_fd[i] < 0 || s->irq_fd[i] < 0)
			ret = -errno;
	}
	pthread_mutex_unlock(&s->lock);
	/* Version, the client's id, the shared memory, then the doorbells. */
	if (!ret)
		ret = send_msg(fd, 0, -1);
	if (!ret)
		ret = send_msg(fd, SESSION_CLIENT_PEER, -1);
	if (!ret)
		ret = send_msg(fd, -1, s->shm_fd);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++)
		ret = send_msg(fd, SESSION_SERVER_PEER, s->db_fd[i]);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++)
		ret = send_msg(fd, SESSION_CLIENT_PEER, s->irq_fd[i]);
	s->client_fd = fd;
	if (!ret)
		ret = epoll_add(s, fd, &s->ev_client);
	for (i = 0; i < DEVCALL_NR_VECTORS && !ret; i++)
		ret = epoll_add(s, s->db_fd[i], &s->ev_db[i]);
	if (ret) {
		log_err("vm %s: ivshmem handshake failed: %s", s->cfg->name,
			strerror(-ret));
		session_disconnect(s);
		return ret;
	}
	session_keeper_put(s);
	log_info("vm %s: QEMU connected", s->cfg->name);
	return 0;
}

static pid_t peer_pid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -1;
	return cred.pid;
}

/*
 * Events are taken only from the QEMU this VM's ivshmem connection comes
 * from: anyone else on the socket could otherwise reset the VM's files.
 */
void session_qmp_accept(struct vm_session *s)
{
	int fd = accept4(s->qmp_listen_fd, NULL, NULL, SOCK_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return;
	pid = peer_pid(fd);
	if (s->client_fd < 0 || pid <= 0 || pid != peer_pid(s->client_fd)) {
		log_warn("vm %s: QMP connection from pid %d refused: not the "
			 "QEMU of this VM", s->cfg->name, (int)pid);
		close(fd);
		return;
	}
	if (qmp_events_fd(s->qmp) >= 0)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, qmp_events_fd(s->qmp), NULL);
	qmp_events_attach(s->qmp, fd);
	if (qmp_events_fd(s->qmp) >= 0 &&
	    epoll_add(s, qmp_events_fd(s->qmp), &s->ev_qmp) == 0)
		log_info("vm %s: QEMU's QMP events connected", s->cfg->name);
}

/*
 * The guest was reset (QEMU's RESET event): its driver is gone with
 * everything it had open. Close its host files and release its claims
 * now, as a disconnect would; the guest's new driver finds a device that
 * is reset too.
 */
static void session_on_qmp(void *ctx, enum qmp_event ev)
{
	struct vm_session *s = ctx;

	if (ev != QMP_EV_RESET)
		return;
	log_info("vm %s: guest reset: closing its %u open file(s)",
		 s->cfg->name, vm_open_count(s->vm));
	device_reset_regs(s);
}

void session_qmp_event(struct vm_session *s)
{
	int fd = qmp_events_fd(s->qmp);

	if (fd >= 0 && qmp_events_read(s->qmp, session_on_qmp, s) < 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
		log_info("vm %s: QEMU's QMP events disconnected", s->cfg->name);
	}
}

void session_tick(struct vm_session *s)
{
	if (s->client_fd >= 0)
		s->regs->heartbeat = htole32(le32toh(s->regs->heartbeat) + 1);
}

void session_stop(struct vm_session *s)
{
	if (s->keeper >= 0)
		keeper_quit(s->keeper);
	s->keeper = -1;
}

void session_client_event(struct vm_session *s, uint32_t events)
{
	char byte;
	ssize_t n;

	if (s->client_fd < 0)
		return;
	n = recv(s->client_fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
	    !(events & (EPOLLHUP | EPOLLERR)))
		return;			/* nothing there after all */
	if (n > 0)
		log_warn("vm %s: QEMU sent data: protocol error", s->cfg->name);
	session_disconnect(s);
}

void session_interrupt(struct vm_session *s, unsigned int vec)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	if (vec < DEVCALL_NR_VECTORS && s->irq_fd[vec] >= 0 &&
	    write(s->irq_fd[vec], &one, sizeof(one)) != sizeof(one))
		log_debug("vm %s: interrupt %u: %s", s->cfg->name, vec,
			  strerror(errno));
	pthread_mutex_unlock(&s->lock);
}

struct session_memory *session_memory_get(struct vm_session *s)
{
	struct session_memory *m;

	pthread_mutex_lock(&s->lock);
	m = s->mem;
	if (m)
		m->refs++;
	pthread_mutex_unlock(&s->lock);
	return m;
}

void session_memory_put(struct vm_session *s, struct session_memory *m)
{
	unsigned int refs;

	pthread_mutex_lock(&s->lock);
	refs = --m->refs;
	pthread_mutex_unlock(&s->lock);
	if (!refs) {
		guest_mem_fini(&m->gm);
		free(m);
	}
}

/* Map guest RAM as QEMU lays it out, once the guest is running. */
static int memory_map(struct vm_session *s)
{
	struct guest_mem_layout_entry layout[2];
	struct session_memory *m;
	struct stat st;
	int n, ret;

	if (s->mem)
		return 0;
	if (stat(s->cfg->memory_path, &st))
		return -errno;
	n = guest_mem_layout_x86(s->cfg->machine, st.st_size, layout, 2);
	if (n < 0)
		return n;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	guest_mem_init(&m->gm);
	ret = guest_mem_map_file(&m->gm, s->cfg->memory_path, layout, n);
	if (ret) {
		free(m);
		return ret;
	}
	m->refs = 1;
	pthread_mutex_lock(&s->lock);
	s->mem = m;
	pthread_mutex_unlock(&s->lock);
	vm_set_memory(s->vm, &m->gm);
	log_info("vm %s: guest RAM %s mapped (%lld MiB, %s)", s->cfg->name,
		 s->cfg->memory_path, (long long)st.st_size >> 20,
		 s->cfg->machine);
	return 0;
}

static uint32_t mailbox_set_status(struct vm_session *s, uint32_t status)
{
	struct devcall_shm_regs *r = s->regs;
	uint32_t old = le32toh(r->status);
	uint64_t drv = le64toh(r->driver_features);
	uint64_t dev = le64toh(r->device_features);

	if (!status) {
		device_reset_regs(s);
		return 0;
	}
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((drv & ~dev) || !(drv & (1ull << VIRTIO_F_VERSION_1)))) {
		log_warn("vm %s: driver features %#llx refused", s->cfg->name,
			 (unsigned long long)drv);
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	r->status = htole32(status & 0xff);
	return 0;
}

static uint32_t mailbox_queue_enable(struct vm_session *s, uint32_t q)
{
	struct devcall_shm_queue *sq;
	int ret;

	if (q != DEVCALL_QUEUE_REQ)
		return EINVAL;
	sq = &s->regs->queue[q];
	ret = memory_map(s);
	if (ret) {
		log_err("vm %s: cannot map guest RAM %s: %s", s->cfg->name,
			s->cfg->memory_path, strerror(-ret));
		return -ret;
	}
	ret = vq_setup(&s->vq, &s->mem->gm, le32toh(sq->num),
		       DEVCALL_QUEUE_NUM_MAX, le64toh(sq->desc),
		       le64toh(sq->avail), le64toh(sq->used));
	if (ret) {
		log_warn("vm %s: queue %u refused: rings not in guest RAM, "
			 "misaligned or of a bad size", s->cfg->name, q);
		return -ret;
	}
	sq->ready = htole32(1);
	return 0;
}

static void mailbox(struct vm_session *s)
{
	struct devcall_shm_regs *r = s->regs;
	uint32_t seq = le32toh(__atomic_load_n(&r->cmd_seq, __ATOMIC_ACQUIRE));
	uint32_t cmd, arg, result;

	if (seq == s->cmd_seq_done)
		return;
	cmd = le32toh(r->cmd);
	arg = le32toh(r->cmd_arg);
	switch (cmd) {
	case DEVCALL_CMD_SET_STATUS:
		result = mailbox_set_status(s, arg);
		break;
	case DEVCALL_CMD_QUEUE_ENABLE:
		result = mailbox_queue_enable(s, arg);
		break;
	case DEVCALL_CMD_QUEUE_RESET:
		if (arg == DEVCALL_QUEUE_REQ) {
			vq_reset(&s->vq);
			r->queue[arg].ready = 0;
			result = 0;
		} else {
			result = EINVAL;
		}
		break;
	default:
		result = EINVAL;
		break;
	}
	r->cmd_result = htole32(result);
	__atomic_store_n(&r->cmd_ack, htole32(seq), __ATOMIC_RELEASE);
	s->cmd_seq_done = seq;
	session_interrupt(s, DEVCALL_MSIX_VEC_CONFIG);
}

static void queue_kick(struct vm_session *s)
{
	static struct vq_chain chain;	/* event loop thread only */
	struct session_call *call;
	struct session_memory *m;
	int ret;

	while ((ret = vq_pop(&s->vq, &chain)) != 0) {
		if (ret == -EIO) {
			log_warn("vm %s: request ring broken by the guest",
				 s->cfg->name);
			s->regs->status |= htole32(VIRTIO_CONFIG_S_NEEDS_RESET);
			session_interrupt(s, DEVCALL_MSIX_VEC_CONFIG);
			return;
		}
		if (ret < 0) {	/* a bad chain: answered empty, not dropped */
			log_warn("vm %s: malformed descriptor chain %u",
				 s->cfg->name, chain.head);
			vq_push(&s->vq, chain.gen, chain.head, 0);
			session_interrupt(s, DEVCALL_MSIX_VEC_QUEUE(0));
			continue;
		}
		m = session_memory_get(s);
		if (!m) {
			vq_push(&s->vq, chain.gen, chain.head, 0);
			continue;
		}
		call = calloc(1, sizeof(*call));
		if (!call) {
			vq_push(&s->vq, chain.gen, chain.head, 0);
			session_memory_put(s, m);
			continue;
		}
		call->s = s;
		call->m = m;
		call->chain = chain;
		session_queue(call);
	}
}

void session_doorbell(struct vm_session *s, unsigned int vec)
{
	uint64_t n;

	if (read(s->db_fd[vec], &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (vec == DEVCALL_DB_VEC_CMD)
		mailbox(s);
	else if (vec == DEVCALL_DB_VEC_QUEUE(DEVCALL_QUEUE_REQ))
		queue_kick(s);
}

static void call_free(struct session_call *call)
{
	session_memory_put(call->s, call->m);
	free(call->wire);
	free(call);
}

/* Answer the call with the response bytes resp, free it, interrupt. */
static void call_answer(struct session_call *call, const void *resp, size_t n)
{
	struct vm_session *s = call->s;
	const struct vq_chain *c = &call->chain;
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < c->nr_out && done < n; i++) {
		size_t k = c->out[i].iov_len < n - done ?
			   c->out[i].iov_len : n - done;

		memcpy(c->out[i].iov_base, (const uint8_t *)resp + done, k);
		done += k;
	}
	/* Too small a response area: the guest sees a short answer. */
	vq_push(&s->vq, c->gen, c->head, done);
	call_free(call);
	session_interrupt(s, DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ));
}

/*
 * Answer a cancelled or unparkable wait: with err, or with the bytes a
 * blocking write already wrote (write(2) returns those when interrupted).
 */
static void call_answer_error(struct session_call *call, int err)
{
	uint8_t resp[sizeof(struct devcall_resp)];
	struct response r = { .tag = call->waiter.tag,
			      .result = call->done ? (int64_t)call->done : err };
	int n = response_encode(&r, resp, sizeof(resp));

	call_answer(call, resp, n < 0 ? 0 : (size_t)n);
}

/* The wait set's verdict on a parked call. */
static void call_ready(struct waiter *w, int err)
{
	struct session_call *call = (struct session_call *)w;

	if (err)
		call_answer_error(call, err);
	else
		session_queue(call);	/* serve it again */
}

/* A private copy: the guest cannot change it while we work. */
static int call_copy_request(struct session_call *call)
{
	const struct vq_chain *c = &call->chain;
	size_t len = 0, cap = 0, n;
	unsigned int i;

	/*
	 * Its own size, not the largest a request can be: a parked call
	 * keeps it. One byte past the limit is enough to see it is too long.
	 */
	for (i = 0; i < c->nr_in; i++)
		cap += c->in[i].iov_len;
	if (cap > REQ_WIRE_MAX + 1)
		cap = REQ_WIRE_MAX + 1;
	call->wire = malloc(cap ? cap : 1);
	if (!call->wire)
		return -ENOMEM;
	for (i = 0; i < c->nr_in && len < cap; i++) {
		n = c->in[i].iov_len;
		if (n > cap - len)
			n = cap - len;
		memcpy(call->wire + len, c->in[i].iov_base, n);
		len += n;
	}
	call->wire_len = len;
	return 0;
}

void session_serve(struct session_call *call)
{
	struct vm_session *s = call->s;
	struct dispatch_wait wait;
	uint8_t resp[RESP_WIRE_MAX];
	size_t n;
	int ret;

	if (!call->wire && call_copy_request(call)) {
		call_answer(call, NULL, 0);
		return;
	}
	wait.done = call->done;
	n = dispatch_wire(s->vm, call->wire, call->wire_len, resp,
			  sizeof(resp), &wait);
	if (!wait.file) {
		call_answer(call, resp, n);
		return;
	}
	/* No thread waits: the wait set wakes the call when it can go on. */
	call->done = wait.done;
	call->waiter.ready = call_ready;
	ret = waitset_park(host_waitset(vm_host(s->vm)),
			   vm_waitset_owner(s->vm), &wait.file->wait,
			   wait.fd, wait.handle, wait.tag, wait.events,
			   &call->waiter);
	if (ret) {
		call->waiter.tag = wait.tag;
		call_answer_error(call, ret);
	}
}
