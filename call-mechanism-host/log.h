/* SPDX-License-Identifier: MIT */
/*
 * Daemon log: one line per event, to stderr by default. Tests install a
 * sink to capture lines.
 */
#ifndef DEVCALL_LOG_H
#define DEVCALL_LOG_H

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef void (*log_sink_fn)(enum log_level level, const char *line);

void log_set_level(enum log_level level);
/* NULL restores stderr. */
void log_set_sink(log_sink_fn sink);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* DEVCALL_LOG_H */
