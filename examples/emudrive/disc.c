// SPDX-License-Identifier: MIT
/* The emulated drive's medium: see disc.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disc.h"

#define DISC_MAX_OPEN	16

static struct disc *discs[DISC_MAX_OPEN];
static pthread_mutex_t discs_lock = PTHREAD_MUTEX_INITIALIZER;

static int parse_options(struct disc *d, const char *options)
{
	char buf[256], *tok, *save = NULL;
	bool sized = false;
	int ret = 0;

	d->rewritable = true;
	d->capacity = (650u << 20) / DISC_SECTOR;
	d->speed = 8;
	if (!options || !*options)
		return 0;
	if (strlen(options) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, options);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *v = strchr(tok, '=');
		unsigned long long n;
		char *end;

		if (!v)
			return -EINVAL;
		*v++ = '\0';
		if (!strcmp(tok, "media")) {
			d->dvd = false;
			if (!strcmp(v, "cdr"))
				d->rewritable = false;
			else if (!strcmp(v, "dvd+rw"))
				d->dvd = true;
			else if (strcmp(v, "cdrw"))
				return -EINVAL;
		} else if (!strcmp(tok, "size")) {
			n = strtoull(v, &end, 10);
			if (*end == 'M')
				n <<= 20, end++;
			if (*end || n < (1u << 20) ||
			    n > (uint64_t)DISC_DVD_SECTORS * DISC_SECTOR)
				return -EINVAL;
			d->capacity = n / DISC_SECTOR;
			sized = true;
		} else if (!strcmp(tok, "speed")) {
			n = strtoull(v, &end, 10);
			if (*end || !n || n > 52)
				return -EINVAL;
			d->speed = n;
		} else {
			return -EINVAL;
		}
	}
	/* A CD holds at most 900 MB; a DVD's default is a whole one. */
	if (d->dvd && !sized)
		d->capacity = DISC_DVD_SECTORS;
	if (!d->dvd && (uint64_t)d->capacity * DISC_SECTOR > (900ull << 20))
		ret = -EINVAL;
	return ret;
}

static void state_path(const struct disc *d, char *buf, size_t len)
{
	snprintf(buf, len, "%s.state", d->path);
}

int disc_save(struct disc *d)
{
	char path[4200], tmp[4210];
	unsigned int i;
	FILE *f;

	state_path(d, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "status %d\nsessions %u\ntracks %u\nformatted %d\n",
		d->status, d->sessions, d->nr_tracks, d->formatted);
	for (i = 0; i < d->nr_tracks; i++)
		fprintf(f, "track %u %u %u %u\n", d->tracks[i].start,
			d->tracks[i].len, d->tracks[i].session,
			d->tracks[i].mode);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	return 0;
}

/* Load what disc_save wrote; a missing file is a blank disc. */
static int disc_load(struct disc *d)
{
	char path[4200], line[128];
	unsigned int a, b, c, m, n = 0;
	int st, k;
	FILE *f;

	state_path(d, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "status %d", &st) == 1 && st >= 0 && st <= 2)
			d->status = st;
		else if (sscanf(line, "sessions %u", &a) == 1)
			d->sessions = a;
		else if (sscanf(line, "formatted %u", &a) == 1)
			d->formatted = a && d->dvd;
		else if ((k = sscanf(line, "track %u %u %u %u", &a, &b, &c,
				     &m)) >= 3 && n < DISC_MAX_TRACKS &&
			 a + b >= a && a + b <= d->capacity)
			d->tracks[n++] = (struct disc_track){
				a, b, c, k == 4 && m == 2 ? 2 : 1 };
	}
	fclose(f);
	d->nr_tracks = n;
	d->nwa = disc_session_start(d);
	return 0;
}

uint32_t disc_end(const struct disc *d)
{
	const struct disc_track *t;

	if (!d->nr_tracks)
		return 0;
	t = &d->tracks[d->nr_tracks - 1];
	return t->start + t->len;
}

/*
 * A session left open continues where its last track ended; after a
 * closed one come its lead-out, the next lead-in and pregap.
 */
uint32_t disc_session_start(const struct disc *d)
{
	uint32_t end = disc_end(d);

	if (!d->nr_tracks || d->tracks[d->nr_tracks - 1].session > d->sessions)
		return end;
	return end + (d->sessions == 1 ? DISC_LEADOUT_FIRST :
					 DISC_LEADOUT_NEXT) +
	       DISC_LEADIN + DISC_PREGAP;
}

int disc_get(const char *path, const char *options, struct disc **out)
{
	struct disc *d = NULL;
	unsigned int i, slot = DISC_MAX_OPEN;
	int ret;

	pthread_mutex_lock(&discs_lock);
	for (i = 0; i < DISC_MAX_OPEN; i++) {
		if (discs[i] && !strcmp(discs[i]->path, path)) {
			d = discs[i];
			break;
		}
		if (!discs[i] && slot == DISC_MAX_OPEN)
			slot = i;
	}
	if (d) {
		d->users++;
		*out = d;
		pthread_mutex_unlock(&discs_lock);
		return 0;
	}
	ret = -ENFILE;
	if (slot == DISC_MAX_OPEN || strlen(path) >= sizeof(d->path))
		goto out;
	ret = -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out;
	strcpy(d->path, path);
	d->fd = -1;
	pthread_mutex_init(&d->lock, NULL);
	d->write_type = 1;
	d->data_block_type = 8;
	ret = parse_options(d, options);
	if (!ret) {
		d->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		ret = d->fd < 0 ? -errno : disc_load(d);
	}
	if (ret) {
		if (d->fd >= 0)
			close(d->fd);
		free(d);
		goto out;
	}
	d->users = 1;
	discs[slot] = d;
	*out = d;
out:
	pthread_mutex_unlock(&discs_lock);
	return ret;
}

void disc_put(struct disc *d)
{
	unsigned int i;

	pthread_mutex_lock(&discs_lock);
	if (--d->users) {
		pthread_mutex_unlock(&discs_lock);
		return;
	}
	for (i = 0; i < DISC_MAX_OPEN; i++)
		if (discs[i] == d)
			discs[i] = NULL;
	pthread_mutex_unlock(&discs_lock);
	close(d->fd);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* The cue entry lba falls in (the last one starting at or before it). */
static const struct disc_cue *cue_at(const struct disc *d, int64_t lba)
{
	const struct disc_cue *c = NULL;
	unsigned int i;

	for (i = 0; i < d->nr_cue && d->cue[i].lba <= lba; i++)
		c = &d->cue[i];
	return c;
}

/* Past the regions the host sends nothing for (generated data). */
static void sao_skip(struct disc *d)
{
	const struct disc_cue *c = cue_at(d, d->sao_next);

	while (c && c->tno != 0xaa && !c->host_bytes && c + 1 <
	       d->cue + d->nr_cue) {
		d->sao_next = c[1].lba;
		c++;
	}
}

void disc_set_cue(struct disc *d, const struct disc_cue *cue, unsigned int n)
{
	memcpy(d->cue, cue, n * sizeof(*cue));
	d->nr_cue = n;
	d->cue_sheet = true;
	d->sao_next = cue[0].lba;
	sao_skip(d);
}

bool disc_sao_done(const struct disc *d)
{
	return d->cue_sheet && d->nr_cue &&
	       d->sao_next >= d->cue[d->nr_cue - 1].lba;
}

/*
 * SAO: the stream goes on exactly where it stopped; sectors of the
 * pregap (index 0) and lead-in carry no user data and are dropped.
 */
static int sao_write(struct disc *d, int64_t lba, const uint8_t *p,
		     uint32_t count)
{
	const struct disc_cue *leadout = &d->cue[d->nr_cue - 1];

	if (!d->cue_sheet || lba != d->sao_next ||
	    lba + count > leadout->lba)
		return -EINVAL;
	if (!d->writing) {
		d->writing = true;
		d->track_start = d->nwa;
	}
	while (count) {
		const struct disc_cue *c = cue_at(d, lba);
		int64_t end = c + 1 < d->cue + d->nr_cue ? c[1].lba : lba + 1;
		uint32_t k = end - lba < count ? end - lba : count;

		if (!c->host_bytes)
			return -EINVAL;
		if (c->index && c->tno != 0 && lba >= 0 && !d->test_write &&
		    pwrite(d->fd, p, (size_t)k * DISC_SECTOR,
			   (off_t)lba * DISC_SECTOR) != (ssize_t)k * DISC_SECTOR)
			return -EIO;
		p += (size_t)k * DISC_SECTOR;
		lba += k;
		count -= k;
		d->sao_next = lba;
		sao_skip(d);
	}
	if (d->sao_next > d->nwa)
		d->nwa = d->sao_next;
	return 0;
}

int disc_format(struct disc *d)
{
	if (!d->dvd)
		return -EINVAL;
	if (ftruncate(d->fd, 0))
		return -EIO;
	d->formatted = true;
	d->status = DISC_COMPLETE;
	d->sessions = d->nr_tracks = 1;
	d->tracks[0] = (struct disc_track){ 0, d->capacity, 1, 1 };
	return disc_save(d);
}

int disc_write(struct disc *d, int64_t lba, const void *buf, uint32_t count)
{
	int64_t end = lba + count;

	/* DVD+RW: random access over the formatted disc. */
	if (d->dvd) {
		if (!d->formatted || lba < 0 || end > d->capacity)
			return -EINVAL;
		if (count && pwrite(d->fd, buf, (size_t)count * DISC_SECTOR,
				    (off_t)lba * DISC_SECTOR) !=
		    (ssize_t)count * DISC_SECTOR)
			return -EIO;
		return 0;
	}

	if (d->status == DISC_COMPLETE || end > d->capacity ||
	    lba < -DISC_PREGAP)
		return -EINVAL;
	if (d->write_type == 2)
		return sao_write(d, lba, buf, count);
	/* TAO: the first write opens the track, at the NWA; then in order. */
	if (lba != d->nwa || lba < 0)
		return -EINVAL;
	if (!d->writing) {
		d->writing = true;
		d->track_start = lba;
		d->track_mode = d->data_block_type == 10 ? 2 : 1;
	}
	if (count && !d->test_write &&
	    pwrite(d->fd, buf, (size_t)count * DISC_SECTOR,
		   (off_t)lba * DISC_SECTOR) != (ssize_t)count * DISC_SECTOR)
		return -EIO;
	d->nwa = end;
	return 0;
}

int disc_read(struct disc *d, uint32_t lba, void *buf, uint32_t count)
{
	ssize_t n;

	if ((uint64_t)lba + count > d->capacity)
		return -EINVAL;
	n = pread(d->fd, buf, (size_t)count * DISC_SECTOR,
		  (off_t)lba * DISC_SECTOR);
	if (n < 0)
		return -EIO;
	/* Past the image's end the disc reads as zeros. */
	memset((uint8_t *)buf + n, 0, (size_t)count * DISC_SECTOR - n);
	return 0;
}

/* The tracks of the SAO stream, from the cue sheet, as closed tracks. */
static int sao_tracks(struct disc *d)
{
	unsigned int i, first = d->nr_tracks;

	for (i = 0; i < d->nr_cue; i++) {
		const struct disc_cue *c = &d->cue[i];
		struct disc_track *t;
		unsigned int j;

		if (c->tno == 0 || c->tno == 0xaa || c->index != 1)
			continue;
		if (d->nr_tracks >= DISC_MAX_TRACKS)
			return -ENOSPC;
		/* It ends where the next track (its pregap) begins. */
		for (j = i + 1; d->cue[j].tno == c->tno; j++)
			;
		if (d->cue[j].lba > d->sao_next)
			break;			/* not all of it written */
		t = &d->tracks[d->nr_tracks++];
		t->start = c->lba;
		t->len = d->cue[j].lba - c->lba;
		t->session = d->sessions + 1;
		t->mode = (c->form >> 4) == 2 ? 2 : 1;
	}
	if (d->nr_tracks == first)
		return -EINVAL;
	return 0;
}

int disc_close_track(struct disc *d)
{
	static const uint8_t zero[DISC_SECTOR];
	struct disc_track *t;
	uint32_t len;

	if (!d->writing || d->write_type == 2)	/* SAO: the session closes */
		return 0;
	if (d->test_write) {		/* nothing happened, really */
		d->writing = false;
		d->nwa = disc_session_start(d);
		return 0;
	}
	if (d->nr_tracks >= DISC_MAX_TRACKS)
		return -ENOSPC;
	len = d->nwa - d->track_start;
	while (len < DISC_MIN_TRACK) {
		if (pwrite(d->fd, zero, DISC_SECTOR,
			   (off_t)(d->track_start + len) * DISC_SECTOR) !=
		    DISC_SECTOR)
			return -EIO;
		len++;
	}
	fsync(d->fd);
	t = &d->tracks[d->nr_tracks++];
	t->start = d->track_start;
	t->len = len;
	t->session = d->sessions + 1;
	t->mode = d->track_mode;
	d->nwa = t->start + len;
	d->writing = false;
	d->status = DISC_APPENDABLE;
	return disc_save(d);
}

int disc_close_session(struct disc *d)
{
	int ret = 0;

	if (d->write_type == 2 && d->writing) {
		d->writing = false;
		d->cue_sheet = false;
		if (d->test_write) {
			d->nwa = disc_session_start(d);
			return 0;
		}
		fsync(d->fd);
		ret = sao_tracks(d);
		d->nr_cue = 0;
		if (ret) {
			d->nwa = disc_session_start(d);
			return ret;
		}
	} else {
		ret = disc_close_track(d);
	}
	if (ret || d->test_write || !d->nr_tracks ||
	    d->tracks[d->nr_tracks - 1].session <= d->sessions)
		return ret;
	d->sessions++;
	d->cue_sheet = false;
	/* Multi-session leaves room for the next session. */
	d->status = d->multi_session ? DISC_APPENDABLE : DISC_COMPLETE;
	d->nwa = disc_session_start(d);
	return disc_save(d);
}

int disc_blank(struct disc *d, enum disc_blank_type type)
{
	unsigned int n = d->nr_tracks;

	if (!d->rewritable)
		return -EINVAL;
	d->writing = false;
	d->cue_sheet = false;
	d->nr_cue = 0;
	switch (type) {
	case DISC_BLANK_FULL:
	case DISC_BLANK_MINIMAL:
		if (ftruncate(d->fd, 0) ||
		    (type == DISC_BLANK_FULL &&
		     ftruncate(d->fd, (off_t)d->capacity * DISC_SECTOR)))
			return -EIO;
		d->sessions = d->nr_tracks = 0;
		break;
	case DISC_BLANK_UNCLOSE:
		/* The last session open again: complete becomes appendable. */
		if (d->status != DISC_COMPLETE)
			return -EINVAL;
		d->sessions--;
		break;
	case DISC_BLANK_SESSION:
		if (!d->sessions)
			return -EINVAL;
		while (n && d->tracks[n - 1].session >= d->sessions)
			n--;
		d->nr_tracks = n;
		d->sessions--;
		if (ftruncate(d->fd, (off_t)disc_end(d) * DISC_SECTOR))
			return -EIO;
		break;
	default:
		return -EINVAL;
	}
	d->status = d->nr_tracks ? DISC_APPENDABLE : DISC_BLANK;
	d->nwa = disc_session_start(d);
	return disc_save(d);
}
