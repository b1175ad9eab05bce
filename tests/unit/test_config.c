// SPDX-License-Identifier: MIT
/* Config: INI files and flags build the same thing; errors name the line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "backend.h"
#include "config.h"

static struct config cfg, cfg2;
static char err[512], path[64];

static const char *write_file(const char *text)
{
	FILE *f;

	strcpy(path, "/tmp/devcall-cfg-XXXXXX");
	close(mkstemp(path));
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static int cleanup(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static const char good[] =
	"# two VMs sharing a drive\n"
	"[daemon]\n"
	"\n"
	"[vm alpha]\n"
	"socket = /run/devcall/alpha.sock\n"
	"machine = pc\n"
	"max-open = 8\n"
	"max-request = 1M\n"
	"\n"
	"[export alpha disk]\n"
	"path = /dev/zram1\n"
	"access = ro\n"
	"\n"
	"[export alpha cdrw]\n"
	"path = /dev/sg0\n"
	"sharing = exclusive\n"
	"allow = 0x2285, 0x5382\n"
	"deny = 0x1234\n"
	"ioctl = ioc\n"
	"\n"
	"[export beta cdrw]\n"
	"path = /dev/sg0\n"
	"sharing = exclusive\n";

static void test_good_file(void **state)
{
	const struct vm_config *a, *b;

	(void)state;
	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, write_file(good), err,
					  sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nr_vms, 2);
	a = config_find_vm(&cfg, "alpha");
	b = config_find_vm(&cfg, "beta");
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a->machine, "pc");
	assert_int_equal(a->limits.max_open, 8);
	assert_int_equal(a->limits.max_request_bytes, 1 << 20);
	assert_int_equal(a->limits.max_inflight, 64);	/* default */
	assert_int_equal(a->nr_exports, 2);
	assert_int_equal(a->exports[0].id, 1);
	assert_true(a->exports[0].read_only);
	assert_false(a->exports[0].exclusive);
	assert_ptr_equal(a->exports[0].backend, &backend_sys);
	assert_int_equal(a->exports[1].id, 2);
	assert_true(a->exports[1].exclusive);
	assert_int_equal(a->exports[1].ioctl.nr_allow, 2);
	assert_int_equal(a->exports[1].ioctl.allow[1], 0x5382);
	assert_int_equal(a->exports[1].ioctl.deny[0], 0x1234);
	assert_int_equal(a->exports[1].ioctl.mode, IOCTL_MODE_IOC);
	assert_int_equal(b->exports[0].id, 1);
}

static void test_flags_equal_file(void **state)
{
	const struct vm_config *a, *f;

	(void)state;
	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, write_file(good), err,
					  sizeof(err)), 0);
	config_init(&cfg2);
	assert_int_equal(config_apply_flag(&cfg2, "--vm",
		"alpha,socket=/run/devcall/alpha.sock,machine=pc,max-open=8,"
		"max-request=1M", err, sizeof(err)), 0);
	assert_int_equal(config_apply_flag(&cfg2, "--export",
		"alpha:disk=/dev/zram1,ro", err, sizeof(err)), 0);
	assert_int_equal(config_apply_flag(&cfg2, "--export",
		"alpha:cdrw=/dev/sg0,exclusive,allow=0x2285+0x5382,deny=0x1234,"
		"ioctl=ioc", err, sizeof(err)), 0);
	assert_int_equal(config_apply_flag(&cfg2, "--export",
		"beta:cdrw=/dev/sg0,exclusive", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg2, err, sizeof(err)), 0);
	a = config_find_vm(&cfg, "alpha");
	f = config_find_vm(&cfg2, "alpha");
	assert_memory_equal(a, f, sizeof(*a));
	assert_memory_equal(config_find_vm(&cfg, "beta"),
			    config_find_vm(&cfg2, "beta"), sizeof(*a));
}

/* Each bad line is reported as FILE:LINE: problem. */
static void test_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *words;
	} bad[] = {
		{ "[vm a]\nmachine = virt\n", 2, "machine" },
		{ "[vm a]\n\nmax-open = 0\n", 3, "max-open" },
		{ "[vm a]\nmax-request = 1T\n", 2, "max-request" },
		{ "[vm a]\ncolour = blue\n", 2, "unknown VM key 'colour'" },
		{ "[export a d]\npath = dev/zero\n", 2, "not absolute" },
		{ "[export a d]\naccess = rwx\n", 2, "access" },
		{ "[export a d]\nsharing = maybe\n", 2, "sharing" },
		{ "[export a d]\nallow = 0x12, pizza\n", 2, "'pizza'" },
		{ "[export a d/e]\npath = /dev/null\n", 2, "export name" },
		{ "[vm a b c d]\nx = 1\n", 2, "bad section" },
		{ "[daemon]\nthreads = 4\n", 2, "unknown daemon key" },
		{ "[vm a]\nthis line has no equals sign\n", 2, "syntax" },
	};
	char want[128];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_init(&cfg);
		assert_int_equal(config_load_file(&cfg, write_file(bad[i].text),
						  err, sizeof(err)), -EINVAL);
		snprintf(want, sizeof(want), "%s:%d: ", path, bad[i].line);
		if (strncmp(err, want, strlen(want)) || !strstr(err, bad[i].words))
			fail_msg("case %u: got '%s', want '%s...%s'", i, err,
				 want, bad[i].words);
		unlink(path);
	}
	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, "/nonexistent.ini", err,
					  sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent.ini"));
}

static void test_finish_errors(void **state)
{
	(void)state;
	config_init(&cfg);
	assert_int_equal(config_apply_flag(&cfg, "--export",
		"a:d=/dev/null,backend=nosuch", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown backend 'nosuch'"));
	config_init(&cfg);
	assert_int_equal(config_apply_flag(&cfg, "--vm", "a", err,
					   sizeof(err)), 0);
	assert_int_equal(config_load_file(&cfg,
		write_file("[export a d]\naccess = ro\n"), err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a/d: no path"));
	config_init(&cfg);
	assert_int_equal(config_apply_flag(&cfg, "--plugin",
		"/nonexistent/plugin.so", err, sizeof(err)), 0);
	assert_int_not_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "/nonexistent/plugin.so"));
}

static void test_flag_errors(void **state)
{
	(void)state;
	config_init(&cfg);
	assert_int_equal(config_apply_flag(&cfg, "--export", "nocolon", err,
					   sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "VM:NAME=PATH"));
	assert_int_equal(config_apply_flag(&cfg, "--export",
		"a:d=/dev/null,sideways", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown export option 'sideways'"));
	assert_int_equal(config_apply_flag(&cfg, "--vm", "a,max-open", err,
					   sizeof(err)), -EINVAL);
	assert_int_equal(config_apply_flag(&cfg, "--vm",
		"this-name-is-far-too-long-for-a-vm-name", err, sizeof(err)),
		-EINVAL);
	assert_int_equal(config_apply_flag(&cfg, "--frobnicate", "x", err,
					   sizeof(err)), -EINVAL);
}

/* Who may reach what: qemu-user, socket-group, socket-mode, ram-dir. */
static void test_daemon_keys(void **state)
{
	const struct daemon_config *d = &cfg.daemon;

	(void)state;
	config_init(&cfg);
	assert_int_equal(config_apply_flag(&cfg, "--vm", "a", err,
					   sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_string_equal(d->ram_dir, "/dev/shm/devcall");
	assert_int_equal(d->qemu_uid, 0);
	assert_int_equal(d->socket_gid, (gid_t)-1);
	assert_int_equal(d->socket_mode, 0600);

	/* A group: 0660 unless told; the file and the flags agree. */
	config_init(&cfg);
	assert_int_equal(config_load_file(&cfg, write_file(
		"[daemon]\nram-dir = /run/devcall-ram\nqemu-user = nobody\n"
		"socket-group = nogroup\n[vm a]\nmemory-size = 512M\n"),
		err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg, err, sizeof(err)), 0);
	assert_string_equal(d->ram_dir, "/run/devcall-ram");
	assert_int_equal(d->qemu_uid, 65534);
	assert_int_equal(d->socket_gid, 65534);
	assert_int_equal(d->socket_mode, 0660);
	assert_int_equal(cfg.vms[0].memory_size, 512u << 20);
	config_init(&cfg2);
	assert_int_equal(config_apply_flag(&cfg2, "--socket-mode", "0640",
					   err, sizeof(err)), 0);
	assert_int_equal(config_apply_flag(&cfg2, "--qemu-user", "nobody",
					   err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg2, err, sizeof(err)), 0);
	/* No socket-group: QEMU's primary group reaches its sockets. */
	assert_int_equal(cfg2.daemon.socket_gid, 65534);
	assert_int_equal(cfg2.daemon.socket_mode, 0640);

	/* Bad values, and unknown names at finish. */
	assert_int_equal(config_apply_flag(&cfg2, "--socket-mode", "0660x",
					   err, sizeof(err)), -EINVAL);
	assert_int_equal(config_apply_flag(&cfg2, "--socket-mode", "0066",
					   err, sizeof(err)), -EINVAL);
	assert_int_equal(config_apply_flag(&cfg2, "--socket-mode", "01660",
					   err, sizeof(err)), -EINVAL);
	assert_int_equal(config_apply_flag(&cfg2, "--ram-dir", "relative",
					   err, sizeof(err)), -EINVAL);
	assert_int_equal(config_apply_flag(&cfg2, "--vm", "a,memory-size=1",
					   err, sizeof(err)), -EINVAL);
	config_init(&cfg2);
	assert_int_equal(config_apply_flag(&cfg2, "--qemu-user",
		"no-such-user-here", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "qemu-user: no user 'no-such-user-here'"));
	config_init(&cfg2);
	assert_int_equal(config_apply_flag(&cfg2, "--socket-group",
		"no-such-group-here", err, sizeof(err)), 0);
	assert_int_equal(config_finish(&cfg2, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "socket-group: no group"));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test_teardown(test_good_file, cleanup),
	cmocka_unit_test_teardown(test_flags_equal_file, cleanup),
	cmocka_unit_test(test_errors_name_file_and_line),
	cmocka_unit_test_teardown(test_finish_errors, cleanup),
	cmocka_unit_test(test_flag_errors),
	cmocka_unit_test_teardown(test_daemon_keys, cleanup),
};

TEST_MAIN("config", tests, NULL, NULL)
