// SPDX-License-Identifier: MIT
/* Daemon log: one line per event, to stderr or to a sink tests install. */
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <time.h>

#include "log.h"

static enum log_level log_level = LOG_INFO;
static log_sink_fn log_sink;

static const char *const log_names[] = {
	[LOG_ERR] = "error", [LOG_WARN] = "warning",
	[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
	log_level = level;
}

void log_set_sink(log_sink_fn sink)
{
	log_sink = sink;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_sink)
		log_sink(level, line);
	else
		fprintf(stderr, "devcalld: %s: %s\n", log_names[level], line);
}

void log_ratelimit_init(struct log_ratelimit *rl)
{
	pthread_mutex_init(&rl->lock, NULL);
	rl->start_ms = 0;
	rl->printed = 0;
	rl->suppressed = 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void log_limited(struct log_ratelimit *rl, const char *prefix,
		 enum log_level level, const char *fmt, ...)
{
	unsigned long suppressed = 0;
	char line[1024];
	uint64_t now;
	va_list ap;
	bool print;

	if (level > log_level)
		return;
	now = now_ms();
	pthread_mutex_lock(&rl->lock);
	if (!rl->start_ms || now - rl->start_ms >= LOG_RL_INTERVAL_MS) {
		suppressed = rl->suppressed;
		rl->start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	print = rl->printed < LOG_RL_BURST;
	if (print)
		rl->printed++;
	else
		rl->suppressed++;
	pthread_mutex_unlock(&rl->lock);
	if (suppressed)
		log_msg(LOG_WARN, "%s: %lu messages suppressed", prefix,
			suppressed);
	if (!print)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_msg(level, "%s: %s", prefix, line);
}
