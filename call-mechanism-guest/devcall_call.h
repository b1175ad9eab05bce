/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest half of the call mechanism, as a frontend sees it: register to
 * be offered exports; build a request, pin the user memory it names, send
 * it on the virtqueue and wait for the host's answer. Layouts of ioctl
 * arguments are walked by layout_walk.h, also the call mechanism's.
 */
#ifndef DEVCALL_CALL_H
#define DEVCALL_CALL_H

#include <linux/device.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "devcall_abi.h"
#include "node_info.h"

struct devcall_dev;
struct devcall_call;

/* A call with room for max_segs segments; its header is zeroed. */
struct devcall_call *devcall_call_alloc(u16 op, unsigned int max_segs);

/* Release the caller's reference (the host may still hold its own). */
void devcall_call_put(struct devcall_call *c);

/* The request header to fill (op, tag and magic are set on submit). */
struct devcall_req *devcall_call_hdr(struct devcall_call *c);

/* Bytes to send inline (<= DEVCALL_INLINE_MAX). */
int devcall_call_set_inline(struct devcall_call *c, const void *data,
			    unsigned int len);

/*
 * Pin len bytes of user memory at uaddr and add them as segments of
 * buffer buf; dir is DEVCALL_SEG_TO_HOST and/or DEVCALL_SEG_FROM_HOST.
 * -EFAULT if any page cannot be pinned, -E2BIG past the segment room.
 */
int devcall_call_pin(struct devcall_call *c, unsigned long uaddr, size_t len,
		     u16 dir, u16 buf);

/*
 * Add len bytes of a kernel page (off + len within the page) as a segment
 * of buffer buf: the bio pages of a block request. The call holds a page
 * reference until the host is done with it, which may be after the
 * caller was told the call failed (the device went away), so the memory
 * the host may still write is never handed back to the allocator under
 * it. A call carries either pinned user memory or kernel pages, not both
 * (-EINVAL); -E2BIG past the segment room.
 */
int devcall_call_add_page(struct devcall_call *c, struct page *page,
			  unsigned int off, unsigned int len, u16 dir, u16 buf);

/*
 * Send and wait. Returns the host's result (>= 0 or -errno), -ENXIO if
 * the device went away, -EIO if it broke. A signal sends CANCEL for the
 * call: a call the host had parked (no data yet) returns -ERESTARTSYS,
 * one the host finished returns its result; a fatal signal returns -EINTR
 * at once (the host still finishes; the memory stays pinned until then).
 */
s64 devcall_call_submit(struct devcall_dev *d, struct devcall_call *c);

/*
 * Send without waiting: done(c, ctx) runs once, in atomic context, when
 * the host answers or, the device going away, once it was reset (take a
 * reference to c first if done needs it afterwards). 0 or -errno (then
 * done never runs).
 */
typedef void (*devcall_done_fn)(struct devcall_call *c, void *ctx);
int devcall_call_submit_async(struct devcall_dev *d, struct devcall_call *c,
			      devcall_done_fn done, void *ctx);

/*
 * Wait a little for c's answer by polling for it, before the caller
 * sleeps on it: at most the device's polling window (the devcall.poll_us
 * module parameter, adapted to how soon calls come back; nothing if it is
 * 0). devcall_call_submit does it; for an async call, done may run here,
 * in the caller's context with interrupts off. Process context.
 */
void devcall_call_poll(struct devcall_dev *d, struct devcall_call *c);

/* The result of an answered call (as devcall_call_submit returns it). */
s64 devcall_call_result(struct devcall_call *c);

/* The response (valid after submit returned a host result). */
const struct devcall_resp *devcall_call_resp(struct devcall_call *c);

/* Copy up to len inline response bytes to dst; returns how many. */
unsigned int devcall_call_resp_inline(struct devcall_call *c, void *dst,
				      unsigned int len);

/*
 * An ioctl forwarded to the host file behind handle, by the layout the
 * host publishes for cmd (fetched once per cache: DEVCALL_OP_LAYOUT): the
 * argument and the user memory behind each pointer in it are pinned, so
 * the host driver reads and writes the caller's own buffers. arg is the
 * user's argument as the ioctl syscall gave it; req_flags go in the
 * request (DEVCALL_REQ_F_NONBLOCK). DEVCALL_REQ_F_COMPAT says the caller
 * is a 32-bit process (from a .compat_ioctl, arg already compat_ptr()'d):
 * its layout is asked for and cached apart from the native one, and may
 * have 4-byte pointers. Process context only.
 */
#define DEVCALL_LAYOUT_CACHE	16	/* ioctl layouts kept per cache */

struct devcall_layout_cache {
	struct mutex lock;
	unsigned int next;
	struct {
		u32 cmd;
		bool valid;
		bool compat;	/* asked for a 32-bit process */
		u8 ptr_size;	/* the answer's pointer width: 8, or 4 */
		struct devcall_layout l;
	} e[DEVCALL_LAYOUT_CACHE];
};

void devcall_layout_cache_init(struct devcall_layout_cache *lc);
long devcall_ioctl_forward(struct devcall_dev *d, u64 handle,
			   struct devcall_layout_cache *lc, unsigned int cmd,
			   unsigned long arg, u32 req_flags);

/*
 * Descriptors in and out of ioctls (the layout's DEVCALL_LAYOUT_FD_*), for
 * a frontend whose files stand for host files. Without them (plain
 * devcall_ioctl_forward) an ioctl taking a descriptor is EBADF and one
 * returning one EOPNOTSUPP, both without a call.
 */
struct file;

struct devcall_ioctl_fds {
	/*
	 * The handle of file, which the caller's descriptor argument names:
	 * 0, or -EBADF unless it is one of the frontend's files on device d
	 * (the same VM). The forward holds a reference until the call is
	 * over; the guest's descriptor number never travels.
	 */
	int (*handle_of)(struct devcall_dev *d, struct file *file,
			 u64 *handle);
	/*
	 * A descriptor of the caller for the host's new file handle (r: its
	 * size and flags, as for OPEN), or -errno, after which the forward
	 * closes the handle on the host. With field (DEVCALL_LAYOUT_FD_OUT_
	 * FIELD), the descriptor's number is stored there before the caller
	 * can use it, and the answer is 0.
	 */
	long (*install)(struct devcall_dev *d, u64 handle,
			const struct devcall_resp *r, s32 __user *field);
};

long devcall_ioctl_forward_fds(struct devcall_dev *d, u64 handle,
			       struct devcall_layout_cache *lc,
			       unsigned int cmd, unsigned long arg,
			       u32 req_flags,
			       const struct devcall_ioctl_fds *fds);

/* Device lifetime, for the frontend's open files. */
void devcall_dev_get(struct devcall_dev *d);
void devcall_dev_put(struct devcall_dev *d);

/*
 * Exports and the frontends that serve them. The call mechanism knows no
 * frontend: each export the host offers becomes a device on the devcall
 * bus, child of its virtio device, and the driver core binds it to the
 * first registered frontend whose kind (and match, if any) accepts it, as
 * the virtio bus binds virtio_blk. A frontend registered before or after
 * the export appears is probed either way. remove runs when the export goes
 * (the daemon lost, the device or module removed) or the frontend
 * unregisters; by then the device is dead when it is going away: calls
 * fail at once with -ENXIO or -EIO, so remove never waits on the host.
 */
enum devcall_export_kind {
	DEVCALL_EXPORT_CHAR,	/* a node opened, read, written, ioctl'd */
	DEVCALL_EXPORT_BLOCK,	/* a disk: DEVCALL_EXPORT_F_BLOCK */
};

struct devcall_export {
	struct device dev;		/* on the devcall bus */
	struct devcall_dev *d;		/* where its calls go; held by dev */
	u32 id;				/* export_id for OPEN */
	u32 flags;			/* DEVCALL_EXPORT_F_* */
	enum devcall_export_kind kind;
	char name[DEVCALL_NAME_MAX];	/* [A-Za-z0-9_.-], never empty */
	struct devcall_node_info node;
};

/* "char", "block", "regular", "fifo" or "unknown": for sysfs. */
const char *devcall_host_type_name(u32 host_type);

/*
 * sysfs attributes of a frontend's node (export, host_type, host_dev,
 * aliases, owner, group): for a node device whose parent is its export's
 * device (a char device made under it, a disk added with it as parent).
 */
extern const struct attribute_group *devcall_node_groups[];

#define to_devcall_export(d) container_of(d, struct devcall_export, dev)

struct devcall_frontend {
	struct device_driver driver;	/* name and owner: set by register */
	const char *name;
	enum devcall_export_kind kind;	/* the exports it is offered */
	/* Optional: decline an export of its kind (false: offered on). */
	bool (*match)(const struct devcall_export *exp);
	/* 0 claims exp; an error leaves it to the next frontend. */
	int (*probe)(struct devcall_export *exp);
	void (*remove)(struct devcall_export *exp);
};

int __devcall_register_frontend(struct devcall_frontend *fe,
				struct module *owner);
#define devcall_register_frontend(fe) \
	__devcall_register_frontend(fe, THIS_MODULE)
void devcall_unregister_frontend(struct devcall_frontend *fe);

/* A frontend module that does nothing else at init and exit. */
#define module_devcall_frontend(__fe) \
	module_driver(__fe, devcall_register_frontend, \
		      devcall_unregister_frontend)

/* A frontend's own data for the export it claimed. */
static inline void *devcall_export_get_drvdata(struct devcall_export *exp)
{
	return dev_get_drvdata(&exp->dev);
}

static inline void devcall_export_set_drvdata(struct devcall_export *exp,
					      void *data)
{
	dev_set_drvdata(&exp->dev, data);
}

#endif /* DEVCALL_CALL_H */
