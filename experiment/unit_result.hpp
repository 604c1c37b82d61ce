#pragma once
// What one work unit (design point x replication) gives, as a value that can be stored, sent to
// another process and reduced: encode() and decode() turn it into bytes and back, exactly (float
// and double bits are kept). The daily series travel compressed (shuffle + deflate, the layout
// HDF5 stores), so that a stored unit is small and its series can be copied into a result file
// as they are.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace essaim::experiment {

// Event and censoring counts by whole days since entry, for survival curves pooled over units:
// (curve, group, time) row-major. Counts add exactly across units, in any order.
struct SurvivalTally {
    std::vector<std::string> curves;  // "time_to_first_job", ...
    std::vector<std::string> groups;  // "all", "territory/Lille", ...
    std::size_t times = 0;
    std::vector<double> events, censored;

    std::size_t index(std::size_t curve, std::size_t group, std::size_t time) const {
        return (curve * groups.size() + group) * times + time;
    }
    void add(const SurvivalTally& other);  // same layout, else std::invalid_argument
};

// What a run should record beyond its KPIs (each costs time and memory).
struct UnitRequest {
    bool series = false;    // daily series
    bool survival = false;  // survival counts
    // A model's way of simulating the same process ("" its default; Dest1: "event" or "daily"):
    // every engine gives the model's process in distribution, but not the same draws.
    std::string engine;
};

// What one run gives, in memory.
struct UnitResult {
    std::vector<double> kpis;      // (units + 1) x KPIs, row-major, the total last; NaN: undefined
    std::vector<float> series;     // with UnitRequest::series: day x unit x variable (no total)
    SurvivalTally survival;        // with UnitRequest::survival
    std::uint64_t agent_days = 0;  // work done, for speed reports
};

// A unit read back from its bytes: the series stay compressed until asked for.
struct DecodedUnit {
    std::vector<double> kpis;
    // The float32 series shuffled (as HDF5 does) and LZ4-compressed, or (when encoded without
    // compression) the float32 values' bytes as they are.
    std::vector<std::uint8_t> series_bytes;
    bool series_compressed = true;
    std::uint64_t series_values = 0;  // floats
    SurvivalTally survival;
    std::uint64_t agent_days = 0;
};

// A stored unit that cannot be read back (truncated, foreign, corrupted): a bad input.
struct CorruptUnit : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The bytes of a unit and back. With `compress_series` the daily series are compressed here (LZ4),
// in the worker that computed the unit (a store on disk, a message between ranks); without, they
// are kept as they are (a store in memory: compression would cost more than it saves).
std::vector<std::uint8_t> encode(const UnitResult& unit, bool compress_series = true);
DecodedUnit decode(const std::vector<std::uint8_t>& bytes);

// The float32 values of a decoded unit's series.
std::vector<float> decompress_series(const DecodedUnit& unit);
// Its series as HDF5 stores a slab (shuffled and deflated: hdf5::compress_slab).
std::vector<std::uint8_t> compressed_series(const DecodedUnit& unit);

}  // namespace essaim::experiment
