/* SPDX-License-Identifier: MIT */
/*
 * Daemon log: one line per event, to stderr by default. Tests install a
 * sink to capture lines.
 */
#ifndef DEVCALL_LOG_H
#define DEVCALL_LOG_H

#include <pthread.h>
#include <stdint.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

typedef void (*log_sink_fn)(enum log_level level, const char *line);

void log_set_level(enum log_level level);
/* NULL restores stderr. */
void log_set_sink(log_sink_fn sink);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A rate limit for lines a guest can provoke: at most LOG_RL_BURST lines
 * per LOG_RL_INTERVAL_MS, then one "N messages suppressed" summary when
 * the next interval lets a line through. One per VM, so a guest floods
 * neither the log nor another VM's lines out of it.
 */
#define LOG_RL_BURST		10
#define LOG_RL_INTERVAL_MS	5000

struct log_ratelimit {
	pthread_mutex_t lock;
	uint64_t start_ms;
	unsigned int printed;
	unsigned long suppressed;
};

void log_ratelimit_init(struct log_ratelimit *rl);

/* Log through rl; prefix names the source ("vm alpha") in every line. */
void log_limited(struct log_ratelimit *rl, const char *prefix,
		 enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif /* DEVCALL_LOG_H */
