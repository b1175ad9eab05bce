// SPDX-License-Identifier: MIT
/* A fake QEMU and guest for devcalld: see fakeqemu.h. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_config.h>

#include "fakeqemu.h"

#define RING_AVAIL_OFF	0x4000u
#define RING_USED_OFF	0x5000u

int64_t fq_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t fq_now_ms(void)
{
	return fq_now_us() / 1000;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void fq_init(struct fq *f, const char *name)
{
	unsigned int i;

	memset(f, 0, sizeof(*f));
	f->name = name;
	f->sock = f->shm_fd = f->ram_fd = -1;
	for (i = 0; i < DEVCALL_NR_VECTORS; i++)
		f->db_fd[i] = f->irq_fd[i] = -1;
	f->next_tag = 0x1000;
}

int fq_ram_create(struct fq *f, const char *path, uint64_t size)
{
	void *p;

	if (f->ram)
		munmap(f->ram, f->ram_size);
	close_fd(&f->ram_fd);
	f->ram = NULL;
	snprintf(f->ram_path, sizeof(f->ram_path), "%s", path);
	f->ram_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->ram_fd < 0 || ftruncate(f->ram_fd, (off_t)size))
		return -errno;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f->ram_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	f->ram = p;
	f->ram_size = size;
	return 0;
}

void *fq_gpa(struct fq *f, uint64_t gpa, size_t len)
{
	if (!f->ram || gpa > f->ram_size || len > f->ram_size - gpa)
		return NULL;
	return f->ram + gpa;
}

/* One server message: a little-endian int64 and maybe a descriptor. */
static int recv_msg(int sock, int64_t *val, int *fd, int timeout_ms)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct iovec iov = { .iov_base = val, .iov_len = sizeof(*val) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	if (poll(&p, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (n == 0)
		return -ECONNRESET;
	if (n != sizeof(*val))
		return n < 0 ? -errno : -EPROTO;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	*val = (int64_t)le64toh((uint64_t)*val);
	return 0;
}

/*
 * The handshake as QEMU takes it: version, our id, the shared memory,
 * then one message per vector for each peer (the server's doorbells
 * first), each with an eventfd.
 */
int fq_connect_once(struct fq *f, const char *sock_path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int nr_db = 0, nr_irq = 0;
	int64_t v;
	int fd, ret;
	void *p;

	fq_disconnect(f);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	f->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->sock < 0)
		return -errno;
	if (connect(f->sock, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		goto fail;
	}
	ret = recv_msg(f->sock, &v, &fd, timeout_ms);
	if (!ret && (v != 0 || fd >= 0))
		ret = -EPROTO;
	if (ret)
		goto fail_fd;
	ret = recv_msg(f->sock, &f->peer_id, &fd, timeout_ms);
	if (ret)
		goto fail_fd;
	ret = recv_msg(f->sock, &v, &f->shm_fd, timeout_ms);
	if (!ret && (v != -1 || f->shm_fd < 0))
		ret = -EPROTO;
	if (ret)
		goto fail;
	while (nr_db + nr_irq < 2 * DEVCALL_NR_VECTORS) {
		ret = recv_msg(f->sock, &v, &fd, timeout_ms);
		if (ret)
			goto fail;
		if (fd < 0) {
			ret = -EPROTO;
			goto fail;
		}
		if (v == f->peer_id && nr_irq < DEVCALL_NR_VECTORS) {
			f->irq_fd[nr_irq++] = fd;
		} else if (v != f->peer_id && nr_db < DEVCALL_NR_VECTORS) {
			f->db_fd[nr_db++] = fd;
		} else {
			close(fd);
			ret = -EPROTO;
			goto fail;
		}
	}
	p = mmap(NULL, DEVCALL_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 f->shm_fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		goto fail;
	}
	f->regs = p;
	return 0;

fail_fd:
	if (fd >= 0)
		close(fd);
fail:
	fq_disconnect(f);
	return ret;
}

int fq_connect(struct fq *f, const char *sock_path, int timeout_ms)
{
	int64_t end = fq_now_ms() + timeout_ms;
	int ret;

	for (;;) {
		ret = fq_connect_once(f, sock_path, timeout_ms);
		if (ret != -ECONNRESET && ret != -ECONNREFUSED &&
		    ret != -ENOENT)
			return ret;
		if (fq_now_ms() >= end)
			return ret;
		usleep(10000);
	}
}

void fq_disconnect(struct fq *f)
{
	unsigned int i;

	if (f->regs)
		munmap(f->regs, DEVCALL_SHM_SIZE);
	f->regs = NULL;
	close_fd(&f->sock);
	close_fd(&f->shm_fd);
	for (i = 0; i < DEVCALL_NR_VECTORS; i++) {
		close_fd(&f->db_fd[i]);
		close_fd(&f->irq_fd[i]);
	}
	f->q.num = 0;
}

void fq_destroy(struct fq *f)
{
	fq_disconnect(f);
	if (f->ram)
		munmap(f->ram, f->ram_size);
	f->ram = NULL;
	close_fd(&f->ram_fd);
}

void fq_ring(struct fq *f, unsigned int vec)
{
	uint64_t one = 1;

	if (vec < DEVCALL_NR_VECTORS && f->db_fd[vec] >= 0 &&
	    write(f->db_fd[vec], &one, sizeof(one)) != sizeof(one))
		return;		/* a full eventfd still wakes the daemon */
}

int fq_wait_irq(struct fq *f, unsigned int vec, int timeout_ms)
{
	struct pollfd p = { .fd = f->irq_fd[vec], .events = POLLIN };
	uint64_t n;

	if (vec >= DEVCALL_NR_VECTORS || p.fd < 0)
		return 0;
	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	return read(p.fd, &n, sizeof(n)) == sizeof(n);
}

static uint32_t rd32(const __le32 *p)
{
	return le32toh(__atomic_load_n(p, __ATOMIC_ACQUIRE));
}

static void wr32(__le32 *p, uint32_t v)
{
	__atomic_store_n(p, htole32(v), __ATOMIC_RELEASE);
}

int fq_mailbox(struct fq *f, uint32_t cmd, uint32_t arg, int timeout_ms)
{
	struct devcall_shm_regs *r = f->regs;
	int64_t end = fq_now_ms() + timeout_ms;
	uint32_t seq;

	if (!r)
		return -ENOTCONN;
	seq = rd32(&r->cmd_seq) + 1;
	wr32(&r->cmd, cmd);
	wr32(&r->cmd_arg, arg);
	wr32(&r->cmd_seq, seq);
	fq_ring(f, DEVCALL_DB_VEC_CMD);
	while (rd32(&r->cmd_ack) != seq) {
		int64_t left = end - fq_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		fq_wait_irq(f, DEVCALL_MSIX_VEC_CONFIG, left < 10 ? (int)left : 10);
	}
	return (int)rd32(&r->cmd_result);
}

uint32_t fq_status(struct fq *f)
{
	return f->regs ? rd32(&f->regs->status) : 0;
}

int fq_reset(struct fq *f)
{
	f->q.num = 0;
	return fq_mailbox(f, DEVCALL_CMD_SET_STATUS, 0, 1000);
}

static void queue_forget(struct fq_queue *q)
{
	memset(q, 0, sizeof(*q));
}

int fq_queue_enable(struct fq *f, uint32_t num, uint64_t desc, uint64_t avail,
		    uint64_t used)
{
	struct devcall_shm_queue *sq = &f->regs->queue[DEVCALL_QUEUE_REQ];
	struct fq_queue *q = &f->q;
	int ret;

	queue_forget(q);
	wr32(&sq->num, num);
	sq->desc = htole64(desc);
	sq->avail = htole64(avail);
	sq->used = htole64(used);
	ret = fq_mailbox(f, DEVCALL_CMD_QUEUE_ENABLE, DEVCALL_QUEUE_REQ, 1000);
	if (ret || !num || num > FQ_NUM_MAX || (num & (num - 1)))
		return ret;
	q->desc = fq_gpa(f, desc, 16 * (size_t)num);
	q->avail = fq_gpa(f, avail, 6 + 2 * (size_t)num);
	q->used = fq_gpa(f, used, 6 + 8 * (size_t)num);
	if (!q->desc || !q->avail || !q->used) {
		queue_forget(q);
		return ret;
	}
	q->num = num;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	q->nr_slots = num / 2;
	return 0;
}

int fq_driver_start(struct fq *f, uint16_t num, unsigned int ring_set)
{
	uint64_t base = FQ_RING_GPA(ring_set);
	uint32_t st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	uint8_t *ring = fq_gpa(f, base, 0x10000);
	int ret;

	if (!ring)
		return -EINVAL;
	memset(ring, 0, 0x10000);
	ret = fq_reset(f);
	if (!ret)
		ret = fq_mailbox(f, DEVCALL_CMD_SET_STATUS, st, 1000);
	f->regs->driver_features = htole64(1ull << VIRTIO_F_VERSION_1);
	st |= VIRTIO_CONFIG_S_FEATURES_OK;
	if (!ret)
		ret = fq_mailbox(f, DEVCALL_CMD_SET_STATUS, st, 1000);
	if (!ret && !(fq_status(f) & VIRTIO_CONFIG_S_FEATURES_OK))
		ret = -EPROTO;
	if (!ret)
		ret = fq_queue_enable(f, num, base, base + RING_AVAIL_OFF,
				      base + RING_USED_OFF);
	if (!ret && !f->q.num)
		ret = -EINVAL;
	st |= VIRTIO_CONFIG_S_DRIVER_OK;
	if (!ret)
		ret = fq_mailbox(f, DEVCALL_CMD_SET_STATUS, st, 1000);
	return ret;
}

void fq_req_init(struct fq *f, struct devcall_req *r, uint16_t op)
{
	memset(r, 0, sizeof(*r));
	r->magic = htole32(DEVCALL_REQ_MAGIC);
	r->version = htole16(DEVCALL_ABI_VERSION);
	r->op = htole16(op);
	r->tag = htole64(f->next_tag++);
}

void fq_desc(struct fq *f, uint16_t i, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next)
{
	struct vring_desc *d;

	if (!f->q.num)
		return;
	d = &f->q.desc[i % f->q.num];
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

void fq_publish(struct fq *f, uint16_t head)
{
	struct fq_queue *q = &f->q;

	if (!q->num)
		return;
	q->avail->ring[q->avail_idx % q->num] = htole16(head);
	q->avail_idx++;
	/* The entry before the index that publishes it. */
	__atomic_store_n(&q->avail->idx, htole16(q->avail_idx),
			 __ATOMIC_RELEASE);
}

void fq_kick(struct fq *f)
{
	fq_ring(f, DEVCALL_DB_VEC_QUEUE(DEVCALL_QUEUE_REQ));
}

bool fq_kick_prepared(struct fq *f)
{
	/* Our avail index before its flag (virtqueue_kick_prepare()). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (le16toh(__atomic_load_n(&f->q.used->flags, __ATOMIC_RELAXED)) &
	    VRING_USED_F_NO_NOTIFY)
		return false;
	fq_kick(f);
	return true;
}

static int slot_alloc(struct fq *f, uint64_t tag)
{
	struct fq_queue *q = &f->q;
	unsigned int s;

	for (s = 0; s < q->nr_slots; s++) {
		if (q->slot[s].state == FQ_SLOT_FREE) {
			memset(&q->slot[s], 0, sizeof(q->slot[s]));
			q->slot[s].state = FQ_SLOT_BUSY;
			q->slot[s].tag = tag;
			return (int)s;
		}
	}
	return -ENOSPC;
}

static uint64_t slot_req_gpa(unsigned int s)
{
	return FQ_SLOT_GPA + (uint64_t)s * FQ_SLOT_SIZE;
}

static uint64_t slot_resp_gpa(unsigned int s)
{
	return slot_req_gpa(s) + FQ_SLOT_REQ_MAX;
}

uint8_t *fq_slot_resp(struct fq *f, int slot)
{
	return fq_gpa(f, slot_resp_gpa((unsigned int)slot), FQ_RESP_MAX);
}

/* Chain request and response for slot s and publish it. */
static void slot_publish(struct fq *f, unsigned int s, uint64_t req_gpa,
			 uint32_t req_len, uint64_t resp_gpa, uint32_t resp_len)
{
	uint8_t *resp = fq_gpa(f, resp_gpa, resp_len);

	if (resp)
		memset(resp, 0, resp_len);
	f->q.slot[s].resp_gpa = resp_gpa;
	fq_desc(f, 2 * s, req_gpa, req_len, VRING_DESC_F_NEXT, 2 * s + 1);
	fq_desc(f, 2 * s + 1, resp_gpa, resp_len, VRING_DESC_F_WRITE, 0);
	fq_publish(f, 2 * s);
}

int fq_submit(struct fq *f, const struct devcall_req *hdr,
	      const struct devcall_seg *segs, unsigned int nr_segs,
	      const void *inl, unsigned int inl_len)
{
	size_t len = sizeof(*hdr) + nr_segs * sizeof(*segs) + inl_len;
	uint8_t *wire;
	int s;

	if (!f->q.num)
		return -ENOTCONN;
	if (len > FQ_SLOT_REQ_MAX)
		return -E2BIG;
	s = slot_alloc(f, le64toh(hdr->tag));
	if (s < 0)
		return s;
	wire = fq_gpa(f, slot_req_gpa(s), FQ_SLOT_REQ_MAX);
	memcpy(wire, hdr, sizeof(*hdr));
	if (nr_segs)
		memcpy(wire + sizeof(*hdr), segs, nr_segs * sizeof(*segs));
	if (inl_len)
		memcpy(wire + sizeof(*hdr) + nr_segs * sizeof(*segs), inl,
		       inl_len);
	slot_publish(f, s, slot_req_gpa(s), len, slot_resp_gpa(s),
		     FQ_RESP_MAX);
	return s;
}

int fq_submit_raw(struct fq *f, uint64_t tag, uint64_t req_gpa,
		  uint32_t req_len, uint64_t resp_gpa, uint32_t resp_len)
{
	int s;

	if (!f->q.num)
		return -ENOTCONN;
	s = slot_alloc(f, tag);
	if (s < 0)
		return s;
	slot_publish(f, s, req_gpa, req_len, resp_gpa, resp_len);
	return s;
}

int fq_submit_at(struct fq *f, uint64_t tag, uint64_t req_gpa,
		 uint32_t req_len)
{
	int s = slot_alloc(f, tag);

	if (s < 0)
		return s;
	fq_release(f, s);
	return fq_submit_raw(f, tag, req_gpa, req_len, slot_resp_gpa(s),
			     FQ_RESP_MAX);
}

int fq_reap(struct fq *f)
{
	struct fq_queue *q = &f->q;
	uint16_t idx;
	int n = 0;

	if (!q->num)
		return 0;
	idx = le16toh(__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE));
	while (q->last_used != idx) {
		struct vring_used_elem e = q->used->ring[q->last_used % q->num];
		uint32_t id = le32toh(e.id);
		struct fq_slot *sl;
		const uint8_t *resp;
		uint16_t inl;

		q->last_used++;
		if ((id & 1) || id / 2 >= q->nr_slots ||
		    q->slot[id / 2].state != FQ_SLOT_BUSY) {
			q->stray++;
			continue;
		}
		sl = &q->slot[id / 2];
		sl->used_len = le32toh(e.len);
		sl->state = FQ_SLOT_DONE;
		n++;
		resp = fq_gpa(f, sl->resp_gpa, FQ_RESP_MAX);
		if (!resp || sl->used_len < sizeof(sl->resp)) {
			sl->resp.result = -EPROTO;	/* a short answer */
			continue;
		}
		memcpy(&sl->resp, resp, sizeof(sl->resp));
		sl->resp.tag = le64toh(sl->resp.tag);
		sl->resp.result = le64toh(sl->resp.result);
		sl->resp.flags = le32toh(sl->resp.flags);
		sl->resp.size = le64toh(sl->resp.size);
		sl->resp.mode = le32toh(sl->resp.mode);
		inl = le16toh(sl->resp.inline_len);
		if (inl > DEVCALL_INLINE_MAX)
			inl = DEVCALL_INLINE_MAX;
		sl->resp.inline_len = inl;
		memcpy(sl->inl, resp + sizeof(sl->resp), inl);
	}
	return n;
}

int fq_wait(struct fq *f, int slot, int timeout_ms)
{
	int64_t end = fq_now_ms() + timeout_ms;

	if (slot < 0 || (unsigned int)slot >= f->q.nr_slots)
		return -EINVAL;
	for (;;) {
		int64_t left;

		fq_reap(f);
		if (f->q.slot[slot].state == FQ_SLOT_DONE)
			return 0;
		left = end - fq_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		fq_wait_irq(f, DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ),
			    left < 10 ? (int)left : 10);
	}
}

int64_t fq_result(const struct fq *f, int slot)
{
	if (slot < 0 || (unsigned int)slot >= f->q.nr_slots ||
	    f->q.slot[slot].state != FQ_SLOT_DONE)
		return FQ_NO_ANSWER;
	return (int64_t)f->q.slot[slot].resp.result;
}

void fq_release(struct fq *f, int slot)
{
	if (slot >= 0 && (unsigned int)slot < f->q.nr_slots)
		f->q.slot[slot].state = FQ_SLOT_FREE;
}

unsigned int fq_busy(const struct fq *f)
{
	unsigned int s, n = 0;

	for (s = 0; s < f->q.nr_slots; s++)
		n += f->q.slot[s].state == FQ_SLOT_BUSY;
	return n;
}

int64_t fq_call(struct fq *f, const struct devcall_req *hdr,
		const struct devcall_seg *segs, unsigned int nr_segs,
		const void *inl, unsigned int inl_len, int timeout_ms,
		struct fq_slot *out)
{
	int64_t ret;
	int s = fq_submit(f, hdr, segs, nr_segs, inl, inl_len);

	if (s < 0)
		return FQ_NO_ANSWER;
	fq_kick(f);
	if (fq_wait(f, s, timeout_ms)) {
		/* Never reused: a late answer is counted as stray. */
		f->q.slot[s].state = FQ_SLOT_BUSY;
		f->q.slot[s].tag = ~0ull;
		return FQ_NO_ANSWER;
	}
	ret = fq_result(f, s);
	if (out)
		*out = f->q.slot[s];
	fq_release(f, s);
	return ret;
}

int64_t fq_open(struct fq *f, uint32_t export_id, uint64_t oflags,
		int timeout_ms)
{
	struct devcall_req r;

	fq_req_init(f, &r, DEVCALL_OP_OPEN);
	r.export_id = htole32(export_id);
	r.arg = htole64(oflags);
	return fq_call(f, &r, NULL, 0, NULL, 0, timeout_ms, NULL);
}

int64_t fq_close(struct fq *f, uint64_t handle, int timeout_ms)
{
	struct devcall_req r;

	fq_req_init(f, &r, DEVCALL_OP_CLOSE);
	r.handle = htole64(handle);
	return fq_call(f, &r, NULL, 0, NULL, 0, timeout_ms, NULL);
}

int64_t fq_read_inline(struct fq *f, uint64_t handle, uint32_t len,
		       uint32_t flags, int timeout_ms)
{
	struct devcall_req r;

	fq_req_init(f, &r, DEVCALL_OP_READ);
	r.handle = htole64(handle);
	r.len = htole32(len);
	r.flags = htole32(flags);
	return fq_call(f, &r, NULL, 0, NULL, 0, timeout_ms, NULL);
}

int fq_roundtrip(struct fq *f, uint32_t export_id, int timeout_ms)
{
	int64_t end = fq_now_ms() + timeout_ms, h, n;
	int left;

	h = fq_open(f, export_id, DEVCALL_O_RDONLY, timeout_ms);
	if (h == FQ_NO_ANSWER)
		return -ETIMEDOUT;
	if (h <= 0)
		return h < 0 ? (int)h : -EPROTO;
	left = (int)(end - fq_now_ms());
	n = fq_read_inline(f, (uint64_t)h, 16, 0, left > 0 ? left : 1);
	left = (int)(end - fq_now_ms());
	if (fq_close(f, (uint64_t)h, left > 0 ? left : 1) == FQ_NO_ANSWER ||
	    n == FQ_NO_ANSWER)
		return -ETIMEDOUT;
	if (n != 16)
		return n < 0 ? (int)n : -EIO;
	return fq_now_ms() > end ? -ETIMEDOUT : 0;
}

int fq_qmp_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int fq_qmp_send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
