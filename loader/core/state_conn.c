// SPDX-License-Identifier: GPL-2.0-only
/* The database connection kept between operations of one process, and its
 * prepared statements (state_db.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/state_db.h"
#include "sys/util.h"

#define MAX_STMTS 32

static bool keep;
static struct {
	sqlite3 *db;
	char path[PATH_MAX];
	dev_t dev;
	ino_t ino;
} kept;
static struct {
	sqlite3 *db;
	const char *sql;
	sqlite3_stmt *s;
} stmts[MAX_STMTS];

static void close_db(sqlite3 *db)
{
	int i;

	if (!db)
		return;
	for (i = 0; i < MAX_STMTS; i++)
		if (stmts[i].db == db) {
			sqlite3_finalize(stmts[i].s);
			memset(&stmts[i], 0, sizeof(stmts[i]));
		}
	sqlite3_close(db);
}

static void close_kept(void)
{
	close_db(kept.db);
	kept.db = NULL;
}

void vni_state_keep_open(bool on)
{
	static bool registered;

	keep = on;
	if (on && !registered)
		registered = !atexit(close_kept);
	if (!on)
		close_kept();
}

int vni_db_reuse(struct vni_state *st, const char *path)
{
	struct stat now;

	if (!kept.db)
		return 0;
	/* another process may have removed the state (close_tidy) or put
	 * another file there: the kept connection is of the old one */
	if (strcmp(kept.path, path) || stat(path, &now) || now.st_dev != kept.dev ||
	    now.st_ino != kept.ino) {
		close_kept();
		return 0;
	}
	st->db = kept.db;
	st->db_dev = kept.dev;
	st->db_ino = kept.ino;
	kept.db = NULL;
	return 1;
}

void vni_db_put(struct vni_state *st)
{
	if (!st->db)
		return;
	if (keep && !kept.db && st->db_ino &&
	    !vni_path(kept.path, sizeof(kept.path), "%s/state.db", st->dir)) {
		kept.db = st->db;
		kept.dev = st->db_dev;
		kept.ino = st->db_ino;
	} else {
		close_db(st->db);
	}
	st->db = NULL;
}

sqlite3_stmt *vni_db_stmt(struct vni_state *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int i, free_slot = -1;

	for (i = 0; i < MAX_STMTS; i++) {
		if (stmts[i].db == st->db && stmts[i].sql == sql)
			return stmts[i].s;
		if (!stmts[i].db && free_slot < 0)
			free_slot = i;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, free_slot >= 0 ? SQLITE_PREPARE_PERSISTENT : 0,
			       &s, NULL) != SQLITE_OK)
		return NULL;
	if (free_slot < 0) /* full: used once (vni_db_reset cannot tell; see there) */
		return s;
	stmts[free_slot].db = st->db;
	stmts[free_slot].sql = sql;
	stmts[free_slot].s = s;
	return s;
}

void vni_db_reset(sqlite3_stmt *s)
{
	int i;

	for (i = 0; i < MAX_STMTS; i++)
		if (stmts[i].s == s) {
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			return;
		}
	sqlite3_finalize(s); /* one the cache had no room for */
}
