/* SPDX-License-Identifier: MIT */
/*
 * The emulated drive's medium: a CD-R or CD-RW disc backed by an image
 * file in which user-data sector LBA n (2048 bytes) lives at offset
 * n * 2048, so the host can compare it with an ISO byte for byte. The
 * disc state (tracks, sessions, blank/appendable/complete) is kept in a
 * sidecar file "<image>.state", so it survives a daemon restart.
 */
#ifndef DEVCALL_EMUDRIVE_DISC_H
#define DEVCALL_EMUDRIVE_DISC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define DISC_SECTOR		2048u
#define DISC_MAX_TRACKS		99u
#define DISC_PREGAP		150	/* SAO writes start at LBA -150 */
#define DISC_MIN_TRACK		300u	/* TAO tracks are padded to this */

enum disc_status { DISC_BLANK = 0, DISC_APPENDABLE = 1, DISC_COMPLETE = 2 };

struct disc_track {
	uint32_t start;			/* LBA */
	uint32_t len;			/* sectors */
	uint32_t session;
};

struct disc {
	char path[4096];
	int fd;				/* the image */
	bool rewritable;		/* CD-RW */
	uint32_t capacity;		/* sectors */
	unsigned int speed;		/* x (176.4 kB/s) */
	enum disc_status status;
	uint32_t sessions;		/* closed sessions */
	uint32_t nr_tracks;		/* closed tracks */
	struct disc_track tracks[DISC_MAX_TRACKS];
	/* The track being written (invisible track). */
	bool writing;
	uint32_t track_start;
	uint32_t nwa;			/* next writable address */
	/* Write parameters (mode page 05). */
	uint8_t write_type;		/* 1 TAO, 2 SAO */
	bool test_write;		/* -dummy: write nothing */
	uint8_t multi_session;		/* page 05 byte 3 bits 7-6 */
	uint8_t data_block_type;
	bool cue_sheet;			/* SEND CUE SHEET seen (SAO) */
	unsigned int users;		/* open files */
	pthread_mutex_t lock;
};

/*
 * The disc behind image path, shared by every opener; created with the
 * options ("media=cdr|cdrw,size=650M,speed=8") the first time. 0 or -errno.
 */
int disc_get(const char *path, const char *options, struct disc **out);
void disc_put(struct disc *d);

/* Persist the state sidecar (after every change). */
int disc_save(struct disc *d);

/* Write count sectors at lba from buf (negative LBAs: pregap, dropped). */
int disc_write(struct disc *d, int64_t lba, const void *buf, uint32_t count);
int disc_read(struct disc *d, uint32_t lba, void *buf, uint32_t count);

/* Close the open track (TAO padding to DISC_MIN_TRACK), the session. */
int disc_close_track(struct disc *d);
int disc_close_session(struct disc *d);

/* Erase (CD-RW only): full writes zeros, fast only forgets. */
int disc_blank(struct disc *d, bool full);

#endif /* DEVCALL_EMUDRIVE_DISC_H */
