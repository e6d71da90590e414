#ifndef LEAKHISTORY_CSQLITE_SHIM_H
#define LEAKHISTORY_CSQLITE_SHIM_H

#include <sqlite3.h>

// Swift cannot call C variadic functions. These wrappers expose the few
// variadic calls the store layer needs with fixed signatures.
// https://www.sqlite.org/c3ref/db_config.html

static inline int leakhistory_db_config_int(sqlite3 *db, int op, int value, int *result) {
    return sqlite3_db_config(db, op, value, result);
}

// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
// cannot import; the store layer binds text and blobs with it.
static inline void leakhistory_bind_transient_text(sqlite3_stmt *stmt, int index, const char *text, int length, int *rc) {
    *rc = sqlite3_bind_text(stmt, index, text, length, SQLITE_TRANSIENT);
}

static inline void leakhistory_bind_transient_blob(sqlite3_stmt *stmt, int index, const void *bytes, int length, int *rc) {
    *rc = sqlite3_bind_blob(stmt, index, bytes, length, SQLITE_TRANSIENT);
}

#endif
