// SPDX-License-Identifier: MIT
/* Config: INI files and flags build the same thing; errors name the line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/blkpg.h>

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
	"poll-us = 32\n"
	"\n"
	"[export alpha disk]\n"
	"path = /dev/zram1\n"
	"access = ro\n"
	"\n"
	"[export alpha cdrw]\n"
	"path = /dev/null\n"
	"sharing = exclusive\n"
	"allow = 0x4b33:out:1, 0x5401:none\n"
	"deny = 0x1234\n"
	"scsi = passthrough\n"
	"host-exclusive = allow\n"
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
	assert_int_equal(a->limits.poll_us, 32);
	assert_int_equal(b->limits.poll_us, 0);		/* default: off */
	assert_int_equal(a->nr_exports, 2);
	assert_int_equal(a->exports[0].id, 1);
	assert_true(a->exports[0].read_only);
	assert_false(a->exports[0].exclusive);
	assert_ptr_equal(a->exports[0].backend, &backend_sys);
	assert_int_equal(a->exports[1].id, 2);
	assert_true(a->exports[1].exclusive);
	assert_int_equal(a->exports[1].ioctl.nr_allow, 2);
	assert_int_equal(a->exports[1].ioctl.allow[0].cmd, 0x4b33);
	assert_int_equal(a->exports[1].ioctl.allow[0].kind, IOCTL_ARG_OUT);
	assert_int_equal(a->exports[1].ioctl.allow[0].size, 1);
	assert_int_equal(a->exports[1].ioctl.allow[1].cmd, 0x5401);
	assert_int_equal(a->exports[1].ioctl.allow[1].kind, IOCTL_ARG_NONE);
	assert_int_equal(a->exports[1].ioctl.deny[0], 0x1234);
	assert_true(a->exports[1].scsi_passthrough);
	assert_true(a->exports[1].host_exclusive);
	assert_false(a->exports[1].host_partitions);
	/* Defaults: no raw SCSI, no host partitions or O_EXCL claim, the
	 * size at first open. */
	assert_false(a->exports[0].scsi_passthrough);
	assert_false(a->exports[0].host_exclusive);
	assert_int_equal(a->exports[0].max_size, 0);
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
		"max-request=1M,poll-us=32", err, sizeof(err)), 0);
	assert_int_equal(config_apply_flag(&cfg2, "--export",
		"alpha:disk=/dev/zram1,ro", err, sizeof(err)), 0);
	assert_int_equal(config_apply_flag(&cfg2, "--export",
		"alpha:cdrw=/dev/null,exclusive,allow=0x4b33:out:1+0x5401:none,"
		"deny=0x1234,scsi=passthrough,host-exclusive=allow", err,
		sizeof(err)), 0);
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
		{ "[vm a]\npoll-us = 1001\n", 2, "poll-us: '1001' is not 0..1000" },
		{ "[export a d]\npath = dev/zero\n", 2, "not absolute" },
		{ "[export a d]\naccess = rwx\n", 2, "access" },
		{ "[export a d]\nsharing = maybe\n", 2, "sharing" },
		{ "[export a d]\nallow = 0x12:int, pizza:int\n", 2,
		  "'pizza'" },
		/* A bare number: the forms that are accepted. */
		{ "[export a d]\nallow = 0x4b33\n", 2,
		  "NUM:none, NUM:int, NUM:in:SIZE, NUM:out:SIZE or "
		  "NUM:inout:SIZE" },
		{ "[export a d]\nallow = 0x4b33:sideways\n", 2,
		  "'sideways' is not none, int, in, out or inout" },
		{ "[export a d]\nallow = 0x4b33:out\n", 2, "needs a size" },
		{ "[export a d]\nallow = 0x4b33:out:0\n", 2, "needs a size" },
		{ "[export a d]\nallow = 0x4b33:out:4097\n", 2,
		  "needs a size" },
		{ "[export a d]\nallow = 0x5401:none:4\n", 2,
		  "takes no size" },
		{ "[export a d]\nioctl = ioc\n", 2, "ioctl: removed" },
		{ "[export a d]\nioctl = known\n", 2, "NUM:in:SIZE" },
		{ "[export a d]\nscsi = raw\n", 2,
		  "'raw' is not none or passthrough" },
		{ "[export a d]\nscsi-opcodes = 0x12, 0x100\n", 2,
		  "'0x100' is not an opcode" },
		{ "[export a d]\nhost-partitions = yes\n", 2,
		  "'yes' is not allow or deny" },
		{ "[export a d]\nhost-exclusive = 1\n", 2,
		  "host-exclusive" },
		{ "[export a d]\nmax-size = lots\n", 2, "max-size" },
		{ "[export a d]\nmax-size = 0\n", 2, "max-size" },
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

static int finish_one(const char *export, char *msg, size_t len)
{
	config_init(&cfg);
	if (config_apply_flag(&cfg, "--export", export, msg, len))
		return -1;
	return config_finish(&cfg, msg, len);
}

/* The default opcode set passes wodim's commands (shared/cdrecord.md)
 * and not WRITE BUFFER or vendor opcodes; scsi-opcodes replaces it. */
static void test_scsi_opcodes(void **state)
{
	static const uint8_t wodim[] = { 0x00, 0x03, 0x12, 0x1b, 0x1e, 0x25,
		0x28, 0x2a, 0x35, 0x43, 0x44, 0x46, 0x51, 0x52, 0x54, 0x55,
		0x5a, 0x5b, 0x5c, 0x5d, 0xa1, 0xbb };
	const struct export *exp;
	unsigned int i;

	(void)state;
	assert_int_equal(finish_one("a:cd=/dev/null,scsi=passthrough", err,
				    sizeof(err)), 0);
	exp = &cfg.vms[0].exports[0];
	for (i = 0; i < sizeof(wodim); i++)
		if (!export_scsi_opcode_ok(exp, wodim[i]))
			fail_msg("wodim's 0x%02x refused by default", wodim[i]);
	assert_false(export_scsi_opcode_ok(exp, 0x3b));	/* WRITE BUFFER */
	assert_false(export_scsi_opcode_ok(exp, 0xe5));	/* vendor */
	assert_false(export_scsi_opcode_ok(exp, 0xff));
	assert_int_equal(finish_one("a:cd=/dev/null,scsi=passthrough,"
				    "scsi-opcodes=0x12+0x3b", err,
				    sizeof(err)), 0);
	exp = &cfg.vms[0].exports[0];
	assert_true(export_scsi_opcode_ok(exp, 0x12));
	assert_true(export_scsi_opcode_ok(exp, 0x3b));
	assert_false(export_scsi_opcode_ok(exp, 0x00));
	/* Opcodes without passthrough mean nothing: said at finish. */
	assert_int_equal(finish_one("a:cd=/dev/null,scsi-opcodes=0x12", err,
				    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "scsi-opcodes needs scsi = passthrough"));
	/* A host node that is not there cannot be checked. */
	assert_int_equal(finish_one("a:cd=/nonexistent/sg9,scsi=passthrough",
				    err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot check /nonexistent/sg9"));
	/* A plugin's image may appear later. */
	assert_int_equal(finish_one("a:cd=/nonexistent/disc.img,backend=mock,"
				    "scsi=passthrough", err, sizeof(err)), 0);
}

/*
 * guest-type: char, block, auto (the default); auto makes a disk of a sys
 * export whose path is a block device, and of nothing else.
 */
static void test_guest_type(void **state)
{
	static const char *const nodes[] = { "/dev/loop0", "/dev/zram0",
					     "/dev/sda", "/dev/vda" };
	const char *node = NULL;
	char flag[128];
	struct stat st;
	unsigned int i;

	(void)state;
	assert_int_equal(finish_one("a:n=/dev/null", err, sizeof(err)), 0);
	assert_int_equal(cfg.vms[0].exports[0].guest_type, EXPORT_GUEST_AUTO);
	assert_false(cfg.vms[0].exports[0].guest_block);
	assert_int_equal(finish_one("a:n=/dev/null,guest-type=block", err,
				    sizeof(err)), 0);
	assert_true(cfg.vms[0].exports[0].guest_block);
	assert_int_equal(finish_one("a:n=/dev/null,guest-type=char", err,
				    sizeof(err)), 0);
	assert_false(cfg.vms[0].exports[0].guest_block);
	assert_int_equal(finish_one("a:n=/dev/null,guest-type=disk", err,
				    sizeof(err)), -1);
	assert_non_null(strstr(err, "guest-type: 'disk' is not char, block "
			       "or auto"));

	for (i = 0; i < 4 && !node; i++)
		if (!stat(nodes[i], &st) && S_ISBLK(st.st_mode))
			node = nodes[i];
	if (!node)
		return;
	snprintf(flag, sizeof(flag), "a:d=%s", node);
	assert_int_equal(finish_one(flag, err, sizeof(err)), 0);
	assert_true(cfg.vms[0].exports[0].guest_block);
	snprintf(flag, sizeof(flag), "a:d=%s,guest-type=char", node);
	assert_int_equal(finish_one(flag, err, sizeof(err)), 0);
	assert_false(cfg.vms[0].exports[0].guest_block);
	/* A plugin's path is its own: auto leaves it a node. */
	snprintf(flag, sizeof(flag), "a:d=%s,backend=mock", node);
	assert_int_equal(finish_one(flag, err, sizeof(err)), 0);
	assert_false(cfg.vms[0].exports[0].guest_block);
}

static char fake_sysfs[64];

static int sysfs_cleanup(void **state)
{
	char cmd[128];

	(void)state;
	config_sysfs_dev_block = "/sys/dev/block";
	if (fake_sysfs[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", fake_sysfs);
		if (system(cmd))
			return -1;
		fake_sysfs[0] = '\0';
	}
	return 0;
}

/*
 * Passthrough on a partition or a device-mapper device is refused: the
 * sysfs lookup through a fake /sys/dev/block, on a real block node.
 */
static void test_scsi_refused_on_partition_sysfs(void **state)
{
	static const char *const nodes[] = { "/dev/loop0", "/dev/zram0",
					     "/dev/sda", "/dev/vda" };
	const char *node = NULL;
	char dir[160], file[200], flag[128];
	struct stat st;
	unsigned int i;
	FILE *f;

	(void)state;
	for (i = 0; i < 4 && !node; i++)
		if (!stat(nodes[i], &st) && S_ISBLK(st.st_mode))
			node = nodes[i];
	if (!node)
		skip();
	strcpy(fake_sysfs, "/tmp/devcall-sysfs-XXXXXX");
	assert_non_null(mkdtemp(fake_sysfs));
	config_sysfs_dev_block = fake_sysfs;
	snprintf(dir, sizeof(dir), "%s/%u:%u", fake_sysfs, major(st.st_rdev),
		 minor(st.st_rdev));
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(flag, sizeof(flag), "a:d=%s,scsi=passthrough", node);
	/* A whole disk: fine. */
	assert_int_equal(finish_one(flag, err, sizeof(err)), 0);
	/* A partition. */
	snprintf(file, sizeof(file), "%s/partition", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("1\n", f);
	fclose(f);
	assert_int_equal(finish_one(flag, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a partition"));
	assert_non_null(strstr(err, node));
	/* Without passthrough nobody asks. */
	snprintf(flag, sizeof(flag), "a:d=%s", node);
	assert_int_equal(finish_one(flag, err, sizeof(err)), 0);
	/* A device-mapper device. */
	unlink(file);
	snprintf(file, sizeof(file), "%s/dm", dir);
	assert_int_equal(mkdir(file, 0700), 0);
	snprintf(flag, sizeof(flag), "a:d=%s,scsi=passthrough", node);
	assert_int_equal(finish_one(flag, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "device-mapper"));
}

static char loop_dev[64];

static int loop_cleanup(void **state)
{
	char cmd[128];

	(void)state;
	if (loop_dev[0]) {
		struct blkpg_partition part = { .pno = 1 };
		struct blkpg_ioctl_arg arg = { .op = BLKPG_DEL_PARTITION,
					       .datalen = sizeof(part),
					       .data = &part };
		int fd = open(loop_dev, O_RDWR);

		/* Partitions BLKPG added stay after a detach: delete it. */
		if (fd >= 0) {
			ioctl(fd, BLKPG, &arg);
			close(fd);
		}
		snprintf(cmd, sizeof(cmd), "losetup -d %s", loop_dev);
		if (system(cmd))
			return -1;
		loop_dev[0] = '\0';
	}
	unlink("/tmp/devcall-part.img");
	unlink("/tmp/devcall-part.node");
	return 0;
}

/*
 * The same on a real loop device with a partition made with BLKPG (as
 * the host kernel makes one: its node is /dev/loopNp1). Loop devices are
 * there on every machine this runs on as root.
 */
static void test_scsi_refused_on_real_partition(void **state)
{
	struct blkpg_partition part = { .start = 1 << 20, .length = 2 << 20,
					.pno = 1 };
	struct blkpg_ioctl_arg arg = { .op = BLKPG_ADD_PARTITION,
				       .datalen = sizeof(part), .data = &part };
	char flag[128], node[80], sys[160];
	unsigned int maj, min;
	FILE *p;
	int fd, i;

	(void)state;
	assert_int_equal(geteuid(), 0);
	fd = open("/tmp/devcall-part.img", O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4 << 20), 0);
	close(fd);
	p = popen("losetup -f --show /tmp/devcall-part.img", "r");
	assert_non_null(p);
	if (!fgets(loop_dev, sizeof(loop_dev), p))
		loop_dev[0] = '\0';
	pclose(p);
	loop_dev[strcspn(loop_dev, "\n")] = '\0';
	assert_true(loop_dev[0]);
	fd = open(loop_dev, O_RDWR);
	assert_true(fd >= 0);
	/* A partition added by BLKPG outlives its loop's detach: drop any. */
	arg.op = BLKPG_DEL_PARTITION;
	ioctl(fd, BLKPG, &arg);
	arg.op = BLKPG_ADD_PARTITION;
	assert_int_equal(ioctl(fd, BLKPG, &arg), 0);
	close(fd);
	/*
	 * The partition's node, made from what sysfs says of it (a /dev
	 * without devtmpfs or udev has none of its own).
	 */
	snprintf(sys, sizeof(sys), "/sys/block/%s/%sp1/dev",
		 strrchr(loop_dev, '/') + 1, strrchr(loop_dev, '/') + 1);
	for (i = 0; i < 100 && access(sys, F_OK); i++)
		usleep(20000);
	p = fopen(sys, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%u:%u", &maj, &min), 2);
	fclose(p);
	snprintf(node, sizeof(node), "/tmp/devcall-part.node");
	unlink(node);
	assert_int_equal(mknod(node, S_IFBLK | 0600, makedev(maj, min)), 0);
	snprintf(flag, sizeof(flag), "a:d=%s,scsi=passthrough", node);
	assert_int_equal(finish_one(flag, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is a partition"));
	snprintf(flag, sizeof(flag), "a:d=%s,scsi=passthrough", loop_dev);
	assert_int_equal(finish_one(flag, err, sizeof(err)), 0);
}

static void test_new_keys(void **state)
{
	const struct export *e;

	(void)state;
	assert_int_equal(finish_one("a:d=/dev/null,host-partitions=allow,"
				    "host-exclusive=allow,max-size=1M", err,
				    sizeof(err)), 0);
	e = &cfg.vms[0].exports[0];
	assert_true(e->host_partitions);
	assert_true(e->host_exclusive);
	assert_int_equal(e->max_size, 1 << 20);
	assert_int_equal(finish_one("a:d=/dev/null,max-size=grow,"
				    "allow=0x540b:int+0x1234:inout:24+"
				    "0x5411:in:4", err, sizeof(err)), 0);
	e = &cfg.vms[0].exports[0];
	assert_int_equal(e->max_size, CONFIG_GROW);
	assert_int_equal(e->ioctl.nr_allow, 3);
	assert_int_equal(e->ioctl.allow[0].kind, IOCTL_ARG_INT);
	assert_int_equal(e->ioctl.allow[1].kind, IOCTL_ARG_INOUT);
	assert_int_equal(e->ioctl.allow[1].size, 24);
	assert_int_equal(e->ioctl.allow[2].kind, IOCTL_ARG_IN);
	/* The flag form says the same as the file. */
	assert_int_equal(finish_one("a:d=/dev/null,allow=0x4b33", err,
				    sizeof(err)), -1);
	assert_non_null(strstr(err, "NUM:out:SIZE"));
	assert_int_equal(finish_one("a:d=/dev/null,ioctl=ioc", err,
				    sizeof(err)), -1);
	assert_non_null(strstr(err, "removed"));
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
	cmocka_unit_test(test_scsi_opcodes),
	cmocka_unit_test(test_new_keys),
	cmocka_unit_test(test_guest_type),
	cmocka_unit_test_teardown(test_scsi_refused_on_partition_sysfs,
				  sysfs_cleanup),
	cmocka_unit_test_teardown(test_scsi_refused_on_real_partition,
				  loop_cleanup),
	cmocka_unit_test_teardown(test_daemon_keys, cleanup),
};

TEST_MAIN("config", tests, NULL, NULL)
