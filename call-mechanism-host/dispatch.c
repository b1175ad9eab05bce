// SPDX-License-Identifier: MIT
/*
 * The dispatcher: one response for every request. Everything the guest
 * sent is checked here against the VM's exports, handles, policy and
 * limits before a backend is called; the backend only ever sees host
 * memory and host flags.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#include <linux/ioctl.h>

#include "backend.h"
#include "compat_layout.h"
#include "config.h"
#include "dispatch.h"
#include "ioctl_layout.h"
#include "layout_wire.h"
#include "log.h"
#include "policy.h"
#include "ptr_rewrite.h"

/* The guest's page size (x86_64), for the alignment copies keep. */
#define DISPATCH_PAGE	4096u

/* iovecs a read or write builds on the stack: more are malloc'ed. */
#define RW_IOV_ON_STACK	64

/* dispatch_op()'s answer for "park this request" (dispatch_wait). */
#define DISPATCH_WAIT	INT64_MIN

/* poll(2) bits a POLL request may ask for (Linux values, as the ABI's). */
#define POLL_EVENTS	(POLLIN | POLLPRI | POLLOUT | POLLRDNORM | \
			 POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLRDHUP)
/* A file with no readiness of its own is always ready, as regular files. */
#define POLL_ALWAYS	(POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

static const struct guest_mem dispatch_no_memory;

static int file_poll_fd(const struct open_file *f)
{
	const struct backend_ops *b = f->exp->backend;

	return b->poll_fd ? b->poll_fd(f->priv) : -1;
}

/*
 * One backend read or write with the request's blocking mode. A file with
 * a readiness fd is always called non-blocking; a blocking request that
 * would block then waits: parked (wait), or in poll(2) here (no wait set).
 */
static int64_t backend_rw(struct open_file *f, bool write,
			  const struct iovec *iov, int iovcnt, int64_t off,
			  bool nonblock, struct dispatch_wait *wait)
{
	const struct backend_ops *b = f->exp->backend;
	int fd = file_poll_fd(f);
	int64_t ret;

	for (;;) {
		ret = write ? b->write(f->priv, iov, iovcnt, off,
				       nonblock || fd >= 0) :
			      b->read(f->priv, iov, iovcnt, off,
				      nonblock || fd >= 0);
		if (ret != -EAGAIN || nonblock || fd < 0)
			return ret;
		if (wait) {
			wait->fd = fd;
			wait->events = write ? EPOLLOUT : EPOLLIN;
			return DISPATCH_WAIT;
		}
		{
			struct pollfd p = { .fd = fd,
					    .events = write ? POLLOUT : POLLIN };

			if (poll(&p, 1, -1) < 0 && errno != EINTR)
				return -errno;
		}
	}
}

/* Drop the first skip bytes of *iov (in place); the new count. */
static int iov_advance(struct iovec **iov, int nr, uint64_t skip)
{
	struct iovec *v = *iov;

	while (nr && skip >= v->iov_len) {
		skip -= v->iov_len;
		v++;
		nr--;
	}
	if (nr) {
		v->iov_base = (uint8_t *)v->iov_base + skip;
		v->iov_len -= skip;
	}
	*iov = v;
	return nr;
}

/*
 * backend_rw() for a request of len bytes. A blocking write to a stream
 * (pipe, FIFO, tty, socket) writes all of it, as write(2) does there: a
 * partial write parks for room, the progress travelling in wait->done
 * from try to try; an error after some progress reports the bytes that
 * went (the caller does the same for a cancel).
 */
static int64_t rw_request(struct open_file *f, bool write, struct iovec *iov,
			  int nr, int64_t off, bool nonblock,
			  struct dispatch_wait *wait, uint32_t len)
{
	bool whole = write && !nonblock && off < 0 && wait &&
		     file_poll_fd(f) >= 0;
	uint64_t done = whole ? wait->done : 0;
	int64_t ret;

	if (done > len)
		return -EINVAL;
	nr = iov_advance(&iov, nr, done);
	ret = backend_rw(f, write, iov, nr, off, nonblock, wait);
	if (!whole || ret == DISPATCH_WAIT)
		return ret;
	if (ret > 0 && done + ret < len) {
		wait->done = done + ret;
		wait->fd = file_poll_fd(f);
		wait->events = EPOLLOUT;
		return DISPATCH_WAIT;
	}
	if (ret < 0)
		return done ? (int64_t)done : ret;
	return (int64_t)done + ret;
}

static const struct guest_mem *memory_of(const struct dispatch_env *env)
{
	return env->gm ? env->gm : &dispatch_no_memory;
}

static const struct export *export_by_id(struct vm *vm, uint32_t id)
{
	return vm_export_by_id(vm, id);	/* a reload may change them */
}

/* DEVCALL_O_* to open(2) flags, checked against the export's access. */
static int open_flags(uint64_t arg, const struct export *exp, int *oflags)
{
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	uint64_t mode = arg & DEVCALL_O_ACCMODE;

	if ((arg & ~(uint64_t)DEVCALL_O_ALL) || mode == 3)
		return -EINVAL;
	if (exp->read_only && mode != DEVCALL_O_RDONLY)
		return -EROFS;
	*oflags = acc[mode];
	if (arg & DEVCALL_O_NONBLOCK)
		*oflags |= O_NONBLOCK;
	if ((arg & DEVCALL_O_EXCL) && !policy_drop_excl(exp))
		*oflags |= O_EXCL;
	/* O_SYNC is O_DSYNC and more; both bits at once mean O_SYNC. */
	if (arg & DEVCALL_O_DSYNC)
		*oflags |= O_DSYNC;
	if (arg & DEVCALL_O_SYNC)
		*oflags |= O_SYNC;
	/* On every export; where the node takes no O_DIRECT its open says
	 * EINVAL, the same the guest would get on the host. */
	if (arg & DEVCALL_O_DIRECT)
		*oflags |= O_DIRECT;
	return 0;
}

static int64_t do_open(struct vm *vm, const struct dispatch_env *env,
		       const struct request *req, struct response *resp)
{
	const struct export *exp = export_by_id(vm, req->export_id);
	struct open_file *f;
	uint64_t handle;
	int oflags, ret;

	if (!exp || !exp->backend)
		return -ENODEV;
	if (req->nr_segs || req->inline_len)
		return -EINVAL;
	ret = open_flags(req->arg, exp, &oflags);
	if (ret)
		return ret;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->exp = exp;
	f->oflags = oflags;
	if (exp->exclusive) {
		ret = host_claim(vm_host(vm), exp->path, &f->claim);
		if (ret)
			goto out_free;
		f->claimed = true;
	}
	ret = exp->backend->open(exp, oflags, &f->priv, &f->info);
	if (ret)
		goto out_release;
	ret = vm_file_add(vm, f, env->epoch, &handle);
	if (ret)
		goto out_close;

	resp->size = f->info.size;
	resp->mode = f->info.mode;
	if (f->info.seekable)
		resp->flags |= DEVCALL_RESP_F_SEEKABLE;
	if ((f->info.mode & S_IFMT) == S_IFBLK)
		resp->flags |= DEVCALL_RESP_F_BLOCK;
	return (int64_t)handle;

out_close:
	exp->backend->close(f->priv);
out_release:
	if (f->claimed)
		host_release(vm_host(vm), &f->claim);
out_free:
	free(f);
	return ret;
}

/*
 * A WRITE of at most a page from guest RAM: the backend gets a private copy
 * taken in one read, so a plugin looking at the payload twice (a header,
 * then what it announced) sees the same bytes both times. For every
 * backend, as a page's copy costs next to nothing beside the round trip;
 * larger payloads stay zero-copy (backend.h says what that means).
 *
 * The copy starts at the guest buffer's own offset in its page, so an
 * O_DIRECT write meets the host's alignment rules exactly as the guest's
 * buffer would: an aligned copy would pass where the guest's misaligned
 * buffer fails on the host, and the other way round.
 */
static int64_t write_copied(const struct dispatch_env *env,
			    const struct request *req, struct open_file *f,
			    int64_t off, bool nonblock,
			    struct dispatch_wait *wait)
{
	uint8_t copy[2 * DISPATCH_PAGE] __attribute__((aligned(DISPATCH_PAGE)));
	const struct guest_buf *b = &req->buf[0];
	size_t skew = b->nr_segs ? b->seg[0].gpa & (DISPATCH_PAGE - 1) : 0;
	struct iovec one = { .iov_base = copy + skew, .iov_len = req->len };
	int ret;

	_Static_assert(REWRITE_COPY_MAX <= DISPATCH_PAGE,
		       "a copied write fits after its page offset");
	ret = guest_buf_read(memory_of(env), b, 0, copy + skew, req->len);
	if (ret)
		return ret;
	return rw_request(f, true, &one, 1, off, nonblock, wait, req->len);
}

static int64_t do_read_write(const struct dispatch_env *env,
			     const struct request *req, struct response *resp,
			     struct open_file *f, struct dispatch_wait *wait)
{
	bool nonblock = req->flags & DEVCALL_REQ_F_NONBLOCK;
	bool write = req->op == DEVCALL_OP_WRITE;
	int acc = f->oflags & O_ACCMODE;
	struct iovec *iov, one, small[RW_IOV_ON_STACK];
	size_t nr_iov;
	int64_t off = -1, ret;
	int nr;

	if (acc == (write ? O_RDONLY : O_WRONLY))
		return -EBADF;
	if ((req->flags & DEVCALL_REQ_F_DIRECT) && !(f->oflags & O_DIRECT))
		return -EINVAL;
	/* The guest's fcntl may have turned O_DIRECT off, or back on. */
	if ((f->oflags & O_DIRECT) && f->exp->backend->set_direct) {
		ret = f->exp->backend->set_direct(f->priv, req->flags &
						  DEVCALL_REQ_F_DIRECT);
		if (ret)
			return ret;
	}
	if (req->flags & DEVCALL_REQ_F_OFFSET) {
		if (!f->info.seekable)
			return -ESPIPE;
		if (req->offset > INT64_MAX ||
		    req->offset + req->len < req->offset)
			return -EINVAL;
		off = (int64_t)req->offset;
	}
	if (req->nr_bufs > 1 || (req->nr_bufs && req->inline_len))
		return -EINVAL;

	if (!req->nr_bufs) {
		/* Small data inline, both ways. */
		if (write ? req->inline_len != req->len :
			    req->len > DEVCALL_INLINE_MAX)
			return -EINVAL;
		one.iov_base = write ? (void *)req->inline_data :
				       resp->inline_data;
		one.iov_len = req->len;
		ret = rw_request(f, write, &one, 1, off, nonblock, wait,
				 req->len);
		if (!write && ret > 0)
			resp->inline_len = ret > req->len ? req->len : ret;
		return ret;
	}

	if (req->buf[0].len != req->len)
		return -EINVAL;
	if (write && req->len <= REWRITE_COPY_MAX) {
		ret = write_copied(env, req, f, off, nonblock, wait);
		goto out;
	}
	/* A segment may cross RAM regions: each gives up to that many. */
	nr_iov = (size_t)req->buf[0].nr_segs * GUEST_MEM_MAX_REGIONS;
	iov = nr_iov <= RW_IOV_ON_STACK ? small : malloc(nr_iov * sizeof(*iov));
	if (!iov)
		return -ENOMEM;
	/* Zero-copy: the host driver reads or writes guest RAM itself. */
	nr = guest_buf_to_iov(memory_of(env), &req->buf[0], req->len,
			      write ? GUEST_SEG_TO_HOST : GUEST_SEG_FROM_HOST,
			      iov, nr_iov);
	if (nr < 0)
		ret = nr;
	else
		ret = rw_request(f, write, iov, nr, off, nonblock, wait,
				 req->len);
	if (iov != small)
		free(iov);
out:
	if (ret > (int64_t)req->len)	/* a backend must not claim more */
		ret = -EIO;
	return ret;
}

static const char *ioc_dir_name(uint32_t cmd)
{
	static const char *const names[] = { "none", "write", "read", "rw" };

	return names[_IOC_DIR(cmd) & 3];
}

static bool ioctl_listed(const uint32_t *list, unsigned int nr, uint32_t cmd)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (list[i] == cmd)
			return true;
	return false;
}

/*
 * Which layout governs cmd on this export, by policy: deny list first,
 * then what the export must opt in to (raw SCSI, partition tables), then
 * a known layout, then what an allow entry states. NULL: refused, *err
 * says why.
 */
const struct ioctl_layout *dispatch_ioctl_layout(const struct vm *vm,
						 const struct export *exp,
						 uint32_t cmd,
						 struct ioctl_layout *scratch,
						 int *err)
{
	const struct ioctl_policy *pol = &exp->ioctl;
	const struct ioctl_layout *l;
	const char *never = policy_never(cmd);

	if (never) {
		vm_warn(vm, "export %s: ioctl 0x%08x refused: %s", exp->name,
			cmd, never);
		*err = -EPERM;
		return NULL;
	}
	if (ioctl_listed(pol->deny, pol->nr_deny, cmd)) {
		vm_warn(vm, "export %s: ioctl 0x%08x refused: denied by "
			 "policy", exp->name, cmd);
		*err = -EPERM;
		return NULL;
	}
	/* ENOTTY: to the guest the node speaks no SCSI, as a disk
	 * partition does; probing tools move on quietly. */
	if (policy_raw_scsi(cmd) && !exp->scsi_passthrough) {
		vm_warn(vm, "export %s: ioctl 0x%08x refused: raw SCSI "
			 "needs scsi = passthrough", exp->name,
			 cmd);
		*err = -ENOTTY;
		return NULL;
	}
	if (policy_raw_scsi(cmd) && !policy_scsi_filtered(cmd)) {
		vm_warn(vm, "export %s: ioctl 0x%08x refused: raw SCSI "
			 "with no layout (SCSI_IOCTL_SEND_COMMAND's argument "
			 "has a variable length; use SG_IO)", exp->name, cmd);
		*err = -ENOTTY;
		return NULL;
	}
	if (policy_host_partitions(cmd) && !exp->host_partitions) {
		vm_warn(vm, "export %s: ioctl 0x%08x refused: changes the "
			 "host's partitions; needs host-partitions = allow",
			 exp->name, cmd);
		*err = -EPERM;
		return NULL;
	}
	if (policy_host_network(cmd) && !exp->host_network) {
		vm_warn(vm, "export %s: ioctl 0x%08x refused: creates or "
			"changes host network interfaces; needs host-network = "
			"allow", exp->name, cmd);
		*err = -EPERM;
		return NULL;
	}
	l = layout_lookup(cmd, scratch);
	if (l)
		return l;
	if (policy_allow_layout(pol, cmd, scratch))
		return scratch;
	/* Decoded, so that a layout for it can be written from the log. */
	vm_warn(vm, "export %s: ioctl 0x%08x (type '%c' 0x%02x, nr 0x%02x, "
		 "size %u, dir %s) refused: no layout known and not allowed "
		 "by policy", exp->name, cmd,
		 _IOC_TYPE(cmd) >= 0x20 && _IOC_TYPE(cmd) < 0x7f ?
		 (int)_IOC_TYPE(cmd) : '?', _IOC_TYPE(cmd), _IOC_NR(cmd),
		 _IOC_SIZE(cmd), ioc_dir_name(cmd));
	*err = -ENOTTY;
	return NULL;
}

/* A read-only export runs only ioctls that give the driver no input. */
static bool ioctl_read_only(const struct ioctl_layout *l)
{
	return l->arg_size && l->arg_dir == LAYOUT_DIR_OUT && !l->nr_ptrs;
}

/*
 * A descriptor argument: the guest named one of its files of this VM by
 * handle (req->offset); the driver gets the daemon's descriptor of that
 * file, referenced in *held until the call is over. EBADF for anything
 * else: no handle, a closed one, a backend with no host descriptor.
 */
static int fd_in_resolve(struct vm *vm, const struct request *req,
			 const struct ioctl_layout *l, struct open_file **held)
{
	struct open_file *h;
	int fd;

	if (!(req->flags & DEVCALL_REQ_F_FD_IN)) {
		vm_warn(vm, "ioctl 0x%08x (%s) refused: its descriptor "
			 "argument came without a handle", req->cmd, l->name);
		return -EBADF;
	}
	h = vm_file_get(vm, req->offset);
	if (!h)
		return vm_handle_error(vm, req->offset);
	fd = h->exp->backend->host_fd ? h->exp->backend->host_fd(h->priv) : -1;
	if (fd < 0) {
		vm_file_put(vm, h);
		return -EBADF;
	}
	*held = h;
	return fd;
}

/*
 * The driver returned a new descriptor, fd: a file of the VM like an
 * opened one (same export and policy, counted against max-open, closed by
 * CLOSE or reset), whose handle the guest gets. The daemon's number never
 * reaches the guest.
 */
static int64_t fd_out_adopt(struct vm *vm, const struct dispatch_env *env,
			    struct response *resp, struct open_file *f,
			    int fd)
{
	const struct backend_ops *b = f->exp->backend;
	struct backend_file_info info = { 0 };
	struct open_file *nf;
	uint64_t handle;
	void *priv;
	int ret;

	ret = b->adopt_fd(f->exp, fd, &priv, &info);
	if (ret)
		return ret;
	nf = calloc(1, sizeof(*nf));
	if (!nf) {
		ret = -ENOMEM;
		goto out_close;
	}
	nf->exp = f->exp;
	nf->priv = priv;
	nf->info = info;
	nf->oflags = O_RDWR;
	ret = vm_file_add(vm, nf, env->epoch, &handle);
	if (ret) {
		vm_warn(vm, "export %s: a descriptor the driver returned "
			 "was closed: %s", f->exp->name,
			 ret == -EMFILE ? "max-open reached" :
			 ret == -ENXIO ? "export removed" : "VM reset");
		free(nf);
		goto out_close;
	}
	resp->size = info.size;
	resp->mode = info.mode;
	if (info.seekable)
		resp->flags |= DEVCALL_RESP_F_SEEKABLE;
	return (int64_t)handle;

out_close:
	b->close(priv);
	return ret;
}

/*
 * The driver wrote a new descriptor, fd, into the argument
 * (LAYOUT_FD_OUT_FIELD) and the call as a whole succeeded with ret: the
 * guest gets the handle in resp->size. On failure, of the call or of the
 * adoption, the descriptor is closed and no handle is left behind.
 */
static int64_t fd_field_adopt(struct vm *vm, const struct dispatch_env *env,
			      struct response *resp, struct open_file *f,
			      int fd, int64_t ret)
{
	const struct backend_ops *b = f->exp->backend;
	struct backend_file_info info = { 0 };
	int64_t handle;
	void *priv;

	if (fd < 0)
		return ret < 0 ? ret : -EIO;
	if (ret < 0) {
		/* Only the backend knows how to close its descriptors. */
		if (!b->adopt_fd(f->exp, fd, &priv, &info))
			b->close(priv);
		return ret;
	}
	handle = fd_out_adopt(vm, env, resp, f, fd);
	if (handle < 0)
		return handle;
	resp->size = (uint64_t)handle;
	resp->flags |= DEVCALL_RESP_F_FD_FIELD;
	return ret;
}

/*
 * A 32-bit process's cmd32 (DEVCALL_REQ_F_COMPAT): the native layout the
 * driver call uses (returned, policy applied to the native number), the
 * layout the guest walks (*l32) and the conversion between them (*c; NULL
 * when the native layout serves 32-bit callers as it is). NULL: refused,
 * *err says why.
 */
static const struct ioctl_layout *
compat_layouts_for(const struct vm *vm, const struct export *exp,
		   uint32_t cmd32, struct ioctl_layout *scratch,
		   const struct ioctl_layout **l32,
		   const struct compat_layout **c, int *err)
{
	const struct compat_layout *cl = compat_find(cmd32);
	const struct ioctl_layout *l;

	l = dispatch_ioctl_layout(vm, exp, cl ? cl->cmd : cmd32, scratch, err);
	if (!l)
		return NULL;
	if (cl && cl->native)
		cl = NULL;
	else if (cl ? compat_check(cl, l) : !compat_native_ok(l)) {
		/* A plugin's layout with pointers: their width is unknown. */
		vm_warn(vm, "export %s: 32-bit ioctl 0x%08x (%s) refused: no "
			 "32-bit layout for it", exp->name, cmd32, l->name);
		*err = -ENOTTY;
		return NULL;
	}
	*l32 = cl ? &cl->layout32 : l;
	*c = cl;
	return l;
}

/* The layouts of one IOCTL (see compat_layouts_for()). */
struct ioctl_call {
	const struct ioctl_layout *l;	/* the driver's */
	const struct ioctl_layout *l32;	/* the guest's: l, or a 32-bit one */
	const struct compat_layout *cl;	/* the conversion; NULL: none */
	uint32_t cmd;			/* the number the driver gets */
};

static int64_t do_ioctl_call(struct vm *vm, const struct dispatch_env *env,
			     const struct request *req, struct response *resp,
			     struct open_file *f, const struct ioctl_call *c,
			     int fd);

static int64_t do_ioctl(struct vm *vm, const struct dispatch_env *env,
			const struct request *req, struct response *resp,
			struct open_file *f)
{
	struct ioctl_call c = { .cmd = req->cmd };
	const struct ioctl_layout *l;
	struct ioctl_layout scratch;
	struct open_file *held = NULL;
	int64_t ret;
	int err, fd = -1;

	if (req->flags & DEVCALL_REQ_F_COMPAT) {
		c.l = compat_layouts_for(vm, f->exp, req->cmd, &scratch,
					 &c.l32, &c.cl, &err);
		if (c.cl)
			c.cmd = c.cl->cmd; /* the driver gets the native one */
	} else {
		c.l = c.l32 = dispatch_ioctl_layout(vm, f->exp, c.cmd,
						    &scratch, &err);
	}
	l = c.l;
	if (!l)
		return err;
	if (f->exp->read_only && !ioctl_read_only(l)) {
		vm_warn(vm, "export %s: ioctl 0x%08x (%s) refused: export "
			 "is read-only", f->exp->name, req->cmd,
			 l->name);
		return -EROFS;
	}
	if ((req->flags & (DEVCALL_REQ_F_FD_IN | DEVCALL_REQ_F_FD_OUT)) &&
	    !l->fd)
		return -EINVAL;
	if (l->fd & (LAYOUT_FD_OUT_RET | LAYOUT_FD_OUT_FIELD) &&
	    (!(req->flags & DEVCALL_REQ_F_FD_OUT) ||
	     !f->exp->backend->adopt_fd)) {
		vm_warn(vm, "export %s: ioctl 0x%08x (%s) refused: it returns "
			 "a descriptor, which %s", f->exp->name, req->cmd,
			 l->name, f->exp->backend->adopt_fd ?
			 "the guest cannot take" : "the backend cannot serve");
		return -EOPNOTSUPP;
	}
	if (l->fd & LAYOUT_FD_IN) {
		fd = fd_in_resolve(vm, req, l, &held);
		if (fd < 0)
			return fd;
	}
	ret = do_ioctl_call(vm, env, req, resp, f, &c, fd);
	if (held)
		vm_file_put(vm, held);
	if (l->fd & LAYOUT_FD_OUT_RET && ret >= 0)
		ret = fd_out_adopt(vm, env, resp, f, (int)ret);
	return ret;
}

/*
 * do_ioctl() once the layouts are chosen: the driver's call with fd, the
 * daemon's descriptor of a file the guest named (LAYOUT_FD_IN), or -1.
 */
static int64_t do_ioctl_call(struct vm *vm, const struct dispatch_env *env,
			     const struct request *req, struct response *resp,
			     struct open_file *f, const struct ioctl_call *c,
			     int fd)
{
	const struct guest_mem *gm = memory_of(env);
	const struct ioctl_layout *l = c->l, *l32 = c->l32;
	const struct compat_layout *cl = c->cl;
	uint8_t *arg, *out, *arg32, *out32, cdb[POLICY_CDB_MAX];
	struct rewrite_ctx *ctx;
	int64_t ret;
	int err, new_fd = -1;

	if (!l->arg_size) {
		if (req->nr_segs || req->inline_len ||
		    (req->flags & DEVCALL_REQ_F_ARG_BUF))
			return -EINVAL;
		if (l->arg_unused)
			return f->exp->backend->ioctl(f->priv, c->cmd, 0);
		if (l->fd & LAYOUT_FD_IN_ARG)
			return f->exp->backend->ioctl(f->priv, c->cmd,
						      (unsigned long)fd);
		if (policy_int_arg_is_address(req->arg)) {
			vm_warn(vm, "export %s: ioctl 0x%08x (%s) refused: "
				 "integer argument 0x%llx could be a daemon "
				 "address", f->exp->name, req->cmd,
				 l->name, (unsigned long long)req->arg);
			return -EINVAL;
		}
		return f->exp->backend->ioctl(f->priv, c->cmd,
					      (unsigned long)req->arg);
	}

	/* The argument: inline, or buffer 0 of exactly arg_size bytes. */
	if (req->len != l32->arg_size)
		return -EINVAL;
	if (req->inline_len ? req->inline_len != l32->arg_size ||
			      (req->nr_bufs && req->buf[0].nr_segs) :
			      !req->nr_bufs || req->buf[0].len != l32->arg_size)
		return -EINVAL;

	ctx = malloc(sizeof(*ctx) + 4 * LAYOUT_ARG_MAX);
	if (!ctx)
		return -ENOMEM;
	arg = (uint8_t *)(ctx + 1);
	out = arg + LAYOUT_ARG_MAX;
	/* A 32-bit caller's own bytes, beside the native ones. */
	arg32 = cl ? out + LAYOUT_ARG_MAX : arg;
	out32 = cl ? arg32 + LAYOUT_ARG_MAX : out;
	memset(arg32, 0, l32->arg_size);
	if (req->inline_len)
		memcpy(arg32, req->inline_data, l32->arg_size);
	else if (l32->arg_dir & LAYOUT_DIR_IN &&
		 guest_buf_read(gm, &req->buf[0], 0, arg32, l32->arg_size)) {
		ret = -EFAULT;
		goto out_free;
	}
	if (cl)
		compat_to_native(cl, arg32, arg, l->arg_size);

	ret = rewrite_prepare_flags(ctx, l, gm, arg, req->buf, req->nr_bufs,
				    vm_config(vm)->limits.max_request_bytes,
				    cl ? REWRITE_F_COMPAT_IOVEC : 0);
	if (ret)
		goto out_free;
	/* The daemon's descriptor in its own copy only; see below. */
	if (l->fd & LAYOUT_FD_IN_FIELD)
		memcpy((uint8_t *)rewrite_host_arg(ctx) + l->fd_off, &fd, 4);
	ret = policy_scsi_check(ctx, f->exp, c->cmd, cdb, vm);
	if (!ret) {
		ret = f->exp->backend->ioctl(f->priv, c->cmd,
					     (unsigned long)rewrite_host_arg(ctx));
		/*
		 * The driver's new descriptor: the daemon's number, which the
		 * guest must never see (-1 until it puts its own there).
		 */
		if (l->fd & LAYOUT_FD_OUT_FIELD && ret >= 0) {
			uint8_t *p = (uint8_t *)rewrite_host_arg(ctx) +
				     l->fd_off;

			memcpy(&new_fd, p, 4);
			memset(p, 0xff, 4);
		}
	} else if (ret > 0) {
		ret = 0;	/* answered for the driver */
	}
	if (rewrite_finish(ctx, out) && ret >= 0)
		ret = -EFAULT;
	rewrite_release(ctx);
	/* The guest gets its own descriptor number back, never ours. */
	if (l->fd & LAYOUT_FD_IN_FIELD)
		memcpy(out + l->fd_off, arg + l->fd_off, 4);
	if (cl) {
		memcpy(out32, arg32, l32->arg_size);
		err = compat_from_native(cl, out, out32);
		if (err && ret >= 0)
			ret = err;
	}

	if (l32->arg_dir & LAYOUT_DIR_OUT) {
		if (req->inline_len) {
			memcpy(resp->inline_data, out32, l32->arg_size);
			resp->inline_len = l32->arg_size;
		} else if (guest_buf_write(gm, &req->buf[0], 0, out32,
					   l32->arg_size) && ret >= 0) {
			ret = -EFAULT;
		}
	}
	/* Last: a call that failed on the way back leaves no handle. */
	if (l->fd & LAYOUT_FD_OUT_FIELD && (new_fd >= 0 || ret >= 0))
		ret = fd_field_adopt(vm, env, resp, f, new_fd, ret);
out_free:
	free(ctx);
	return ret;
}

/* LAYOUT: the layout the host will use for cmd on this file's export. */
static int64_t do_layout(struct vm *vm, const struct request *req,
			 struct response *resp, struct open_file *f)
{
	struct devcall_layout wire;
	struct ioctl_layout scratch;
	const struct ioctl_layout *l;
	int err;

	_Static_assert(sizeof(wire) <= sizeof(resp->inline_data),
		       "a layout fits the inline payload");
	if (req->nr_segs || req->inline_len)
		return -EINVAL;
	if (req->flags & DEVCALL_REQ_F_COMPAT) {
		const struct compat_layout *cl;

		if (!compat_layouts_for(vm, f->exp, req->cmd, &scratch, &l,
					&cl, &err))
			return err;
		if (cl)
			resp->flags |= DEVCALL_RESP_F_COMPAT;
	} else {
		l = dispatch_ioctl_layout(vm, f->exp, req->cmd, &scratch,
					  &err);
	}
	if (!l)
		return err;
	layout_encode(l, &wire);
	memcpy(resp->inline_data, &wire, sizeof(wire));
	resp->inline_len = sizeof(wire);
	return 0;
}

/*
 * FSYNC: the host file's fsync(2), or fdatasync(2) for arg 1; on any
 * access mode, as fsync works on a read-only descriptor. Errors are the
 * host's, EINVAL for a backend with nothing that could flush.
 */
static int64_t do_fsync(const struct request *req, struct open_file *f)
{
	const struct backend_ops *b = f->exp->backend;

	if (req->nr_segs || req->inline_len || req->arg > 1)
		return -EINVAL;
	if (!b->fsync)
		return -EINVAL;
	return b->fsync(f->priv, req->arg == 1);
}

/*
 * A queue attribute of block device rdev from sysfs (a partition's are its
 * disk's, one level up); 0 if there is none or it does not parse.
 */
static uint64_t blk_queue_attr(uint64_t rdev, const char *name)
{
	static const char *const dirs[] = { "queue", "../queue" };
	char path[PATH_MAX], line[32];
	unsigned long long v;
	unsigned int i;
	FILE *fp;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%u:%u/%s/%s",
			 config_sysfs_dev_block, major(rdev), minor(rdev),
			 dirs[i], name);
		fp = fopen(path, "re");
		if (!fp)
			continue;
		v = 0;
		if (!fgets(line, sizeof(line), fp) ||
		    sscanf(line, "%llu", &v) != 1)
			v = 0;
		fclose(fp);
		return v;
	}
	return 0;
}

/* A block ioctl that writes an integer of size bytes; 0 if it fails. */
static uint64_t blk_query(struct open_file *f, uint32_t cmd, size_t size)
{
	union { uint64_t u64; unsigned int u32; unsigned short u16; } v;

	memset(&v, 0, sizeof(v));
	if (f->exp->backend->ioctl(f->priv, cmd, (unsigned long)&v) < 0)
		return 0;
	return size == 8 ? v.u64 : size == 4 ? v.u32 : v.u16;
}

/*
 * BLKINFO: the queue limits of the host block device, so the guest disk
 * takes the same. The backend answers the ioctls (its own open file: any
 * backend that is a block device to the guest can), sysfs what no ioctl
 * says (discard, write zeroes, the largest request). Not a block device:
 * -ENOTBLK, and the guest makes do with the size OPEN gave.
 */
static int64_t do_blkinfo(const struct vm *vm, const struct request *req,
			  struct response *resp, struct open_file *f)
{
	struct devcall_blkinfo bi;
	uint64_t size;
	uint32_t flags = 0;

	_Static_assert(sizeof(bi) <= sizeof(resp->inline_data),
		       "blkinfo fits the inline payload");
	if (req->nr_segs || req->inline_len)
		return -EINVAL;
	if ((f->info.mode & S_IFMT) != S_IFBLK)
		return -ENOTBLK;
	memset(&bi, 0, sizeof(bi));
	size = blk_query(f, BLKGETSIZE64, 8);
	bi.size = htole64(size ? size : f->info.size);
	bi.logical_block_size = htole32(blk_query(f, BLKSSZGET, 4));
	bi.physical_block_size = htole32(blk_query(f, BLKPBSZGET, 4));
	bi.io_min = htole32(blk_query(f, BLKIOMIN, 4));
	bi.io_opt = htole32(blk_query(f, BLKIOOPT, 4));
	if (blk_query(f, BLKROGET, 4) || f->exp->read_only)
		flags |= DEVCALL_BLKINFO_F_RO;
	if (blk_query(f, BLKROTATIONAL, 2))
		flags |= DEVCALL_BLKINFO_F_ROTATIONAL;
	bi.flags = htole32(flags);
	bi.max_request = htole32(vm_config(vm)->limits.max_request_bytes);
	if (f->info.rdev) {
		uint64_t kb = blk_queue_attr(f->info.rdev, "max_hw_sectors_kb");

		bi.max_hw_bytes = htole32(kb > UINT32_MAX / 1024 ?
					  UINT32_MAX & ~4095u : kb * 1024);
		bi.discard_max_bytes =
			htole64(blk_queue_attr(f->info.rdev,
					       "discard_max_bytes"));
		bi.discard_granularity =
			htole32(blk_queue_attr(f->info.rdev,
					       "discard_granularity"));
		bi.write_zeroes_max_bytes =
			htole64(blk_queue_attr(f->info.rdev,
					       "write_zeroes_max_bytes"));
	}
	memcpy(resp->inline_data, &bi, sizeof(bi));
	resp->inline_len = sizeof(bi);
	return 0;
}

/*
 * POLL: the host file's readiness for the events in arg. Answered at once
 * if any is there (or an error or hangup), or if the guest only asks
 * (DEVCALL_REQ_F_NONBLOCK); else it waits until one is.
 */
static int64_t do_poll(const struct request *req, struct open_file *f,
		       struct dispatch_wait *wait)
{
	struct pollfd p = { .fd = file_poll_fd(f) };

	if (req->nr_segs || req->inline_len || (req->arg & ~(uint64_t)POLL_EVENTS))
		return -EINVAL;
	if (p.fd < 0)
		return POLL_ALWAYS;
	p.events = (short)req->arg;
	if (poll(&p, 1, 0) < 0)
		return -errno;
	if (p.revents || (req->flags & DEVCALL_REQ_F_NONBLOCK) || !wait ||
	    !req->arg)
		return p.revents;
	wait->fd = p.fd;
	wait->events = (uint32_t)req->arg;
	return DISPATCH_WAIT;
}

static uint64_t request_bytes(const struct request *req)
{
	uint64_t total = req->inline_len;
	unsigned int i;

	for (i = 0; i < req->nr_bufs; i++)
		total += req->buf[i].len;
	return total;
}

static int64_t dispatch_op(struct vm *vm, const struct dispatch_env *env,
			   const struct request *req, struct response *resp,
			   struct dispatch_wait *wait)
{
	struct waitset *ws = host_waitset(vm_host(vm));
	struct open_file *f;
	int64_t ret;

	switch (req->op) {
	case DEVCALL_OP_OPEN:
		return do_open(vm, env, req, resp);
	case DEVCALL_OP_CLOSE:
		/* A handle naming no file (0 too): nothing to cancel. */
		f = vm_file_get(vm, req->handle);
		if (!f)
			return vm_handle_error(vm, req->handle);
		if (wait)
			wait->exp = f->exp;
		/* Out of the table, then its waiters end (waitset_park()). */
		ret = vm_file_remove(vm, req->handle);
		if (ret)	/* a reload revoked it since vm_file_get() */
			ret = vm_handle_error(vm, req->handle);
		waitset_cancel_file(ws, &f->wait, -EBADF);
		vm_file_put(vm, f);
		return ret;
	case DEVCALL_OP_CANCEL:
		if (req->nr_segs || req->inline_len)
			return -EINVAL;
		return waitset_cancel_tag(ws, vm_waitset_owner(vm), req->arg,
					  -EINTR);
	case DEVCALL_OP_READ:
	case DEVCALL_OP_WRITE:
	case DEVCALL_OP_IOCTL:
	case DEVCALL_OP_LAYOUT:
	case DEVCALL_OP_POLL:
	case DEVCALL_OP_FSYNC:
	case DEVCALL_OP_BLKINFO:
		break;
	default:
		return -EOPNOTSUPP;
	}

	f = vm_file_get(vm, req->handle);
	if (!f)
		return vm_handle_error(vm, req->handle);
	if (wait)
		wait->exp = f->exp;
	if (req->op == DEVCALL_OP_IOCTL)
		ret = do_ioctl(vm, env, req, resp, f);
	else if (req->op == DEVCALL_OP_LAYOUT)
		ret = do_layout(vm, req, resp, f);
	else if (req->op == DEVCALL_OP_POLL)
		ret = do_poll(req, f, wait);
	else if (req->op == DEVCALL_OP_FSYNC)
		ret = do_fsync(req, f);
	else if (req->op == DEVCALL_OP_BLKINFO)
		ret = do_blkinfo(vm, req, resp, f);
	else
		ret = do_read_write(env, req, resp, f, wait);
	if (ret == DISPATCH_WAIT) {
		wait->file = f;		/* the caller parks it, with our ref */
		wait->handle = req->handle;
		wait->tag = req->tag;
		return ret;
	}
	vm_file_put(vm, f);
	return ret;
}

void dispatch_request_env(struct vm *vm, const struct dispatch_env *env,
			  const struct request *req, struct response *resp,
			  struct dispatch_wait *wait)
{
	int64_t ret;

	memset(resp, 0, offsetof(struct response, inline_data));
	resp->tag = req->tag;
	if (wait)
		wait->file = NULL;
	if (env->epoch != vm_epoch(vm)) {
		resp->result = -ECANCELED;	/* the VM was reset since */
		return;
	}
	if (request_bytes(req) > vm_config(vm)->limits.max_request_bytes ||
	    req->len > vm_config(vm)->limits.max_request_bytes) {
		resp->result = -E2BIG;
		return;
	}
	ret = vm_request_begin(vm);
	if (ret) {
		resp->result = ret;
		return;
	}
	ret = dispatch_op(vm, env, req, resp, wait);
	vm_request_end(vm);
	if (ret == DISPATCH_WAIT)
		return;
	if (ret < 0)
		resp->inline_len = 0;
	resp->result = ret;
}

void dispatch_request_wait(struct vm *vm, const struct request *req,
			   struct response *resp, struct dispatch_wait *wait)
{
	struct dispatch_env env = { vm_memory(vm), vm_epoch(vm) };

	dispatch_request_env(vm, &env, req, resp, wait);
}

/*
 * A decoded request is large (its segment table alone is 64 KiB): each
 * thread keeps one instead of a malloc per call, whose free handed the
 * pages back to the kernel (madvise) every few calls. The key's
 * destructor frees it when the thread exits (a VM's workers, at remove).
 * A nested call on the same thread (none today) gets its own malloc.
 */
static pthread_key_t req_key;
static pthread_once_t req_once = PTHREAD_ONCE_INIT;
static bool req_key_ok;
static __thread bool req_busy;

static void req_key_make(void)
{
	req_key_ok = !pthread_key_create(&req_key, free);
}

static struct request *request_get(void)
{
	struct request *req;

	pthread_once(&req_once, req_key_make);
	if (!req_key_ok || req_busy)
		return malloc(sizeof(*req));
	req = pthread_getspecific(req_key);
	if (!req) {
		req = malloc(sizeof(*req));
		if (!req)
			return NULL;
		if (pthread_setspecific(req_key, req)) {
			free(req);
			return malloc(sizeof(*req));
		}
	}
	req_busy = true;
	return req;
}

static void request_put(struct request *req)
{
	if (req && req_key_ok && req == pthread_getspecific(req_key))
		req_busy = false;
	else
		free(req);
}

size_t dispatch_wire(struct vm *vm, const struct dispatch_env *env,
		     const void *req_wire, size_t len, void *resp_wire,
		     size_t cap, struct dispatch_wait *wait)
{
	struct request *req = request_get();
	struct response resp;
	int ret;

	if (wait) {
		wait->file = NULL;
		wait->op = 0;
		wait->exp = NULL;
	}
	memset(&resp, 0, offsetof(struct response, inline_data));
	if (!req) {
		resp.result = -ENOMEM;
	} else {
		ret = request_decode(req_wire, len, req);
		if (ret) {
			resp.tag = req->tag;
			resp.result = ret;
		} else {
			if (wait) {
				wait->op = req->op;
				wait->cmd = req->cmd;
				wait->bytes = request_bytes(req);
			}
			dispatch_request_env(vm, env, req, &resp, wait);
			if (wait && !wait->exp && req->op == DEVCALL_OP_OPEN)
				wait->exp = vm_export_by_id(vm, req->export_id);
			if (wait && wait->file) {
				request_put(req);
				return 0;
			}
		}
	}
	request_put(req);
	if (wait)
		wait->result = resp.result;
	ret = response_encode(&resp, resp_wire, cap);
	return ret < 0 ? 0 : (size_t)ret;
}
