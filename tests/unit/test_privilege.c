// SPDX-License-Identifier: MIT
/*
 * Least privilege: the capabilities a configuration needs, the ioctl
 * numbers its filter allows, and the filter itself in a forked child: a
 * plugin's forbidden call fails with EPERM, is logged, and the process
 * lives on.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <scsi/sg.h>

#include "harness.h"
#include "config.h"
#include "ioctl_layout.h"
#include "privilege.h"

static struct config cfg;
static struct privilege_ioctls io;

static struct export *add_export(const char *vm, const char *name)
{
	struct vm_config *v = config_find_vm(&cfg, vm);
	struct export *e;

	if (!v) {
		v = &cfg.vms[cfg.nr_vms++];
		snprintf(v->name, sizeof(v->name), "%s", vm);
	}
	e = &v->exports[v->nr_exports++];
	memset(e, 0, sizeof(*e));
	e->id = v->nr_exports;
	snprintf(e->name, sizeof(e->name), "%s", name);
	return e;
}

static int reset(void **state)
{
	(void)state;
	config_init(&cfg);
	layout_unregister_all();
	return 0;
}

static void test_caps_none(void **state)
{
	struct privilege_caps caps;

	(void)state;
	add_export("a", "disk");
	add_export("b", "cd");
	privilege_caps_compute(&cfg, &caps);
	assert_int_equal(caps.mask, 0);
	assert_non_null(strstr(caps.why, "no capabilities"));
}

static void test_caps_rawio(void **state)
{
	struct privilege_caps caps;

	(void)state;
	add_export("a", "disk");
	add_export("a", "cd")->scsi_passthrough = true;
	add_export("b", "cd")->scsi_passthrough = true;
	privilege_caps_compute(&cfg, &caps);
	assert_int_equal(caps.mask, 1ull << CAP_SYS_RAWIO);
	assert_non_null(strstr(caps.why, "cap_sys_rawio (export a/cd: "
				"scsi = passthrough, and 1 more)"));
	assert_null(strstr(caps.why, "cap_sys_admin"));
}

static void test_caps_net_admin(void **state)
{
	struct privilege_caps caps;

	(void)state;
	add_export("a", "tun")->host_network = true;
	privilege_caps_compute(&cfg, &caps);
	assert_int_equal(caps.mask, 1ull << CAP_NET_ADMIN);
	assert_non_null(strstr(caps.why, "cap_net_admin (export a/tun: "
				"host-network = allow)"));
}

static void test_caps_both(void **state)
{
	struct privilege_caps caps;

	(void)state;
	add_export("a", "disk")->host_partitions = true;
	add_export("b", "cd")->scsi_passthrough = true;
	privilege_caps_compute(&cfg, &caps);
	assert_int_equal(caps.mask,
			 (1ull << CAP_SYS_RAWIO) | (1ull << CAP_SYS_ADMIN));
	assert_non_null(strstr(caps.why, "cap_sys_admin (export a/disk: "
				"host-partitions = allow)"));
	assert_non_null(strstr(caps.why, "cap_sys_rawio (export b/cd"));
}

static bool has(uint32_t cmd)
{
	unsigned int i;

	for (i = 0; i < io.nr; i++)
		if (io.cmd[i] == cmd)
			return true;
	return false;
}

static const struct ioctl_layout plugin_layout = {
	.cmd = 0xc0105a01, .name = "PLUGIN_X", .arg_size = 16,
	.arg_dir = LAYOUT_DIR_BOTH,
};

static void test_ioctls_list(void **state)
{
	struct export *e;
	unsigned int i;

	(void)state;
	assert_int_equal(layout_register(&plugin_layout), 0);
	e = add_export("a", "tty");
	e->ioctl.allow[e->ioctl.nr_allow++].cmd = 0x4b33;
	e->ioctl.allow[e->ioctl.nr_allow++].cmd = SG_IO;	/* a duplicate */
	e = add_export("b", "tty");
	e->ioctl.allow[e->ioctl.nr_allow++].cmd = 0x4b33;
	assert_int_equal(privilege_ioctls_build(&cfg, &io), 0);
	/* Every built-in, the plugin's, the allow lists, the daemon's own. */
	for (i = 0; i < layout_builtin_count; i++)
		assert_true(has(layout_builtin[i].cmd));
	assert_true(has(0xc0105a01));
	assert_true(has(0x4b33));
	assert_true(has(BLKGETSIZE64));
	assert_true(has(TCGETS));
	assert_false(has(0x1234));
	for (i = 1; i < io.nr; i++)	/* sorted, no duplicates */
		assert_true(io.cmd[i - 1] < io.cmd[i]);
}

/*
 * A reload cannot need more than the daemon kept at start: no new
 * capability, no ioctl number outside the filter (unless seccomp is off).
 */
static void test_reload_check(void **state)
{
	static struct config next;
	struct export *e;
	char why[512];

	(void)state;
	e = add_export("a", "tty");
	e->ioctl.allow[e->ioctl.nr_allow++].cmd = 0x4b33;
	add_export("a", "cd")->scsi_passthrough = true;
	next = cfg;
	/* The same, or less: fine. */
	assert_int_equal(privilege_reload_check(&cfg, &next, why,
						sizeof(why)), 0);
	next.vms[0].nr_exports = 0;
	assert_int_equal(privilege_reload_check(&cfg, &next, why,
						sizeof(why)), 0);
	/* A capability not kept. */
	next = cfg;
	next.vms[0].exports[0].host_partitions = true;
	assert_int_equal(privilege_reload_check(&cfg, &next, why,
						sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "cap_sys_admin"));
	/* An ioctl number the filter does not have. */
	next = cfg;
	e = &next.vms[0].exports[0];
	e->ioctl.allow[e->ioctl.nr_allow++].cmd = 0x4b34;
	assert_int_equal(privilege_reload_check(&cfg, &next, why,
						sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "0x4b34"));
	cfg.seccomp_off = true;
	assert_int_equal(privilege_reload_check(&cfg, &next, why,
						sizeof(why)), 0);
}

static void test_ioctls_too_many(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < 10; i++) {
		char name[8];
		struct export *e;

		snprintf(name, sizeof(name), "e%u", i);
		e = add_export("a", name);
		for (j = 0; j < CONFIG_MAX_IOCTL_LIST; j++)
			e->ioctl.allow[e->ioctl.nr_allow++].cmd =
				0x10000 + i * 100 + j;
	}
	assert_int_equal(privilege_ioctls_build(&cfg, &io), -E2BIG);
}

/* [daemon] user, group, seccomp: the file's keys. */
static void test_config_daemon_keys(void **state)
{
	char path[] = "/tmp/devcall-priv-XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	fputs("[daemon]\nuser = devcall\ngroup = disk\nseccomp = off\n", f);
	fclose(f);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), 0);
	assert_string_equal(cfg.user, "devcall");
	assert_string_equal(cfg.group, "disk");
	assert_true(cfg.seccomp_off);

	f = fopen(path, "w");
	fputs("[daemon]\nseccomp = maybe\n", f);
	fclose(f);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, ":2: seccomp: 'maybe' is not on or off"));
	unlink(path);
}

/*
 * live-vms = yes: what VMs added once privileges are dropped need is
 * kept, whatever the VMs of the start need: memory = auto's two, and
 * cap_chown only with a socket group to give their sockets.
 */
static void test_live_vms_caps(void **state)
{
	char path[] = "/tmp/devcall-priv-XXXXXX", err[256];
	struct privilege_caps caps;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	(void)state;
	fputs("[daemon]\nlive-vms = yes\n", f);
	fclose(f);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), 0);
	assert_true(cfg.live_vms);
	cfg.daemon.socket_gid = (gid_t)-1;
	privilege_caps_compute(&cfg, &caps);
	assert_true(caps.mask == (1ull << CAP_SYS_PTRACE |
				  1ull << CAP_DAC_OVERRIDE));
	assert_non_null(strstr(caps.why, "live-vms = yes"));
	cfg.daemon.socket_gid = 64055;
	privilege_caps_compute(&cfg, &caps);
	assert_true(caps.mask & 1ull << CAP_CHOWN);
	assert_non_null(strstr(caps.why, "cap_chown"));

	f = fopen(path, "w");
	fputs("[daemon]\nlive-vms = often\n", f);
	fclose(f);
	assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "live-vms: 'often' is not yes or no"));
	unlink(path);
}

/* What a misbehaving plugin's ioctl handler might do. */
static long plugin_forbidden_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	return fd < 0 ? -errno : fd;
}

static void *thread_fn(void *arg)
{
	*(int *)arg = 42;
	return NULL;
}

/* The child's checks: a failed one exits with its line number. */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		dprintf(STDERR_FILENO, "child: line %d: %s\n",	\
			__LINE__, #cond);				\
		_exit(1);						\
	}								\
} while (0)

static void child_filtered(void)
{
	char *const argv[] = { "/bin/true", NULL };
	struct termios t;
	pthread_t th;
	int p[2], v = 0;
	void *m;

	CHILD_CHECK(pipe(p) == 0);
	CHILD_CHECK(privilege_ioctls_build(&cfg, &io) == 0);
	CHILD_CHECK(privilege_seccomp_install(&io) == 0);

	CHILD_CHECK(plugin_forbidden_socket() == -EPERM);
	CHILD_CHECK(execve("/bin/true", argv, NULL) < 0 && errno == EPERM);
	/* An allowed number reaches the kernel; another does not. */
	CHILD_CHECK(ioctl(p[0], TCGETS, &t) < 0 && errno == ENOTTY);
	CHILD_CHECK(ioctl(p[0], 0x1234, 0) < 0 && errno == EPERM);
	/* The high half of the register is not the kernel's cmd. */
	CHILD_CHECK(ioctl(p[0], 0xffffffff00000000ul | TCGETS, &t) < 0 &&
		    errno == ENOTTY);
	/* Threads still start (clone3 falls back to clone), fork does not. */
	CHILD_CHECK(pthread_create(&th, NULL, thread_fn, &v) == 0);
	CHILD_CHECK(pthread_join(th, NULL) == 0 && v == 42);
	CHILD_CHECK(fork() < 0 && errno == EPERM);
	/* Memory, but no new code. */
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(m != MAP_FAILED);
	CHILD_CHECK(mprotect(m, 4096, PROT_READ | PROT_EXEC) < 0 &&
		    errno == EPERM);
	_exit(0);
}

static void test_filter_forked_child(void **state)
{
	char out[4096] = "";
	int p[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	(void)state;
	add_export("a", "tty")->ioctl.allow[0].cmd = 0x4b33;
	cfg.vms[0].exports[0].ioctl.nr_allow = 1;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		child_filtered();
	}
	close(p[1]);
	while (len < sizeof(out) - 1 &&
	       (n = read(p[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "child status %#x\n%s", status, out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* One line per refused call, named by number. */
	assert_non_null(strstr(out, "devcalld: error: seccomp: system call "));
#ifdef __x86_64__
	assert_non_null(strstr(out, "system call 41 refused (EPERM)"));
	assert_non_null(strstr(out, "system call 59 refused"));  /* execve */
	assert_non_null(strstr(out, "system call 16 refused"));  /* ioctl */
#endif
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup(test_config_daemon_keys, reset),
	cmocka_unit_test_setup(test_live_vms_caps, reset),
	cmocka_unit_test_setup(test_caps_none, reset),
	cmocka_unit_test_setup(test_caps_rawio, reset),
	cmocka_unit_test_setup(test_caps_both, reset),
	cmocka_unit_test_setup(test_caps_net_admin, reset),
	cmocka_unit_test_setup(test_ioctls_list, reset),
	cmocka_unit_test_setup(test_ioctls_too_many, reset),
	cmocka_unit_test_setup(test_reload_check, reset),
	cmocka_unit_test_setup(test_filter_forked_child, reset),
};

TEST_MAIN("privilege", tests, NULL, NULL)
