// SPDX-License-Identifier: MIT
/*
 * The sys backend on real host nodes, through the dispatcher and guest
 * memory: /dev/zero, /dev/null, /dev/ptmx, a zram RAM disk and a loop
 * device made by the fixtures (root needed; a missing facility fails the
 * test with a message, it is never skipped). Where the host kernel has the
 * last word (O_DIRECT alignment, fsync on a character device), the test
 * asks it the same question directly and expects the same answer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/blkpg.h>
#include <linux/fs.h>

#include "harness.h"
#include "backend_sys.h"
#include "dispatch.h"
#include "fake_guest.h"
#include "log.h"

#define DISK_SIZE	(64u << 20)

struct fixture {
	struct config cfg;
	struct host *host;
	struct vm *vm;
	struct fake_guest g;
	struct request req;
	struct response resp;
	int zram;		/* zram device number, or -1 */
	char loop[64];		/* loop device path, or "" */
	char backing[64];	/* loop backing file */
	char file[64];		/* a regular file export, 4096 bytes */
};

static int sh_read(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	int ok;

	if (!p)
		return -1;
	ok = fgets(out, len, p) != NULL;
	if (pclose(p) != 0 || !ok)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static int write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

static void make_zram(struct fixture *f)
{
	char buf[64], path[96];

	if (sh_read("cat /sys/class/zram-control/hot_add", buf, sizeof(buf)))
		fail_msg("cannot add a zram device (need root and zram)");
	f->zram = atoi(buf);
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", f->zram);
	snprintf(buf, sizeof(buf), "%u", DISK_SIZE);
	if (write_sysfs(path, buf))
		fail_msg("cannot size zram%d", f->zram);
}

static void make_loop(struct fixture *f)
{
	char cmd[256];
	int fd;

	strcpy(f->backing, "/tmp/devcall-loop-XXXXXX");
	fd = mkstemp(f->backing);
	if (fd < 0 || ftruncate(fd, DISK_SIZE))
		fail_msg("cannot make a loop backing file");
	close(fd);
	snprintf(cmd, sizeof(cmd), "losetup -f --show -P %s", f->backing);
	if (sh_read(cmd, f->loop, sizeof(f->loop)))
		fail_msg("losetup failed (need root and util-linux)");
}

static void make_file(struct fixture *f)
{
	int fd;

	strcpy(f->file, "/tmp/devcall-file-XXXXXX");
	fd = mkstemp(f->file);
	if (fd < 0 || ftruncate(fd, 4096))
		fail_msg("cannot make a regular file");
	close(fd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256], spec[128];

	f->zram = -1;
	*state = f;
	make_zram(f);
	make_loop(f);
	config_init(&f->cfg);
	fake_config_flag(&f->cfg, "--vm", "t,max-request=16M");
	fake_config_flag(&f->cfg, "--export", "t:zero=/dev/zero");		/* 1 */
	fake_config_flag(&f->cfg, "--export", "t:null=/dev/null");		/* 2 */
	fake_config_flag(&f->cfg, "--export", "t:ptmx=/dev/ptmx");		/* 3 */
	snprintf(spec, sizeof(spec), "t:disk=/dev/zram%d", f->zram);
	fake_config_flag(&f->cfg, "--export", spec);			/* 4 */
	snprintf(spec, sizeof(spec), "t:disk-ro=/dev/zram%d,ro", f->zram);
	fake_config_flag(&f->cfg, "--export", spec);			/* 5 */
	snprintf(spec, sizeof(spec), "t:loop=%s,host-partitions=allow",
		 f->loop);
	fake_config_flag(&f->cfg, "--export", spec);			/* 6 */
	snprintf(spec, sizeof(spec), "t:loop-np=%s", f->loop);
	fake_config_flag(&f->cfg, "--export", spec);			/* 7 */
	make_file(f);
	snprintf(spec, sizeof(spec), "t:file=%s", f->file);
	fake_config_flag(&f->cfg, "--export", spec);			/* 8 */
	snprintf(spec, sizeof(spec), "t:file-cap=%s,max-size=6000", f->file);
	fake_config_flag(&f->cfg, "--export", spec);			/* 9 */
	snprintf(spec, sizeof(spec), "t:file-grow=%s,max-size=grow", f->file);
	fake_config_flag(&f->cfg, "--export", spec);			/* 10 */
	if (config_finish(&f->cfg, err, sizeof(err)))
		fail_msg("%s", err);
	f->host = host_create();
	f->vm = vm_create(f->host, config_find_vm(&f->cfg, "t"));
	fake_guest_init(&f->g);
	vm_set_memory(f->vm, &f->g.gm);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160], buf[16];

	if (f->vm)
		vm_destroy(f->vm);	/* closes every host fd first */
	host_destroy(f->host);
	fake_guest_fini(&f->g);
	if (f->zram >= 0) {
		snprintf(buf, sizeof(buf), "%d", f->zram);
		write_sysfs("/sys/class/zram-control/hot_remove", buf);
	}
	if (f->loop[0]) {
		snprintf(cmd, sizeof(cmd), "losetup -d %s", f->loop);
		if (system(cmd))
			fprintf(stderr, "warning: %s failed\n", cmd);
	}
	if (f->backing[0])
		unlink(f->backing);
	if (f->file[0])
		unlink(f->file);
	free(f);
	return 0;
}

static int64_t op_open(struct fixture *f, uint32_t exp, uint64_t flags)
{
	fake_req_init(&f->req, DEVCALL_OP_OPEN, 0);
	f->req.export_id = exp;
	f->req.arg = flags;
	dispatch_request(f->vm, &f->req, &f->resp);
	return f->resp.result;
}

/* READ or WRITE of len bytes at gpa; off < 0 for the file position. */
static int64_t op_rw(struct fixture *f, uint16_t op, int64_t h, uint64_t gpa,
		     uint32_t len, int64_t off, uint32_t flags)
{
	fake_req_init(&f->req, op, h);
	f->req.len = len;
	f->req.flags = flags;
	if (off >= 0) {
		f->req.flags |= DEVCALL_REQ_F_OFFSET;
		f->req.offset = off;
	}
	fake_req_seg(&f->req, gpa, len, op == DEVCALL_OP_READ ?
		     GUEST_SEG_FROM_HOST : GUEST_SEG_TO_HOST, 0);
	dispatch_request(f->vm, &f->req, &f->resp);
	return f->resp.result;
}

static int64_t op_ioctl_out(struct fixture *f, int64_t h, uint32_t cmd,
			    void *out, uint32_t len)
{
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = cmd;
	f->req.len = len;
	f->req.inline_len = len;
	dispatch_request(f->vm, &f->req, &f->resp);
	if (f->resp.result >= 0)
		memcpy(out, f->resp.inline_data, len);
	return f->resp.result;
}

static int64_t op_close(struct fixture *f, int64_t h)
{
	fake_req_init(&f->req, DEVCALL_OP_CLOSE, h);
	dispatch_request(f->vm, &f->req, &f->resp);
	return f->resp.result;
}

static void test_dev_zero_and_null(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc_straddling(&f->g, 8192);
	uint8_t b[8192];
	int64_t hz, hn;
	unsigned int i;

	memset(b, 0xff, sizeof(b));
	fake_guest_write(&f->g, buf, b, sizeof(b));
	hz = op_open(f, 1, DEVCALL_O_RDONLY);
	assert_true(hz > 0);
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, hz, buf, 8192, -1, 0), 8192);
	fake_guest_read(&f->g, buf, b, sizeof(b));
	for (i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0);
	hn = op_open(f, 2, DEVCALL_O_RDWR);
	assert_true(hn > 0);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, hn, buf, 8192, -1, 0), 8192);
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, hn, buf, 100, -1, 0), 0);
	/* A character device is not seekable for the guest. */
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, hz, buf, 10, 0, 0), -ESPIPE);
	assert_int_equal(op_close(f, hz), 0);
	assert_int_equal(op_close(f, hn), 0);
}

static void test_ptmx_nonblock(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc(&f->g, 64);
	unsigned int ptn;
	int64_t h;

	h = op_open(f, 3, DEVCALL_O_RDWR | DEVCALL_O_NONBLOCK);
	assert_true(h > 0);
	assert_int_equal(op_ioctl_out(f, h, TIOCGPTN, &ptn, 4), 0);
	/* Nothing written to the pty: a non-blocking read fails at once. */
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, h, buf, 64, -1,
			       DEVCALL_REQ_F_NONBLOCK), -EAGAIN);
	assert_int_equal(op_close(f, h), 0);
}

static void test_zram_write_read_size(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc_straddling(&f->g, 65536);
	static uint8_t pat[65536], back[65536];
	char path[32];
	uint64_t size = 0;
	int sector = 0, fd;
	int64_t h;
	unsigned int i;

	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (i * 31 + 7) ^ (i >> 8);
	fake_guest_write(&f->g, buf, pat, sizeof(pat));
	h = op_open(f, 4, DEVCALL_O_RDWR);
	assert_true(h > 0);
	assert_int_equal(f->resp.size, DISK_SIZE);
	assert_true(f->resp.flags & DEVCALL_RESP_F_BLOCK);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 65536, 1 << 20, 0),
			 65536);
	/* The host sees the bytes where the guest put them. */
	snprintf(path, sizeof(path), "/dev/zram%d", f->zram);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, back, sizeof(back), 1 << 20), 65536);
	close(fd);
	assert_memory_equal(back, pat, sizeof(pat));
	/* And the guest reads them back. */
	fake_guest_write(&f->g, buf, memset(back, 0, sizeof(back)), 65536);
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, h, buf, 65536, 1 << 20, 0),
			 65536);
	fake_guest_read(&f->g, buf, back, sizeof(back));
	assert_memory_equal(back, pat, sizeof(pat));
	/* A short read at the end of the device. */
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, h, buf, 65536,
			       DISK_SIZE - 4096, 0), 4096);
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, h, buf, 4096, DISK_SIZE, 0),
			 0);
	/* Size and sector size through forwarded ioctls. */
	assert_int_equal(op_ioctl_out(f, h, BLKGETSIZE64, &size, 8), 0);
	assert_int_equal(size, DISK_SIZE);
	assert_int_equal(op_ioctl_out(f, h, BLKSSZGET, &sector, 4), 0);
	assert_true(sector == 512 || sector == 4096);
	assert_int_equal(op_close(f, h), 0);
}

static void test_zram_read_only_export(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc(&f->g, 4096);
	uint8_t b[4096], back[4096];
	char path[32];
	int fd;
	int64_t h;

	snprintf(path, sizeof(path), "/dev/zram%d", f->zram);
	memset(b, 0x3c, sizeof(b));
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, b, sizeof(b), 0), 4096);
	assert_int_equal(op_open(f, 5, DEVCALL_O_RDWR), -EROFS);
	h = op_open(f, 5, DEVCALL_O_RDONLY);
	assert_true(h > 0);
	memset(b, 0xc3, sizeof(b));
	fake_guest_write(&f->g, buf, b, sizeof(b));
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 4096, 0, 0), -EBADF);
	assert_int_equal(pread(fd, back, sizeof(back), 0), 4096);
	assert_int_equal(back[0], 0x3c);
	assert_int_equal(back[4095], 0x3c);
	close(fd);
	assert_int_equal(op_close(f, h), 0);
}

static int blkpg(struct fixture *f, int64_t h, int op, int pno)
{
	struct blkpg_partition p = { .start = 1 << 20, .length = 8 << 20,
				     .pno = pno };
	struct blkpg_ioctl_arg a = { .op = op, .datalen = sizeof(p),
				     .data = (void *)0x7fffdead0000 };
	uint64_t pgpa = fake_guest_alloc(&f->g, sizeof(p));

	fake_guest_write(&f->g, pgpa, &p, sizeof(p));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKPG;
	f->req.len = sizeof(a);
	f->req.inline_len = sizeof(a);
	memcpy(f->req.inline_data, &a, sizeof(a));
	fake_req_seg(&f->req, pgpa, sizeof(p), GUEST_SEG_TO_HOST, 1);
	dispatch_request(f->vm, &f->req, &f->resp);
	return f->resp.result;
}

static bool partition_visible(const char *loop)
{
	char path[128], line[256], want[64];
	const char *name = strrchr(loop, '/') + 1;
	struct stat st;
	bool found = false;
	FILE *pp;

	snprintf(path, sizeof(path), "/sys/block/%s/%sp1", name, name);
	snprintf(want, sizeof(want), " %sp1\n", name);
	pp = fopen("/proc/partitions", "r");
	while (pp && fgets(line, sizeof(line), pp))
		if (strstr(line, want))
			found = true;
	if (pp)
		fclose(pp);
	return found && stat(path, &st) == 0;
}

static void test_loop_blkpg_partition(void **state)
{
	struct fixture *f = *state;
	int64_t h = op_open(f, 6, DEVCALL_O_RDWR);

	assert_true(h > 0);
	assert_false(partition_visible(f->loop));
	assert_int_equal(blkpg(f, h, BLKPG_ADD_PARTITION, 1), 0);
	assert_true(partition_visible(f->loop));
	/* Adding it twice is the kernel's error, forwarded. */
	assert_int_equal(blkpg(f, h, BLKPG_ADD_PARTITION, 1), -EBUSY);
	assert_int_equal(blkpg(f, h, BLKPG_DEL_PARTITION, 1), 0);
	assert_false(partition_visible(f->loop));
	assert_int_equal(op_close(f, h), 0);
}

/* Which host drivers' read/write payloads carry addresses. */
static void test_rw_pointers_table(void **state)
{
	(void)state;
	assert_string_equal(backend_sys_rw_pointers(21, 0, NULL), "sg");
	assert_string_equal(backend_sys_rw_pointers(21, 7, "sg7"), "sg");
	assert_string_equal(backend_sys_rw_pointers(250, 0, "bsg/0:0:0:0"),
			    "bsg");
	assert_string_equal(backend_sys_rw_pointers(231, 192, ""), "uverbs");
	assert_string_equal(backend_sys_rw_pointers(240, 3,
						    "infiniband/uverbs3"),
			    "uverbs");
	assert_string_equal(backend_sys_rw_pointers(10, 58,
						    "infiniband/rdma_cm"),
			    "rdma_cm");
	/* umad shares the InfiniBand major; its payloads hold no addresses. */
	assert_null(backend_sys_rw_pointers(231, 0, "infiniband/umad0"));
	assert_null(backend_sys_rw_pointers(1, 3, "null"));
	assert_null(backend_sys_rw_pointers(5, 2, "ptmx"));
	assert_null(backend_sys_rw_pointers(10, 58, "rdma_cm"));
	assert_null(backend_sys_rw_pointers(250, 0, "bsg"));
	assert_null(backend_sys_rw_pointers(0, 0, NULL));
}

static char sys_log[512];
static unsigned int sys_nr_logs;

static void sys_capture_log(enum log_level level, const char *line)
{
	(void)level;
	snprintf(sys_log, sizeof(sys_log), "%s", line);
	sys_nr_logs++;
}

/* A sysfs in which /dev/ptmx (5:2) is the rdma_cm misc device. */
static void fake_sysfs(char *root, size_t len)
{
	char dir[160], path[192];
	FILE *fp;

	snprintf(root, len, "/tmp/devcall-sysfs-XXXXXX");
	if (!mkdtemp(root))
		fail_msg("mkdtemp");
	snprintf(dir, sizeof(dir), "%s/dev", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/dev/char", root);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/dev/char/5:2", root);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/uevent", dir);
	fp = fopen(path, "w");
	if (!fp)
		fail_msg("cannot write %s", path);
	fputs("MAJOR=5\nMINOR=2\nDEVNAME=infiniband/rdma_cm\n", fp);
	fclose(fp);
}

static void rm_fake_sysfs(const char *root)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		fprintf(stderr, "warning: %s failed\n", cmd);
}

/*
 * A node classified as carrying addresses in its read/write payloads: READ
 * and WRITE never reach the driver (a pty master would take the bytes),
 * one log line per file, and its ioctls still work.
 */
static void test_rw_pointers_refused(void **state)
{
	struct fixture *f = *state;
	uint64_t small = fake_guest_alloc(&f->g, 64);
	uint64_t big = fake_guest_alloc(&f->g, 8192);
	unsigned int ptn;
	char root[64];
	int64_t h;

	fake_sysfs(root, sizeof(root));
	log_set_sink(sys_capture_log);
	sys_nr_logs = 0;
	backend_sys_set_sysfs_root(root);
	h = op_open(f, 3, DEVCALL_O_RDWR | DEVCALL_O_NONBLOCK);
	backend_sys_set_sysfs_root(NULL);
	rm_fake_sysfs(root);
	assert_true(h > 0);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, small, 64, -1, 0),
			 -EOPNOTSUPP);
	assert_int_equal(sys_nr_logs, 1);
	assert_non_null(strstr(sys_log, "/dev/ptmx"));
	assert_non_null(strstr(sys_log, "rdma_cm"));
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, big, 8192, -1, 0),
			 -EOPNOTSUPP);
	assert_int_equal(op_rw(f, DEVCALL_OP_READ, h, small, 64, -1,
			       DEVCALL_REQ_F_NONBLOCK), -EOPNOTSUPP);
	assert_int_equal(sys_nr_logs, 1);	/* once per file */
	assert_int_equal(op_ioctl_out(f, h, TIOCGPTN, &ptn, 4), 0);
	assert_int_equal(op_close(f, h), 0);

	/* The same node, classified by the real sysfs: a plain pty. */
	h = op_open(f, 3, DEVCALL_O_RDWR | DEVCALL_O_NONBLOCK);
	assert_true(h > 0);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, small, 64, -1, 0), 64);
	assert_int_equal(sys_nr_logs, 1);
	assert_int_equal(op_close(f, h), 0);
	log_set_sink(NULL);
}

/* Without host-partitions = allow the host's partitions stay as they are. */
static void test_loop_blkpg_refused(void **state)
{
	struct fixture *f = *state;
	int64_t h = op_open(f, 7, DEVCALL_O_RDWR);

	assert_true(h > 0);
	assert_int_equal(blkpg(f, h, BLKPG_ADD_PARTITION, 1), -EPERM);
	assert_false(partition_visible(f->loop));
	fake_req_init(&f->req, DEVCALL_OP_IOCTL, h);
	f->req.cmd = BLKRRPART;
	dispatch_request(f->vm, &f->req, &f->resp);
	assert_int_equal(f->resp.result, -EPERM);
	assert_int_equal(op_close(f, h), 0);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/*
 * A regular file does not grow past its size at the first open (4096),
 * or past max-size; a write that starts below the cap is shortened, one
 * at or past it is EFBIG, at an offset and at the file position alike.
 */
static void test_file_max_size(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc(&f->g, 8192);
	int64_t h;

	h = op_open(f, 8, DEVCALL_O_RDWR);
	assert_true(h > 0);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 1024, 0, 0), 1024);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 1024, 4096, 0),
			 -EFBIG);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 1024, 3584, 0),
			 512);
	assert_int_equal(file_size(f->file), 4096);
	/* At the file position (0: pwrite does not move it), then past. */
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 3072, -1, 0),
			 3072);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 4096, -1, 0),
			 1024);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 1, -1, 0), -EFBIG);
	assert_int_equal(file_size(f->file), 4096);
	assert_int_equal(op_close(f, h), 0);

	/* max-size = 6000: up to 6000 bytes. */
	h = op_open(f, 9, DEVCALL_O_RDWR);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 8192, 0, 0), 6000);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 8, 6000, 0),
			 -EFBIG);
	assert_int_equal(file_size(f->file), 6000);
	assert_int_equal(op_close(f, h), 0);

	/* The default export's cap was recorded at its first open. */
	h = op_open(f, 8, DEVCALL_O_RDWR);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 8, 5000, 0),
			 -EFBIG);
	assert_int_equal(op_close(f, h), 0);

	/* grow: no cap. */
	h = op_open(f, 10, DEVCALL_O_RDWR);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 8192, 8192, 0),
			 8192);
	assert_int_equal(file_size(f->file), 16384);
	assert_int_equal(op_close(f, h), 0);
}

static int64_t op_fsync(struct fixture *f, int64_t h, bool datasync)
{
	fake_req_init(&f->req, DEVCALL_OP_FSYNC, h);
	f->req.arg = datasync;
	dispatch_request(f->vm, &f->req, &f->resp);
	return f->resp.result;
}

/* Flush requests the host block layer completed for dev (stat field 16). */
static unsigned long host_flushes(const char *dev)
{
	unsigned long v[17] = { 0 };
	char path[96];
	FILE *fp;
	int i;

	snprintf(path, sizeof(path), "/sys/block/%s/stat",
		 strrchr(dev, '/') + 1);
	fp = fopen(path, "re");
	if (!fp)
		fail_msg("cannot read %s", path);
	for (i = 0; i < 17; i++)
		if (fscanf(fp, "%lu", &v[i]) != 1)
			fail_msg("%s: no flush counters (kernel < 5.5?)", path);
	fclose(fp);
	return v[15];
}

/* What the host says to fsync(2) or fdatasync(2) on path itself. */
static int64_t native_fsync(const char *path, bool datasync)
{
	int fd = open(path, O_RDWR), ret;

	if (fd < 0)
		return -errno;
	ret = datasync ? fdatasync(fd) : fsync(fd);
	ret = ret < 0 ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * FSYNC runs the host's fsync or fdatasync on the host fd: on a loop
 * device the host block layer sees the flush; on /dev/null the answer is
 * the host's (EINVAL); zram and a regular file succeed.
 */
static void test_fsync_host_nodes(void **state)
{
	struct fixture *f = *state;
	uint64_t buf = fake_guest_alloc(&f->g, 4096);
	unsigned long before;
	char zram[32];
	int64_t h;
	int i;

	/* /dev/null: as the host answers, for both. */
	h = op_open(f, 2, DEVCALL_O_RDWR);
	assert_true(h > 0);
	assert_int_equal(op_fsync(f, h, false), native_fsync("/dev/null", false));
	assert_int_equal(op_fsync(f, h, true), native_fsync("/dev/null", true));
	assert_int_equal(f->resp.result, -EINVAL);
	assert_int_equal(op_close(f, h), 0);

	/* A loop device: written, then flushed down to the host's disk. */
	h = op_open(f, 7, DEVCALL_O_RDWR);
	assert_true(h > 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 4096,
				       i * 4096, 0), 4096);
		before = host_flushes(f->loop);
		assert_int_equal(op_fsync(f, h, i == 1), 0);
		assert_true(host_flushes(f->loop) > before);
	}
	assert_int_equal(op_close(f, h), 0);

	/* zram (no cache to flush) and a regular file: both succeed. */
	snprintf(zram, sizeof(zram), "/dev/zram%d", f->zram);
	h = op_open(f, 4, DEVCALL_O_RDONLY);
	assert_int_equal(op_fsync(f, h, false), 0);
	assert_int_equal(op_fsync(f, h, true), native_fsync(zram, true));
	assert_int_equal(op_close(f, h), 0);
	h = op_open(f, 8, DEVCALL_O_RDWR);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 512, 0, 0), 512);
	assert_int_equal(op_fsync(f, h, false), 0);
	assert_int_equal(op_fsync(f, h, true), 0);
	assert_int_equal(op_close(f, h), 0);
}

/*
 * The open(2) flags of the one descriptor this process holds on path (the
 * backend's), from /proc/self/fdinfo; -1 if there is not exactly one.
 */
static long host_fd_flags(const char *path)
{
	char link[300], target[256], line[128];
	struct dirent *de;
	long flags = -1;
	int found = 0;
	ssize_t n;
	DIR *d;
	FILE *fp;

	d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, path))
			continue;
		found++;
		snprintf(link, sizeof(link), "/proc/self/fdinfo/%s",
			 de->d_name);
		fp = fopen(link, "re");
		while (fp && fgets(line, sizeof(line), fp))
			if (!strncmp(line, "flags:", 6))
				flags = strtol(line + 6, NULL, 8);
		if (fp)
			fclose(fp);
	}
	closedir(d);
	return found == 1 ? flags : -1;
}

/*
 * O_DIRECT, O_SYNC and O_DSYNC are on the host's descriptor; O_DIRECT
 * follows the guest's fcntl.
 */
static void test_open_flags_on_host_fd(void **state)
{
	struct fixture *f = *state;
	static const struct {
		uint64_t wire;
		long want;	/* of O_DIRECT | O_SYNC (O_DSYNC's bit too) */
	} cases[] = {
		{ DEVCALL_O_RDWR | DEVCALL_O_DIRECT, O_DIRECT },
		{ DEVCALL_O_RDWR | DEVCALL_O_DSYNC, O_DSYNC },
		{ DEVCALL_O_WRONLY | DEVCALL_O_SYNC, O_SYNC },
		{ DEVCALL_O_RDONLY | DEVCALL_O_DIRECT | DEVCALL_O_SYNC,
		  O_SYNC | O_DIRECT },
		{ DEVCALL_O_RDWR, 0 },
	};
	unsigned int i;
	uint64_t buf;
	long flags;
	int64_t h;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h = op_open(f, 7, cases[i].wire);
		assert_true(h > 0);
		flags = host_fd_flags(f->loop);
		assert_true(flags >= 0);
		assert_int_equal(flags & (O_DIRECT | O_SYNC), cases[i].want);
		assert_int_equal(op_close(f, h), 0);
	}
	/* The guest's fcntl drops O_DIRECT, then takes it back: the host fd
	 * follows, and a misaligned write works only in between. */
	buf = fake_guest_alloc(&f->g, 100);
	h = op_open(f, 7, DEVCALL_O_RDWR | DEVCALL_O_DIRECT);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 100, 0,
			       DEVCALL_REQ_F_DIRECT), -EINVAL);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 100, 0, 0), 100);
	assert_int_equal(host_fd_flags(f->loop) & O_DIRECT, 0);
	assert_int_equal(op_rw(f, DEVCALL_OP_WRITE, h, buf, 100, 0,
			       DEVCALL_REQ_F_DIRECT), -EINVAL);
	assert_int_equal(host_fd_flags(f->loop) & O_DIRECT, O_DIRECT);
	assert_int_equal(op_close(f, h), 0);

	/* A node without O_DIRECT: the host's EINVAL, nothing left open. */
	assert_int_equal(op_open(f, 2, DEVCALL_O_RDWR | DEVCALL_O_DIRECT),
			 -EINVAL);
	assert_int_equal(vm_open_count(f->vm), 0);
}

/*
 * One O_DIRECT pwrite (of data) or pread (into data) of len bytes at off
 * on path by the host itself, its buffer skew bytes into a page.
 */
static int64_t native_direct(const char *path, bool write, size_t skew,
			     uint8_t *data, size_t len, off_t off)
{
	uint8_t *mem = aligned_alloc(4096, 4 * 4096);
	int fd = open(path, O_RDWR | O_DIRECT);
	ssize_t n;

	if (!mem || fd < 0)
		fail_msg("native O_DIRECT open of %s: %s", path,
			 strerror(errno));
	if (write)
		memcpy(mem + skew, data, len);
	n = write ? pwrite(fd, mem + skew, len, off) :
		    pread(fd, mem + skew, len, off);
	if (n > 0 && !write)
		memcpy(data, mem + skew, n);
	n = n < 0 ? -errno : n;
	close(fd);
	free(mem);
	return n;
}

/* Buffered: len bytes of path at off into data, or the fill byte out. */
static void native_plain(const char *path, bool write, uint8_t *data,
			 size_t len, off_t off)
{
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	if (write)
		assert_int_equal(pwrite(fd, data, len, off), len);
	else
		assert_int_equal(pread(fd, data, len, off), len);
	assert_int_equal(fsync(fd), 0);
	close(fd);
}

/*
 * O_DIRECT through the guest is O_DIRECT on the host: each shape gets the
 * host's own answer - buffer alignment (copied small writes keep the
 * guest's), length and offset - and the bytes land where the host's own
 * call puts them, on a 512-byte-sector loop device and a 4 KiB zram.
 * (zram on 6.18 takes a 4 KiB block from two pages that are not
 * physically contiguous and stores other bytes than it was given - the
 * host's own pwritev of two iovecs too; there only the result counts.)
 */
static void test_direct_io_as_host(void **state)
{
	struct fixture *f = *state;
	static const struct {
		size_t skew, len;
		off_t off;
	} shapes[] = {
		{ 0, 4096, 0 }, { 0, 512, 512 }, { 1, 512, 0 },
		{ 512, 512, 1024 }, { 1, 4096, 0 }, { 512, 4096, 4096 },
		{ 16, 4096, 0 }, { 0, 100, 0 }, { 0, 4096, 100 },
		{ 0, 8192, 8192 }, { 1, 8192, 0 }, { 512, 8192, 0 },
	};
	static uint8_t pat[16384], junk[16384], host[16384], guest[16384];
	uint64_t base = fake_guest_alloc(&f->g, 4 * 4096);
	const char *dev[2];
	uint32_t exp[2] = { 7, 4 };
	char zram[32];
	unsigned int d, i;
	int64_t h, want, got;

	base = (base + 4095) & ~4095ull;
	snprintf(zram, sizeof(zram), "/dev/zram%d", f->zram);
	dev[0] = f->loop;
	dev[1] = zram;
	for (i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(i * 13 + 5);
	memset(junk, 0xee, sizeof(junk));
	for (d = 0; d < 2; d++) {
		h = op_open(f, exp[d], DEVCALL_O_RDWR | DEVCALL_O_DIRECT);
		assert_true(h > 0);
		for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
			uint64_t gpa = base + shapes[i].skew;
			size_t n = shapes[i].len, m = sizeof(host);
			bool faithful;
			off_t off = shapes[i].off;

			/* Writes: the result, then what the device holds. */
			native_plain(dev[d], true, junk, m, 0);
			want = native_direct(dev[d], true, shapes[i].skew,
					     pat, n, off);
			native_plain(dev[d], false, host, m, 0);
			native_plain(dev[d], true, junk, m, 0);
			fake_guest_write(&f->g, gpa, pat, n);
			got = op_rw(f, DEVCALL_OP_WRITE, h, gpa, n, off,
				    DEVCALL_REQ_F_DIRECT);
			native_plain(dev[d], false, guest, m, 0);
			faithful = want > 0 && (d == 0 || !shapes[i].skew);
			if (got != want || (faithful && memcmp(host, guest, m)))
				fail_msg("%s: write shape %u: %ld, host %ld%s",
					 dev[d], i, (long)got, (long)want,
					 got == want ? ", other bytes" : "");

			/* Reads: the result and the bytes read. */
			native_plain(dev[d], true, pat, m, 0);
			memset(host, 0, n);
			want = native_direct(dev[d], false, shapes[i].skew,
					     host, n, off);
			fake_guest_write(&f->g, gpa, memset(guest, 0, n), n);
			got = op_rw(f, DEVCALL_OP_READ, h, gpa, n, off,
				    DEVCALL_REQ_F_DIRECT);
			fake_guest_read(&f->g, gpa, guest, n);
			if (got != want || (got > 0 && memcmp(host, guest, got)))
				fail_msg("%s: read shape %u: %ld, host %ld%s",
					 dev[d], i, (long)got, (long)want,
					 got > 0 && memcmp(host, guest, got) ?
					 ", other bytes" : "");
		}
		assert_int_equal(op_close(f, h), 0);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static const struct CMUnitTest tests[] = {
	T(test_dev_zero_and_null),
	T(test_ptmx_nonblock),
	T(test_zram_write_read_size),
	T(test_zram_read_only_export),
	T(test_loop_blkpg_partition),
	cmocka_unit_test(test_rw_pointers_table),
	T(test_rw_pointers_refused),
	T(test_loop_blkpg_refused),
	T(test_file_max_size),
	T(test_fsync_host_nodes),
	T(test_open_flags_on_host_fd),
	T(test_direct_io_as_host),
};

TEST_MAIN("backend_sys", tests, NULL, NULL)
