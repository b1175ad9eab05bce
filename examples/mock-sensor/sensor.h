/* SPDX-License-Identifier: MIT */
/*
 * The mock sensor's interface, as a guest program sees it: a made-up
 * "uAPI" header a real driver would ship. Two of its ioctls carry
 * pointers to more memory, which is what devcall has to know about:
 * SENSOR_SET_CONFIG points at a config struct (IN), SENSOR_READ_BATCH at
 * an array of samples the driver fills (OUT).
 */
#ifndef MOCK_SENSOR_H
#define MOCK_SENSOR_H

#include <linux/ioctl.h>
#include <stdint.h>

#define SENSOR_MAGIC		'x'
#define SENSOR_BATCH_MAX	64	/* samples in one READ_BATCH */

struct sensor_info {
	char name[16];
	uint32_t version;
	uint32_t max_batch;		/* SENSOR_BATCH_MAX */
};

struct sensor_config {
	uint32_t rate_hz;		/* 1..1000 */
	int32_t scale;
	int32_t offset;
	uint32_t flags;
};

/* SENSOR_SET_CONFIG: size says which config struct (extensible). */
struct sensor_set_config {
	uint32_t size;			/* sizeof(struct sensor_config) */
	uint32_t pad;
	uint64_t config;		/* -> struct sensor_config */
};

struct sensor_sample {
	uint64_t seq;			/* 0, 1, 2 ... per open file */
	int32_t value;			/* scale * seq + offset */
	uint32_t rate_hz;
};

/* SENSOR_READ_BATCH: fill up to size bytes of samples. */
struct sensor_batch {
	uint32_t size;			/* bytes at samples: a whole number of
					 * struct sensor_sample */
	uint32_t count;			/* out: samples filled */
	uint64_t samples;		/* -> struct sensor_sample[] */
};

#define SENSOR_GET_INFO		_IOR(SENSOR_MAGIC, 1, struct sensor_info)
#define SENSOR_SET_CONFIG	_IOW(SENSOR_MAGIC, 2, struct sensor_set_config)
#define SENSOR_READ_BATCH	_IOWR(SENSOR_MAGIC, 3, struct sensor_batch)

#endif /* MOCK_SENSOR_H */
