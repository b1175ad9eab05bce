// SPDX-License-Identifier: MIT
/*
 * Least privilege for devcalld: see privilege.h for what the daemon needs
 * at run time and why the filter traps rather than kills.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/fs.h>

#include <cap-ng.h>
#include <seccomp.h>

#include "config.h"
#include "ioctl_layout.h"
#include "log.h"
#include "privilege.h"

/*
 * What the daemon calls once serving: the event loop and wait set (epoll,
 * timerfd and signalfd reads), accepting QEMU and handing it eventfds,
 * mapping guest RAM, the backends' file calls (the emulated drive's too:
 * its image and state file), worker threads (clone: see below), glibc's
 * own (futex, rseq, robust lists, malloc's mmap and madvise).
 */
static const char *const allowed_syscalls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64",
	"preadv", "pwritev", "preadv2", "pwritev2", "lseek",
	"open", "openat", "close", "fstat", "newfstatat", "statx", "stat",
	"lstat", "fcntl", "ftruncate", "fsync", "fdatasync",
	"rename", "renameat", "renameat2", "unlink", "unlinkat",
	"munmap", "madvise", "mremap", "brk",
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll",
	"eventfd2", "accept4", "accept", "recvfrom", "recvmsg", "sendmsg",
	"sendto", "getsockopt", "shutdown",
	"futex", "set_robust_list", "rseq", "exit", "exit_group",
	"rt_sigreturn", "rt_sigprocmask", "restart_syscall",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday",
	"getpid", "gettid", "getrandom", "sched_yield", "sched_getaffinity",
	"geteuid",		/* sock_peer_check(): the control socket */
	/* memory = auto: QEMU's /proc/PID/maps and fd table (ram_discover.h) */
	"readlink", "readlinkat", "getdents64",
	/*
	 * A VM added at run time (devcallctl vm add, a reload): its
	 * listening sockets made as sock_listen() makes them (socket() is
	 * AF_UNIX only, below), its shared memory and its workers' epoll
	 * sets (worker_pool.c).
	 */
	"bind", "listen", "fchmod", "chmod", "fchownat", "umask",
	"memfd_create", "epoll_create1",
};

/* What privilege_drop() kept: what a VM added later may count on. */
static uint64_t caps_kept;
static bool dropped;

static const char *cap_label(unsigned int cap)
{
	return cap == CAP_SYS_RAWIO ? "cap_sys_rawio" :
	       cap == CAP_SYS_ADMIN ? "cap_sys_admin" :
	       cap == CAP_NET_ADMIN ? "cap_net_admin" :
	       cap == CAP_SYS_PTRACE ? "cap_sys_ptrace" :
	       cap == CAP_DAC_OVERRIDE ? "cap_dac_override" :
	       cap == CAP_CHOWN ? "cap_chown" : "cap_?";
}

/* "cap_sys_rawio (export a/cd: scsi = passthrough, and 2 more)" */
static void caps_note(struct privilege_caps *out, unsigned int cap,
		      const char *vm, const char *exp, const char *key,
		      unsigned int more)
{
	size_t n = strlen(out->why);
	char extra[32] = "";

	if (more)
		snprintf(extra, sizeof(extra), ", and %u more", more);
	snprintf(out->why + n, sizeof(out->why) - n,
		 "%s%s (export %s/%s: %s%s)", n ? ", " : "", cap_label(cap),
		 vm, exp, key, extra);
}

void privilege_caps_compute(const struct config *cfg,
			    struct privilege_caps *out)
{
	const struct export *first_raw = NULL, *first_admin = NULL;
	const struct export *first_net = NULL;
	const char *raw_vm = NULL, *admin_vm = NULL, *net_vm = NULL;
	unsigned int i, j, nr_raw = 0, nr_admin = 0, nr_net = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < cfg->nr_vms; i++) {
		const struct vm_config *vm = &cfg->vms[i];

		for (j = 0; j < vm->nr_exports; j++) {
			const struct export *exp = &vm->exports[j];

			if (exp->scsi_passthrough && !nr_raw++) {
				first_raw = exp;
				raw_vm = vm->name;
			}
			if (exp->host_partitions && !nr_admin++) {
				first_admin = exp;
				admin_vm = vm->name;
			}
			if (exp->host_network && !nr_net++) {
				first_net = exp;
				net_vm = vm->name;
			}
		}
	}
	if (first_raw) {
		out->mask |= 1ull << CAP_SYS_RAWIO;
		caps_note(out, CAP_SYS_RAWIO, raw_vm, first_raw->name,
			  "scsi = passthrough", nr_raw - 1);
	}
	if (first_admin) {
		out->mask |= 1ull << CAP_SYS_ADMIN;
		caps_note(out, CAP_SYS_ADMIN, admin_vm, first_admin->name,
			  "host-partitions = allow", nr_admin - 1);
	}
	if (first_net) {
		out->mask |= 1ull << CAP_NET_ADMIN;
		caps_note(out, CAP_NET_ADMIN, net_vm, first_net->name,
			  "host-network = allow", nr_net - 1);
	}
	/*
	 * memory = auto reads QEMU's /proc/PID/maps and opens its RAM
	 * through /proc/PID/fd: ptrace read access and QEMU's 0500 fd
	 * directory and 0600/0644 file (ram_discover.h).
	 */
	for (i = 0; i < cfg->nr_vms; i++) {
		size_t n = strlen(out->why);

		if (!cfg->vms[i].memory_auto)
			continue;
		out->mask |= 1ull << CAP_SYS_PTRACE | 1ull << CAP_DAC_OVERRIDE;
		snprintf(out->why + n, sizeof(out->why) - n,
			 "%scap_sys_ptrace, cap_dac_override (vm %s: memory "
			 "= auto)", n ? ", " : "", cfg->vms[i].name);
		break;
	}
	/*
	 * VMs added at run time: QEMU's group on their sockets, and memory
	 * = auto (the libvirt hook's), whatever the VMs of the start need.
	 */
	if (cfg->live_vms) {
		size_t n = strlen(out->why);
		bool group = cfg->daemon.socket_gid != (gid_t)-1;

		out->mask |= 1ull << CAP_SYS_PTRACE | 1ull << CAP_DAC_OVERRIDE;
		if (group)
			out->mask |= 1ull << CAP_CHOWN;
		snprintf(out->why + n, sizeof(out->why) - n,
			 "%scap_sys_ptrace, cap_dac_override%s (live-vms = "
			 "yes)", n ? ", " : "", group ? ", cap_chown" : "");
	}
	if (!out->mask)
		snprintf(out->why, sizeof(out->why),
			 "no capabilities (no export needs one)");
}

static int ioctls_add(struct privilege_ioctls *out, uint32_t cmd)
{
	unsigned int i;

	for (i = 0; i < out->nr; i++)
		if (out->cmd[i] == cmd)
			return 0;
	if (out->nr >= PRIVILEGE_MAX_IOCTLS)
		return -E2BIG;
	out->cmd[out->nr++] = cmd;
	return 0;
}

struct layouts_ctx {
	struct privilege_ioctls *out;
	int err;
};

#define IOC_SIZE_BITS	((uint32_t)_IOC_SIZEMASK << _IOC_SIZESHIFT)

static int ioctls_add_family(struct privilege_ioctls *out, uint32_t cmd)
{
	unsigned int i;

	cmd &= ~IOC_SIZE_BITS;
	for (i = 0; i < out->nr_fam; i++)
		if (out->fam[i] == cmd)
			return 0;
	if (out->nr_fam >= PRIVILEGE_MAX_IOCTL_FAMILIES)
		return -E2BIG;
	out->fam[out->nr_fam++] = cmd;
	return 0;
}

static void ioctls_add_layout(const struct ioctl_layout *l, void *arg)
{
	struct layouts_ctx *c = arg;
	int ret = l->size_family ? ioctls_add_family(c->out, l->cmd) :
				   ioctls_add(c->out, l->cmd);

	if (ret)
		c->err = ret;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int privilege_ioctls_build(const struct config *cfg,
			   struct privilege_ioctls *out)
{
	struct layouts_ctx c = { .out = out };
	unsigned int i, j, k;
	int ret;

	memset(out, 0, sizeof(*out));
	/* The daemon's own: size at open (backend_sys), stdio's isatty. */
	ioctls_add(out, BLKGETSIZE64);
	ioctls_add(out, TCGETS);
	layout_for_each(ioctls_add_layout, &c);
	if (c.err)
		return c.err;
	for (i = 0; i < cfg->nr_vms; i++) {
		const struct vm_config *vm = &cfg->vms[i];

		for (j = 0; j < vm->nr_exports; j++) {
			const struct ioctl_policy *pol = &vm->exports[j].ioctl;

			for (k = 0; k < pol->nr_allow; k++) {
				ret = ioctls_add(out, pol->allow[k].cmd);
				if (ret)
					return ret;
			}
		}
	}
	qsort(out->cmd, out->nr, sizeof(out->cmd[0]), cmp_u32);
	return 0;
}

#if defined(__x86_64__) || defined(__aarch64__)
#define PRIVILEGE_TRAP	1
#else
#define PRIVILEGE_TRAP	0	/* return register unknown: EPERM */
#endif

#if PRIVILEGE_TRAP
/*
 * SIGSYS from the filter: one line to stderr, made by hand (snprintf is
 * not async-signal-safe), and the call returns -EPERM. The kernel did not
 * run it; setting the return register is all that is left to do.
 */
static void sigsys_handler(int sig, siginfo_t *si, void *uc_arg)
{
	static const char head[] = "devcalld: error: seccomp: system call ";
	static const char tail[] =
		" refused (EPERM): devcalld never makes it\n";
	ucontext_t *uc = uc_arg;
	char line[sizeof(head) + sizeof(tail) + 12], digits[12];
	unsigned int nr = (unsigned int)si->si_syscall;
	size_t len = sizeof(head) - 1;
	int saved = errno, n = 0;

	(void)sig;
	memcpy(line, head, len);
	do {
		digits[n++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr);
	while (n)
		line[len++] = digits[--n];
	memcpy(line + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere else to say it */
	}
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#else
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#endif
	errno = saved;
}
#endif

/* The ioctl rules: each number on its low 32 bits (the kernel's cmd). */
static int seccomp_add_ioctls(scmp_filter_ctx ctx,
			      const struct privilege_ioctls *io)
{
	unsigned int i;
	int ret;

	for (i = 0; i < io->nr; i++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					       io->cmd[i]));
		if (ret)
			return ret;
	}
	/* A family: its number whatever the size bits (the size is
	 * bounded by the layout, before the call). */
	for (i = 0; i < io->nr_fam; i++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_MASKED_EQ,
					       0xffffffffu & ~IOC_SIZE_BITS,
					       io->fam[i]));
		if (ret)
			return ret;
	}
	return 0;
}

static int seccomp_add_rules(scmp_filter_ctx ctx,
			     const struct privilege_ioctls *io)
{
	unsigned int i;
	int nr, ret;

	for (i = 0; i < sizeof(allowed_syscalls) / sizeof(*allowed_syscalls);
	     i++) {
		nr = seccomp_syscall_resolve_name(allowed_syscalls[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (ret)
			return ret;
	}
	/* No new executable memory: nothing is loaded once serving. */
	ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			       SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect),
				       1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC,
						  0));
	/*
	 * Threads, never processes. clone3's flags are in memory, out of a
	 * filter's reach: ENOSYS makes glibc fall back to clone.
	 */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
					       CLONE_THREAD));
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				       SCMP_SYS(clone3), 0);
	/*
	 * glibc's first pthread_create installs its setxid handler. Any
	 * handler but SIGSYS's: not that replacing it would let a call run.
	 */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
				       SCMP_SYS(rt_sigaction), 1,
				       SCMP_A0(SCMP_CMP_NE, SIGSYS));
	/* A VM added at run time: its sockets, Unix ones only. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	/*
	 * glibc's NSS tries nscd's socket when a reload looks the socket
	 * group up again (config_finish()): "no nscd", quietly, and it
	 * reads /etc/group. The daemon connects nowhere once serving.
	 */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT),
				       SCMP_SYS(connect), 0);
	/* raise(3) and abort(3), to this process only. */
	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_EQ,
					       (scmp_datum_t)getpid()));
	return ret ? ret : seccomp_add_ioctls(ctx, io);
}

int privilege_seccomp_install(const struct privilege_ioctls *ioctls)
{
	uint32_t deny = PRIVILEGE_TRAP ? SCMP_ACT_TRAP : SCMP_ACT_ERRNO(EPERM);
	scmp_filter_ctx ctx;
	int ret;

#if PRIVILEGE_TRAP
	{
		struct sigaction sa = { .sa_sigaction = sigsys_handler,
					.sa_flags = SA_SIGINFO };

		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL))
			return -errno;
	}
#endif
	ctx = seccomp_init(deny);
	if (!ctx)
		return -ENOMEM;
	/* Every thread, should a plugin have started one already. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, deny);
	if (!ret)
		ret = seccomp_add_rules(ctx, ioctls);
	if (!ret)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	return ret > 0 ? -EIO : ret;	/* TSYNC: a thread id that failed */
}

/* Whom to become: cfg's user and group, resolved while files can open. */
static int resolve_ids(const struct config *cfg, int *uid, int *gid,
		       int *flags)
{
	*uid = *gid = -1;
	*flags = CAPNG_NO_FLAG;
	if (cfg->user[0]) {
		struct passwd *pw = getpwnam(cfg->user);

		if (!pw) {
			log_err("privilege: no user '%s'", cfg->user);
			return -ENOENT;
		}
		*uid = (int)pw->pw_uid;
		*gid = (int)pw->pw_gid;
		*flags = CAPNG_INIT_SUPP_GRP;	/* disk, cdrom ... */
	}
	if (cfg->group[0]) {
		struct group *gr = getgrnam(cfg->group);

		if (!gr) {
			log_err("privilege: no group '%s'", cfg->group);
			return -ENOENT;
		}
		*gid = (int)gr->gr_gid;
		if (!cfg->user[0])
			*flags = CAPNG_DROP_SUPP_GRP;
	}
	return 0;
}

/*
 * Keep exactly mask (those of it we hold) in the effective, permitted and
 * bounding sets, as uid/gid if given. The bounding set goes first, while
 * CAP_SETPCAP is still ours.
 */
static int caps_apply(uint64_t *mask, int uid, int gid, int flags)
{
	uint64_t want = *mask;
	bool setpcap;
	unsigned int cap;
	int ret;

	if (capng_get_caps_process())
		return -EIO;
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	for (cap = 0; cap < 64; cap++)
		if ((want & (1ull << cap)) &&
		    !capng_have_capability(CAPNG_PERMITTED, cap))
			*mask &= ~(1ull << cap);
	capng_clear(CAPNG_SELECT_BOTH);
	for (cap = 0; cap < 64; cap++)
		if (*mask & (1ull << cap))
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE |
				     CAPNG_PERMITTED | CAPNG_BOUNDING_SET, cap);
	if (setpcap && capng_apply(CAPNG_SELECT_BOUNDS))
		return -EPERM;
	if (uid >= 0 || gid >= 0) {
		ret = capng_change_id(uid, gid, flags);
		if (ret) {
			log_err("privilege: changing to uid %d gid %d failed "
				"(libcap-ng %d)", uid, gid, ret);
			return -EPERM;
		}
		return 0;
	}
	return capng_apply(CAPNG_SELECT_CAPS) ? -EPERM : 0;
}

/* Is every number of b in a? Both sorted. */
static bool ioctls_subset(const struct privilege_ioctls *a,
			  const struct privilege_ioctls *b, uint32_t *missing)
{
	unsigned int i, j = 0, k;

	for (i = 0; i < b->nr; i++) {
		while (j < a->nr && a->cmd[j] < b->cmd[i])
			j++;
		if (j == a->nr || a->cmd[j] != b->cmd[i]) {
			*missing = b->cmd[i];
			return false;
		}
	}
	for (i = 0; i < b->nr_fam; i++) {
		for (k = 0; k < a->nr_fam && a->fam[k] != b->fam[i]; k++)
			;
		if (k == a->nr_fam) {
			*missing = b->fam[i];
			return false;
		}
	}
	return true;
}

int privilege_reload_check(const struct config *started,
			   const struct config *next, char *why, size_t len)
{
	struct privilege_caps a, b;
	struct privilege_ioctls *ia, *ib;
	uint32_t missing;
	int ret = 0;

	privilege_caps_compute(started, &a);
	privilege_caps_compute(next, &b);
	if (b.mask & ~a.mask) {
		snprintf(why, len, "it needs capabilities dropped at start "
			 "(%s)", b.why);
		return -EPERM;
	}
	if (started->seccomp_off)
		return 0;
	ia = malloc(sizeof(*ia));
	ib = malloc(sizeof(*ib));
	if (!ia || !ib) {
		snprintf(why, len, "%s", strerror(ENOMEM));
		ret = -ENOMEM;
		goto out;
	}
	ret = privilege_ioctls_build(started, ia);
	if (!ret)
		ret = privilege_ioctls_build(next, ib);
	if (ret) {
		snprintf(why, len, "ioctl list: %s", strerror(-ret));
		goto out;
	}
	if (!ioctls_subset(ia, ib, &missing)) {
		snprintf(why, len, "ioctl %#x is not in the system call filter "
			 "installed at start", missing);
		ret = -EPERM;
	}
out:
	free(ia);
	free(ib);
	return ret;
}

int privilege_vm_add_check(const struct config *started,
			   const struct vm_config *vm, char *why, size_t len)
{
	if (!dropped)
		return 0;
	if (!vm->memory_auto && !vm->memory_path[0]) {
		snprintf(why, len, "vm %s: its default RAM directory (under "
			 "%s) must be made for QEMU's user, which takes root: "
			 "give memory = auto or memory = PATH", vm->name,
			 started->daemon.ram_dir);
		return -EPERM;
	}
	if (started->daemon.socket_gid != (gid_t)-1 &&
	    !(caps_kept & 1ull << CAP_CHOWN)) {
		snprintf(why, len, "vm %s: its sockets need group %s, which "
			 "takes cap_chown, dropped at start (live-vms = yes "
			 "keeps it)", vm->name, started->daemon.socket_group);
		return -EPERM;
	}
	return 0;
}

int privilege_drop(const struct config *cfg)
{
	struct privilege_caps caps;
	struct privilege_ioctls *io;
	int uid, gid, flags, ret;
	uint64_t kept;

	privilege_caps_compute(cfg, &caps);
	ret = resolve_ids(cfg, &uid, &gid, &flags);
	if (ret)
		return ret;
	/* Nothing exec'd could ever gain what we give up here. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		ret = -errno;
		log_err("privilege: no_new_privs: %s", strerror(-ret));
		return ret;
	}
	kept = caps.mask;
	ret = caps_apply(&kept, uid, gid, flags);
	if (ret) {
		log_err("privilege: dropping capabilities: %s", strerror(-ret));
		return ret;
	}
	caps_kept = kept;
	dropped = true;
	if (kept != caps.mask)
		log_warn("privilege: started without %s: those exports will "
			 "fail", caps.why);
	log_info("privilege: keeping %s", kept ? caps.why :
		 "no capabilities (no export needs one)");
	if (cfg->seccomp_off) {
		log_warn("privilege: uid %d gid %d, seccomp off", (int)getuid(),
			 (int)getgid());
		return 0;
	}
	io = malloc(sizeof(*io));
	if (!io)
		return -ENOMEM;
	ret = privilege_ioctls_build(cfg, io);
	if (ret) {
		log_err("privilege: more than %u ioctl numbers to allow",
			PRIVILEGE_MAX_IOCTLS);
		goto out;
	}
	/* Said first: getuid is not a call the filter allows. */
	log_info("privilege: uid %d gid %d, seccomp on: %u ioctl numbers",
		 (int)getuid(), (int)getgid(), io->nr);
	ret = privilege_seccomp_install(io);
	if (ret)
		log_err("privilege: seccomp: %s", strerror(-ret));
out:
	free(io);
	return ret;
}
