/* SPDX-License-Identifier: MIT */
/*
 * The MMC command set of the emulated CD-R/RW drive, over a disc: what
 * cdrecord (wodim) sends, as listed in shared/cdrecord.md.
 */
#ifndef DEVCALL_EMUDRIVE_MMC_H
#define DEVCALL_EMUDRIVE_MMC_H

#include <stdint.h>

#include "disc.h"

/* Sense for a CHECK CONDITION. */
struct mmc_sense {
	uint8_t key, asc, ascq;
};

enum mmc_dir { MMC_NONE, MMC_TO_DEV, MMC_FROM_DEV };

#define MMC_CDB_MAX	16

/*
 * Execute one CDB of cdb_len (<= MMC_CDB_MAX) bytes. data holds len bytes
 * (from the host for TO_DEV, for the host to fill for FROM_DEV). On return
 * *done is how many bytes moved. Returns 0 for GOOD, 1 for CHECK CONDITION
 * with *sense set. The CDB is read once, into a local copy; data may be
 * live guest memory: each byte of it is read at most once (backend.h).
 */
int mmc_execute(struct disc *d, const uint8_t *cdb, unsigned int cdb_len,
		enum mmc_dir dir, uint8_t *data, uint32_t len, uint32_t *done,
		struct mmc_sense *sense);

#endif /* DEVCALL_EMUDRIVE_MMC_H */
