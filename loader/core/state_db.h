/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside the state database: shared by its files (state.c, state_pools.c)
 * and nothing else. */
#ifndef VNI_STATE_DB_H
#define VNI_STATE_DB_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "core/validate.h"

struct vni_state {
	sqlite3 *db;
	int lock_fd;
	char dir[PATH_MAX];
	bool created; /* this open made the state dir */
};

/* "state database: cannot WHAT: sqlite's message", -EIO. */
int vni_db_err(struct vni_state *st, char *err, const char *what);
/* An address as text, or NULL for none. */
void vni_bind_addr(sqlite3_stmt *s, int col, const struct vni_addr *a);

#endif
