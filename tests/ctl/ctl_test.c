// SPDX-License-Identifier: MIT
/*
 * devcallctl against the real devcalld (tests/ctl/run.sh starts it): a
 * fake QEMU and guest (tests/hostile/fakeqemu.h) open files, claim an
 * exclusive export and make an ioctl, and each subcommand must show it:
 * status, trace, stats, export add/remove (seen in the guest's config
 * table), vm add/remove (a second fake QEMU served, then let go; 50
 * cycles with no descriptor or memory growth), reload, --json, and a
 * client outside the control group refused.
 * Ends with "N passed, N failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../hostile/fakeqemu.h"

/* CTL_MAX_CLIENTS of vmm-glue/ctl_server.h, minus none: all of them. */
#define CTL_CLIENTS	8

static const char *dir, *ctl, *sock;
static gid_t group;
static struct fq fq;
static int passed, failed;

static void check(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (ok)
		passed++;
	else
		failed++;
}

/*
 * Run devcallctl with args (NULL-terminated), as uid/gid with groups
 * (uid (uid_t)-1: as we are); its stdout into out, exit status returned.
 */
static int run_as(char *out, size_t len, uid_t uid, gid_t gid,
		  const gid_t *groups, int nr_groups, const char *const *args)
{
	const char *argv[16] = { ctl, "--socket", sock };
	int p[2], n = 3, st;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		if (uid != (uid_t)-1 &&
		    (setgroups((size_t)nr_groups, groups) || setgid(gid) ||
		     setuid(uid)))
			_exit(126);
		execv(ctl, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < len && (r = read(p[0], out + got, len - got - 1)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	if (got && out[got - 1] == '\n')
		out[got - 1] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define RUN(out, ...) \
	run_as(out, sizeof(out), (uid_t)-1, 0, NULL, 0, \
	       (const char *const[]){ __VA_ARGS__, NULL })

static struct json_object *jget(struct json_object *o, const char *path)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o;
	     tok = strtok_r(NULL, ".", &save)) {
		struct json_object *v = NULL;

		if (json_object_is_type(o, json_type_array))
			v = json_object_array_get_idx(o, (size_t)atoi(tok));
		else
			json_object_object_get_ex(o, tok, &v);
		o = v;
	}
	return o;
}

static int64_t jint(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	return v ? json_object_get_int64(v) : -1;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jget(o, path);

	return v ? json_object_get_string(v) : "";
}

/* The export's id in guest q's config table, 0 if absent. */
static uint32_t guest_export_of(struct fq *q, const char *name)
{
	const uint8_t *cfg = (const uint8_t *)q->regs + DEVCALL_SHM_CONFIG_OFF;
	const struct devcall_config *c = (const void *)cfg;
	const struct devcall_config_export *e = (const void *)(c + 1);
	uint32_t i, n, gen;

	/* The seqlock: read while even and unchanged. */
	for (;;) {
		uint32_t id = 0;

		gen = __atomic_load_n(&q->regs->config_generation,
				      __ATOMIC_ACQUIRE);
		if (gen & 1)
			continue;
		n = le32toh(c->nr_exports);
		for (i = 0; i < n && i < 64; i++)
			if (!strncmp(e[i].name, name, sizeof(e[i].name)))
				id = le32toh(e[i].id);
		if (__atomic_load_n(&q->regs->config_generation,
				    __ATOMIC_ACQUIRE) == gen)
			return id;
	}
}

static uint32_t guest_export(const char *name)
{
	return guest_export_of(&fq, name);
}

/* The kernel's struct termios (asm/termbits.h), not glibc's 60 bytes. */
#define KERNEL_TERMIOS_SIZE	36

static int64_t guest_ioctl_tcgets(uint64_t handle)
{
	struct devcall_req r;
	struct devcall_seg seg = {
		.addr = htole64(FQ_DATA_GPA),
		.len = htole32(KERNEL_TERMIOS_SIZE),
		.flags = htole16(DEVCALL_SEG_FROM_HOST),
	};

	fq_req_init(&fq, &r, DEVCALL_OP_IOCTL);
	r.handle = htole64(handle);
	r.cmd = htole32(TCGETS);
	r.len = htole32(KERNEL_TERMIOS_SIZE);
	r.nr_segs = htole16(1);
	return fq_call(&fq, &r, &seg, 1, NULL, 0, 3000, NULL);
}

/* Start `devcallctl --json trace ARGS`: its stdout, and its pid. */
static int trace_start(pid_t *pid, const char *a1, const char *a2,
		       const char *a3)
{
	int p[2];

	if (pipe(p))
		return -1;
	*pid = fork();
	if (*pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl(ctl, ctl, "--socket", sock, "--json", "trace", a1, a2, a3,
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	return p[0];
}

/* One line from fd within ms, into buf; false on timeout or EOF. */
static bool read_line(int fd, char *buf, size_t len, int ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, ms) <= 0 || read(fd, buf + n, 1) != 1)
			return false;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return true;
}

static char out[1 << 20];

static void t_status(int64_t h_zero, int64_t h_excl)
{
	struct json_object *r, *vm;
	int rc;

	rc = RUN(out, "--json", "status");
	r = json_tokener_parse(out);
	check(rc == 0 && r && json_object_get_boolean(jget(r, "ok")),
	      "status --json answers ok and parses (rc %d)", rc);
	vm = jget(r, "vms.0");
	check(!strcmp(jstr(vm, "name"), "a") &&
	      json_object_get_boolean(jget(vm, "attached")),
	      "status: VM a is attached");
	check(json_object_array_length(jget(vm, "open_files")) == 2,
	      "status: two open files (got %zu)",
	      jget(vm, "open_files") ?
	      json_object_array_length(jget(vm, "open_files")) : 0);
	check(json_object_array_length(jget(vm, "claims")) == 1 &&
	      !strcmp(jstr(vm, "claims.0.export"), "excl") &&
	      jint(vm, "claims.0.handle") == h_excl,
	      "status: the exclusive claim of excl");
	check(jint(vm, "open_files.0.handle") == h_zero ||
	      jint(vm, "open_files.1.handle") == h_zero,
	      "status: zero's handle %#llx listed", (long long)h_zero);
	check(jint(vm, "budget.max_calls") > 0 &&
	      jint(vm, "budget.calls") >= 0 &&
	      jint(vm, "calls.parked") == 0,
	      "status: budget and parked calls");
	check(!strcmp(jstr(vm, "exports.0.name"), "zero"),
	      "status: exports listed");
	json_object_put(r);
	rc = RUN(out, "status");
	check(rc == 0 && strstr(out, "vm a: attached") &&
	      strstr(out, "claim excl") && strstr(out, "open files: 2"),
	      "status, human: attached, open files, claim");
	{
		char run[512];

		snprintf(run, sizeof(run), "%s/run", dir);
		rc = RUN(out, "--socket", "/nonexistent", "--run-dir", run,
			 "status", "a");
		check(rc == 0 && strstr(out, "vm a: attached"),
		      "--run-dir finds the socket");
	}
	rc = RUN(out, "status", "nosuchvm");
	check(rc == 1, "status of an unknown VM fails (rc %d)", rc);
}

static void t_trace(int64_t h_zero)
{
	char line[4096];
	struct json_object *r = NULL;
	int64_t res;
	pid_t pid = -1;
	int fd, i;
	bool started, seen = false;

	fd = trace_start(&pid, "a", "--op", "ioctl");
	started = read_line(fd, line, sizeof(line), 3000) &&
		  strstr(line, "\"started\"");
	check(started, "trace: subscribed");
	/* /dev/zero is no terminal: the host's driver refuses it. */
	res = guest_ioctl_tcgets((uint64_t)h_zero);
	check(res == -ENOTTY, "the guest's TCGETS on /dev/zero: %lld",
	      (long long)res);
	/* A read is not an ioctl: the filter keeps it out. */
	fq_read_inline(&fq, (uint64_t)h_zero, 8, 0, 3000);
	for (i = 0; i < 5 && !seen; i++) {
		if (!read_line(fd, line, sizeof(line), 3000))
			break;
		json_object_put(r);
		r = json_tokener_parse(line);
		seen = r && !strcmp(jstr(r, "event"), "call");
	}
	check(seen && !strcmp(jstr(r, "vm"), "a") &&
	      !strcmp(jstr(r, "export"), "zero") &&
	      !strcmp(jstr(r, "op"), "ioctl") &&
	      !strcmp(jstr(r, "ioctl"), "TCGETS") &&
	      !strcmp(jstr(r, "errno"), "ENOTTY") &&
	      jint(r, "result") == -ENOTTY &&
	      jint(r, "bytes") == KERNEL_TERMIOS_SIZE &&
	      jget(r, "latency_us") && jget(r, "time"),
	      "trace: the ioctl with its name, errno, bytes, latency: %s",
	      seen ? line : "(nothing)");
	json_object_put(r);
	check(!read_line(fd, line, sizeof(line), 300),
	      "trace: the filtered-out read is not shown");
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(fd);
}

static void t_stats(void)
{
	struct json_object *r, *h;
	int64_t sum = 0;
	size_t i;
	int rc;

	rc = RUN(out, "--json", "stats", "a");
	r = json_tokener_parse(out);
	check(rc == 0 && r, "stats --json parses");
	check(jint(r, "vms.0.ops.ioctl.calls") == 1 &&
	      jint(r, "vms.0.ops.ioctl.errors") == 1 &&
	      jint(r, "vms.0.ops.open.calls") == 2 &&
	      jint(r, "vms.0.ops.read.calls") == 1,
	      "stats: 2 opens, 1 read, 1 failed ioctl");
	check(jint(r, "vms.0.exports.zero.calls") == 3 &&
	      jint(r, "vms.0.exports.excl.calls") == 1,
	      "stats: per export");
	h = jget(r, "vms.0.ops.open.latency_log2_us");
	for (i = 0; h && i < json_object_array_length(h); i++)
		sum += json_object_get_int64(json_object_array_get_idx(h, i));
	check(h && sum == 2, "stats: the histogram holds every call");
	json_object_put(r);
	rc = RUN(out, "stats");
	check(rc == 0 && strstr(out, "ioctl") && strstr(out, "per export"),
	      "stats, human");
}

static void t_exports(void)
{
	struct json_object *r;
	uint32_t id;
	int64_t h, res;
	int rc;

	check(guest_export("newx") == 0, "newx is not exported yet");
	rc = RUN(out, "export", "add", "a", "newx", "/dev/zero", "access=ro");
	check(rc == 0 && strstr(out, "1 export(s) added"),
	      "export add: %s", out);
	id = guest_export("newx");
	check(id != 0, "export add: the guest's config table has newx");
	h = fq_open(&fq, id, DEVCALL_O_RDONLY, 3000);
	check(h > 0, "the guest opens newx (%lld)", (long long)h);
	rc = RUN(out, "--json", "status", "a");
	r = json_tokener_parse(out);
	check(r && strstr(out, "\"newx\"") && strstr(out, "\"runtime\":true"),
	      "status shows newx as a runtime export");
	json_object_put(r);
	rc = RUN(out, "export", "add", "a", "zero", "/dev/null");
	check(rc == 1, "export add of an existing name is refused");
	rc = RUN(out, "export", "add", "a", "bad", "/dev/null", "colour=red");
	check(rc == 1 && guest_export("bad") == 0 &&
	      guest_export("newx") == id,
	      "export add with a bad key is refused, nothing changed");

	/* What the daemon dropped at start it cannot take back. */
	rc = RUN(out, "--json", "export", "add", "a", "sg", "/dev/null",
		 "scsi=passthrough");
	check(rc == 1 && strstr(out, "cap_sys_rawio") &&
	      guest_export("sg") == 0,
	      "export add needing a dropped capability is refused: %s", out);
	rc = RUN(out, "--json", "export", "add", "a", "odd", "/dev/null",
		 "allow=0x4b3f:none");
	check(rc == 1 && strstr(out, "system call filter") &&
	      guest_export("odd") == 0,
	      "export add of an ioctl outside the filter is refused: %s", out);

	/* A reload keeps runtime exports (docs/devcallctl.md). */
	rc = RUN(out, "reload");
	check(rc == 0 && strstr(out, "reloaded"), "reload: %s", out);
	check(guest_export("newx") == id, "newx survives a reload, same id");

	rc = RUN(out, "export", "remove", "a", "newx");
	check(rc == 0 && strstr(out, "1 removed"), "export remove: %s", out);
	check(guest_export("newx") == 0, "export remove: gone from the table");
	res = fq_read_inline(&fq, (uint64_t)h, 8, 0, 3000);
	check(res == -ENXIO, "the guest's open newx answers ENXIO (%lld)",
	      (long long)res);
	fq_close(&fq, (uint64_t)h, 3000);
	rc = RUN(out, "export", "remove", "a", "newx");
	check(rc == 1, "removing it twice is refused");

	/* A configuration export removed at run time, then put back. */
	rc = RUN(out, "export", "remove", "a", "file");
	check(rc == 0 && guest_export("file") == 0,
	      "remove a configured export");
	rc = RUN(out, "export", "add", "a", "file", "/dev/null");
	check(rc == 0 && guest_export("file") != 0, "and add it back");
	/* One from the middle of the file's list, then a new one. */
	rc = RUN(out, "export", "remove", "a", "excl");
	check(rc == 0 && guest_export("excl") == 0, "remove excl: %s", out);
	rc = RUN(out, "export", "add", "a", "newz", "/dev/zero");
	check(rc == 0 && guest_export("newz") != 0 &&
	      guest_export("file") != 0, "then add newz: %s", out);
}

static void t_reload_refused(void)
{
	char ini[512], cmd[2048];
	int rc;

	snprintf(ini, sizeof(ini), "%s/vms.ini", dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s.good && echo 'bogus line' >> %s",
		 ini, ini, ini);
	check(system(cmd) == 0, "configuration broken on purpose");
	rc = RUN(out, "--json", "reload");
	check(rc == 1 && strstr(out, "\"ok\":false") &&
	      strstr(out, "configuration unchanged"),
	      "reload of a broken configuration is refused: %s", out);
	check(guest_export("zero") != 0, "and the guest still has its exports");
	snprintf(cmd, sizeof(cmd), "mv %s.good %s", ini, ini);
	check(system(cmd) == 0 && RUN(out, "reload") == 0,
	      "reload of the repaired configuration");
}

static void t_peers(void)
{
	gid_t g = group;
	int rc;

	/* Member by supplementary group only: the file mode lets it
	 * connect, SO_PEERCRED (primary group) does not let it in. */
	rc = run_as(out, sizeof(out), 65534, 65534, &g, 1,
		    (const char *const[]){ "--json", "status", NULL });
	check(rc == 1 && strstr(out, "permission denied"),
	      "a client outside the control group is refused (rc %d)", rc);
	rc = run_as(out, sizeof(out), 65534, 65534, NULL, 0,
		    (const char *const[]){ "status", NULL });
	check(rc == 1, "a client with no access at all cannot connect");
	rc = run_as(out, sizeof(out), 65534, group, NULL, 0,
		    (const char *const[]){ "--json", "status", NULL });
	check(rc == 0 && json_tokener_parse(out),
	      "a client of the control group is served (rc %d)", rc);
	/* QEMU's group (socket-group) talks to its VM, never to this. */
	rc = run_as(out, sizeof(out), 65534, 65534, NULL, 0,
		    (const char *const[]){ "--json", "status", NULL });
	check(rc == 1, "a client of the socket group (QEMU's) is refused "
	      "(rc %d)", rc);
}

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Raw lines on the socket: junk, another version, then a good one. */
static void t_protocol(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char req[] = "junk\n{\"v\":9,\"cmd\":\"status\"}\n"
				  "{\"v\":1,\"cmd\":\"reload\"}\n";
	char line[1024];
	int fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1) {
		check(false, "raw connection: %s", strerror(errno));
		return;
	}
	check(read_line(fd, line, sizeof(line), 3000) &&
	      strstr(line, "\"ok\":false") && strstr(line, "not a JSON"),
	      "junk gets an error line");
	check(read_line(fd, line, sizeof(line), 3000) &&
	      strstr(line, "version 9"), "another version is refused");
	check(read_line(fd, line, sizeof(line), 3000) &&
	      strstr(line, "\"ok\":true"),
	      "and the connection still serves the next request");
	close(fd);

	/* A line past the limit: one error, then the daemon hangs up. */
	{
		static char big[8192];

		memset(big, ' ', sizeof(big));
		fd = raw_connect();
		check(fd >= 0 && write(fd, big, sizeof(big)) > 0 &&
		      read_line(fd, line, sizeof(line), 3000) &&
		      strstr(line, "too long") &&
		      !read_line(fd, line, sizeof(line), 3000),
		      "an endless line is refused and the client let go");
		if (fd >= 0)
			close(fd);
	}
}

/* n reads of 8 bytes on handle; microseconds per call. */
static double calls_us(int64_t h, int n)
{
	int64_t t0 = fq_now_us();
	int i;

	for (i = 0; i < n; i++)
		if (fq_read_inline(&fq, (uint64_t)h, 8, 0, 3000) != 8)
			return -1;
	return (double)(fq_now_us() - t0) / n;
}

/*
 * A tracer that never reads: the guest's calls go on at full speed, the
 * daemon keeps answering other clients, and the tracer is told how many
 * events it lost once it reads. Then the client limit.
 */
static void t_slow_tracer(int64_t h_zero)
{
	static const char trace_req[] = "{\"v\":1,\"cmd\":\"trace\"}\n";
	int fds[CTL_CLIENTS + 1], i, fd, n = 0, rc;
	char line[4096];
	double base, traced;
	bool dropped = false;
	long long lost = 0;

	base = calls_us(h_zero, 3000);
	fd = raw_connect();
	if (fd < 0 || write(fd, trace_req, sizeof(trace_req) - 1) !=
	    (ssize_t)sizeof(trace_req) - 1) {
		check(false, "tracer connects");
		return;
	}
	check(read_line(fd, line, sizeof(line), 3000) &&
	      strstr(line, "started"), "a tracer that will not read");
	traced = calls_us(h_zero, 6000);
	check(base > 0 && traced > 0,
	      "guest calls with no tracer %.1f us, with a stuck tracer %.1f us",
	      base, traced);
	check(RUN(out, "--json", "status") == 0,
	      "the daemon answers others meanwhile");
	/* Every event comes, or its drop is counted: wait for all. */
	while (n + lost < 6000 && read_line(fd, line, sizeof(line), 3000)) {
		if (!strstr(line, "\"dropped\"")) {
			n++;
		} else {
			struct json_object *r = json_tokener_parse(line);

			dropped = true;
			lost += jint(r, "count");
			json_object_put(r);
		}
	}
	check(dropped && lost > 0 && n + lost == 6000 &&
	      !read_line(fd, line, sizeof(line), 300),
	      "the tracer read %d events and was told of %lld dropped", n,
	      lost);
	close(fd);

	for (i = 0; i < CTL_CLIENTS; i++)
		fds[i] = raw_connect();
	/* Accepted in order: the last one is over the limit. */
	fds[CTL_CLIENTS] = raw_connect();
	rc = fds[CTL_CLIENTS] >= 0 &&
	     read_line(fds[CTL_CLIENTS], line, sizeof(line), 3000) &&
	     strstr(line, "too many");
	check(rc, "client %d of %d is turned away", CTL_CLIENTS + 1,
	      CTL_CLIENTS);
	for (i = 0; i <= CTL_CLIENTS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* Closed clients free their places (the loop sees them go). */
	for (i = 0; i < 250 && RUN(out, "status") != 0; i++)
		usleep(20000);
	check(i < 250, "places come back when clients leave");
}

/*
 * VMs added and removed at run time (devcallctl vm add / vm remove)
 */

static pid_t daemon_pid(void)
{
	char path[512];
	FILE *f;
	int pid = -1;

	snprintf(path, sizeof(path), "%s/pid", dir);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	return (pid_t)pid;
}

/* The daemon's open descriptors; those naming target only, if given. */
static int daemon_fds(const char *target)
{
	char path[512], link[512];
	int n = 0, i;
	ssize_t len;

	for (i = 0; i < 4096; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", daemon_pid(),
			 i);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		n += !target || !strcmp(link, target);
	}
	return n;
}

static long daemon_rss_kib(void)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", daemon_pid());
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static bool exists(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/run/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* vm add b: b.ini's exports, its RAM at RAM/b.ram. The devcallctl rc. */
static int vm_add_b(void)
{
	char ini[512], mem[512];

	snprintf(ini, sizeof(ini), "%s/b.ini", dir);
	snprintf(mem, sizeof(mem), "memory=%s/ram/b.ram", dir);
	return RUN(out, "vm", "add", "b", "--config", ini, mem);
}

/* A fake QEMU for b, connected and its driver started: 0 or -errno. */
static int fq_b_start(struct fq *b)
{
	char path[512];
	int ret;

	fq_init(b, "b");
	snprintf(path, sizeof(path), "%s/ram/b.ram", dir);
	ret = fq_ram_create(b, path, FQ_RAM_SIZE);
	snprintf(path, sizeof(path), "%s/run/b.sock", dir);
	if (!ret)
		ret = fq_connect(b, path, 3000);
	if (!ret)
		ret = fq_driver_start(b, 64, 0);
	return ret;
}

/* A's guest calling on and on while VMs come and go. */
struct caller {
	int64_t h;
	bool stop;
	unsigned long calls, errors;
};

static void *caller_thread(void *arg)
{
	struct caller *c = arg;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		if (fq_read_inline(&fq, (uint64_t)c->h, 8, 0, 3000) == 8)
			c->calls++;
		else
			c->errors++;
	}
	return NULL;
}

/* One add, guest use (excl held open) and remove of b; true if all ok. */
static bool vm_cycle(const char *excl_path)
{
	struct fq b;
	int64_t h;
	bool ok;

	if (vm_add_b())
		return false;
	ok = fq_b_start(&b) == 0;
	h = ok ? fq_open(&b, guest_export_of(&b, "excl"), DEVCALL_O_RDWR,
			 3000) : -1;
	ok = ok && h > 0 && daemon_fds(excl_path) == 1;
	ok = RUN(out, "vm", "remove", "b") == 0 && ok;
	fq_destroy(&b);
	return ok;
}

static void t_vms(int64_t h_zero)
{
	char excl_path[512], cmd[1024];
	struct caller caller = { .h = h_zero };
	int rc, fds0, fds1, i, bad = 0;
	long rss0, rss1;
	pthread_t t;
	struct fq b;
	int64_t h, res;

	snprintf(excl_path, sizeof(excl_path), "%s/excl.bin", dir);
	snprintf(cmd, sizeof(cmd), "printf '[export b zero]\npath = /dev/zero"
		 "\n[export b excl]\npath = %s\naccess = rw\nsharing = "
		 "exclusive\n' > %s/b.ini && printf '[export c x]\npath = "
		 "/dev/null\ncolour = red\n' > %s/bad.ini", excl_path, dir,
		 dir);
	check(system(cmd) == 0, "b.ini and bad.ini written");
	fds0 = daemon_fds(NULL);

	/* Refused adds change nothing. */
	snprintf(cmd, sizeof(cmd), "%s/bad.ini", dir);
	rc = RUN(out, "--json", "vm", "add", "c", "--config", cmd);
	check(rc == 1 && strstr(out, "colour") && !exists("c.sock") &&
	      RUN(out, "status", "c") == 1,
	      "vm add with a bad config is refused, nothing changed");
	rc = RUN(out, "--json", "vm", "add", "c");
	check(rc == 1 && strstr(out, "RAM directory") && !exists("c.sock"),
	      "vm add needing a default RAM directory is refused: %s", out);
	rc = RUN(out, "--json", "vm", "add", "a", "memory=/nonexistent");
	check(rc == 1 && strstr(out, "served already"),
	      "vm add of a served VM is refused");
	rc = RUN(out, "vm", "remove", "nosuch");
	check(rc == 1, "vm remove of an unknown VM is refused");
	check(daemon_fds(NULL) == fds0, "refused adds leave no descriptor "
	      "(%d, %d before)", daemon_fds(NULL), fds0);

	/* vm add: b's fake QEMU connects to the new socket and is served. */
	rc = vm_add_b();
	check(rc == 0 && strstr(out, "1 VM(s) added") && exists("b.sock") &&
	      exists("b.qmp"), "vm add b: %s", out);
	check(fq_b_start(&b) == 0, "b's fake QEMU connects, its driver starts");
	h = fq_open(&b, guest_export_of(&b, "excl"), DEVCALL_O_RDWR, 3000);
	res = h > 0 ? fq_read_inline(&b, (uint64_t)h, 8, 0, 3000) : -1;
	check(h > 0 && res == 8, "b's guest opens excl and reads (%lld)",
	      (long long)res);
	check(daemon_fds(excl_path) == 1, "the daemon holds excl.bin open");
	rc = RUN(out, "status", "b");
	check(rc == 0 && strstr(out, "vm b: attached, added at run time"),
	      "status b: added at run time: %s", out);
	rc = RUN(out, "--json", "status", "a");
	check(rc == 0 && strstr(out, "\"attached\":true,\"runtime\":false"),
	      "status a: a configured VM, not a runtime one");
	rc = RUN(out, "--json", "status", "b");
	check(rc == 0 && strstr(out, "\"attached\":true") &&
	      strstr(out, "\"claims\""), "status b: attached, excl claimed");
	rc = RUN(out, "reload");
	check(rc == 0 && RUN(out, "status", "b") == 0,
	      "a reload keeps the runtime VM b");

	/* vm remove: QEMU let go, files closed, sockets gone; a served. */
	rc = RUN(out, "vm", "remove", "b");
	check(rc == 0 && strstr(out, "1 removed"), "vm remove b: %s", out);
	check(!exists("b.sock") && !exists("b.qmp"), "b's sockets are gone");
	check(daemon_fds(excl_path) == 0, "b's host file is closed");
	check(fq_read_inline(&b, (uint64_t)h, 8, 0, 500) < 0,
	      "b's guest gets no answer any more");
	check(RUN(out, "status", "b") == 1, "status no longer knows b");
	check(fq_read_inline(&fq, (uint64_t)h_zero, 8, 0, 3000) == 8,
	      "a's guest is still served");
	fq_destroy(&b);
	for (i = 0; i < 100 && daemon_fds(NULL) != fds0; i++)
		usleep(20000);
	check(daemon_fds(NULL) == fds0, "the daemon has the descriptors it "
	      "had before b (%d, %d)", daemon_fds(NULL), fds0);

	/* add, remove, add the same name: b's claim went with it. */
	rc = vm_add_b();
	check(rc == 0 && fq_b_start(&b) == 0, "vm add b again");
	h = fq_open(&b, guest_export_of(&b, "excl"), DEVCALL_O_RDWR, 3000);
	check(h > 0, "the new b claims excl again (%lld)", (long long)h);
	check(RUN(out, "vm", "remove", "b") == 0, "and b goes again");
	fq_destroy(&b);

	/* 50 cycles while a's guest calls: nothing grows, a never fails. */
	for (i = 0; i < 5; i++)
		bad += !vm_cycle(excl_path);
	for (i = 0; i < 100 && daemon_fds(NULL) != fds0; i++)
		usleep(20000);
	fds0 = daemon_fds(NULL);
	rss0 = daemon_rss_kib();
	pthread_create(&t, NULL, caller_thread, &caller);
	for (i = 0; i < 50; i++)
		bad += !vm_cycle(excl_path);
	__atomic_store_n(&caller.stop, true, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	for (i = 0; i < 100 && daemon_fds(NULL) != fds0; i++)
		usleep(20000);
	fds1 = daemon_fds(NULL);
	rss1 = daemon_rss_kib();
	check(bad == 0, "55 cycles of vm add, guest open, vm remove (%d bad)",
	      bad);
	check(caller.errors == 0 && caller.calls > 0,
	      "a's guest made %lu calls meanwhile, %lu failed", caller.calls,
	      caller.errors);
	check(fds1 == fds0, "descriptors after 50 cycles: %d (%d before)",
	      fds1, fds0);
	check(rss0 > 0 && rss1 - rss0 < 1024,
	      "VmRSS after 50 cycles: %ld KiB (%ld before, +%ld)", rss1, rss0,
	      rss1 - rss0);
}

int main(int argc, char **argv)
{
	char path[512];
	uint32_t zero, excl;
	int64_t h_zero, h_excl;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: ctl_test DIR DEVCALLCTL SOCKET GID\n");
		return 2;
	}
	dir = argv[1];
	ctl = argv[2];
	sock = argv[3];
	group = (gid_t)atoi(argv[4]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);

	fq_init(&fq, "a");
	snprintf(path, sizeof(path), "%s/ram/a.ram", dir);
	ret = fq_ram_create(&fq, path, FQ_RAM_SIZE);
	snprintf(path, sizeof(path), "%s/run/a.sock", dir);
	if (!ret)
		ret = fq_connect(&fq, path, 3000);
	if (!ret)
		ret = fq_driver_start(&fq, 64, 0);
	check(ret == 0, "the fake guest is up (%d)", ret);
	if (ret)
		goto out;
	zero = guest_export("zero");
	excl = guest_export("excl");
	h_zero = fq_open(&fq, zero, DEVCALL_O_RDONLY, 3000);
	h_excl = fq_open(&fq, excl, DEVCALL_O_RDWR, 3000);
	check(h_zero > 0 && h_excl > 0, "the guest opens zero and excl");

	t_status(h_zero, h_excl);
	t_trace(h_zero);
	t_stats();
	t_slow_tracer(h_zero);
	t_exports();
	t_vms(h_zero);
	t_reload_refused();
	t_peers();
	t_protocol();
	fq_destroy(&fq);
out:
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
