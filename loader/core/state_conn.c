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

/*
 * Most vnictl runs are short processes. The WAL file stays between them
 * (made anew, it was synced with its directory, and the checkpoint at close
 * synced twice more: 4 fdatasyncs, about 1 ms of an attach), and a commit
 * checkpoints once the WAL holds 48 pages, so the next process reads at most
 * that much of it back when it opens the database. A process that keeps the
 * connection for many operations checkpoints every 1,000 pages (SQLite's
 * default), and once when it lets go.
 */
void vni_db_tune(sqlite3 *db)
{
	int on = 1;

	sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_wal_autocheckpoint(db, keep ? 1000 : 48);
	sqlite3_exec(db, "PRAGMA journal_size_limit=1048576", NULL, NULL, NULL);
}

static void close_kept(void)
{
	if (kept.db)
		sqlite3_wal_checkpoint_v2(kept.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
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
