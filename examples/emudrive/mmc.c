// SPDX-License-Identifier: MIT
/*
 * MMC commands of the emulated CD-R/RW drive: see mmc.h and
 * shared/cdrecord.md for what wodim sends and checks.
 */
#include <errno.h>
#include <string.h>

#include "mmc.h"

#define KBPS_1X		176		/* kB/s of a 1x CD */

static int check(struct mmc_sense *s, uint8_t key, uint8_t asc, uint8_t ascq)
{
	s->key = key;
	s->asc = asc;
	s->ascq = ascq;
	return 1;
}

#define ILLEGAL(s, asc, ascq)	check(s, 0x05, asc, ascq)

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_msf(uint8_t *p, int64_t lba)
{
	int64_t f = lba + DISC_PREGAP;

	p[0] = 0;
	p[1] = f / (60 * 75);
	p[2] = (f / 75) % 60;
	p[3] = f % 75;
}

/* Hand out what the command produced, no more than asked. */
static int reply(const uint8_t *buf, uint32_t n, uint32_t alloc,
		 uint8_t *data, uint32_t len, uint32_t *done)
{
	if (n > alloc)
		n = alloc;
	if (n > len)
		n = len;
	memcpy(data, buf, n);
	*done = n;
	return 0;
}

static int inquiry(const uint8_t *cdb, uint8_t *data, uint32_t len,
		   uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[36] = { 0x05, 0x80, 0x05, 0x02, 31 };

	if (cdb[1] & 1)			/* no vital product data pages */
		return ILLEGAL(s, 0x24, 0);
	memcpy(b + 8, "DEVCALL ", 8);
	memcpy(b + 16, "EMULATED CD-RW  ", 16);
	memcpy(b + 32, "1.0 ", 4);
	return reply(b, sizeof(b), get16(cdb + 3), data, len, done);
}

/* Mode page 2A: what the drive can do. */
static unsigned int page_2a(struct disc *d, uint8_t *p)
{
	uint32_t speed = d->speed * KBPS_1X;

	memset(p, 0, 36);
	p[0] = 0x2a;
	p[1] = 0x22;			/* MMC-3: 30 bytes + 4 per descriptor */
	p[2] = 0x03;			/* reads CD-R, CD-RW */
	p[3] = 0x07;			/* writes CD-R, CD-RW; test write */
	p[4] = 0x40;			/* multi-session */
	p[6] = 0x29;			/* tray, eject, lock */
	put16(p + 8, 24 * KBPS_1X);	/* max read speed */
	put16(p + 10, 256);		/* volume levels */
	put16(p + 12, 2048);		/* buffer, kB */
	put16(p + 14, 24 * KBPS_1X);	/* current read speed */
	put16(p + 18, speed);		/* max write speed: never 0 */
	put16(p + 20, speed);		/* current write speed */
	put16(p + 28, speed);		/* current write speed selected */
	put16(p + 30, 1);		/* one write speed descriptor */
	put16(p + 34, speed);
	return 36;
}

/* Mode page 05: the write parameters last selected. */
static unsigned int page_05(struct disc *d, uint8_t *p)
{
	memset(p, 0, 52);
	p[0] = 0x05;
	p[1] = 0x32;
	p[2] = (d->test_write ? 0x10 : 0) | d->write_type;
	p[3] = d->multi_session << 6 | 0x04;	/* data track */
	p[4] = d->data_block_type;
	put16(p + 14, 150);		/* audio pause length */
	return 52;
}

static int mode_sense(struct disc *d, const uint8_t *cdb, uint8_t *data,
		      uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[8 + 36 + 52] = { 0 };
	unsigned int n = 8;

	switch (cdb[2] & 0x3f) {
	case 0x2a:
		n += page_2a(d, b + n);
		break;
	case 0x05:
		n += page_05(d, b + n);
		break;
	case 0x3f:
		n += page_05(d, b + n);
		n += page_2a(d, b + n);
		break;
	default:
		return ILLEGAL(s, 0x24, 0);
	}
	put16(b, n - 2);
	return reply(b, n, get16(cdb + 7), data, len, done);
}

/*
 * The parameter list may be live guest memory (a large TO_DEV buffer, see
 * backend.h): every byte of it is read once, into locals, and only the
 * locals are checked and used.
 */
static int mode_select(struct disc *d, const uint8_t *cdb, const uint8_t *data,
		       uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint32_t n = get16(cdb + 7), off;
	uint8_t p[5];

	if (n > len || n < 8)
		return ILLEGAL(s, 0x1a, 0);	/* parameter list length */
	*done = n;
	off = 8 + get16(data + 6);		/* past any block descriptors */
	while (off + 2 <= n) {
		p[0] = data[off];
		p[1] = data[off + 1];
		if (off + 2 + p[1] > n)
			return ILLEGAL(s, 0x26, 0);
		if ((p[0] & 0x3f) == 0x05) {
			uint8_t wt;

			if (p[1] < 3)
				return ILLEGAL(s, 0x26, 0);
			memcpy(p + 2, data + off + 2, 3);
			wt = p[2] & 0x0f;
			/* TAO and SAO only; packet and raw are refused. */
			if (wt != 1 && wt != 2)
				return ILLEGAL(s, 0x26, 0);
			/* 2048 user bytes: Mode 1, or Mode 2 Form 1 (-multi) */
			if ((p[4] & 0x0f) != 8 && (p[4] & 0x0f) != 10)
				return ILLEGAL(s, 0x26, 0);
			d->write_type = wt;
			d->test_write = p[2] & 0x10;
			d->multi_session = p[3] >> 6;
			d->data_block_type = p[4] & 0x0f;
		}
		off += 2 + p[1];
	}
	return 0;
}

static int disc_info(struct disc *d, const uint8_t *cdb, uint8_t *data,
		     uint32_t len, uint32_t *done)
{
	uint8_t b[34] = { 0 };
	uint32_t sessions = d->sessions + (d->status != DISC_COMPLETE);
	uint32_t first = 1, last = 1;
	uint8_t state = 0;		/* last session empty */

	if (d->status == DISC_COMPLETE) {
		state = 3;
		last = d->nr_tracks;
		first = last;
		while (first > 1 && d->tracks[first - 2].session == d->sessions)
			first--;
	} else if (d->nr_tracks) {
		first = last = d->nr_tracks + 1;
		if (d->tracks[d->nr_tracks - 1].session > d->sessions) {
			state = 1;	/* incomplete: tracks, not closed */
			first = d->nr_tracks;
			while (first > 1 && d->tracks[first - 2].session >
					    d->sessions)
				first--;
		}
	}
	if (d->writing)
		state = 1;
	put16(b, 32);
	b[2] = (d->rewritable ? 0x10 : 0) | state << 2 | d->status;
	b[3] = 1;
	b[4] = sessions;
	b[5] = first;
	b[6] = last;
	b[7] = 0x20;			/* unrestricted use */
	b[8] = 0x00;			/* CD-DA or CD-ROM */
	b[16] = 0; b[17] = 97; b[18] = 26; b[19] = 50;	/* lead-in start */
	put_msf(b + 20, d->capacity);	/* last possible lead-out */
	return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
}

static int track_info(struct disc *d, const uint8_t *cdb, uint8_t *data,
		      uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[36] = { 0 };
	uint32_t n = get32(cdb + 2);

	if ((cdb[1] & 3) != 1)		/* by track number only */
		return ILLEGAL(s, 0x24, 0);
	put16(b, 34);
	if (n >= 1 && n <= d->nr_tracks) {
		const struct disc_track *t = &d->tracks[n - 1];

		b[2] = n;
		b[3] = t->session;
		b[5] = 0x04;			/* data, uninterrupted */
		b[6] = 0x01;			/* data mode 1 */
		put32(b + 8, t->start);
		put32(b + 24, t->len);
		put32(b + 28, t->start + t->len - 1);
		b[7] = 0x02;			/* LRA valid */
	} else if ((n == d->nr_tracks + 1 || n == 0xff) &&
		   d->status != DISC_COMPLETE) {
		/* The invisible track: where the next write goes. */
		b[2] = d->nr_tracks + 1;
		b[3] = d->sessions + 1;
		b[5] = 0x04;
		b[6] = 0xc1;			/* reserved track, blank */
		b[7] = 0x01;			/* NWA valid */
		put32(b + 8, d->writing ? d->track_start : d->nwa);
		put32(b + 12, d->nwa);
		put32(b + 16, d->capacity - d->nwa);
		put32(b + 24, d->capacity - d->nwa);
	} else {
		return ILLEGAL(s, 0x24, 0);
	}
	return reply(b, sizeof(b), get16(cdb + 7), data, len, done);
}

static int read_toc(struct disc *d, const uint8_t *cdb, uint8_t *data,
		    uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	uint8_t b[4 + 8 * (DISC_MAX_TRACKS + 1)] = { 0 };
	unsigned int fmt = cdb[2] & 0x0f, i, n = 4;
	bool msf = cdb[1] & 2;

	if (!fmt && cdb[9] >> 6)
		fmt = cdb[9] >> 6;
	if (fmt > 1 || !d->nr_tracks)	/* no ATIP; nothing on a blank disc */
		return ILLEGAL(s, 0x24, 0);
	if (fmt == 1) {			/* first track of the last session */
		b[2] = 1;
		b[3] = d->sessions ? d->sessions : 1;
		b[5] = 0x14;
		b[6] = 1;
		put32(b + 8, 0);
		put16(b, 10);
		return reply(b, 12, get16(cdb + 7), data, len, done);
	}
	b[2] = 1;
	b[3] = d->nr_tracks;
	for (i = 0; i <= d->nr_tracks; i++, n += 8) {
		uint32_t lba = i < d->nr_tracks ? d->tracks[i].start :
			       d->tracks[i - 1].start + d->tracks[i - 1].len;

		b[n + 1] = 0x14;
		b[n + 2] = i < d->nr_tracks ? i + 1 : 0xaa;
		if (msf)
			put_msf(b + n + 4, lba);
		else
			put32(b + n + 4, lba);
	}
	put16(b, n - 2);
	return reply(b, n, get16(cdb + 7), data, len, done);
}

static int rw10(struct disc *d, const uint8_t *cdb, enum mmc_dir dir,
		uint8_t *data, uint32_t len, uint32_t *done,
		struct mmc_sense *s)
{
	int32_t lba = (int32_t)get32(cdb + 2);
	uint32_t count = get16(cdb + 7);
	bool write = cdb[0] == 0x2a;
	int ret;

	if ((uint64_t)count * DISC_SECTOR > len ||
	    dir != (write ? MMC_TO_DEV : MMC_FROM_DEV))
		return ILLEGAL(s, 0x24, 0);
	if (write) {
		ret = disc_write(d, lba, data, count);
		if (ret)
			return ILLEGAL(s, 0x21, 0x02);	/* invalid write address */
	} else {
		if (lba < 0 || disc_read(d, lba, data, count))
			return ILLEGAL(s, 0x21, 0x00);
	}
	*done = count * DISC_SECTOR;
	return 0;
}

int mmc_execute(struct disc *d, const uint8_t *guest_cdb,
		unsigned int cdb_len, enum mmc_dir dir, uint8_t *data,
		uint32_t len, uint32_t *done, struct mmc_sense *s)
{
	static const unsigned int group_len[8] = { 6, 10, 10, 0, 16, 12, 0, 0 };
	uint8_t sense[18] = { 0x70, 0, 0, 0, 0, 0, 0, 10 };
	uint8_t cdb[MMC_CDB_MAX] = { 0 };
	unsigned int need;

	/*
	 * One read of the CDB: the length check and the dispatch below must
	 * see the same opcode even if the caller's bytes change meanwhile.
	 */
	*done = 0;
	if (cdb_len > MMC_CDB_MAX)
		return ILLEGAL(s, 0x20, 0);
	memcpy(cdb, guest_cdb, cdb_len);
	need = group_len[cdb[0] >> 5];
	if (!need || cdb_len < need)
		return ILLEGAL(s, 0x20, 0);	/* invalid command */
	if (dir != MMC_FROM_DEV)
		len = dir == MMC_TO_DEV ? len : 0;

	switch (cdb[0]) {
	case 0x00:				/* TEST UNIT READY */
	case 0x1b:				/* START STOP UNIT */
	case 0x1e:				/* PREVENT ALLOW */
	case 0xbb:				/* SET CD SPEED */
	case 0x35:				/* SYNCHRONIZE CACHE */
		return 0;
	case 0x03:				/* REQUEST SENSE */
		return reply(sense, sizeof(sense), cdb[4], data, len, done);
	case 0x12:
		return inquiry(cdb, data, len, done, s);
	case 0x5a:
		return mode_sense(d, cdb, data, len, done, s);
	case 0x55:
		if (dir != MMC_TO_DEV)
			return ILLEGAL(s, 0x24, 0);
		return mode_select(d, cdb, data, len, done, s);
	case 0x51:
		return disc_info(d, cdb, data, len, done);
	case 0x52:
		return track_info(d, cdb, data, len, done, s);
	case 0x43:
		return read_toc(d, cdb, data, len, done, s);
	case 0x25: {				/* READ CAPACITY */
		uint8_t b[8];

		put32(b, d->nwa ? d->nwa - 1 : 0);
		put32(b + 4, DISC_SECTOR);
		return reply(b, sizeof(b), 8, data, len, done);
	}
	case 0x28:
	case 0x2a:
		return rw10(d, cdb, dir, data, len, done, s);
	case 0x5d:				/* SEND CUE SHEET */
		if (dir != MMC_TO_DEV || get32(cdb + 5) >> 8 > len)
			return ILLEGAL(s, 0x24, 0);
		d->cue_sheet = true;
		*done = get32(cdb + 5) >> 8;
		return 0;
	case 0x5b:				/* CLOSE TRACK/SESSION */
		switch (cdb[2] & 7) {
		case 1:
			return disc_close_track(d) ? ILLEGAL(s, 0x2c, 0) : 0;
		case 2:
		case 3:
			return disc_close_session(d) ? ILLEGAL(s, 0x2c, 0) : 0;
		default:
			return ILLEGAL(s, 0x24, 0);
		}
	case 0xa1:				/* BLANK */
		if (!d->rewritable)
			return ILLEGAL(s, 0x30, 0x05);	/* not erasable */
		if (d->test_write)
			return 0;
		return disc_blank(d, (cdb[1] & 7) == 0) ? check(s, 0x03, 0x51, 0) : 0;
	default:
		/* GET CONFIGURATION, READ BUFFER CAPACITY, ATIP ... */
		return ILLEGAL(s, 0x20, 0);
	}
}
