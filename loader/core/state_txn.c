// SPDX-License-Identifier: GPL-2.0-only
#include "core/state_db.h"
#include "core/state_txn.h"

int vni_state_begin(struct vni_state *st, char *err)
{
	return sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ?
		       0 : vni_db_err(st, err, "begin a transaction");
}

int vni_state_commit(struct vni_state *st, int ret, char *err)
{
	if (!ret && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	if (!ret)
		ret = vni_db_err(st, err, "commit");
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}
