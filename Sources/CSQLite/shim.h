#ifndef LEAKHISTORY_CSQLITE_SHIM_H
#define LEAKHISTORY_CSQLITE_SHIM_H

// The system SQLite, as it is: Swift code in SQLiteStore calls the C API
// directly (SQLITE_TRANSIENT, a macro Swift cannot import, is one Swift line
// in Statement.swift).
#include <sqlite3.h>

#endif
