import SQLiteStore
import TestSupport
import Testing

@Suite("Errors carry the code, message and SQL, never the arguments")
struct ErrorsNameCodeAndSQLButNotArgumentsTests {
    @Test("a UNIQUE violation is a constraint error with the SQL and without the bound values")
    func uniqueViolation() throws {
        try withTemporaryDirectory { dir in
            let path = dir.path("db.sqlite")
            try withDatabase(path) { db in
                try db.execute(sql: "CREATE TABLE users (name TEXT NOT NULL UNIQUE, token TEXT)")
                let sql = "INSERT INTO users (name, token) VALUES (?, ?)"
                try db.cachedStatement(sql: sql).execute(["alice", "s3cr3t-token-1"])
                let error = try #require(throws: DatabaseError.self) {
                    try db.cachedStatement(sql: sql).execute(["alice", "s3cr3t-token-2"])
                }
                #expect(error.resultCode.primaryResultCode == .constraint)
                #expect(error.resultCode != .constraint, "extended result codes are on")
                #expect(error.sql == sql)
                #expect(error.path == path)
                #expect(error.description.contains(sql))
                #expect(error.description.contains("UNIQUE"))
                #expect(!error.description.contains("s3cr3t"))
                #expect(!error.description.contains("alice"))
            }
        }
    }

    @Test("catch ResultCode.x matches a family of errors, and an extended code only itself")
    func catchByResultCode() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: "CREATE TABLE users (name TEXT NOT NULL UNIQUE, age INTEGER CHECK (age >= 0))")
            try db.cachedStatement(sql: "INSERT INTO users VALUES (?, ?)").execute(["alice", 1])
            func failure(_ arguments: StatementArguments) -> String {
                do {
                    try db.cachedStatement(sql: "INSERT INTO users VALUES (?, ?)").execute(arguments)
                    return "stored"
                } catch ResultCode.constraintUnique {
                    return "unique"
                } catch ResultCode.constraint {
                    return "other constraint"
                } catch {
                    return "other error"
                }
            }
            #expect(failure(["alice", 2]) == "unique")
            #expect(failure(["bob", -1]) == "other constraint")
            #expect(failure(["carol", 3]) == "stored")
            #expect(!(ResultCode.constraint ~= (InputLikeError() as any Error)))
            #expect(!(ResultCode.busy ~= (DatabaseError(resultCode: .constraint, message: "", sql: nil, path: "") as any Error)))
        }
    }

    struct InputLikeError: Error {}

    @Test("a foreign key violation is refused: foreign keys are on")
    func foreignKeyViolation() throws {
        try withDatabase(":memory:") { db in
            try db.execute(sql: """
                CREATE TABLE parent (id INTEGER PRIMARY KEY);
                CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent (id));
                """)
            let error = try #require(throws: DatabaseError.self) {
                try db.makeStatement(sql: "INSERT INTO child VALUES (?)").execute([7])
            }
            #expect(error.resultCode.primaryResultCode == .constraint)
        }
    }

    @Test("a failing statement in a script is named, not the whole script")
    func scriptErrorNamesStatement() throws {
        try withDatabase(":memory:") { db in
            let error = try #require(throws: DatabaseError.self) {
                try db.execute(sql: """
                    CREATE TABLE a (x INTEGER);
                    CREATE TABLE b (y INTEGER;
                    CREATE TABLE c (z INTEGER);
                    """)
            }
            #expect(error.resultCode.primaryResultCode == .error)
            #expect(error.sql == "CREATE TABLE b (y INTEGER")
            let runtime = try #require(throws: DatabaseError.self) {
                try db.execute(sql: "CREATE TABLE u (k UNIQUE); INSERT INTO u VALUES (1); INSERT INTO u VALUES (1); DROP TABLE u")
            }
            #expect(runtime.sql == "INSERT INTO u VALUES (1)")
        }
    }

    @Test("a wrong parameter index is a range error; a wrong argument count is misuse")
    func bindingMistakes() throws {
        try withDatabase(":memory:") { db in
            let statement = try db.makeStatement(sql: "SELECT ?, ?")
            let range = try #require(throws: DatabaseError.self) {
                try statement.bind(Int64(1), at: 3)
            }
            #expect(range.resultCode == .range)
            #expect(range.message.contains("3"))
            let zero = try #require(throws: DatabaseError.self) {
                try statement.bindNull(at: 0)
            }
            #expect(zero.resultCode == .range)

            let misuse = try #require(throws: DatabaseError.self) {
                try statement.execute([1, 2, 3])
            }
            #expect(misuse.resultCode == .misuse)
            #expect(misuse.message.contains("2 parameter(s)"))
            #expect(throws: DatabaseError.self) {
                try statement.execute([1])
            }
            #expect(throws: DatabaseError.self) {
                try statement.execute()
            }
        }
    }

    @Test("makeStatement takes exactly one statement")
    func oneStatementOnly() throws {
        try withDatabase(":memory:") { db in
            let several = try #require(throws: DatabaseError.self) {
                try db.makeStatement(sql: "SELECT 1; SELECT 2")
            }
            #expect(several.resultCode == .misuse)
            let none = try #require(throws: DatabaseError.self) {
                try db.makeStatement(sql: "  -- nothing here\n")
            }
            #expect(none.resultCode == .misuse)
            // A trailing semicolon or comment is not another statement.
            _ = try db.makeStatement(sql: "SELECT 1; -- done\n")
        }
    }
}
