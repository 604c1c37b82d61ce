#pragma once
// The durable store of an experiment's unit results: each unit is written as it finishes and
// committed within a fraction of a second, so that a kill at any moment loses at most the units in
// flight, and the same command with --resume computes only the missing ones. A shard's partial
// result (--shard k/K) is such a store too, and `essaim merge` reads several.
//
// It is an SQLite database (a well-kept library that already gives atomic, crash-safe commits and
// detects damaged files; a hand-written log would have to re-implement both): table `meta` holds
// the experiment's description and fingerprint, table `units` one row (id, bytes) per unit.
// Write-ahead logging with synchronous=NORMAL: a committed unit survives the process being killed;
// after a power cut the store is consistent and may miss the last units committed.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace essaim::experiment {

// A store that cannot be used: foreign (another experiment), damaged, not a store. Bad input.
struct StoreError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class UnitStore {
public:
    // Creates a new store at `path` (which must not exist) holding `meta` (key -> value, among
    // them "fingerprint"). ":memory:" keeps it in memory (no durability needed).
    static UnitStore create(const std::string& path,
                            const std::map<std::string, std::string>& meta);
    // Opens an existing store, checking that it is one and is not damaged.
    static UnitStore open(const std::string& path);

    UnitStore(UnitStore&&) noexcept;
    UnitStore& operator=(UnitStore&&) noexcept;
    ~UnitStore();  // commits what is pending

    const std::string& path() const { return path_; }
    const std::map<std::string, std::string>& meta() const { return meta_; }

    // Adds a unit and commits it, so that a kill loses nothing finished (about 30 us a unit).
    // A larger `commit_every` groups commits (put() commits once that much time has passed).
    // A unit already stored is an error (std::logic_error).
    void put(std::uint64_t id, const std::vector<std::uint8_t>& bytes);
    void commit();
    void set_commit_every(std::chrono::milliseconds interval) { commit_every_ = interval; }

    std::vector<std::uint64_t> ids() const;  // stored units, increasing
    std::size_t size() const;
    std::vector<std::uint8_t> get(std::uint64_t id) const;  // StoreError if absent

private:
    struct Handle;
    UnitStore(std::string path, std::unique_ptr<Handle> handle);
    void begin_if_needed();

    std::string path_;
    std::unique_ptr<Handle> handle_;
    std::map<std::string, std::string> meta_;
    bool in_transaction_ = false;
    std::chrono::steady_clock::time_point last_commit_;
    std::chrono::milliseconds commit_every_{0};
};

}  // namespace essaim::experiment
