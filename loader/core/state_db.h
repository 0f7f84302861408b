/* SPDX-License-Identifier: GPL-2.0-only */
/* Inside the state database: shared by its files (state.c, state_pools.c)
 * and nothing else. */
#ifndef VNI_STATE_DB_H
#define VNI_STATE_DB_H

#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <sys/types.h>

#include "core/state.h"
#include "core/validate.h"

struct vni_state {
	sqlite3 *db;
	int lock_fd;
	char dir[PATH_MAX];
	bool created; /* this open made the state dir */
	dev_t db_dev; /* the database file this connection has open */
	ino_t db_ino;
};

/* The connection kept between operations (vni_state_keep_open), and the
 * statements prepared on it (state_conn.c). */
/* st->db from the kept connection if it is of the file at path (1), else 0
 * (the kept one, of another file, is closed). */
int vni_db_reuse(struct vni_state *st, const char *path);
/* st's connection kept for the next open, or closed (with its statements). */
void vni_db_put(struct vni_state *st);
/* A new connection's WAL settings: the WAL file kept, checkpoints by size. */
void vni_db_tune(sqlite3 *db);
/* A statement for sql (a string constant: its address is the key), prepared
 * once per connection; the caller binds, steps and calls vni_db_reset, which
 * also ends a read (an unfinished SELECT holds its snapshot). NULL on failure. */
sqlite3_stmt *vni_db_stmt(struct vni_state *st, const char *sql);
void vni_db_reset(sqlite3_stmt *s);

/* "state database: cannot WHAT: sqlite's message", -EIO. */
int vni_db_err(struct vni_state *st, char *err, const char *what);
/* A change of several rows is one: savepoint, then release (ret 0: keep it;
 * else roll it back) returning ret or the failure to commit. */
int vni_db_savepoint(struct vni_state *st, const char *what, char *err);
int vni_db_release(struct vni_state *st, int ret, const char *what, char *err);
/* The maps of r->name into r (*s: the statement, prepared on first use, for
 * the caller to finalize); the same written (replacing). state_maps.c. */
int vni_db_read_maps(struct vni_state *st, sqlite3_stmt **s, struct vni_record *r, char *err);
int vni_db_write_maps(struct vni_state *st, const char *name, const struct vni_map *maps,
		      unsigned n, char *err);
/* The instance leaves every service it is a member of (state_services.c). */
int vni_db_drop_memberships(struct vni_state *st, const char *instance, char *err);
/* An address as text, or NULL for none. */
void vni_bind_addr(sqlite3_stmt *s, int col, const struct vni_addr *a);

#endif
