// SQLiteStore — a small, generic layer over the system SQLite.
//
// Lives here: Database (a connection: configuration, transactions and
// savepoints, busy waits, checkpoints), Statement (prepared, cached,
// finalized on close), rows and values, typed errors and result codes, and
// the migrator (numbered migrations, application id, refusing newer or
// foreign files).
//
// May import: CSQLite, Logging and the system modules. It knows nothing of
// LeakHistory: no table, no query, no application name.
