// SPDX-License-Identifier: MIT
/*
 * A mock sensor, a devcalld plugin built with the SDK alone
 * (devcall-plugin.h): a backend named "mock-sensor" and the layouts of its
 * three ioctls, so an unmodified guest program can drive it through
 * /dev/devcall/NAME and a test can check what the program asked for.
 *
 * Every call it serves is appended to the file named by the export's
 * `options = record=FILE`, one line each:
 *
 *	open
 *	get_info
 *	set_config rate=50 scale=3 offset=-7 flags=0 -> 0
 *	read_batch size=64 -> 4
 *	close
 *
 * Samples are a function of the config and a per-file sequence number
 * (value = scale * seq + offset), so the guest can check every one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* O_DIRECT */
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <devcall-plugin.h>

#include "sensor.h"

struct sensor_file {
	pthread_mutex_t lock;		/* two guest threads, one file */
	char record[256];		/* "": no record */
	struct sensor_config cfg;
	uint64_t seq;
};

/* One line to the record file; O_APPEND keeps lines whole across files. */
static void sensor_record(const struct sensor_file *f, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int fd, n;

	if (!f->record[0])
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fd = open(f->record, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		devcall_log(DEVCALL_LOG_WARN, "mock-sensor: %s: %s", f->record,
			    strerror(errno));
		return;
	}
	if (write(fd, line, (size_t)n) != n)
		devcall_log(DEVCALL_LOG_WARN, "mock-sensor: %s: short write",
			    f->record);
	close(fd);
}

static int sensor_open(const struct export *exp, int oflags, void **priv,
		       struct backend_file_info *info)
{
	struct sensor_file *f;
	int ret;

	if (oflags & O_DIRECT)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->lock, NULL);
	ret = devcall_option_get(devcall_export_options(exp), "record",
				 f->record, sizeof(f->record));
	if (ret && ret != -ENOENT) {
		free(f);
		return ret;
	}
	f->cfg = (struct sensor_config){ .rate_hz = 10, .scale = 1 };
	info->mode = S_IFCHR | 0600;
	*priv = f;
	sensor_record(f, "open");
	return 0;
}

static int sensor_close(void *priv)
{
	struct sensor_file *f = priv;

	sensor_record(f, "close");
	pthread_mutex_destroy(&f->lock);
	free(f);
	return 0;
}

/* A sensor is read through its ioctls only. */
static ssize_t sensor_rw(void *priv, const struct iovec *iov, int iovcnt,
			 int64_t off, bool nonblock)
{
	(void)priv; (void)iov; (void)iovcnt; (void)off; (void)nonblock;
	return -EINVAL;
}

/*
 * The argument and the config behind its pointer are private copies (an
 * IN buffer of under a page): read as often as needed.
 */
static long sensor_set_config(struct sensor_file *f,
			      const struct sensor_set_config *a)
{
	const struct sensor_config *c;
	long ret = 0;

	if (a->size != sizeof(*c) || !a->config) {
		ret = -EINVAL;
		sensor_record(f, "set_config size=%u -> %ld", a->size, ret);
		return ret;
	}
	c = (const struct sensor_config *)(uintptr_t)a->config;
	if (c->rate_hz < 1 || c->rate_hz > 1000)
		ret = -ERANGE;
	else
		f->cfg = *c;
	sensor_record(f, "set_config rate=%u scale=%d offset=%d flags=%u -> %ld",
		      c->rate_hz, c->scale, c->offset, c->flags, ret);
	return ret;
}

/*
 * The samples buffer is OUT: guest RAM or a copy, written and never read
 * back. Its length was bounded by the layout (len_max); a size that is
 * no whole number of samples is the guest's error.
 */
static long sensor_read_batch(struct sensor_file *f, struct sensor_batch *a)
{
	struct sensor_sample *s = (struct sensor_sample *)(uintptr_t)a->samples;
	uint32_t n = a->size / sizeof(*s), i;
	long ret;

	if (a->size % sizeof(*s) || !n || n > SENSOR_BATCH_MAX || !s) {
		ret = -EINVAL;
	} else {
		for (i = 0; i < n; i++, f->seq++) {
			struct sensor_sample v = {
				.seq = f->seq,
				.value = f->cfg.scale * (int32_t)f->seq +
					 f->cfg.offset,
				.rate_hz = f->cfg.rate_hz,
			};

			memcpy(&s[i], &v, sizeof(v));
		}
		a->count = n;
		ret = n;
	}
	sensor_record(f, "read_batch size=%u -> %ld", a->size, ret);
	return ret;
}

static long sensor_ioctl(void *priv, uint32_t cmd, unsigned long arg)
{
	struct sensor_file *f = priv;
	struct sensor_info *info;
	long ret;

	pthread_mutex_lock(&f->lock);
	switch (cmd) {
	case SENSOR_GET_INFO:
		info = (struct sensor_info *)arg;
		memset(info, 0, sizeof(*info));
		strcpy(info->name, "mock-sensor");
		info->version = 1;
		info->max_batch = SENSOR_BATCH_MAX;
		sensor_record(f, "get_info");
		ret = 0;
		break;
	case SENSOR_SET_CONFIG:
		ret = sensor_set_config(f, (const void *)arg);
		break;
	case SENSOR_READ_BATCH:
		ret = sensor_read_batch(f, (void *)arg);
		break;
	default:
		ret = -ENOTTY;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static const struct backend_ops sensor_ops = {
	.name = "mock-sensor",
	.open = sensor_open,
	.close = sensor_close,
	.read = sensor_rw,
	.write = sensor_rw,
	.ioctl = sensor_ioctl,
};

/* The ioctls as data: which field points where, how long, which way. */
static const struct ioctl_layout sensor_layouts[] = {
	{
		.cmd = SENSOR_GET_INFO, .name = "SENSOR_GET_INFO",
		.arg_size = sizeof(struct sensor_info),
		.arg_dir = LAYOUT_DIR_OUT,
	}, {
		.cmd = SENSOR_SET_CONFIG, .name = "SENSOR_SET_CONFIG",
		.arg_size = sizeof(struct sensor_set_config),
		.arg_dir = LAYOUT_DIR_IN,
		.nr_ptrs = 1,
		.ptr[0] = {
			.off = offsetof(struct sensor_set_config, config),
			.kind = LAYOUT_PTR_BUF, .dir = LAYOUT_DIR_IN,
			.len_field = {
				.off = offsetof(struct sensor_set_config, size),
				.size = 4,
			},
			.len_max = 256,
		},
	}, {
		.cmd = SENSOR_READ_BATCH, .name = "SENSOR_READ_BATCH",
		.arg_size = sizeof(struct sensor_batch),
		.arg_dir = LAYOUT_DIR_BOTH,	/* count comes back */
		.nr_ptrs = 1,
		.ptr[0] = {
			.off = offsetof(struct sensor_batch, samples),
			.kind = LAYOUT_PTR_BUF, .dir = LAYOUT_DIR_OUT,
			.len_field = {
				.off = offsetof(struct sensor_batch, size),
				.size = 4,
			},
			.len_max = SENSOR_BATCH_MAX *
				   sizeof(struct sensor_sample),
		},
	},
};

static int sensor_init(void)
{
	unsigned int i;
	int ret;

	for (i = 0; i < sizeof(sensor_layouts) / sizeof(sensor_layouts[0]);
	     i++) {
		ret = layout_register(&sensor_layouts[i]);
		if (ret) {
			devcall_log(DEVCALL_LOG_ERR, "mock-sensor: layout %s: %s",
				    sensor_layouts[i].name, strerror(-ret));
			return ret;
		}
	}
	return backend_register(&sensor_ops);
}

DEVCALL_PLUGIN("mock-sensor", sensor_init);
