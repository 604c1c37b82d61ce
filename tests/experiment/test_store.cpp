#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include "experiment/executor.hpp"
#include "experiment/unit_result.hpp"
#include "experiment/unit_store.hpp"
#include "tests/temp_dir.hpp"

using namespace essaim;
using namespace essaim::experiment;
namespace fs = std::filesystem;

namespace {

UnitResult sample_unit(std::uint64_t id) {
    UnitResult u;
    u.kpis = {static_cast<double>(id), std::nan(""), 1.0 / 3, -0.0,
              std::numeric_limits<double>::infinity()};
    for (int i = 0; i < 1000; ++i) u.series.push_back(static_cast<float>(i % 7) + 0.1f * id);
    u.survival.curves = {"time_to_first_job"};
    u.survival.groups = {"all", "territory/Lille"};
    u.survival.times = 10;
    u.survival.events.assign(20, 0);
    u.survival.censored.assign(20, 0);
    u.survival.events[u.survival.index(0, 1, 3)] = 2 + id;
    u.survival.censored[u.survival.index(0, 0, 9)] = 5;
    u.agent_days = 12345 + id;
    return u;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

TEST_CASE("unit results: encode and decode give back every bit") {
    const UnitResult u = sample_unit(4);
    const DecodedUnit d = decode(encode(u));
    REQUIRE(d.kpis.size() == u.kpis.size());
    for (std::size_t i = 0; i < u.kpis.size(); ++i) CHECK(same_bits(d.kpis[i], u.kpis[i]));
    CHECK(decompress_series(d) == u.series);
    CHECK(d.survival.events == u.survival.events);
    CHECK(d.survival.censored == u.survival.censored);
    CHECK(d.survival.groups == u.survival.groups);
    CHECK(d.agent_days == u.agent_days);
    CHECK(decode(encode(UnitResult{})).kpis.empty());
    // Without compression (a store in memory) the same values, and the same slab for a file.
    const DecodedUnit raw = decode(encode(u, false));
    CHECK_FALSE(raw.series_compressed);
    CHECK(decompress_series(raw) == u.series);
    CHECK(compressed_series(raw) == compressed_series(d));
}

TEST_CASE("unit results: a flipped bit or a truncation is detected") {
    const auto bytes = encode(sample_unit(1));
    for (std::size_t at : {std::size_t(0), bytes.size() / 2, bytes.size() - 1}) {
        auto damaged = bytes;
        damaged[at] ^= 0x10;
        CHECK_THROWS_AS(decode(damaged), CorruptUnit);
    }
    CHECK_THROWS_AS(decode({bytes.begin(), bytes.begin() + 20}), CorruptUnit);
    CHECK_THROWS_AS(decode({}), CorruptUnit);
}

TEST_CASE("survival tallies add cell by cell, and refuse another layout") {
    SurvivalTally total;
    total.add(sample_unit(1).survival);
    total.add(sample_unit(2).survival);
    CHECK(total.events[total.index(0, 1, 3)] == 3 + 4);
    CHECK(total.censored[total.index(0, 0, 9)] == 10);
    SurvivalTally other = sample_unit(1).survival;
    other.times = 11;
    CHECK_THROWS_AS(total.add(other), std::invalid_argument);
}

TEST_CASE("unit store: units survive closing, ids come back in order, duplicates refused") {
    test::TempDir dir;
    const std::string path = dir.file("s.units");
    {
        UnitStore store = UnitStore::create(path, {{"fingerprint", "abc"}, {"kind", "test"}});
        for (std::uint64_t id : {5, 1, 3}) store.put(id, encode(sample_unit(id)));
        CHECK_THROWS_AS(store.put(3, {1, 2, 3}), std::logic_error);
    }
    CHECK_THROWS_AS(UnitStore::create(path, {{"fingerprint", "abc"}}), StoreError);
    UnitStore store = UnitStore::open(path);
    CHECK(store.meta().at("fingerprint") == "abc");
    CHECK(store.meta().at("kind") == "test");
    CHECK(store.ids() == std::vector<std::uint64_t>{1, 3, 5});
    CHECK(decode(store.get(3)).agent_days == 12348);
    CHECK_THROWS_AS(store.get(2), StoreError);
}

TEST_CASE("unit store: a file that is not a store, or a damaged one, is refused") {
    test::TempDir dir;
    const std::string text = dir.file("text.units");
    std::ofstream(text) << "not a database at all, just text\n";
    CHECK_THROWS_AS(UnitStore::open(text), StoreError);
    CHECK_THROWS_AS(UnitStore::open(dir.file("absent")), StoreError);
    const std::string path = dir.file("s.units");
    {
        UnitStore store = UnitStore::create(path, {{"fingerprint", "abc"}});
        for (std::uint64_t id = 0; id < 50; ++id) store.put(id, encode(sample_unit(id)));
    }
    // Overwrite the middle of the database file: either SQLite or the unit checksum notices.
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(fs::file_size(path) / 2));
        const std::string garbage(4096, '\x5a');
        f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    bool detected = false;
    try {
        UnitStore store = UnitStore::open(path);
        for (std::uint64_t id : store.ids()) decode(store.get(id));
    } catch (const StoreError&) {
        detected = true;
    } catch (const CorruptUnit&) {
        detected = true;
    }
    CHECK(detected);
}

TEST_CASE("executor: every missing unit is computed once, whatever the thread count") {
    for (int threads : {1, 2}) {
        UnitStore store = UnitStore::create(":memory:", {{"fingerprint", "x"}});
        store.put(2, encode(sample_unit(2)));
        const auto missing = missing_units(40, store.ids());
        CHECK(missing.size() == 39);
        std::atomic<int> calls{0};
        compute_into(store, missing, threads, [&](std::uint64_t id) {
            ++calls;
            return encode(sample_unit(id));
        });
        CHECK(calls == 39);
        CHECK(store.size() == 40);
        for (std::uint64_t id = 0; id < 40; ++id)
            CHECK(decode(store.get(id)).agent_days == 12345 + id);
    }
}

TEST_CASE("executor: shards split the ids without overlap, and a failure keeps what finished") {
    std::vector<std::uint64_t> all;
    for (std::uint64_t k = 1; k <= 3; ++k)
        for (auto id : missing_units(10, {}, k, 3)) all.push_back(id);
    std::sort(all.begin(), all.end());
    CHECK(all == missing_units(10, {}));
    CHECK(missing_units(10, {0, 3, 6}, 1, 3) == std::vector<std::uint64_t>{9});

    UnitStore store = UnitStore::create(":memory:", {{"fingerprint", "x"}});
    CHECK_THROWS_AS(compute_into(store, missing_units(20, {}), 1,
                                 [](std::uint64_t id) {
                                     if (id == 10) throw std::runtime_error("unit 10 failed");
                                     return encode(sample_unit(id));
                                 }),
                    std::runtime_error);
    // One thread computes in id order: the ten before the failure are stored.
    CHECK(store.size() == 10);
}
