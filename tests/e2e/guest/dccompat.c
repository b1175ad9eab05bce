// SPDX-License-Identifier: MIT
/*
 * dccompat: the built-in ioctls as a program of either ABI issues them.
 * Built twice from this source, static: 64-bit and -m32; the e2e test
 * runs both in one guest on the same /dev/devcall nodes and compares
 * what they print, line by line. A line starting "ALT " is the 32-bit
 * build's own (a number only it has) and is checked apart.
 *
 *   dccompat sg DEV      SG_IO INQUIRY (plain and into a 2-element
 *                        iovec) and READ CAPACITY(10)
 *   dccompat tty DEV     TCGETS/TCSETS/TCSETSW/TCSETSF round trip,
 *                        TIOCSWINSZ/TIOCGWINSZ (a pty master)
 *   dccompat blk DEV     BLKGETSIZE64 (both numbers in a 32-bit
 *                        process), BLKSSZGET, BLKGETSIZE, BLKBSZGET,
 *                        BLKRAGET, with guard words after each value
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <asm/termbits.h>
#include <linux/fs.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#define GUARD		0x5a5a5a5au
#define SIZE64_32BIT	_IOR(0x12, 114, uint32_t)	/* 0x80041272 */
#define SIZE64_64BIT	_IOR(0x12, 114, uint64_t)	/* 0x80081272 */

static void sg_print(const char *what, const struct sg_io_hdr *h,
		     const uint8_t *sense, int rc, int err, void *cookie)
{
	printf("%s rc=%d errno=%d status=%u host=%u driver=%u resid=%d "
	       "sb_len_wr=%u info=%u pack_id=%d usr_ptr=%s", what, rc,
	       rc ? err : 0, h->status, h->host_status, h->driver_status,
	       h->resid, h->sb_len_wr, h->info, h->pack_id,
	       h->usr_ptr == cookie ? "same" : "changed");
	if (h->sb_len_wr)
		printf(" sense=%02x/%02x/%02x", sense[2] & 0xf, sense[12],
		       sense[13]);
	printf("\n");
}

static void hex(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s", what);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int sg_run(int fd, const uint8_t *cdb, unsigned int cdb_len,
		  void *data, unsigned int len, unsigned int iovs,
		  struct sg_io_hdr *h, uint8_t *sense, void *cookie)
{
	memset(h, 0, sizeof(*h));
	h->interface_id = 'S';
	h->dxfer_direction = len ? SG_DXFER_FROM_DEV : SG_DXFER_NONE;
	h->cmd_len = cdb_len;
	h->cmdp = (uint8_t *)cdb;
	h->mx_sb_len = 32;
	h->sbp = sense;
	h->dxfer_len = len;
	h->dxferp = data;
	h->iovec_count = iovs;
	h->timeout = 20000;
	h->pack_id = 77;
	h->usr_ptr = cookie;
	return ioctl(fd, SG_IO, h);
}

static int do_sg(int fd)
{
	static const uint8_t inquiry[6] = { 0x12, 0, 0, 0, 96, 0 };
	static const uint8_t capacity[10] = { 0x25 };
	uint8_t data[96], part[2][48], sense[32], cap[8];
	struct sg_iovec iov[2] = { { part[0], 40 }, { part[1], 48 } };
	struct sg_io_hdr h;
	int cookie, rc;

	memset(data, 0, sizeof(data));
	memset(sense, 0, sizeof(sense));
	rc = sg_run(fd, inquiry, 6, data, 96, 0, &h, sense, &cookie);
	sg_print("INQUIRY", &h, sense, rc, errno, &cookie);
	printf("INQUIRY vendor='%.8s' product='%.16s' rev='%.4s'\n",
	       data + 8, data + 16, data + 32);
	hex("INQUIRY data=", data, 36);

	memset(part, 0, sizeof(part));
	rc = sg_run(fd, inquiry, 6, iov, 88, 2, &h, sense, &cookie);
	sg_print("INQUIRY-IOV", &h, sense, rc, errno, &cookie);
	memcpy(data, part[0], 40);
	memcpy(data + 40, part[1], 48);
	printf("INQUIRY-IOV vendor='%.8s' product='%.16s'\n", data + 8,
	       data + 16);

	memset(cap, 0xee, sizeof(cap));
	memset(sense, 0, sizeof(sense));
	rc = sg_run(fd, capacity, 10, cap, 8, 0, &h, sense, &cookie);
	sg_print("READ-CAPACITY", &h, sense, rc, errno, &cookie);
	hex("READ-CAPACITY data=", cap, 8);
	return 0;
}

static void tio_print(const char *what, int rc, const struct termios *t)
{
	printf("%s rc=%d errno=%d iflag=%x oflag=%x cflag=%x lflag=%x "
	       "line=%u", what, rc, rc ? errno : 0, t->c_iflag, t->c_oflag,
	       t->c_cflag, t->c_lflag, t->c_line);
	hex(" cc=", t->c_cc, NCCS);
}

static int do_tty(int fd)
{
	struct termios t, u;
	struct winsize w = { .ws_row = 33, .ws_col = 101, .ws_xpixel = 7,
			     .ws_ypixel = 9 }, r;
	int rc;

	memset(&t, 0, sizeof(t));
	tio_print("TCGETS", ioctl(fd, TCGETS, &t), &t);
	u = t;
	u.c_lflag &= ~(ECHO | ICANON);
	u.c_cc[VMIN] = 3;
	u.c_cc[VTIME] = 4;
	printf("TCSETS rc=%d\n", ioctl(fd, TCSETS, &u));
	memset(&u, 0, sizeof(u));
	tio_print("TCGETS-AFTER", ioctl(fd, TCGETS, &u), &u);
	u.c_lflag |= ECHO;
	printf("TCSETSW rc=%d\n", ioctl(fd, TCSETSW, &u));
	u.c_oflag &= ~OPOST;
	printf("TCSETSF rc=%d\n", ioctl(fd, TCSETSF, &u));
	memset(&u, 0, sizeof(u));
	tio_print("TCGETS-LAST", ioctl(fd, TCGETS, &u), &u);
	printf("TCSETS-RESTORE rc=%d\n", ioctl(fd, TCSETS, &t));

	rc = ioctl(fd, TIOCSWINSZ, &w);
	printf("TIOCSWINSZ rc=%d\n", rc);
	memset(&r, 0, sizeof(r));
	rc = ioctl(fd, TIOCGWINSZ, &r);
	printf("TIOCGWINSZ rc=%d rows=%u cols=%u x=%u y=%u\n", rc, r.ws_row,
	       r.ws_col, r.ws_xpixel, r.ws_ypixel);
	return 0;
}

static int do_blk(int fd)
{
	struct { uint64_t v; uint32_t guard; } s64;
	struct { unsigned long v; uint32_t guard; } sl;
	struct { int v; uint32_t guard; } si;
	int rc;

#define GET(name, nr, var, fmt, cast)					\
	do {								\
		memset(&var, 0, sizeof(var.v));				\
		var.guard = GUARD;					\
		rc = ioctl(fd, nr, &var.v);				\
		printf("%s rc=%d errno=%d value=" fmt " guard=%s\n",	\
		       name, rc, rc ? errno : 0, (cast)var.v,		\
		       var.guard == GUARD ? "intact" : "overwritten");	\
	} while (0)

	GET("BLKGETSIZE64", BLKGETSIZE64, s64, "%llu", unsigned long long);
	GET("BLKSSZGET", BLKSSZGET, si, "%d", int);
	GET("BLKGETSIZE", BLKGETSIZE, sl, "%lu", unsigned long);
	GET("BLKBSZGET", BLKBSZGET, si, "%d", int);
	GET("BLKRAGET", BLKRAGET, sl, "%lu", unsigned long);
	GET("BLKPBSZGET", BLKPBSZGET, si, "%d", int);
	if (sizeof(long) == 4) {
		/* A 32-bit process may use either number. */
		GET("ALT BLKGETSIZE64-0x80041272", SIZE64_32BIT, s64, "%llu",
		    unsigned long long);
		GET("ALT BLKGETSIZE64-0x80081272", SIZE64_64BIT, s64, "%llu",
		    unsigned long long);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: dccompat sg|tty|blk DEV\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR | O_NONBLOCK);
	if (fd < 0) {
		printf("FAIL open %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("ABI %zu-bit\n", sizeof(long) * 8);
	if (!strcmp(argv[1], "sg"))
		return do_sg(fd);
	if (!strcmp(argv[1], "tty"))
		return do_tty(fd);
	if (!strcmp(argv[1], "blk"))
		return do_blk(fd);
	return 2;
}
