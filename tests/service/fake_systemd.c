// SPDX-License-Identifier: MIT
/*
 * fake_systemd: the part of systemd a Type=notify service with a file
 * descriptor store talks to, played by a test, so that devcalld's use of
 * it runs on a machine whose PID 1 is not systemd.
 *
 * usage: fake_systemd --dir DIR --devcalld PATH
 *
 * Like systemd it binds a datagram NOTIFY_SOCKET with SO_PASSCRED and
 * takes notifications only from the main pid; keeps descriptors sent
 * with FDSTORE=1 under their FDNAME (SCM_RIGHTS), drops those named by
 * FDSTOREREMOVE=1 and those that report POLLHUP/POLLERR; and on a start
 * hands the store back as LISTEN_FDS (from 3), LISTEN_FDNAMES and
 * LISTEN_PID. The daemon serves VM "s" (one export, /dev/zero) to a fake
 * QEMU and guest (tests/hostile/fakeqemu.h) and is stopped and started
 * again as `systemctl restart` does. Checks that the guest is answered
 * across the restart on the same connection, shared memory and eventfds,
 * that no fd keeper was started, that a start which fails leaves the
 * store as it was and a stale entry is removed, that a VM a reload adds
 * has its QEMU stored (no keeper) and a reload that drops it removes its
 * entries and hangs its QEMU up, that a VM and an export added by
 * devcallctl come back after a restart with their QEMU on the same
 * connection (the run directory's runtime-changes), and the READY/STATUS/
 * RELOADING/STOPPING/WATCHDOG messages. Prints "ok NAME" or "FAIL NAME: why" per check and
 * "N passed, N failed". Needs root (as the daemon does).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../hostile/fakeqemu.h"

#define STORE_MAX	64
#define VM_FDS		(2 + 2 * (int)DEVCALL_NR_VECTORS)
#define START_MS	10000
#define CALL_MS		2000

struct stored {
	char name[256];
	int fd;
};

struct fake {
	pthread_mutex_t lock;		/* the pump thread against main */
	const char *dir, *devcalld;
	int notify;			/* our NOTIFY_SOCKET */
	pid_t main_pid;			/* the daemon */
	struct stored store[STORE_MAX];
	unsigned int nr_store;
	/* What the daemon said since the counters were last cleared. */
	unsigned int ready, stopping, reloading, watchdog, foreign;
	char status[512];
	char removed[STORE_MAX][256];	/* FDSTOREREMOVE names */
	unsigned int nr_removed;
	unsigned int hup_dropped;
};

static unsigned int passed, failed;
static struct fq f_s_guest;		/* VM s's fake QEMU */

static void check(bool ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("ok %s\n", name);
		passed++;
		return;
	}
	printf("FAIL %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed++;
}

static const char *path(const struct fake *fk, const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", fk->dir, name);
	return buf[i];
}

static void store_drop_at(struct fake *fk, unsigned int i)
{
	close(fk->store[i].fd);
	fk->store[i] = fk->store[--fk->nr_store];
}

static void store_add(struct fake *fk, const char *name, int fd)
{
	if (fk->nr_store == STORE_MAX) {	/* FileDescriptorStoreMax */
		close(fd);
		return;
	}
	snprintf(fk->store[fk->nr_store].name, sizeof(fk->store[0].name),
		 "%s", name);
	fk->store[fk->nr_store++].fd = fd;
}

/* How many stored descriptors are named name. */
static unsigned int store_count(const struct fake *fk, const char *name)
{
	unsigned int i, n = 0;

	for (i = 0; i < fk->nr_store; i++)
		n += !strcmp(fk->store[i].name, name);
	return n;
}

static bool was_removed(const struct fake *fk, const char *name)
{
	unsigned int i;

	for (i = 0; i < fk->nr_removed; i++)
		if (!strcmp(fk->removed[i], name))
			return true;
	return false;
}

/* The name the daemon gives descriptor i of VM vm (ivshmem_server.c). */
static void vm_fd_name_of(const char *vm, int i, char *buf, size_t size)
{
	if (i == 0)
		snprintf(buf, size, "%s-ivshmem", vm);
	else if (i == 1)
		snprintf(buf, size, "%s-shm", vm);
	else if (i < 2 + (int)DEVCALL_NR_VECTORS)
		snprintf(buf, size, "%s-db%d", vm, i - 2);
	else
		snprintf(buf, size, "%s-irq%d", vm,
			 i - 2 - (int)DEVCALL_NR_VECTORS);
}

static void vm_fd_name(int i, char *buf, size_t size)
{
	vm_fd_name_of("s", i, buf, size);
}

/* How many of VM vm's descriptors are stored. */
static int vm_stored_count(const struct fake *fk, const char *vm)
{
	char name[64];
	int i, n = 0;

	for (i = 0; i < VM_FDS; i++) {
		vm_fd_name_of(vm, i, name, sizeof(name));
		n += (int)store_count(fk, name);
	}
	return n;
}

static void msleep(int ms);

/*
 * A fake QEMU connects to the ivshmem socket sock (under the test's
 * directory), its guest starts the driver and gets one answer. 0 or -errno.
 */
static int guest_attach(const struct fake *fk, struct fq *f, const char *sock)
{
	int r = fq_connect(f, path(fk, sock), 2000);

	if (!r)
		r = fq_driver_start(f, 64, 0);
	if (!r)
		r = fq_roundtrip(f, 1, CALL_MS);
	return r;
}

/* Wait up to 2 s for all of VM vm's descriptors to be stored. */
static bool wait_stored(struct fake *fk, const char *vm)
{
	bool ok = false;
	int i;

	for (i = 0; i < 100 && !ok; i++) {
		if (i)
			msleep(20);
		pthread_mutex_lock(&fk->lock);
		ok = vm_stored_count(fk, vm) == VM_FDS;
		pthread_mutex_unlock(&fk->lock);
	}
	return ok;
}

/* Is every descriptor of VM s stored, once? */
static bool vm_stored_once(const struct fake *fk, char *why, size_t size)
{
	char name[64];
	int i;

	for (i = 0; i < VM_FDS; i++) {
		vm_fd_name(i, name, sizeof(name));
		if (store_count(fk, name) != 1) {
			snprintf(why, size, "%s stored %u times", name,
				 store_count(fk, name));
			return false;
		}
	}
	return true;
}

/* One datagram, handled as systemd's manager_dispatch_notify_fd does. */
static void notify_recv(struct fake *fk)
{
	char buf[4096], cbuf[CMSG_SPACE(sizeof(struct ucred)) +
			     CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct ucred *cred = NULL;
	struct cmsghdr *cm;
	int fds[16], nr_fds = 0, i;
	bool fdstore = false, remove = false;
	char name[256] = "stored", *line, *save;
	ssize_t n;

	n = recvmsg(fk->notify, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return;
	buf[n] = '\0';
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SCM_CREDENTIALS)
			cred = (struct ucred *)CMSG_DATA(cm);
		if (cm->cmsg_type == SCM_RIGHTS) {
			nr_fds = (int)((cm->cmsg_len - CMSG_LEN(0)) /
				       sizeof(int));
			memcpy(fds, CMSG_DATA(cm), sizeof(int) * nr_fds);
		}
	}
	/* NotifyAccess=main: anyone else is ignored, with their fds. */
	if (!cred || cred->pid != fk->main_pid) {
		fk->foreign++;
		for (i = 0; i < nr_fds; i++)
			close(fds[i]);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "READY=1"))
			fk->ready++;
		else if (!strcmp(line, "STOPPING=1"))
			fk->stopping++;
		else if (!strcmp(line, "RELOADING=1"))
			fk->reloading++;
		else if (!strcmp(line, "WATCHDOG=1"))
			fk->watchdog++;
		else if (!strcmp(line, "FDSTORE=1"))
			fdstore = true;
		else if (!strcmp(line, "FDSTOREREMOVE=1"))
			remove = true;
		else if (!strncmp(line, "FDNAME=", 7))
			snprintf(name, sizeof(name), "%s", line + 7);
		else if (!strncmp(line, "STATUS=", 7))
			snprintf(fk->status, sizeof(fk->status), "%s",
				 line + 7);
	}
	for (i = 0; i < nr_fds; i++) {
		if (fdstore)
			store_add(fk, name, fds[i]);
		else
			close(fds[i]);	/* systemd: "without FDSTORE=1" */
	}
	if (remove) {
		unsigned int k = 0;

		while (k < fk->nr_store) {
			if (!strcmp(fk->store[k].name, name))
				store_drop_at(fk, k);
			else
				k++;
		}
		if (fk->nr_removed < STORE_MAX)
			snprintf(fk->removed[fk->nr_removed++],
				 sizeof(fk->removed[0]), "%s", name);
	}
}

/*
 * systemd's side, on a thread of its own as systemd serves it while the
 * service runs (a datagram queue holds only net.unix.max_dgram_qlen
 * messages: nobody reading blocks the daemon). Stored descriptors are
 * polled for no event: only POLLHUP and POLLERR come back, as systemd's
 * fd store watches them.
 */
static __attribute__((noreturn)) void *pump_thread(void *arg)
{
	struct fake *fk = arg;

	for (;;) {
		struct pollfd p[STORE_MAX + 1];
		unsigned int i, n;

		pthread_mutex_lock(&fk->lock);
		n = fk->nr_store;
		p[0] = (struct pollfd){ .fd = fk->notify, .events = POLLIN };
		for (i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){ .fd = fk->store[i].fd };
		pthread_mutex_unlock(&fk->lock);
		if (poll(p, n + 1, 20) <= 0)
			continue;
		pthread_mutex_lock(&fk->lock);
		for (i = n; i > 0; i--) {
			if ((p[i].revents & (POLLHUP | POLLERR)) &&
			    i - 1 < fk->nr_store &&
			    fk->store[i - 1].fd == p[i].fd) {
				fk->hup_dropped++;
				store_drop_at(fk, i - 1);
			}
		}
		if (p[0].revents & POLLIN)
			notify_recv(fk);
		pthread_mutex_unlock(&fk->lock);
	}
}

/* Wait up to ms for *counter to reach want; whether it did. */
static bool wait_count(struct fake *fk, const unsigned int *counter,
		       unsigned int want, int ms)
{
	int64_t end = fq_now_ms() + ms;
	bool ok;

	for (;;) {
		pthread_mutex_lock(&fk->lock);
		ok = *counter >= want;
		pthread_mutex_unlock(&fk->lock);
		if (ok || fq_now_ms() >= end)
			return ok;
		usleep(5000);
	}
}

static void msleep(int ms)
{
	usleep((useconds_t)ms * 1000);
}

static void counters_clear(struct fake *fk)
{
	fk->ready = fk->stopping = fk->reloading = fk->watchdog = 0;
	fk->foreign = 0;
	fk->nr_removed = 0;
	fk->status[0] = '\0';
}

/*
 * Start the daemon as systemd would: NOTIFY_SOCKET, and the store handed
 * back from descriptor 3 with names and LISTEN_PID (set in the child,
 * which knows its pid). watchdog_usec 0: no watchdog.
 */
static pid_t daemon_start(struct fake *fk, unsigned long watchdog_usec)
{
	unsigned int n, i;
	pid_t pid;

	pthread_mutex_lock(&fk->lock);
	counters_clear(fk);
	n = fk->nr_store;
	pid = fork();
	if (pid < 0) {
		pthread_mutex_unlock(&fk->lock);
		return -1;
	}
	if (pid == 0) {
		char names[STORE_MAX * 257] = "", num[32];
		int high[STORE_MAX], log;

		log = open(path(fk, "devcalld.log"),
			   O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (log >= 0) {
			dup2(log, 1);
			dup2(log, 2);
		}
		/* Out of the way first: 3.. may be taken by our own. */
		for (i = 0; i < n; i++)
			high[i] = fcntl(fk->store[i].fd, F_DUPFD_CLOEXEC, 200);
		for (i = 0; i < n; i++) {
			dup2(high[i], 3 + (int)i);	/* without CLOEXEC */
			strcat(names, i ? ":" : "");
			strcat(names, fk->store[i].name);
		}
		setenv("NOTIFY_SOCKET", path(fk, "notify"), 1);
		if (n) {
			snprintf(num, sizeof(num), "%u", n);
			setenv("LISTEN_FDS", num, 1);
			setenv("LISTEN_FDNAMES", names, 1);
			snprintf(num, sizeof(num), "%d", (int)getpid());
			setenv("LISTEN_PID", num, 1);
		}
		if (watchdog_usec) {
			snprintf(num, sizeof(num), "%lu", watchdog_usec);
			setenv("WATCHDOG_USEC", num, 1);
		}
		execl(fk->devcalld, fk->devcalld, "--config",
		      path(fk, "vms.ini"), "--run-dir", path(fk, "run"),
		      "--fd-store", (char *)NULL);
		_exit(127);
	}
	fk->main_pid = pid;
	pthread_mutex_unlock(&fk->lock);
	return pid;
}

/* SIGTERM, and the exit status (-1 if it did not go within 5 s). */
static int daemon_stop(pid_t pid)
{
	int64_t end = fq_now_ms() + 5000;
	int st;

	kill(pid, SIGTERM);
	while (fq_now_ms() < end) {
		msleep(20);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			msleep(100);	/* its last words read */
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;
}

/*
 * Was an fd keeper started? It listens on SOCKET.keep in the run dir
 * (fd_keeper.c); any socket bound under the run dir ending in .keep is
 * one, whoever forked it.
 */
static bool keeper_seen(const struct fake *fk)
{
	char line[1024], keep[600];
	bool seen = false;
	FILE *f = fopen("/proc/net/unix", "r");

	snprintf(keep, sizeof(keep), "%s/", path(fk, "run"));
	if (!f)
		return true;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, keep) && strstr(line, ".keep"))
			seen = true;
	fclose(f);
	return seen || access(path(fk, "run/s.sock.keep"), F_OK) == 0;
}

/* Children of pid (an fd keeper would be one until it double-forks). */
static int children_of(pid_t pid)
{
	char p[64], buf[256];
	int n = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	f = fopen(p, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%255s", buf) == 1)
		n++;
	fclose(f);
	return n;
}

static uint32_t epoch_of(struct fq *f)
{
	return le32toh(__atomic_load_n(&f->regs->device_epoch,
				       __ATOMIC_ACQUIRE));
}

static bool published(struct fq *f)
{
	return le32toh(__atomic_load_n(&f->regs->magic, __ATOMIC_ACQUIRE)) ==
	       DEVCALL_SHM_MAGIC;
}

/* Has the peer of our ivshmem connection gone (the daemon's end)? */
static bool hung_up(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0 && (p.revents & (POLLHUP | POLLIN));
}

/*
 * An OPEN of export 1 whose answer is announced on the interrupt
 * eventfd QEMU was given at connect: the same eventfds still work.
 */
static int open_via_irq(struct fq *f, char *why, size_t size)
{
	struct devcall_req r;
	int slot;
	int64_t h;

	while (fq_wait_irq(f, DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ), 0))
		;
	fq_req_init(f, &r, DEVCALL_OP_OPEN);
	r.export_id = htole32(1);
	r.arg = htole64(DEVCALL_O_RDONLY);
	slot = fq_submit(f, &r, NULL, 0, NULL, 0);
	if (slot < 0) {
		snprintf(why, size, "submit: %s", strerror(-slot));
		return -1;
	}
	fq_kick(f);
	if (!fq_wait_irq(f, DEVCALL_MSIX_VEC_QUEUE(DEVCALL_QUEUE_REQ),
			 CALL_MS)) {
		snprintf(why, size, "no interrupt on the old eventfd");
		return -1;
	}
	if (fq_wait(f, slot, CALL_MS)) {
		snprintf(why, size, "interrupt but no answer");
		return -1;
	}
	h = fq_result(f, slot);
	fq_release(f, slot);
	if (h <= 0) {
		snprintf(why, size, "OPEN answered %lld", (long long)h);
		return -1;
	}
	return fq_close(f, (uint64_t)h, CALL_MS) == 0 ? 0 : -1;
}

/*
 * bad: VM idle's socket cannot be made, after s took its store back.
 * live: VM "live" too (added and removed by reloads).
 */
static int write_config_live(const struct fake *fk, bool bad, bool live)
{
	FILE *f = fopen(path(fk, "vms.ini"), "w");

	if (!f)
		return -1;
	fprintf(f, "[daemon]\nram-dir = %s\n", path(fk, "ram-default"));
	fprintf(f, "[vm s]\nmemory = %s\n", path(fk, "ram/s.ram"));
	fprintf(f, "[export s zero]\npath = /dev/zero\n");
	fprintf(f, "[vm idle]\nmemory = %s\n", path(fk, "ram/idle.ram"));
	if (bad)
		fprintf(f, "socket = %s\n", path(fk, "missing/idle.sock"));
	if (live)
		fprintf(f, "[vm live]\nmemory = %s\n[export live zero]\n"
			"path = /dev/zero\n", path(fk, "ram/live.ram"));
	return fclose(f);
}

static int write_config(const struct fake *fk, bool bad)
{
	return write_config_live(fk, bad, false);
}

/*
 * A VM added by a reload under the fd store: its QEMU's descriptors go
 * to the store (no keeper is forked from the running daemon), and a
 * reload without it removes them and hangs its QEMU up.
 */
static void live_vm(struct fake *fk, pid_t d)
{
	static struct fq l;
	int r, i;
	bool ok;

	fq_init(&l, "live");
	r = fq_ram_create(&l, path(fk, "ram/live.ram"), FQ_RAM_SIZE);
	write_config_live(fk, false, true);
	pthread_mutex_lock(&fk->lock);
	fk->ready = 0;
	pthread_mutex_unlock(&fk->lock);
	kill(d, SIGHUP);
	ok = wait_count(fk, &fk->ready, 1, 5000);
	if (!r)
		r = guest_attach(fk, &l, "run/live.sock");
	check(ok && r == 0, "live-vm-served", "READY %d, %s", ok,
	      strerror(r < 0 ? -r : r));
	ok = wait_stored(fk, "live");
	check(ok && !keeper_seen(fk) && children_of(d) == 0 &&
	      access(path(fk, "run/live.sock.keep"), F_OK) != 0,
	      "live-vm-fdstore-no-keeper", "%d of its descriptors stored, "
	      "keeper %d", vm_stored_count(fk, "live"), keeper_seen(fk));

	write_config_live(fk, false, false);
	pthread_mutex_lock(&fk->lock);
	fk->ready = 0;
	pthread_mutex_unlock(&fk->lock);
	kill(d, SIGHUP);
	wait_count(fk, &fk->ready, 1, 5000);
	ok = hung_up(l.sock, 2000);
	for (i = 0; i < 100 && vm_stored_count(fk, "live"); i++)
		msleep(20);
	pthread_mutex_lock(&fk->lock);
	check(ok && !vm_stored_count(fk, "live") &&
	      access(path(fk, "run/live.sock"), F_OK) != 0,
	      "live-vm-removed", "QEMU %s, %d stored",
	      ok ? "hung up" : "still attached", vm_stored_count(fk, "live"));
	pthread_mutex_unlock(&fk->lock);
	fq_destroy(&l);
	check(fq_roundtrip(&f_s_guest, 1, CALL_MS) == 0,
	      "served-after-live-vm", "VM s: no answer");
}

/* devcallctl (beside devcalld) on the daemon's control socket: status. */
static int ctl_run(const struct fake *fk, const char *const *args)
{
	const char *argv[12];
	char ctl[512];
	int n = 0, st;
	pid_t pid;

	snprintf(ctl, sizeof(ctl), "%s", fk->devcalld);
	if (strlen(ctl) < 8 || strcmp(ctl + strlen(ctl) - 8, "devcalld"))
		return -1;
	strcpy(ctl + strlen(ctl) - 8, "devcallctl");
	argv[n++] = ctl;
	argv[n++] = "--run-dir";
	argv[n++] = path(fk, "run");
	while (*args && n < 11)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execv(ctl, (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define CTL(fk, ...) ctl_run(fk, (const char *const[]){ __VA_ARGS__, NULL })

/* Does file name (under the test's directory) have a line with s? */
static bool file_has(const struct fake *fk, const char *name, const char *s)
{
	char line[1024];
	bool has = false;
	FILE *f = fopen(path(fk, name), "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		has |= strstr(line, s) != NULL;
	fclose(f);
	return has;
}

/* Does the run directory's runtime-changes file have a line with s? */
static bool state_has(const struct fake *fk, const char *s)
{
	return file_has(fk, "run/runtime-changes", s);
}

/*
 * A VM added at run time (devcallctl vm add, as libvirt's hook does) and
 * an export added to it, under the fd store: after `systemctl restart`
 * the new daemon serves it again from the run directory's record, with
 * its QEMU taken back from the store on the same connection. Then vm
 * remove: its QEMU hung up, the record gone. A second VM added whose
 * sockets' directory is gone by the restart is dropped from the record
 * and not served, the rest are. The daemon's new pid.
 */
static pid_t runtime_vm(struct fake *fk, pid_t d)
{
	static struct fq r;
	char why[256] = "", mem[512], mem2[512], sock2[512], qmp2[512];
	uint32_t epoch, epoch_s;
	int rc, rc2, sock0, i;
	bool ok;

	fq_init(&r, "rt");
	snprintf(mem, sizeof(mem), "memory=%s", path(fk, "ram/rt.ram"));
	rc = fq_ram_create(&r, path(fk, "ram/rt.ram"), FQ_RAM_SIZE);
	if (!rc)
		rc = CTL(fk, "vm", "add", "rt", mem);
	if (!rc)
		rc = CTL(fk, "export", "add", "rt", "zero", "/dev/zero");
	if (!rc)
		rc = guest_attach(fk, &r, "run/rt.sock");
	check(rc == 0 && state_has(fk, "vm-add rt ") &&
	      state_has(fk, "export-add rt zero "), "runtime-vm-recorded",
	      "vm add, export add, guest: %d; the record %s", rc,
	      state_has(fk, "vm-add rt ") ? "has it" : "lacks it");
	ok = wait_stored(fk, "rt");
	check(ok, "runtime-vm-fdstore", "%d of its descriptors stored",
	      vm_stored_count(fk, "rt"));
	if (rc || !ok)
		goto out;

	/*
	 * And one whose sockets' directory is gone by the restart: the new
	 * daemon starts without it, and forgets it.
	 */
	mkdir(path(fk, "sub"), 0700);
	snprintf(mem2, sizeof(mem2), "memory=%s", path(fk, "ram/rt2.ram"));
	snprintf(sock2, sizeof(sock2), "socket=%s", path(fk, "sub/rt2.sock"));
	snprintf(qmp2, sizeof(qmp2), "qmp=%s", path(fk, "sub/rt2.qmp"));
	rc2 = CTL(fk, "vm", "add", "rt2", mem2, sock2, qmp2);
	unlink(path(fk, "sub/rt2.sock"));
	unlink(path(fk, "sub/rt2.qmp"));
	rmdir(path(fk, "sub"));

	sock0 = r.sock;
	epoch = epoch_of(&r);
	epoch_s = epoch_of(&f_s_guest);
	daemon_stop(d);
	d = daemon_start(fk, 0);
	ok = wait_count(fk, &fk->ready, 1, START_MS);
	for (i = 0; ok && i < 200 && (epoch_of(&r) == epoch ||
				     !published(&r)); i++)
		msleep(10);
	rc = -1;
	if (ok && epoch_of(&r) != epoch && published(&r)) {
		rc = fq_driver_start(&r, 64, 1);
		if (rc)
			snprintf(why, sizeof(why), "driver start: %d", rc);
		if (!rc)
			rc = open_via_irq(&r, why, sizeof(why));
	} else {
		snprintf(why, sizeof(why), "READY %d, epoch %u -> %u", ok,
			 epoch, epoch_of(&r));
	}
	check(rc == 0 && r.sock == sock0 && !hung_up(r.sock, 0) &&
	      CTL(fk, "status", "rt") == 0, "runtime-vm-after-restart",
	      "%s", rc ? why : "status does not know rt");
	check(rc2 == 0 && CTL(fk, "status", "rt2") != 0 &&
	      !state_has(fk, " rt2 ") && file_has(fk, "devcalld.log",
	      "vm rt2 (added at run time, replayed)"),
	      "runtime-vm-unservable-dropped", "vm add %d; after the restart "
	      "status %s it, the record %s it", rc2,
	      CTL(fk, "status", "rt2") ? "lacks" : "has",
	      state_has(fk, " rt2 ") ? "has" : "lacks");
	/* VM s was restarted with it: its guest starts its driver again. */
	for (i = 0; i < 200 && (epoch_of(&f_s_guest) == epoch_s ||
				!published(&f_s_guest)); i++)
		msleep(10);
	if (fq_driver_start(&f_s_guest, 64, 1))
		check(false, "served-after-runtime-vm", "VM s: driver start");

	rc = CTL(fk, "vm", "remove", "rt");
	check(rc == 0 && hung_up(r.sock, 2000) && !state_has(fk, " rt "),
	      "runtime-vm-removed", "vm remove %d, QEMU %s, record %s", rc,
	      hung_up(r.sock, 0) ? "hung up" : "attached",
	      state_has(fk, " rt ") ? "still has rt" : "clean");
out:
	fq_destroy(&r);
	return d;
}

/* Wait up to ms for pid to exit by itself: its status, or -1. */
static int daemon_wait_exit(pid_t pid, int ms)
{
	int64_t end = fq_now_ms() + ms;
	int st;

	while (fq_now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			msleep(100);	/* its last words read */
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		}
		msleep(20);
	}
	daemon_stop(pid);	/* it hung: not what a failed start does */
	return -1;
}

static int notify_bind(struct fake *fk)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int one = 1;

	fk->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fk->notify < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path(fk, "notify"));
	unlink(sa.sun_path);
	if (bind(fk->notify, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(fk->notify, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		return -1;
	return 0;
}

#define LOCK(fk)	pthread_mutex_lock(&(fk)->lock)
#define UNLOCK(fk)	pthread_mutex_unlock(&(fk)->lock)

int main(int argc, char **argv)
{
	static struct fake fk = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char why[256] = "", name[64];
	struct fq *fp = &f_s_guest;
	uint32_t epoch;
	int sock0, shm0, i, r, st;
	pthread_t thread;
	bool ok;
	void *regs0;
	pid_t d;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir"))
			fk.dir = argv[i + 1];
		else if (!strcmp(argv[i], "--devcalld"))
			fk.devcalld = argv[i + 1];
	}
	if (!fk.dir || !fk.devcalld) {
		fprintf(stderr, "usage: fake_systemd --dir DIR --devcalld PATH\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	mkdir(path(&fk, "ram"), 0700);
	if (write_config(&fk, false) || notify_bind(&fk) ||
	    pthread_create(&thread, NULL, pump_thread, &fk)) {
		check(false, "setup", "%s", strerror(errno));
		goto out;
	}
	fq_init(fp, "s");
	r = fq_ram_create(fp, path(&fk, "ram/s.ram"), FQ_RAM_SIZE);
	if (r) {
		check(false, "setup", "guest RAM: %s", strerror(-r));
		goto out;
	}

	/* First start: nothing in the store. */
	d = daemon_start(&fk, 0);
	ok = wait_count(&fk, &fk.ready, 1, START_MS);
	LOCK(&fk);
	check(ok && fk.ready == 1, "ready", "no READY=1 within %d ms",
	      START_MS);
	check(strstr(fk.status, "serving 2 VM(s)") != NULL, "status",
	      "STATUS=%s", fk.status);
	UNLOCK(&fk);
	if (!ok)
		goto out_stop;
	r = guest_attach(&fk, fp, "run/s.sock");
	check(r == 0, "guest-served", "%s", strerror(r < 0 ? -r : r));
	if (r)
		goto out_stop;
	/* The store gets the connection, the shm and 2x5 eventfds. */
	for (i = 0; i < 100; i++) {
		LOCK(&fk);
		ok = vm_stored_once(&fk, why, sizeof(why));
		UNLOCK(&fk);
		if (ok)
			break;
		msleep(20);
	}
	LOCK(&fk);
	check(vm_stored_once(&fk, why, sizeof(why)) &&
	      fk.nr_store == VM_FDS, "fdstore-holds-qemu",
	      "%s; %u stored", why, fk.nr_store);
	UNLOCK(&fk);
	check(!keeper_seen(&fk) && children_of(d) == 0, "no-keeper",
	      "a keeper socket or child process exists");

	/* systemctl restart: SIGTERM; the store outlives the daemon. */
	sock0 = fp->sock;
	shm0 = fp->shm_fd;
	regs0 = fp->regs;
	epoch = epoch_of(fp);
	st = daemon_stop(d);
	LOCK(&fk);
	check(st == 0 && fk.stopping == 1, "stopping",
	      "exit status %d, STOPPING=1 x%u", st, fk.stopping);
	UNLOCK(&fk);
	msleep(200);
	ok = !hung_up(fp->sock, 200);
	LOCK(&fk);
	check(ok && fk.hup_dropped == 0 && fk.nr_store == VM_FDS,
	      "qemu-kept-while-down",
	      "QEMU's connection hung up, or the store lost descriptors "
	      "(%u stored, %u dropped)", fk.nr_store, fk.hup_dropped);
	/*
	 * A start that fails (VM idle's socket) after s took its QEMU back:
	 * the store stays as it was for the next start.
	 */
	UNLOCK(&fk);
	write_config(&fk, true);
	d = daemon_start(&fk, 0);
	st = daemon_wait_exit(d, START_MS);
	write_config(&fk, false);
	ok = !hung_up(fp->sock, 100);
	LOCK(&fk);
	check(st == 1 && !fk.ready && fk.nr_removed == 0 && ok &&
	      vm_stored_once(&fk, why, sizeof(why)) && fk.nr_store == VM_FDS,
	      "failed-start-keeps-store", "exit %d, READY=1 x%u, %u removed, "
	      "%u stored, QEMU %s", st, fk.ready, fk.nr_removed, fk.nr_store,
	      ok ? "attached" : "hung up");
	/* A stale entry of a VM no longer configured: the daemon drops it. */
	store_add(&fk, "gone-shm", memfd_create("stale", MFD_CLOEXEC));
	UNLOCK(&fk);

	d = daemon_start(&fk, 200000);
	ok = wait_count(&fk, &fk.ready, 1, START_MS);
	check(ok, "ready-after-restart", "no READY=1");
	if (!ok)
		goto out_stop;
	LOCK(&fk);
	check(was_removed(&fk, "gone-shm") && !store_count(&fk, "gone-shm"),
	      "stale-entry-removed", "gone-shm still stored");
	UNLOCK(&fk);

	/* The guest notices the new epoch and starts its driver again. */
	for (i = 0; i < 200 && (epoch_of(fp) == epoch || !published(fp)); i++)
		msleep(10);
	check(epoch_of(fp) != epoch && published(fp) && fp->regs == regs0 &&
	      fp->shm_fd == shm0, "same-shared-memory",
	      "epoch %u -> %u in the shm mapped before the restart", epoch,
	      epoch_of(fp));
	r = fq_driver_start(fp, 64, 1);
	if (r)
		snprintf(why, sizeof(why), "driver start: %d", r);
	if (!r)
		r = open_via_irq(fp, why, sizeof(why));
	if (!r && (r = fq_roundtrip(fp, 1, CALL_MS)))
		snprintf(why, sizeof(why), "round trip: %s", strerror(-r));
	check(r == 0 && fp->sock == sock0 && !hung_up(fp->sock, 0),
	      "guest-served-same-connection", "%s", r ? why : "reconnected");
	check(!keeper_seen(&fk) && children_of(d) == 0,
	      "no-keeper-after-restart", "a keeper socket or child exists");
	msleep(100);
	LOCK(&fk);
	check(vm_stored_once(&fk, why, sizeof(why)) && fk.nr_store == VM_FDS,
	      "store-not-duplicated", "%s; %u stored", why, fk.nr_store);
	fk.watchdog = 0;
	UNLOCK(&fk);

	/* WATCHDOG_USEC=200 ms: a keep-alive every 100 ms. */
	msleep(550);
	LOCK(&fk);
	check(fk.watchdog >= 3, "watchdog", "%u WATCHDOG=1 in 550 ms",
	      fk.watchdog);
	fk.ready = fk.reloading = 0;
	UNLOCK(&fk);

	/* systemctl reload: RELOADING=1, then READY=1 once reloaded. */
	kill(d, SIGHUP);
	wait_count(&fk, &fk.ready, 1, 5000);
	LOCK(&fk);
	check(fk.reloading == 1 && fk.ready == 1, "reload",
	      "RELOADING=1 x%u, READY=1 x%u", fk.reloading, fk.ready);
	UNLOCK(&fk);
	check(fq_roundtrip(fp, 1, CALL_MS) == 0, "served-after-reload",
	      "no answer");
	live_vm(&fk, d);
	d = runtime_vm(&fk, d);
	check(fq_roundtrip(fp, 1, CALL_MS) == 0, "served-after-runtime-vm",
	      "VM s: no answer");

	/* QEMU goes: every name is removed from the store by the daemon. */
	LOCK(&fk);
	fk.nr_removed = 0;
	UNLOCK(&fk);
	fq_disconnect(fp);
	wait_count(&fk, &fk.nr_removed, VM_FDS, 2000);
	LOCK(&fk);
	for (i = 0, r = 0; i < VM_FDS; i++) {
		vm_fd_name(i, name, sizeof(name));
		if (!was_removed(&fk, name) || store_count(&fk, name))
			r++;
	}
	check(r == 0 && fk.nr_store == 0, "fdstoreremove-when-qemu-leaves",
	      "%d name(s) not removed, %u stored", r, fk.nr_store);
	check(fk.foreign == 0, "notify-from-main-pid-only",
	      "%u message(s) from another pid", fk.foreign);
	UNLOCK(&fk);

out_stop:
	st = daemon_stop(d);
	check(st == 0, "clean-exit", "exit status %d", st);
out:
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
