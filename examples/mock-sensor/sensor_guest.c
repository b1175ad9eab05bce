// SPDX-License-Identifier: MIT
/*
 * sensor-guest: what a user's guest program would do with the sensor:
 * ask what it is, configure it, read two batches of samples. It prints
 * what it got, one line each, for the test to check:
 *
 *	INFO <name> <version> <max_batch>
 *	CONFIG <result or -errno>
 *	BATCH <result or -errno> <count> <seq:value> ...
 *
 *	sensor-guest NODE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sensor.h"

static int set_config(int fd, uint32_t size, uint32_t rate, int32_t scale,
		      int32_t offset)
{
	struct sensor_config c = { .rate_hz = rate, .scale = scale,
				   .offset = offset };
	struct sensor_set_config a = { .size = size,
				       .config = (uintptr_t)&c };
	int ret = ioctl(fd, SENSOR_SET_CONFIG, &a);

	printf("CONFIG %d\n", ret < 0 ? -errno : ret);
	return ret;
}

static void read_batch(int fd, uint32_t size)
{
	struct sensor_sample s[SENSOR_BATCH_MAX + 1];
	struct sensor_batch b = { .size = size, .samples = (uintptr_t)s };
	uint32_t i;
	int ret;

	memset(s, 0xa5, sizeof(s));
	ret = ioctl(fd, SENSOR_READ_BATCH, &b);
	printf("BATCH %d %u", ret < 0 ? -errno : ret, b.count);
	for (i = 0; ret > 0 && i < b.count && i < SENSOR_BATCH_MAX; i++)
		printf(" %llu:%d", (unsigned long long)s[i].seq, s[i].value);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct sensor_info info;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(argc > 1 ? argv[1] : "/dev/devcall/sensor", O_RDWR);
	if (fd < 0) {
		printf("OPEN %d\n", -errno);
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, SENSOR_GET_INFO, &info))
		printf("INFO %d\n", -errno);
	else
		printf("INFO %.16s %u %u\n", info.name, info.version,
		       info.max_batch);
	set_config(fd, sizeof(struct sensor_config), 50, 3, -7);
	read_batch(fd, 4 * sizeof(struct sensor_sample));
	read_batch(fd, 2 * sizeof(struct sensor_sample));
	/* The guest's mistakes: a size that is no whole sample, a rate out
	 * of range, a config struct of the wrong size. */
	read_batch(fd, 20);
	set_config(fd, sizeof(struct sensor_config), 5000, 1, 0);
	set_config(fd, 8, 50, 1, 0);
	close(fd);
	printf("DONE\n");
	return 0;
}
