/* SPDX-License-Identifier: MIT */
/*
 * devcall-plugin.h: the devcalld plugin SDK. A plugin is a shared object
 * the daemon loads at start (`[daemon] plugin = FILE.so`, `--plugin`); it
 * adds driver backends (what serves an export's open files in place of the
 * host's own driver) and ioctl layouts (which fields of its ioctls'
 * arguments are pointers, so guests can call them). This header is all a
 * plugin needs; build it with
 *
 *	cc -shared -fPIC $(pkg-config --cflags devcall-plugin) -o my.so my.c
 *
 * and no library: the symbols below are the daemon's own (it is linked
 * -rdynamic). Every plugin says once, in one of its files:
 *
 *	DEVCALL_PLUGIN("my-plugin", my_init);
 *
 * The daemon refuses a plugin built for another DEVCALL_PLUGIN_ABI, with a
 * log line naming both numbers, before running any of its code but its
 * constructors. Guide and examples: docs/plugins.md, examples/mock-sensor/.
 *
 * Conventions. Every function returns a non-negative result or a negative
 * errno (-EINVAL, ...) and never exits the process: a plugin runs inside
 * the daemon that serves every VM, so a crash or an exit() takes all of
 * them down. Guest input is hostile: check every length and value you are
 * handed before you use it.
 */
#ifndef DEVCALL_PLUGIN_H
#define DEVCALL_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The plugin ABI: bumped whenever a struct below changes size or meaning
 * or a function changes its contract. The daemon loads only plugins built
 * with its own number. DEVCALL_PLUGIN_VERSION is the SDK's release, for
 * humans and pkg-config; only the ABI number is checked.
 */
#define DEVCALL_PLUGIN_ABI	1
#define DEVCALL_PLUGIN_VERSION	"1.0"

/* ------------------------------------------------------------------ */
/* Exports                                                             */
/* ------------------------------------------------------------------ */

/*
 * An export: one configured node of one VM (`[export VM NAME]`). Opaque:
 * read it through the functions below, which stay valid for as long as
 * the export does (every call a backend receives it in). It is the
 * daemon's struct export; `export` being a C++ keyword, C++ sees another
 * tag for the same pointer.
 */
#ifdef __cplusplus
typedef struct devcall_export devcall_export_t;
#else
typedef struct export devcall_export_t;
#endif

/* The export's name, what the guest sees as /dev/devcall/NAME. */
const char *devcall_export_name(const devcall_export_t *exp);
/* Its `path =`: a host node, or for a plugin whatever it means (an image). */
const char *devcall_export_path(const devcall_export_t *exp);
/* Its `options =`, free-form for plugins ("" if none). */
const char *devcall_export_options(const devcall_export_t *exp);
/* Whether it is `access = ro` (the daemon refuses writable opens itself). */
bool devcall_export_read_only(const devcall_export_t *exp);

/*
 * The value of KEY in a comma-separated `options` string such as
 * "media=cdrw,record=/tmp/x": copied to buf (NUL-terminated). A key
 * given bare ("verbose") has the value "". 0, -ENOENT if absent, or
 * -ENAMETOOLONG if the value does not fit in len bytes.
 */
int devcall_option_get(const char *options, const char *key, char *buf,
		       size_t len);

/* A line in the daemon's log, prefixed with the plugin's name by you. */
enum devcall_log_level { DEVCALL_LOG_ERR = 0, DEVCALL_LOG_WARN,
			 DEVCALL_LOG_INFO, DEVCALL_LOG_DEBUG };
void devcall_log(enum devcall_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* Backends                                                            */
/* ------------------------------------------------------------------ */

/*
 * Memory a backend is handed. Every pointer is a host pointer the daemon
 * checked; none is a value the guest chose. Some of it is a private copy,
 * some is the guest's RAM itself, which a guest vCPU can change at any
 * moment, also while the backend runs:
 *
 *   read     the iovecs point at guest RAM (or at the response's inline
 *            payload): write the data there; never read back from it.
 *   write    up to a page (4096 bytes, DEVCALL_PLUGIN_COPY_MAX): a
 *            private copy, stable. Larger: guest RAM itself, live.
 *   ioctl    the argument struct: a private copy, stable, with its
 *            embedded pointers rewritten to host pointers (as its layout
 *            says). Behind those pointers: IN and BOTH buffers up to
 *            DEVCALL_PLUGIN_COPY_MAX and any iovec or record array are
 *            private copies, stable; larger IN and BOTH buffers are guest
 *            RAM when contiguous, live; OUT-only buffers are guest RAM or
 *            a copy - write them, do not read them.
 *
 * Read each byte of live memory at most once: copy a header into a local
 * before checking it and acting on it, and never read a length or an
 * opcode twice from live memory. Stable memory can be read as often as
 * wanted. Nothing handed to a backend stays valid after it returns: keep
 * no pointer to it, copy what you need.
 *
 * Threads and blocking. Calls come from the daemon's per-VM worker
 * threads, several at once, for the same or different files: guard shared
 * state with a lock. A call that blocks holds one of its VM's few workers
 * (`workers =`, default 4) and nobody else's; keep calls short. A backend
 * whose files can have nothing to read (a serial line, a sensor FIFO)
 * should give poll_fd: then read and write are always called with
 * nonblock set, return -EAGAIN when they would block, and the daemon parks
 * the guest's call in its wait set (no thread held) until poll_fd is
 * readable or writable, then calls again. Without poll_fd the file is
 * always ready, like a regular file, and nonblock says what the guest
 * asked (O_NONBLOCK).
 */
#define DEVCALL_PLUGIN_COPY_MAX	4096

/* Facts about an open file the guest needs (returned by open). */
struct backend_file_info {
	uint64_t size;		/* bytes, for block devices and files */
	uint32_t mode;		/* st_mode of the node: S_IFCHR | 0600 ... */
	bool seekable;		/* pread/pwrite work */
	uint64_t rdev;		/* block devices: st_rdev (its sysfs
				 * queue limits); 0: unknown */
};

/*
 * A backend: a const table of operations, registered by name; an export
 * says `backend = NAME`. open, close, read, write and ioctl are required,
 * the rest optional (NULL). Each returns a result >= 0 or a negative
 * errno that the guest's call then fails with.
 */
struct backend_ops {
	const char *name;	/* 1-31 of [A-Za-z0-9_.-] */
	/*
	 * Open exp for a guest. oflags are host open(2) flags (O_ACCMODE,
	 * O_NONBLOCK, O_EXCL, O_SYNC, O_DSYNC, O_DIRECT) already checked
	 * against the export's access. Sets *priv to the backend's per-file
	 * state (passed to every later call of this file) and fills info.
	 * A backend that cannot honour O_DIRECT or a sync flag refuses the
	 * open (-EINVAL, as open(2) does), never ignores it.
	 */
	int (*open)(const devcall_export_t *exp, int oflags, void **priv,
		    struct backend_file_info *info);
	/*
	 * Release priv: the last call of the file. What it returns is what
	 * the guest's close(2) says; the file is gone anyway.
	 */
	int (*close)(void *priv);
	/*
	 * Fill the iovecs (guest memory, see above) and return the bytes
	 * written there; 0 is end of file. off < 0: at the file's position
	 * (read(2), advance it yourself); else pread(2) at off.
	 */
	ssize_t (*read)(void *priv, const struct iovec *iov, int iovcnt,
			int64_t off, bool nonblock);
	/* Consume the iovecs; return the bytes taken. off as for read. */
	ssize_t (*write)(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock);
	/*
	 * cmd is the guest's request number; arg a host pointer to the
	 * daemon's copy of the argument (its layout's arg_size bytes, its
	 * pointer fields rewritten), or the integer value for an ioctl
	 * whose layout has arg_size 0. What is written into an OUT or BOTH
	 * argument goes back to the guest, pointers restored. The result
	 * is ioctl(2)'s. Only numbers with a layout (built in, registered,
	 * or an export's `allow`) ever get here.
	 */
	long (*ioctl)(void *priv, uint32_t cmd, unsigned long arg);
	/*
	 * Optional: a file descriptor whose poll(2) readiness is the file's
	 * (an eventfd, a pipe's read end, the host node's own). See
	 * "Threads and blocking" above; POLL from the guest reports it.
	 */
	int (*poll_fd)(void *priv);
	/*
	 * Optional: fsync(2), or fdatasync(2) if datasync. Without one the
	 * guest's fsync fails with -EINVAL, as Linux's does on a character
	 * device whose driver has none.
	 */
	int (*fsync)(void *priv, bool datasync);
	/*
	 * Optional, for files opened O_DIRECT: turn it off or back on, as
	 * fcntl(F_SETFL) would, before a read or write that asks for the
	 * other mode. Without one such a file stays O_DIRECT.
	 */
	int (*set_direct)(void *priv, bool direct);
	/*
	 * Optional: the host descriptor behind the file, for an ioctl of
	 * another file that takes a descriptor (LOOP_CONFIGURE). Without one
	 * (or < 0) the guest's descriptor of this file is EBADF there.
	 */
	int (*host_fd)(void *priv);
	/*
	 * Optional: make a file of this backend's kind of fd, a descriptor
	 * an ioctl of exp's file returned (TIOCGPTPEER, KVM_CREATE_VM). Takes
	 * fd over: on failure it is closed. Without one, ioctls that return
	 * descriptors are refused.
	 */
	int (*adopt_fd)(const devcall_export_t *exp, int fd, void **priv,
			struct backend_file_info *info);
};

/* The bytes a read or write op's iovecs cover: the guest's count. */
static inline size_t devcall_iov_len(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

/*
 * Add a backend. ops must stay valid for the daemon's life (a static
 * const table). Registering the same table again is a no-op. 0, -EINVAL
 * (a required op missing), -EEXIST (another backend has that name) or
 * -ENOSPC.
 */
int backend_register(const struct backend_ops *ops);

/* ------------------------------------------------------------------ */
/* Ioctl layouts                                                       */
/* ------------------------------------------------------------------ */

/*
 * A layout describes one ioctl number's argument as data: its size, its
 * direction, and which of its fields are pointers to more memory (with
 * their length and direction). The guest module asks the host for a
 * number's layout and moves exactly that memory; no guest change and no
 * daemon change is needed for a new device. Directions are seen from the
 * driver: IN is read by it (guest to host), OUT written by it.
 * Guide and examples: docs/layouts.md; memmap/layouts_*.c in the source.
 */
#define LAYOUT_MAX_PTRS		4u	/* pointer fields in one argument */
#define LAYOUT_MAX_DIR_MAP	4u
#define LAYOUT_ARG_MAX		4096u	/* bytes of the argument struct */
#define LAYOUT_MAX_SUBS		2u	/* pointers in one record */
#define LAYOUT_REC_ELEM_MAX	128u	/* bytes of one record */
#define LAYOUT_REC_COUNT_MAX	63u	/* records in one argument */

enum layout_dir {
	LAYOUT_DIR_NONE		= 0,
	LAYOUT_DIR_IN		= 1,
	LAYOUT_DIR_OUT		= 2,
	LAYOUT_DIR_BOTH		= 3,
	LAYOUT_DIR_BY_FIELD	= 4,	/* looked up in dir_map by dir_field */
	LAYOUT_DIR_BY_MASK	= 5,	/* records' pointers only: see
					 * struct layout_sub */
};

/* layout_ptr.flags, layout_sub.flags */
#define LAYOUT_PF_NULL_OK	(1u << 0) /* NULL: no buffer, NULL passed on */

enum layout_ptr_kind {
	LAYOUT_PTR_BUF		= 1,	/* points at len bytes */
	LAYOUT_PTR_IOVEC	= 2,	/* count_field != 0: array of
					 * {void *base; size_t len} elements;
					 * count_field == 0: a plain BUF */
	LAYOUT_PTR_OPAQUE	= 3,	/* never dereferenced: passed through */
	LAYOUT_PTR_RECORDS	= 4,	/* points at count_field records of
					 * the layout's rec (always IN) */
};

/* Descriptors in and out (struct ioctl_layout.fd). */
#define LAYOUT_FD_IN_ARG	(1u << 0)
#define LAYOUT_FD_IN_FIELD	(1u << 1)
#define LAYOUT_FD_OUT_RET	(1u << 2)
#define LAYOUT_FD_OUT_FIELD	(1u << 3)
#define LAYOUT_FD_ALL		(LAYOUT_FD_IN_ARG | LAYOUT_FD_IN_FIELD | \
				 LAYOUT_FD_OUT_RET | LAYOUT_FD_OUT_FIELD)

/* An integer field of the argument. size 0 means "not used". */
struct layout_field {
	uint16_t off;
	uint8_t size;		/* 1, 2, 4 or 8 */
	bool is_signed;
};

struct layout_dir_map {
	int64_t value;		/* value of dir_field */
	uint8_t dir;		/* enum layout_dir, never BY_FIELD */
};

struct layout_ptr {
	uint16_t off;		/* offset of the pointer (8 bytes, x86_64;
				 * 4 in a compat layout) */
	uint8_t kind;		/* enum layout_ptr_kind */
	uint8_t dir;		/* enum layout_dir */
	uint32_t len_const;	/* length when len_field.size == 0 */
	struct layout_field len_field; /* length in bytes from the argument */
	uint32_t len_max;	/* longer is -EINVAL (absurd lengths) */
	struct layout_field count_field; /* IOVEC: element count */
	uint32_t count_max;	/* IOVEC: more elements is -EINVAL */
	struct layout_field dir_field; /* BY_FIELD: selects the direction */
	uint8_t nr_dir_map;
	struct layout_dir_map dir_map[LAYOUT_MAX_DIR_MAP]; /* unmapped: -EINVAL */
	uint8_t flags;		/* LAYOUT_PF_*: NULL_OK, a NULL value is
				 * "no buffer" (the driver gets NULL) */
};

/*
 * A pointer inside a record: fields are offsets in the record. Its
 * direction is dir, or for LAYOUT_DIR_BY_MASK dir_set when the record's
 * dir_field has any bit of dir_mask set, else dir_clear (I2C_M_RD).
 */
struct layout_sub {
	uint16_t off;
	uint8_t dir;		/* IN, OUT, BOTH or BY_MASK */
	uint8_t flags;		/* LAYOUT_PF_* */
	uint32_t len_const;
	struct layout_field len_field;
	uint32_t len_max;
	struct layout_field dir_field;
	uint32_t dir_mask;
	uint8_t dir_set, dir_clear;	/* NONE, IN, OUT or BOTH */
};

/*
 * An array of records that carry pointers (nested pointers): behind the
 * layout's one RECORDS pointer, or, in_arg, the argument itself (count =
 * arg_size / elem_size; it then has no pointers of its own). elem_size 0:
 * no records.
 */
struct layout_records {
	uint16_t elem_size;
	uint16_t count_max;
	bool in_arg;
	uint32_t total_max;	/* bytes over all records' buffers */
	uint8_t nr_subs;
	struct layout_sub sub[LAYOUT_MAX_SUBS];
};

struct ioctl_layout {
	uint32_t cmd;		/* the ioctl request number */
	const char *name;	/* for logs and records: "SG_IO" */
	uint32_t arg_size;	/* 0: the argument is a plain integer */
	bool arg_unused;	/* arg_size 0: the driver ignores the value;
				 * it gets 0 whatever the caller passed */
	uint8_t arg_dir;	/* direction of the argument struct itself */
	uint8_t nr_ptrs;
	struct layout_ptr ptr[LAYOUT_MAX_PTRS];
	struct layout_records rec;
	/*
	 * A family (EVIOCGNAME(len), HIDIOCGFEATURE(len)): the entry matches
	 * every number with cmd's direction, type and nr whatever its
	 * _IOC_SIZE, up to arg_size bytes; a call gets a copy whose cmd and
	 * arg_size are the concrete number's. No pointers; records in the
	 * argument (SPI_IOC_MESSAGE(n)) are allowed.
	 */
	bool size_family;
	/*
	 * Descriptors (LAYOUT_FD_*). FD_IN_ARG: the integer argument is a
	 * descriptor; FD_IN_FIELD: the 4-byte field at fd_off of the
	 * argument (IN or BOTH) is one. The host puts its own descriptor of
	 * the file the guest named there, and restores the guest's value in
	 * what goes back. FD_OUT_RET: the result is a new descriptor the
	 * host makes a handle of. FD_OUT_FIELD: the driver writes a new
	 * descriptor into the 4-byte field at fd_off of the argument (OUT
	 * or BOTH); the guest sees its own there.
	 */
	uint8_t fd;
	uint16_t fd_off;
	/*
	 * A 32-bit process's layout: each pointer field is 4 bytes, an
	 * IOVEC's elements are 8. Plugins leave it false. A 32-bit guest
	 * process gets a plugin's layout as it is if it has no pointers;
	 * one with pointers is refused to it: the host cannot know
	 * the width of its pointer fields.
	 */
	bool compat;
};

/*
 * Register a layout for a plugin's own ioctl number. The daemon copies
 * it (name excepted: keep that string static) and checks it: fields
 * inside the argument, no pointer overlapping another field, sizes and
 * bounds sane. It replaces a built-in layout of the same number and is
 * allowed through the daemon's seccomp filter, so register from the
 * plugin's init, which runs before the filter is installed. Returns 0,
 * -EINVAL (not self-consistent: the daemon logs nothing, check the
 * fields), -EEXIST (a registered one already has that number) or
 * -ENOSPC.
 */
int layout_register(const struct ioctl_layout *layout);

/*
 * The layout a call with cmd uses (registered, else built in), copied to
 * *out; a family member is made concrete. 0 or -ENOENT. A backend can
 * use it to find the argument's size and pointers of the cmd it serves.
 */
int devcall_layout_get(uint32_t cmd, struct ioctl_layout *out);

/* ------------------------------------------------------------------ */
/* The plugin itself                                                   */
/* ------------------------------------------------------------------ */

/*
 * What DEVCALL_PLUGIN() exports as the symbol devcall_plugin. The daemon
 * reads abi first and stops there if it is not its own; then it calls
 * init once (not again on a SIGHUP reload), which registers the plugin's
 * backends and layouts and returns 0 or a negative errno (the daemon
 * then refuses to start, naming the plugin).
 */
struct devcall_plugin {
	uint32_t abi;		/* DEVCALL_PLUGIN_ABI */
	uint32_t size;		/* sizeof(struct devcall_plugin) */
	const char *name;
	int (*init)(void);
};

#define DEVCALL_PLUGIN(plugin_name, init_fn)				\
	extern __attribute__((visibility("default")))			\
	const struct devcall_plugin devcall_plugin;			\
	const struct devcall_plugin devcall_plugin = {			\
		.abi = DEVCALL_PLUGIN_ABI,				\
		.size = sizeof(struct devcall_plugin),			\
		.name = (plugin_name),					\
		.init = (init_fn),					\
	}

#ifdef __cplusplus
}
#endif

#endif /* DEVCALL_PLUGIN_H */
