#include "experiment/unit_store.hpp"

#include <sqlite3.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "sim/output_file.hpp"

namespace essaim::experiment {

struct UnitStore::Handle {
    sqlite3* db = nullptr;
    sqlite3_stmt* insert = nullptr;
    ~Handle() {
        sqlite3_finalize(insert);
        sqlite3_close(db);
    }
};

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what, sqlite3* db) {
    throw StoreError("unit store '" + path + "': " + what +
                     (db ? std::string(" (") + sqlite3_errmsg(db) + ")" : std::string()));
}

// A failed write (a full disk, a read-only file system) is an I/O failure, with the system's
// reason when SQLite has one, not a bad store.
[[noreturn]] void fail_io(const std::string& path, const std::string& what, sqlite3* db,
                          int system_error) {
    // SQLite's own words for a full disk ("database or disk is full") when it saw no errno.
    const int primary = db ? sqlite3_extended_errcode(db) & 0xff : 0;
    const char* reason = system_error != 0        ? std::strerror(system_error)
                         : primary == SQLITE_FULL ? std::strerror(ENOSPC)
                         : db                     ? sqlite3_errmsg(db)
                                                  : "unknown error";
    throw IoError("unit store '" + path + "': " + what + ": " + reason);
}

[[noreturn]] void fail_io(const std::string& path, const std::string& what, sqlite3* db) {
    fail_io(path, what, db, db ? sqlite3_system_errno(db) : 0);
}

bool is_io_failure(int status) {
    const int primary = status & 0xff;
    return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_READONLY ||
           primary == SQLITE_CANTOPEN || primary == SQLITE_PERM;
}

void exec(sqlite3* db, const std::string& path, const char* sql) {
    char* error = nullptr;
    errno = 0;
    const int status = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    // SQLite may lose the errno of a failed write while it rolls back; the thread's errno keeps it.
    const int system_error = sqlite3_system_errno(db) != 0 ? sqlite3_system_errno(db) : errno;
    if (status != SQLITE_OK) {
        const std::string message = error ? error : "unknown error";
        sqlite3_free(error);
        if (is_io_failure(sqlite3_extended_errcode(db)))
            fail_io(path, "cannot write", db, system_error);
        throw StoreError("unit store '" + path + "': " + message);
    }
}

// Statements, finalised at scope exit.
struct Statement {
    sqlite3_stmt* s = nullptr;
    Statement(sqlite3* db, const std::string& path, const char* sql) {
        if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK)
            fail(path, "not an essaim unit store", db);
    }
    ~Statement() { sqlite3_finalize(s); }
};

std::unique_ptr<sqlite3, int (*)(sqlite3*)> open_db(const std::string& path, int flags) {
    sqlite3* db = nullptr;
    const int status = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOFOLLOW, nullptr);
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> owned(db, sqlite3_close);
    if (status != SQLITE_OK) {
        if (is_io_failure(status)) fail_io(path, "cannot open", db);
        fail(path, "cannot open", db);
    }
    sqlite3_busy_timeout(db, 5000);
    return owned;
}

}  // namespace

UnitStore::UnitStore(std::string path, std::unique_ptr<Handle> handle)
    : path_(std::move(path)),
      handle_(std::move(handle)),
      last_commit_(std::chrono::steady_clock::now()) {
    if (sqlite3_prepare_v2(handle_->db, "INSERT INTO units (id, result) VALUES (?, ?)", -1,
                           &handle_->insert, nullptr) != SQLITE_OK)
        fail(path_, "not an essaim unit store", handle_->db);
}

UnitStore::UnitStore(UnitStore&&) noexcept = default;
UnitStore& UnitStore::operator=(UnitStore&&) noexcept = default;

UnitStore::~UnitStore() {
    if (handle_ && in_transaction_) sqlite3_exec(handle_->db, "COMMIT", nullptr, nullptr, nullptr);
}

UnitStore UnitStore::create(const std::string& path,
                            const std::map<std::string, std::string>& meta) {
    const bool memory = path == ":memory:";
    if (!memory && std::filesystem::exists(std::filesystem::symlink_status(path)))
        throw StoreError("unit store '" + path + "' already exists (use --resume to continue it)");
    auto db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!memory) exec(db.get(), path, "PRAGMA journal_mode=WAL");
    exec(db.get(), path,
         "PRAGMA synchronous=NORMAL;"
         "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
         "CREATE TABLE units (id INTEGER PRIMARY KEY, result BLOB NOT NULL);");
    {
        Statement insert(db.get(), path, "INSERT INTO meta (key, value) VALUES (?, ?)");
        exec(db.get(), path, "BEGIN");
        for (const auto& [key, value] : meta) {
            sqlite3_bind_text(insert.s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(insert.s, 2, value.c_str(), -1, SQLITE_TRANSIENT);
            if (sqlite3_step(insert.s) != SQLITE_DONE) fail_io(path, "cannot write", db.get());
            sqlite3_reset(insert.s);
        }
        exec(db.get(), path, "COMMIT");
    }
    auto handle = std::make_unique<Handle>();
    handle->db = db.release();
    UnitStore store(path, std::move(handle));
    store.meta_ = meta;
    return store;
}

UnitStore UnitStore::open(const std::string& path) {
    if (!std::filesystem::is_regular_file(path))
        throw StoreError("unit store '" + path + "': no such file");
    auto db = open_db(path, SQLITE_OPEN_READWRITE);
    exec(db.get(), path, "PRAGMA synchronous=NORMAL");
    std::map<std::string, std::string> meta;
    {
        Statement check(db.get(), path, "PRAGMA quick_check");
        if (sqlite3_step(check.s) != SQLITE_ROW ||
            std::string(reinterpret_cast<const char*>(sqlite3_column_text(check.s, 0))) != "ok")
            fail(path, "damaged (SQLite integrity check failed)", db.get());
        Statement read(db.get(), path, "SELECT key, value FROM meta");
        int status;
        while ((status = sqlite3_step(read.s)) == SQLITE_ROW)
            meta[reinterpret_cast<const char*>(sqlite3_column_text(read.s, 0))] =
                reinterpret_cast<const char*>(sqlite3_column_text(read.s, 1));
        if (status != SQLITE_DONE) fail(path, "cannot read", db.get());
    }
    if (!meta.count("fingerprint"))
        throw StoreError("unit store '" + path + "': not an essaim unit store (no fingerprint)");
    auto handle = std::make_unique<Handle>();
    handle->db = db.release();
    UnitStore store(path, std::move(handle));
    store.meta_ = std::move(meta);
    return store;
}

void UnitStore::begin_if_needed() {
    if (in_transaction_) return;
    exec(handle_->db, path_, "BEGIN");
    in_transaction_ = true;
}

void UnitStore::put(std::uint64_t id, const std::vector<std::uint8_t>& bytes) {
    begin_if_needed();
    sqlite3_stmt* s = handle_->insert;
    sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(id));
    sqlite3_bind_blob64(s, 2, bytes.data(), bytes.size(), SQLITE_STATIC);
    const int status = sqlite3_step(s);
    const int system_error = sqlite3_system_errno(handle_->db);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (status == SQLITE_CONSTRAINT)
        throw std::logic_error("unit " + std::to_string(id) + " stored twice in '" + path_ + "'");
    if (status != SQLITE_DONE) {
        // SQLite may have rolled the transaction back: what the next commit finds is its own.
        in_transaction_ = sqlite3_get_autocommit(handle_->db) == 0;
        fail_io(path_, "cannot store unit " + std::to_string(id), handle_->db, system_error);
    }
    if (std::chrono::steady_clock::now() - last_commit_ >= commit_every_) commit();
}

void UnitStore::commit() {
    if (in_transaction_) {
        in_transaction_ = false;  // a failed COMMIT leaves nothing to commit again
        try {
            exec(handle_->db, path_, "COMMIT");
        } catch (...) {
            if (sqlite3_get_autocommit(handle_->db) == 0)
                sqlite3_exec(handle_->db, "ROLLBACK", nullptr, nullptr, nullptr);
            throw;
        }
    }
    last_commit_ = std::chrono::steady_clock::now();
}

std::vector<std::uint64_t> UnitStore::ids() const {
    Statement read(handle_->db, path_, "SELECT id FROM units ORDER BY id");
    std::vector<std::uint64_t> out;
    while (sqlite3_step(read.s) == SQLITE_ROW)
        out.push_back(static_cast<std::uint64_t>(sqlite3_column_int64(read.s, 0)));
    return out;
}

std::size_t UnitStore::size() const {
    Statement read(handle_->db, path_, "SELECT COUNT(*) FROM units");
    return sqlite3_step(read.s) == SQLITE_ROW
               ? static_cast<std::size_t>(sqlite3_column_int64(read.s, 0))
               : 0;
}

std::vector<std::uint8_t> UnitStore::get(std::uint64_t id) const {
    Statement read(handle_->db, path_, "SELECT result FROM units WHERE id = ?");
    sqlite3_bind_int64(read.s, 1, static_cast<sqlite3_int64>(id));
    if (sqlite3_step(read.s) != SQLITE_ROW)
        throw StoreError("unit store '" + path_ + "': unit " + std::to_string(id) + " is missing");
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(read.s, 0));
    return std::vector<std::uint8_t>(data, data + sqlite3_column_bytes(read.s, 0));
}

}  // namespace essaim::experiment
