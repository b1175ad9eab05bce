// SPDX-License-Identifier: MIT
/*
 * dcdev: real host devices driven from the guest through /dev/devcall
 * nodes, for test_devices.sh: descriptor-passing ioctls (LOOP_CONFIGURE),
 * descriptor-returning ones (TIOCGPTPEER, KVM_CREATE_VM/VCPU), tun, loop
 * control and block ioctls. One line per check:
 *   CHECK <name> ok|fail [detail]   and   VALUE <name> <value>
 *
 *   dcdev loop CTL LOOPDEV IMG N SECS  LOOP_CTL_GET_FREE and ADD(N) on CTL,
 *                                      LOOP_CONFIGURE LOOPDEV (the host's
 *                                      /dev/loopN) with IMG's descriptor,
 *                                      a pattern through it, BOUND, SECS
 *                                      of waiting, then clear and REMOVE
 *   dcdev zram DEV                     BLKGETSIZE64, BLKSSZGET, BLKDISCARD
 *   dcdev pty PTMX OTHER               TIOCGPTPEER: both ends talk; OTHER
 *                                      (not a pty) answers ENOTTY
 *   dcdev kvm KVM                      API version, CREATE_VM, CREATE_VCPU,
 *                                      GET/SET_REGS, memory region refused
 *   dcdev tun TUN NAME SECS            TUNSETIFF (a tap NAME), TAP-READY,
 *                                      frames both ways for up to SECS
 *
 * Built -m32 too (dcdev32): a 32-bit process's descriptor ioctls go
 * through the frontend's compat_ioctl; its check names start "m32-".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/loop.h>

#define ETH_TYPE_TEST	0x88b5		/* IEEE local experimental */

static int failures;
/* A 32-bit build's checks are told apart from the 64-bit ones. */
static const char *prefix = sizeof(long) == 4 ? "m32-" : "";

static void check(const char *name, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(const char *name, int ok, const char *fmt, ...)
{
	char detail[256] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("CHECK %s%s %s %s\n", prefix, name, ok ? "ok" : "fail",
	       detail);
	fflush(stdout);
	if (!ok)
		failures++;
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0) {
		printf("CHECK %sopen-%s fail %s\n", prefix, path,
		       strerror(errno));
		exit(1);
	}
	return fd;
}

static void pattern(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + 5);
}

static int cmd_loop(const char *ctl_path, const char *loop_path,
		    const char *img_path, int n, int secs)
{
	struct loop_config lc;
	struct loop_info64 info;
	uint8_t buf[4096], back[4096];
	int ctl, loop, img, p[2], ret, i;
	uint64_t size;

	ctl = open_or_die(ctl_path, O_RDWR);
	ret = ioctl(ctl, LOOP_CTL_GET_FREE);
	check("loop-ctl-get-free", ret >= 0, "%d %s", ret,
	      ret < 0 ? strerror(errno) : "");
	ret = ioctl(ctl, LOOP_CTL_ADD, n);
	check("loop-ctl-add", ret == n, "%d %s", ret,
	      ret < 0 ? strerror(errno) : "");
	loop = open_or_die(loop_path, O_RDWR);
	img = open_or_die(img_path, O_RDWR);

	/* Descriptors that are no devcall file of this VM: EBADF. */
	memset(&lc, 0, sizeof(lc));
	if (pipe(p))
		return 1;
	lc.fd = p[0];
	ret = ioctl(loop, LOOP_CONFIGURE, &lc);
	check("loop-configure-pipe-ebadf", ret < 0 && errno == EBADF, "%d %s",
	      ret, strerror(errno));
	lc.fd = 4321;
	ret = ioctl(loop, LOOP_CONFIGURE, &lc);
	check("loop-configure-badfd-ebadf", ret < 0 && errno == EBADF,
	      "%d %s", ret, strerror(errno));
	ret = ioctl(loop, LOOP_SET_FD, p[1]);
	check("loop-set-fd-pipe-ebadf", ret < 0 && errno == EBADF, "%d %s",
	      ret, strerror(errno));

	memset(&lc, 0, sizeof(lc));
	lc.fd = img;
	lc.block_size = 512;
	snprintf((char *)lc.info.lo_file_name, LO_NAME_SIZE, "devcall-e2e");
	ret = ioctl(loop, LOOP_CONFIGURE, &lc);
	check("loop-configure", ret == 0, "%d %s", ret,
	      ret ? strerror(errno) : "");
	if (ret)
		return 1;
	/* The argument came back untouched: our own descriptor number. */
	check("loop-configure-fd-unchanged", lc.fd == (uint32_t)img, "%u",
	      lc.fd);

	memset(&info, 0, sizeof(info));
	ret = ioctl(loop, LOOP_GET_STATUS64, &info);
	check("loop-get-status64", ret == 0 &&
	      !strcmp((char *)info.lo_file_name, "devcall-e2e"), "%d %s",
	      ret, (char *)info.lo_file_name);
	size = 0;
	ret = ioctl(loop, BLKGETSIZE64, &size);
	printf("VALUE loop-size %llu\n", (unsigned long long)size);
	check("loop-blkgetsize64", ret == 0 && size > 0, "%llu",
	      (unsigned long long)size);
	ret = ioctl(loop, BLKSSZGET, &i);
	check("loop-blksszget", ret == 0 && i == 512, "%d", i);

	/* Through the host's loop device into the image file. */
	pattern(buf, sizeof(buf));
	ret = pwrite(loop, buf, sizeof(buf), 8192);
	check("loop-write", ret == (int)sizeof(buf), "%d", ret);
	ret = fsync(loop);
	check("loop-fsync", ret == 0, "%d", ret);
	ret = pread(img, back, sizeof(back), 8192);
	check("loop-data-in-image", ret == (int)sizeof(back) &&
	      !memcmp(buf, back, sizeof(buf)), "%d", ret);

	printf("%sBOUND\n", prefix);
	fflush(stdout);
	sleep(secs);

	ret = ioctl(loop, LOOP_CLR_FD);
	check("loop-clr-fd", ret == 0, "%d %s", ret, ret ? strerror(errno) : "");
	close(loop);
	close(img);
	/* Clearing may finish when the last opener (the daemon) is gone. */
	for (i = 0; i < 50; i++) {
		ret = ioctl(ctl, LOOP_CTL_REMOVE, n);
		if (ret == 0 || errno != EBUSY)
			break;
		usleep(100000);
	}
	check("loop-ctl-remove", ret == 0, "%d %s", ret,
	      ret ? strerror(errno) : "");
	close(ctl);
	return failures != 0;
}

static int cmd_zram(const char *dev)
{
	uint64_t size = 0, range[2];
	int fd = open_or_die(dev, O_RDWR), ssz = 0, ret;

	ret = ioctl(fd, BLKGETSIZE64, &size);
	printf("VALUE zram-size %llu\n", (unsigned long long)size);
	check("zram-blkgetsize64", ret == 0 && size > 0, "%llu",
	      (unsigned long long)size);
	ret = ioctl(fd, BLKSSZGET, &ssz);
	printf("VALUE zram-ssz %d\n", ssz);
	check("zram-blksszget", ret == 0 && ssz > 0, "%d", ssz);
	range[0] = 0;
	range[1] = size;
	ret = ioctl(fd, BLKDISCARD, range);
	check("zram-blkdiscard", ret == 0, "%d %s", ret,
	      ret ? strerror(errno) : "");
	close(fd);
	return failures != 0;
}

/* Read exactly n bytes (a pty may hand them over in pieces). */
static int read_all(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, buf + got, n - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int cmd_pty(const char *ptmx, const char *other)
{
	int master, peer, o, unlock = 0, ret;
	unsigned int n = 0;
	struct termios t;
	char buf[16] = "";

	master = open_or_die(ptmx, O_RDWR | O_NOCTTY);
	ret = ioctl(master, TIOCSPTLCK, &unlock);
	check("pty-unlock", ret == 0, "%d", ret);
	ret = ioctl(master, TIOCGPTN, &n);
	check("pty-tiocgptn", ret == 0, "%u", n);
	peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	check("pty-tiocgptpeer", peer >= 0 && peer != master, "%d %s", peer,
	      peer < 0 ? strerror(errno) : "");
	if (peer < 0)
		return 1;
	/* Raw, so bytes pass as they are; TCGETS/TCSETS on the new file. */
	ret = tcgetattr(peer, &t);
	cfmakeraw(&t);
	if (!ret)
		ret = tcsetattr(peer, TCSANOW, &t);
	check("pty-peer-termios", ret == 0, "%d %s", ret,
	      ret ? strerror(errno) : "");
	ret = write(master, "ping", 4);
	check("pty-master-write", ret == 4, "%d", ret);
	ret = read_all(peer, buf, 4);
	check("pty-peer-reads", !ret && !memcmp(buf, "ping", 4), "%.4s", buf);
	ret = write(peer, "pong", 4);
	check("pty-peer-write", ret == 4, "%d", ret);
	memset(buf, 0, sizeof(buf));
	ret = read_all(master, buf, 4);
	check("pty-master-reads", !ret && !memcmp(buf, "pong", 4), "%.4s",
	      buf);
	/* Closing our descriptor closes the host's peer: a hangup. */
	close(peer);
	ret = read(master, buf, sizeof(buf));
	check("pty-peer-close-hangup", ret < 0 && errno == EIO, "%d %s", ret,
	      strerror(errno));
	close(master);

	o = open_or_die(other, O_RDWR);
	ret = ioctl(o, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	check("tiocgptpeer-not-a-pty", ret < 0 && errno == ENOTTY, "%d %s",
	      ret, strerror(errno));
	close(o);
	return failures != 0;
}

static int cmd_kvm(const char *path)
{
	struct kvm_userspace_memory_region region;
	struct kvm_regs regs, back;
	int kvm, vm, vcpu, ret;
	static char mem[65536] __attribute__((aligned(4096)));

	kvm = open_or_die(path, O_RDWR);
	ret = ioctl(kvm, KVM_GET_API_VERSION, 0);
	check("kvm-api-version", ret == 12, "%d", ret);
	ret = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY);
	check("kvm-check-extension", ret > 0, "%d", ret);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	check("kvm-create-vm", vm >= 0, "%d %s", vm,
	      vm < 0 ? strerror(errno) : "");
	if (vm < 0)
		return 1;
	ret = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	check("kvm-vm-check-extension", ret > 0, "%d", ret);
	memset(&region, 0, sizeof(region));
	region.memory_size = sizeof(mem);
	region.userspace_addr = (uintptr_t)mem;
	ret = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);
	check("kvm-memory-region-refused", ret < 0 && errno == EPERM,
	      "%d %s", ret, strerror(errno));
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	check("kvm-create-vcpu", vcpu >= 0, "%d %s", vcpu,
	      vcpu < 0 ? strerror(errno) : "");
	if (vcpu < 0)
		return 1;
	ret = ioctl(vcpu, KVM_GET_REGS, &regs);
	check("kvm-get-regs", ret == 0, "%d rip 0x%llx", ret,
	      (unsigned long long)regs.rip);
	regs.rax = 0x1234abcd;
	regs.rbx = 0x5678;
	regs.rip = 0x1000;
	ret = ioctl(vcpu, KVM_SET_REGS, &regs);
	check("kvm-set-regs", ret == 0, "%d", ret);
	memset(&back, 0, sizeof(back));
	ret = ioctl(vcpu, KVM_GET_REGS, &back);
	check("kvm-regs-round-trip", ret == 0 && back.rax == regs.rax &&
	      back.rbx == regs.rbx && back.rip == regs.rip,
	      "rax 0x%llx rip 0x%llx", (unsigned long long)back.rax,
	      (unsigned long long)back.rip);
	close(vcpu);
	close(vm);
	close(kvm);
	return failures != 0;
}

static int cmd_tun(const char *path, const char *name, int secs)
{
	static const uint8_t src[6] = { 0x02, 0xdc, 0, 0, 0, 1 };
	uint8_t frame[64], in[2048];
	int fd, ret, i, writes = 0, got = 0, after = 0;
	struct ifreq ifr;

	fd = open_or_die(path, O_RDWR);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	ret = ioctl(fd, TUNSETIFF, &ifr);
	check("tun-setiff", ret == 0 && !strcmp(ifr.ifr_name, name), "%d %s",
	      ret, ret ? strerror(errno) : ifr.ifr_name);
	if (ret)
		return 1;
	printf("TAP-READY %s\n", ifr.ifr_name);
	fflush(stdout);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, src, 6);
	frame[12] = ETH_TYPE_TEST >> 8;
	frame[13] = ETH_TYPE_TEST & 0xff;
	memcpy(frame + 14, "devcall-guest", 13);
	/* The tap is down until the host brings it up: EIO until then. */
	for (i = 0; i < secs * 10 && after < 10; i++) {
		if (write(fd, frame, 60) == 60)
			writes++;
		ret = read(fd, in, sizeof(in));
		if (ret >= 26 && in[12] == (ETH_TYPE_TEST >> 8) &&
		    in[13] == (ETH_TYPE_TEST & 0xff) &&
		    !memcmp(in + 14, "devcall-host", 12))
			got = 1;
		if (got)
			after++;
		usleep(100000);
	}
	check("tun-write", writes > 0, "%d frames", writes);
	check("tun-read", got, "%s", got ? "host frame" : "none");
	close(fd);
	return failures != 0;
}

/*
 * TUNSETIFF on an export without host-network = allow: refused (EPERM)
 * before the host's tun driver sees it; no interface appears.
 */
static int cmd_tun_refused(const char *path, const char *name)
{
	struct ifreq ifr;
	int fd, ret;

	fd = open_or_die(path, O_RDWR);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	ret = ioctl(fd, TUNSETIFF, &ifr);
	check("tun-setiff-needs-opt-in", ret < 0 && errno == EPERM, "%d %s",
	      ret, ret ? strerror(errno) : "created");
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 7 && !strcmp(argv[1], "loop"))
		return cmd_loop(argv[2], argv[3], argv[4], atoi(argv[5]),
				atoi(argv[6]));
	if (argc == 3 && !strcmp(argv[1], "zram"))
		return cmd_zram(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "pty"))
		return cmd_pty(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "kvm"))
		return cmd_kvm(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "tun-refused"))
		return cmd_tun_refused(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "tun"))
		return cmd_tun(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: see the comment at the top of dcdev.c\n");
	return 2;
}
