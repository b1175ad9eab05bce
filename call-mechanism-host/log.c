// SPDX-License-Identifier: MIT
/* Daemon log: one line per event, to stderr or to a sink tests install. */
#include <stdarg.h>
#include <stdio.h>

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
