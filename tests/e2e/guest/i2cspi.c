// SPDX-License-Identifier: MIT
/*
 * Runs inside the guest for test_i2cspi.sh: the nested-pointer ioctls on
 * /dev/devcall/i2c and /dev/devcall/spi (the i2cspi test plugin: an
 * EEPROM at 0x50, a SPI loopback). One line per check:
 *   CHECK <name> ok|fail [detail]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <linux/spi/spidev.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

static int failed;

static void check(const char *name, int ok, const char *fmt, long a, long b)
{
	printf("CHECK %s %s ", name, ok ? "ok" : "fail");
	printf(fmt, a, b);
	printf("\n");
	if (!ok)
		failed = 1;
}

static int rdwr(int fd, struct i2c_msg *m, unsigned int n)
{
	struct i2c_rdwr_ioctl_data a = { .msgs = m, .nmsgs = n };

	return ioctl(fd, I2C_RDWR, &a);
}

static void test_i2c(int fd)
{
	uint8_t w[] = { 0x10, 'h', 'e', 'l', 'l', 'o' }, off = 0x10;
	uint8_t r[5] = "zzzz", r2[2] = "", off2 = 0x12;
	struct i2c_msg m[3] = {
		{ .addr = 0x50, .len = sizeof(w), .buf = w },
	};
	struct i2c_msg many[I2C_RDWR_IOCTL_MAX_MSGS + 1];
	union i2c_smbus_data d = { .byte = 0 };
	struct i2c_smbus_ioctl_data sm = { .read_write = I2C_SMBUS_WRITE,
					   .size = I2C_SMBUS_QUICK };
	int ret, i;

	ret = rdwr(fd, m, 1);
	check("i2c-rdwr-write", ret == 1, "ret %ld errno %ld", ret, errno);
	/* Set the address, read 5, set another, read 2: one transaction. */
	m[0] = (struct i2c_msg){ .addr = 0x50, .len = 1, .buf = &off };
	m[1] = (struct i2c_msg){ .addr = 0x50, .flags = I2C_M_RD, .len = 5,
				 .buf = r };
	ret = rdwr(fd, m, 2);
	check("i2c-rdwr-read", ret == 2 && !memcmp(r, "hello", 5),
	      "ret %ld errno %ld", ret, errno);
	m[2] = (struct i2c_msg){ .addr = 0x50, .flags = I2C_M_RD, .len = 2,
				 .buf = r2 };
	m[1].len = 0;		/* a message with no data: no buffer */
	m[0].buf = &off2;
	ret = rdwr(fd, m, 3);
	check("i2c-rdwr-three", ret == 3 && !memcmp(r2, "ll", 2),
	      "ret %ld errno %ld", ret, errno);
	m[0].addr = 0x33;
	ret = rdwr(fd, m, 1);
	check("i2c-rdwr-nak", ret < 0 && errno == ENXIO, "ret %ld errno %ld",
	      ret, errno);
	for (i = 0; i < I2C_RDWR_IOCTL_MAX_MSGS + 1; i++)
		many[i] = (struct i2c_msg){ .addr = 0x50, .len = 1,
					    .buf = &off };
	ret = rdwr(fd, many, I2C_RDWR_IOCTL_MAX_MSGS + 1);
	check("i2c-rdwr-too-many", ret < 0 && errno == EINVAL,
	      "ret %ld errno %ld", ret, errno);
	ret = rdwr(fd, many, I2C_RDWR_IOCTL_MAX_MSGS);
	check("i2c-rdwr-42", ret == I2C_RDWR_IOCTL_MAX_MSGS,
	      "ret %ld errno %ld", ret, errno);
	many[0].len = 8193;
	ret = rdwr(fd, many, 1);
	check("i2c-rdwr-too-long", ret < 0 && errno == EINVAL,
	      "ret %ld errno %ld", ret, errno);

	ret = ioctl(fd, I2C_SLAVE, 0x50);
	check("i2c-slave", ret == 0, "ret %ld errno %ld", ret, errno);
	ret = ioctl(fd, I2C_SMBUS, &sm);	/* quick: data NULL */
	check("i2c-smbus-quick-null", ret == 0, "ret %ld errno %ld", ret,
	      errno);
	sm = (struct i2c_smbus_ioctl_data){ .read_write = I2C_SMBUS_READ,
		.command = 0x11, .size = I2C_SMBUS_BYTE_DATA, .data = &d };
	ret = ioctl(fd, I2C_SMBUS, &sm);
	check("i2c-smbus-byte-data", ret == 0 && d.byte == 'e',
	      "ret %ld byte %ld", ret, d.byte);
}

static void test_spi(int fd)
{
	uint8_t tx0[4] = "ping", rx0[4] = "", tx1[2] = "hi", rx2[3];
	struct spi_ioc_transfer t[3];
	uint8_t *big;
	long ret;

	memset(t, 0, sizeof(t));
	memset(rx2, 0xff, sizeof(rx2));
	t[0].tx_buf = (uintptr_t)tx0;
	t[0].rx_buf = (uintptr_t)rx0;
	t[0].len = 4;
	t[1].tx_buf = (uintptr_t)tx1;		/* send only */
	t[1].len = 2;
	t[2].rx_buf = (uintptr_t)rx2;		/* receive only */
	t[2].len = 3;
	ret = ioctl(fd, SPI_IOC_MESSAGE(3), t);
	check("spi-message-3", ret == 9 && !memcmp(rx0, "ping", 4) &&
	      !rx2[0] && !rx2[1] && !rx2[2], "ret %ld errno %ld", ret, errno);
	check("spi-pointers-kept", t[0].rx_buf == (uintptr_t)rx0 &&
	      t[2].tx_buf == 0, "%ld %ld", 0, 0);

	/* 4096 bytes across a page boundary, both ways. */
	big = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (ret = 0; ret < 4096; ret++)
		big[2048 + ret] = (uint8_t)(ret * 13);
	memset(t, 0, sizeof(t));
	t[0].tx_buf = (uintptr_t)(big + 2048);
	t[0].rx_buf = (uintptr_t)(big + 2 * 4096);
	t[0].len = 4096;
	ret = ioctl(fd, SPI_IOC_MESSAGE(1), t);
	check("spi-message-1-4096", ret == 4096 &&
	      !memcmp(big + 2048, big + 2 * 4096, 4096), "ret %ld errno %ld",
	      ret, errno);
	ret = ioctl(fd, _IOC(_IOC_WRITE, SPI_IOC_MAGIC, 0, 40), t);
	check("spi-partial-transfer", ret < 0 && errno == EINVAL,
	      "ret %ld errno %ld", ret, errno);
	t[0].tx_buf = 0x10;			/* not the caller's memory */
	ret = ioctl(fd, SPI_IOC_MESSAGE(1), t);
	check("spi-bad-pointer", ret < 0 && errno == EFAULT,
	      "ret %ld errno %ld", ret, errno);
}

int main(void)
{
	int i2c = open("/dev/devcall/i2c", O_RDWR);
	int spi = open("/dev/devcall/spi", O_RDWR);

	check("open", i2c >= 0 && spi >= 0, "%ld %ld", i2c, spi);
	if (i2c < 0 || spi < 0)
		return 1;
	test_i2c(i2c);
	test_spi(spi);
	printf("DONE\n");
	return failed;
}
