// SPDX-License-Identifier: MIT
/* The devcall virtio transport in ivshmem shared memory: see the header. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/virtio_config.h>

#include "log.h"
#include "shm_transport.h"

/* The node table of exps[0..n), after the export table: devcall_abi.h. */
static void nodes_fill(const struct export *const *exps, unsigned int n,
		       void *at)
{
	struct devcall_config_nodes *h = at;
	struct devcall_config_node *nd = (void *)(h + 1);
	unsigned int i;

	h->magic = htole32(DEVCALL_NODES_MAGIC);
	h->entry_size = htole32(sizeof(*nd));
	for (i = 0; i < n; i++) {
		const struct export *x = exps[i];

		memset(&nd[i], 0, sizeof(nd[i]));
		nd[i].id = htole32(x->id);
		nd[i].flags = htole32(x->node_flags);
		nd[i].mode = htole32(x->guest_mode);
		nd[i].uid = htole32(x->guest_uid);
		nd[i].gid = htole32(x->guest_gid);
		nd[i].host_type = htole32(x->host_type);
		nd[i].host_major = htole32(x->host_major);
		nd[i].host_minor = htole32(x->host_minor);
		nd[i].devnum_major = htole32(x->devnum_major);
		nd[i].devnum_minor = htole32(x->devnum_minor);
		snprintf(nd[i].name, sizeof(nd[i].name), "%s", x->guest_name);
		snprintf(nd[i].aliases, sizeof(nd[i].aliases), "%s",
			 x->guest_alias);
		snprintf(nd[i].owner, sizeof(nd[i].owner), "%s", x->guest_owner);
		snprintf(nd[i].group, sizeof(nd[i].group), "%s", x->guest_group);
	}
}

void shm_transport_nodes_init(const struct vm_config *cfg, void *at)
{
	const struct export *exps[CONFIG_MAX_EXPORTS];
	unsigned int i;

	for (i = 0; i < cfg->nr_exports; i++)
		exps[i] = &cfg->exports[i];
	nodes_fill(exps, cfg->nr_exports, at);
}

/* The VM's exports as the guest reads them: the config space. */
static void config_fill(struct shm_transport *t)
{
	struct devcall_shm_regs *r = t->regs;
	struct devcall_config *c = (void *)((uint8_t *)r + DEVCALL_SHM_CONFIG_OFF);
	struct devcall_config_export *e = (void *)(c + 1);
	const struct export *exps[CONFIG_MAX_EXPORTS];
	unsigned int i, n;

	_Static_assert(sizeof(*c) + CONFIG_MAX_EXPORTS *
		       (sizeof(*e) + sizeof(struct devcall_config_node)) +
		       sizeof(struct devcall_config_nodes) <=
		       DEVCALL_SHM_CONFIG_MAX, "exports fit the config space");
	n = vm_exports(t->vm, exps, NULL);
	c->abi_version = htole32(DEVCALL_ABI_VERSION);
	c->nr_exports = htole32(n);
	for (i = 0; i < n; i++) {
		const struct export *x = exps[i];

		memset(&e[i], 0, sizeof(e[i]));
		e[i].id = htole32(x->id);
		e[i].flags = htole32((x->read_only ? DEVCALL_EXPORT_F_RO : 0) |
				     (x->exclusive ? DEVCALL_EXPORT_F_EXCLUSIVE : 0) |
				     (x->guest_block ? DEVCALL_EXPORT_F_BLOCK : 0));
		snprintf(e[i].name, sizeof(e[i].name), "%s", x->name);
	}
	nodes_fill(exps, n, &e[n]);
	r->config_size = htole32(sizeof(*c) + n * (sizeof(*e) +
				 sizeof(struct devcall_config_node)) +
				 sizeof(struct devcall_config_nodes));
}

static void regs_init(struct shm_transport *t)
{
	struct devcall_shm_regs *r = t->regs;
	uint32_t epoch = le32toh(r->device_epoch) + 1;
	uint32_t gen = le32toh(r->config_generation);

	memset(r, 0, DEVCALL_SHM_CONFIG_OFF);
	r->version = htole32(DEVCALL_SHM_VERSION);
	r->device_id = htole32(DEVCALL_VIRTIO_ID);
	r->vendor_id = htole32(DEVCALL_VIRTIO_VENDOR);
	r->server_peer_id = htole32(0);
	r->num_queues = htole32(1);
	r->device_features = htole64(1ull << VIRTIO_F_VERSION_1);
	r->device_epoch = htole32(epoch);
	r->queue[DEVCALL_QUEUE_REQ].num_max = htole32(DEVCALL_QUEUE_NUM_MAX);

	/* Even: no change under way (shm_transport_exports_changed()). */
	r->config_generation = htole32((gen + 1) & ~1u);
	config_fill(t);
	/* Published last: a guest that sees the magic sees the rest. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	r->magic = htole32(DEVCALL_SHM_MAGIC);
}

int shm_transport_init(struct shm_transport *t, int shm_fd,
		       const struct vm_config *cfg, struct vm *vm,
		       const struct shm_device_ops *dev, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->cfg = cfg;
	t->vm = vm;
	snprintf(t->log_prefix, sizeof(t->log_prefix), "vm %s", cfg->name);
	log_ratelimit_init(&t->log_rl);
	t->dev = dev;
	t->ctx = ctx;
	t->regs = mmap(NULL, DEVCALL_SHM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, shm_fd, 0);
	if (t->regs == MAP_FAILED) {
		t->regs = NULL;
		return -errno;
	}
	regs_init(t);
	return 0;
}

void shm_transport_fini(struct shm_transport *t)
{
	if (t->regs)
		munmap(t->regs, DEVCALL_SHM_SIZE);
	t->regs = NULL;
}

void shm_transport_republish(struct shm_transport *t)
{
	t->cmd_seq_done = 0;
	regs_init(t);
}

void shm_transport_exports_changed(struct shm_transport *t)
{
	struct devcall_shm_regs *r = t->regs;
	uint32_t gen = le32toh(r->config_generation);

	/*
	 * A seqlock the guest driver follows: odd while the table is being
	 * rewritten, and a different value once it is done, so a guest that
	 * read while we wrote reads again.
	 */
	gen |= 1;
	__atomic_store_n(&r->config_generation, htole32(gen), __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	config_fill(t);
	__atomic_store_n(&r->config_generation, htole32(gen + 1),
			 __ATOMIC_RELEASE);
	t->dev->interrupt(t->ctx, DEVCALL_MSIX_VEC_CONFIG);
}

void shm_transport_reset_regs(struct shm_transport *t)
{
	struct devcall_shm_regs *r = t->regs;
	unsigned int i;

	r->status = 0;
	r->driver_features = 0;
	for (i = 0; i < DEVCALL_SHM_MAX_QUEUES; i++)
		r->queue[i].ready = 0;
}

void shm_transport_needs_reset(struct shm_transport *t)
{
	__atomic_or_fetch(&t->regs->status,
			  htole32(VIRTIO_CONFIG_S_NEEDS_RESET),
			  __ATOMIC_RELEASE);
	t->dev->interrupt(t->ctx, DEVCALL_MSIX_VEC_CONFIG);
}

void shm_transport_heartbeat(struct shm_transport *t)
{
	__atomic_add_fetch(&t->regs->heartbeat, 1, __ATOMIC_RELAXED);
}

static uint32_t mailbox_set_status(struct shm_transport *t, uint32_t status)
{
	struct devcall_shm_regs *r = t->regs;
	uint32_t old = le32toh(r->status);
	uint64_t drv = le64toh(r->driver_features);
	uint64_t dev = le64toh(r->device_features);

	if (!status) {
		t->dev->reset(t->ctx);
		shm_transport_reset_regs(t);
		return 0;
	}
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    ((drv & ~dev) || !(drv & (1ull << VIRTIO_F_VERSION_1)))) {
		log_limited(&t->log_rl, t->log_prefix, LOG_WARN,
			    "driver features %#llx refused",
			    (unsigned long long)drv);
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	}
	/* NEEDS_RESET is the device's to set, and stays until a reset. */
	status &= 0xff & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	status |= old & VIRTIO_CONFIG_S_NEEDS_RESET;
	r->status = htole32(status);
	return 0;
}

static uint32_t mailbox_queue_enable(struct shm_transport *t, uint32_t q)
{
	struct devcall_shm_queue *sq;
	int ret;

	if (q != DEVCALL_QUEUE_REQ)
		return EINVAL;
	if (le32toh(t->regs->status) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return EIO;
	sq = &t->regs->queue[q];
	/* Each register read once: the guest may change them meanwhile. */
	ret = t->dev->queue_enable(t->ctx, q, le32toh(sq->num),
				   le64toh(sq->desc), le64toh(sq->avail),
				   le64toh(sq->used));
	if (ret)
		return ret;
	sq->ready = htole32(1);
	return 0;
}

void shm_transport_mailbox(struct shm_transport *t)
{
	struct devcall_shm_regs *r = t->regs;
	uint32_t seq = le32toh(__atomic_load_n(&r->cmd_seq, __ATOMIC_ACQUIRE));
	uint32_t cmd, arg, result;

	if (seq == t->cmd_seq_done)
		return;
	cmd = le32toh(r->cmd);
	arg = le32toh(r->cmd_arg);
	switch (cmd) {
	case DEVCALL_CMD_SET_STATUS:
		result = mailbox_set_status(t, arg);
		break;
	case DEVCALL_CMD_QUEUE_ENABLE:
		result = mailbox_queue_enable(t, arg);
		break;
	case DEVCALL_CMD_QUEUE_RESET:
		if (arg == DEVCALL_QUEUE_REQ) {
			t->dev->queue_reset(t->ctx, arg);
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
	if (result == EINPROGRESS)
		return;		/* answered when called again */
	r->cmd_result = htole32(result);
	__atomic_store_n(&r->cmd_ack, htole32(seq), __ATOMIC_RELEASE);
	t->cmd_seq_done = seq;
	t->dev->interrupt(t->ctx, DEVCALL_MSIX_VEC_CONFIG);
}
