// SPDX-License-Identifier: MIT
/*
 * A VM's RAM file, opened and mapped safely, and the SIGBUS handler that
 * keeps a truncated RAM file from killing the daemon: see guest_ram.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_ram.h"

enum { SLOT_FREE, SLOT_CLAIMED, SLOT_LIVE };

/*
 * One registered mapping. start, len and event_fd change only while the
 * slot is CLAIMED (no handler uses it); a handler uses them only between
 * raising busy and seeing the slot LIVE.
 */
static struct ram_slot {
	int state;
	int busy;		/* handlers looking at this slot */
	int broken;
	int event_fd;
	uintptr_t start;
	size_t len;
} slots[GUEST_RAM_MAX_MAPS];


/* Replace slot s's mapping with zero pages, if addr is in it. */
static bool slot_contain(struct ram_slot *s, uintptr_t addr)
{
	static const uint64_t one = 1;
	bool ours = false;
	void *p;

	if (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) != SLOT_LIVE)
		return false;
	__atomic_add_fetch(&s->busy, 1, __ATOMIC_SEQ_CST);
	/* Seen LIVE after busy was raised: unmap waits for us. */
	if (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) == SLOT_LIVE &&
	    addr - s->start < s->len) {
		p = mmap((void *)s->start, s->len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			__atomic_store_n(&s->broken, 1, __ATOMIC_SEQ_CST);
			if (s->event_fd >= 0 &&
			    write(s->event_fd, &one, sizeof(one)) < 0) {
				/* the flag is still set */
			}
			ours = true;
		}
	}
	__atomic_sub_fetch(&s->busy, 1, __ATOMIC_SEQ_CST);
	return ours;
}

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	uintptr_t addr = (uintptr_t)si->si_addr;
	int saved = errno;
	unsigned int i;

	if (si->si_code > 0) {		/* a fault, not kill(2) */
		for (i = 0; i < GUEST_RAM_MAX_MAPS; i++) {
			if (slot_contain(&slots[i], addr)) {
				errno = saved;
				return;	/* the access is retried on zeros */
			}
		}
	}
	/*
	 * Not guest RAM: die of it as without us (a core at the fault).
	 * Nothing is chained: devcalld installs no other SIGBUS handler.
	 */
	{
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigemptyset(&dfl.sa_mask);
		sigaction(SIGBUS, &dfl, NULL);
		/* Pending until we return: then it kills. */
		raise(SIGBUS);
	}
	errno = saved;
}

/*
 * At every map, not once: whoever replaced the handler since (a test
 * framework, a plugin) must not leave a new mapping unguarded.
 */
static int sigbus_install(void)
{
	struct sigaction sa = { .sa_sigaction = sigbus_handler,
				.sa_flags = SA_SIGINFO | SA_RESTART };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

static int slot_register(uintptr_t start, size_t len, int event_fd)
{
	unsigned int i;

	for (i = 0; i < GUEST_RAM_MAX_MAPS; i++) {
		struct ram_slot *s = &slots[i];
		int expect = SLOT_FREE;

		if (!__atomic_compare_exchange_n(&s->state, &expect,
						 SLOT_CLAIMED, false,
						 __ATOMIC_SEQ_CST,
						 __ATOMIC_SEQ_CST))
			continue;
		s->start = start;
		s->len = len;
		s->event_fd = event_fd;
		__atomic_store_n(&s->broken, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&s->state, SLOT_LIVE, __ATOMIC_SEQ_CST);
		return (int)i;
	}
	return -ENOSPC;
}

/* Out of the registry, and no handler still using it: safe to unmap. */
static void slot_retire(struct ram_slot *s)
{
	__atomic_store_n(&s->state, SLOT_CLAIMED, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&s->busy, __ATOMIC_SEQ_CST))
		sched_yield();
}

int guest_ram_map(struct guest_ram *ram, int fd,
		  const struct guest_mem_layout_entry *layout,
		  unsigned int nr_entries, int event_fd)
{
	return guest_ram_map_fds(ram, &fd, 1, layout, nr_entries, event_fd);
}

int guest_ram_map_fds(struct guest_ram *ram, const int *fds, unsigned int nr,
		      const struct guest_mem_layout_entry *layout,
		      unsigned int nr_entries, int event_fd)
{
	int ret;

	ram->slot = -1;
	ret = sigbus_install();
	if (ret)
		return ret;
	guest_mem_init(&ram->gm);
	ret = guest_mem_map_fds(&ram->gm, fds, nr, layout, nr_entries);
	if (ret)
		return ret;
	ret = slot_register((uintptr_t)ram->gm.map, ram->gm.map_len,
			    event_fd);
	if (ret < 0) {
		guest_mem_fini(&ram->gm);
		return ret;
	}
	ram->slot = ret;
	return 0;
}

bool guest_ram_broken(const struct guest_ram *ram)
{
	return ram->slot >= 0 &&
	       __atomic_load_n(&slots[ram->slot].broken, __ATOMIC_SEQ_CST);
}

void guest_ram_unmap(struct guest_ram *ram)
{
	struct ram_slot *s = ram->slot >= 0 ? &slots[ram->slot] : NULL;

	if (s)
		slot_retire(s);
	guest_mem_fini(&ram->gm);
	if (s)
		__atomic_store_n(&s->state, SLOT_FREE, __ATOMIC_SEQ_CST);
	ram->slot = -1;
}

static bool owner_ok(uid_t uid, const struct guest_ram_policy *p)
{
	return uid == 0 || uid == geteuid() || uid == p->owner;
}

static int refuse(const char **why, const char *reason, int err)
{
	if (why)
		*why = reason;
	return err;
}

int guest_ram_check_fd(int fd, const struct guest_ram_policy *p,
		       uint64_t *size, const char **why)
{
	struct stat st;

	if (fstat(fd, &st))
		return refuse(why, "fstat failed", -errno);
	if (!S_ISREG(st.st_mode))
		return refuse(why, "not a regular file", -EINVAL);
	if (!owner_ok(st.st_uid, p))
		return refuse(why, "owned by another user than QEMU's",
			      -EPERM);
	if (st.st_nlink > 1)
		return refuse(why, "has more than one name (hard link)",
			      -EMLINK);
	if (st.st_size <= 0)
		return refuse(why, "empty", -EINVAL);
	if (p->size && (uint64_t)st.st_size != p->size)
		return refuse(why, "not the configured memory-size", -EINVAL);
	if (size)
		*size = st.st_size;
	return 0;
}

/* Is gid one of this process's groups? */
static bool in_my_groups(gid_t gid)
{
	gid_t groups[64];
	int n, i;

	if (gid == getegid())
		return true;
	n = getgroups(64, groups);
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/*
 * Nobody but QEMU's user and the daemon may reach the file: others get
 * nothing, and the group at most r-x, and only when it is a group of the
 * daemon's (a daemon running as its own user, without CAP_DAC_OVERRIDE,
 * reaches QEMU's RAM directory through a shared group).
 */
static bool dir_private(const struct stat *st)
{
	if (st->st_mode & 007)
		return false;
	if (!(st->st_mode & 070))
		return true;
	return !(st->st_mode & 020) && in_my_groups(st->st_gid);
}

int guest_ram_open(const char *path, const struct guest_ram_policy *p,
		   const char **why)
{
	char dir[4096];
	const char *slash = strrchr(path, '/'), *base;
	struct stat st;
	int dfd, fd, ret;

	if (!slash) {
		strcpy(dir, ".");
		base = path;
	} else {
		size_t n = slash == path ? 1 : (size_t)(slash - path);

		if (n >= sizeof(dir))
			return refuse(why, "path too long", -ENAMETOOLONG);
		memcpy(dir, path, n);
		dir[n] = '\0';
		base = slash + 1;
	}
	if (!*base)
		return refuse(why, "no file name", -EINVAL);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return refuse(why, "cannot open its directory", -errno);
	if (fstat(dfd, &st)) {
		ret = refuse(why, "cannot stat its directory", -errno);
		goto out_dir;
	}
	if (!owner_ok(st.st_uid, p)) {
		ret = refuse(why, "its directory is not root's or QEMU's",
			     -EPERM);
		goto out_dir;
	}
	if (!dir_private(&st)) {
		ret = refuse(why, "its directory is open to others, or to a "
			     "group not the daemon's (want 0700, or 0750 "
			     "with a group of the daemon)", -EPERM);
		goto out_dir;
	}
	fd = openat(dfd, base, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		refuse(why, ret == -ELOOP ? "a symbolic link" :
		       "cannot open", ret);
		goto out_dir;
	}
	ret = guest_ram_check_fd(fd, p, NULL, why);
	if (!ret && fstat(fd, &st) == 0 && st.st_nlink != 1)
		ret = refuse(why, "has no name or more than one", -EMLINK);
	if (ret) {
		close(fd);
		goto out_dir;
	}
	close(dfd);
	return fd;

out_dir:
	close(dfd);
	return ret;
}

/*
 * A directory, never through a symlink at its last component (-ELOOP;
 * O_NOFOLLOW | O_DIRECTORY alone says ENOTDIR for one).
 */
static int open_dir(int at, const char *path)
{
	struct stat st;
	int fd;

	if (fstatat(at, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		return -ELOOP;
	fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int guest_ram_dir_prepare(const char *ram_dir, const char *vm,
			  uid_t qemu_uid, gid_t qemu_gid, const char **why)
{
	bool created;
	struct stat st;
	int rfd, vfd, ret;

	if (!*vm || strchr(vm, '/') || !strcmp(vm, ".") || !strcmp(vm, ".."))
		return refuse(why, "bad VM name", -EINVAL);
	if (mkdir(ram_dir, 0711) && errno != EEXIST)
		return refuse(why, "cannot create ram-dir", -errno);
	rfd = open_dir(AT_FDCWD, ram_dir);
	if (rfd < 0)
		return refuse(why, rfd == -ELOOP ? "ram-dir is a symbolic "
			      "link" : "cannot open ram-dir", rfd);
	if (fstat(rfd, &st)) {
		ret = refuse(why, "cannot stat ram-dir", -errno);
		goto out_ram_dir;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022)) {
		ret = refuse(why, "ram-dir is not root's, or writable by "
			     "others", -EPERM);
		goto out_ram_dir;
	}
	/* QEMU's user must pass through to its own directory. */
	if ((st.st_mode & 07777) != 0711 && fchmod(rfd, 0711)) {
		ret = refuse(why, "cannot chmod ram-dir", -errno);
		goto out_ram_dir;
	}

	created = mkdirat(rfd, vm, 0700) == 0;
	if (!created && errno != EEXIST) {
		ret = refuse(why, "cannot create the VM's directory", -errno);
		goto out_ram_dir;
	}
	vfd = open_dir(rfd, vm);
	if (vfd < 0) {
		ret = vfd;
		refuse(why, ret == -ELOOP ? "the VM's directory is a symbolic "
		       "link" : "cannot open the VM's directory", ret);
		goto out_ram_dir;
	}
	if (fstat(vfd, &st)) {
		ret = refuse(why, "cannot stat the VM's directory", -errno);
		goto out_vm_dir;
	}
	if (created) {
		if ((st.st_uid != qemu_uid || st.st_gid != qemu_gid) &&
		    fchown(vfd, qemu_uid, qemu_gid)) {
			ret = refuse(why, "cannot chown the VM's directory",
				     -errno);
			goto out_vm_dir;
		}
		if (fchmod(vfd, 0700)) {
			ret = refuse(why, "cannot chmod the VM's directory",
				     -errno);
			goto out_vm_dir;
		}
	} else if (st.st_uid != qemu_uid || st.st_gid != qemu_gid ||
		   (st.st_mode & 07777) != 0700) {
		ret = refuse(why, "the VM's directory exists with another "
			     "owner or mode (want qemu-user's, 0700)", -EPERM);
		goto out_vm_dir;
	}
	ret = 0;
out_vm_dir:
	close(vfd);
out_ram_dir:
	close(rfd);
	return ret;
}

int guest_ram_default_path(char *buf, size_t len, const char *ram_dir,
			   const char *vm)
{
	int n = snprintf(buf, len, "%s/%s/ram", ram_dir, vm);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
