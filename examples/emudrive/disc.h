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
#define DISC_MAX_CUE		128u	/* cue sheet entries kept */
/*
 * Between the end of a closed session and the first track of the next:
 * that session's lead-out (6750 sectors after the first, 2250 after
 * later ones), the next lead-in (4500) and its pregap (150).
 */
#define DISC_LEADOUT_FIRST	6750u
#define DISC_LEADOUT_NEXT	2250u
#define DISC_LEADIN		4500u

enum disc_status { DISC_BLANK = 0, DISC_APPENDABLE = 1, DISC_COMPLETE = 2 };

/* One cue sheet entry with a program-area index (SEND CUE SHEET). */
struct disc_cue {
	int32_t lba;			/* where it starts */
	uint8_t tno;			/* 0 lead-in, 1-99, 0xaa lead-out */
	uint8_t index;
	uint8_t form;			/* data form */
	uint16_t host_bytes;		/* per sector from the host: 0, 2048 */
};

struct disc_track {
	uint32_t start;			/* LBA */
	uint32_t len;			/* sectors */
	uint32_t session;
	uint8_t mode;			/* 1: Mode 1, 2: Mode 2 Form 1 (XA) */
};

struct disc {
	char path[4096];
	int fd;				/* the image */
	bool rewritable;		/* CD-RW, DVD+RW */
	bool dvd;			/* DVD+RW: random writes after format */
	bool formatted;			/* DVD+RW: FORMAT UNIT done */
	uint32_t capacity;		/* sectors */
	unsigned int speed;		/* x (176.4 kB/s) */
	enum disc_status status;
	uint32_t sessions;		/* closed sessions */
	uint32_t nr_tracks;		/* closed tracks */
	struct disc_track tracks[DISC_MAX_TRACKS];
	/* The track being written (invisible track). */
	bool writing;
	uint32_t track_start;
	uint8_t track_mode;		/* of the track being written */
	uint32_t nwa;			/* next writable address */
	/* Write parameters (mode page 05). */
	uint8_t write_type;		/* 1 TAO, 2 SAO */
	bool test_write;		/* -dummy: write nothing */
	uint8_t multi_session;		/* page 05 byte 3 bits 7-6 */
	uint8_t data_block_type;
	bool cue_sheet;			/* SEND CUE SHEET seen (SAO) */
	unsigned int nr_cue;
	struct disc_cue cue[DISC_MAX_CUE];
	int64_t sao_next;		/* the next SAO write goes there */
	/* The drive: tray, lock, events (not persisted). */
	bool tray_open;
	bool prevent;
	bool unit_attention;		/* 28/00 due on the next command */
	uint8_t media_event;		/* GESN media class, 0: none */
	uint8_t op_event;		/* GESN operational class */
	uint32_t write_kbps;		/* SET CD SPEED, kB/s */
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

#define DISC_DVD_SECTORS	2295104u	/* a single-layer DVD */

/* Write count sectors at lba from buf (negative LBAs: pregap, dropped). */
int disc_write(struct disc *d, int64_t lba, const void *buf, uint32_t count);
int disc_read(struct disc *d, uint32_t lba, void *buf, uint32_t count);

/* Close the open track (TAO padding to DISC_MIN_TRACK), the session. */
int disc_close_track(struct disc *d);
int disc_close_session(struct disc *d);

/*
 * Take a validated cue sheet (SAO): writes then go sequentially from its
 * first sector with host data; the pregap (index 0) is not stored.
 */
void disc_set_cue(struct disc *d, const struct disc_cue *cue, unsigned int n);
/* The SAO stream reached the lead-out: its tracks and session close. */
bool disc_sao_done(const struct disc *d);

/* Where the next session's first track starts; the end of the last track. */
uint32_t disc_session_start(const struct disc *d);
uint32_t disc_end(const struct disc *d);

enum disc_blank_type {
	DISC_BLANK_FULL = 0, DISC_BLANK_MINIMAL = 1,
	DISC_BLANK_UNCLOSE = 5, DISC_BLANK_SESSION = 6,
};

/* DVD+RW: FORMAT UNIT (full format, type 0x26). */
int disc_format(struct disc *d);

/*
 * Erase (CD-RW only): full writes zeros, minimal only forgets, unclose
 * reopens the last session, session erases the last session.
 */
int disc_blank(struct disc *d, enum disc_blank_type type);

#endif /* DEVCALL_EMUDRIVE_DISC_H */
