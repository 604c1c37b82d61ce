#include "experiment/unit_result.hpp"

#include <lz4.h>
#include <zlib.h>

#include <cstring>
#include <span>
#include <type_traits>

#include "sim/hdf5_file.hpp"

namespace essaim::experiment {

void SurvivalTally::add(const SurvivalTally& other) {
    if (other.curves.empty()) return;
    if (curves.empty()) {
        *this = other;
        return;
    }
    if (curves != other.curves || groups != other.groups || times != other.times)
        throw std::invalid_argument("survival tallies of different layouts");
    for (std::size_t i = 0; i < events.size(); ++i) {
        events[i] += other.events[i];
        censored[i] += other.censored[i];
    }
}

namespace {

// The unit layout; decode() refuses another version (a store written by an older essaim).
constexpr std::uint32_t kMagic = 0x55534d45;  // "EMSU"
constexpr std::uint32_t kVersion = 2;         // 2: series shuffled and LZ4-compressed

// LZ4 rather than zlib for the store: it compresses the shuffled series about 5 times faster
// (zlib took a third of an ensemble's time); the file's slabs are deflated when written.
std::vector<std::uint8_t> lz4_compress(const std::vector<std::uint8_t>& bytes) {
    std::vector<std::uint8_t> out(
        static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(bytes.size()))));
    const int size = LZ4_compress_default(
        reinterpret_cast<const char*>(bytes.data()), reinterpret_cast<char*>(out.data()),
        static_cast<int>(bytes.size()), static_cast<int>(out.size()));
    if (size <= 0) throw std::runtime_error("LZ4 failed to compress a unit's series");
    out.resize(static_cast<std::size_t>(size));
    return out;
}

class Writer {
public:
    template <class T>
    void put(const T& value) {
        static_assert(std::is_trivially_copyable_v<T>);
        const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
        bytes.insert(bytes.end(), p, p + sizeof(T));
    }
    template <class T>
    void put_vector(const std::vector<T>& values) {
        put<std::uint64_t>(values.size());
        if (values.empty()) return;  // data() may be null
        const auto* p = reinterpret_cast<const std::uint8_t*>(values.data());
        bytes.insert(bytes.end(), p, p + values.size() * sizeof(T));
    }
    void put_string(const std::string& text) {
        put<std::uint64_t>(text.size());
        bytes.insert(bytes.end(), text.begin(), text.end());
    }
    std::vector<std::uint8_t> bytes;
};

class Reader {
public:
    Reader(const std::vector<std::uint8_t>& bytes, std::size_t end) : bytes_(bytes), end_(end) {}
    template <class T>
    T get() {
        T value;
        need(sizeof(T));
        std::memcpy(&value, bytes_.data() + at_, sizeof(T));
        at_ += sizeof(T);
        return value;
    }
    template <class T>
    std::vector<T> get_vector() {
        const auto n = get<std::uint64_t>();
        if (n > (end_ - at_) / sizeof(T)) fail();
        std::vector<T> values(n);
        if (n > 0) std::memcpy(values.data(), bytes_.data() + at_, n * sizeof(T));
        at_ += n * sizeof(T);
        return values;
    }
    std::string get_string() {
        const auto n = get<std::uint64_t>();
        need(n);
        std::string text(bytes_.begin() + static_cast<std::ptrdiff_t>(at_),
                         bytes_.begin() + static_cast<std::ptrdiff_t>(at_ + n));
        at_ += n;
        return text;
    }
    bool done() const { return at_ == end_; }
    // The next n bytes, without copying them.
    const std::uint8_t* take(std::size_t n) {
        need(n);
        const std::uint8_t* p = bytes_.data() + at_;
        at_ += n;
        return p;
    }

private:
    void need(std::uint64_t n) const {
        if (n > end_ - at_) fail();
    }
    [[noreturn]] static void fail() { throw CorruptUnit("unit result truncated or corrupted"); }
    const std::vector<std::uint8_t>& bytes_;
    std::size_t end_;
    std::size_t at_ = 0;
};

// Survival counts are mostly zeros: stored as (index, events, censored) of the non-zero cells.
void put_survival(Writer& w, const SurvivalTally& s) {
    w.put<std::uint64_t>(s.curves.size());
    for (const auto& c : s.curves) w.put_string(c);
    w.put<std::uint64_t>(s.groups.size());
    for (const auto& g : s.groups) w.put_string(g);
    w.put<std::uint64_t>(s.times);
    std::vector<std::uint32_t> index;
    std::vector<double> events, censored;
    for (std::size_t i = 0; i < s.events.size(); ++i)
        if (s.events[i] != 0 || s.censored[i] != 0) {
            index.push_back(static_cast<std::uint32_t>(i));
            events.push_back(s.events[i]);
            censored.push_back(s.censored[i]);
        }
    w.put_vector(index);
    w.put_vector(events);
    w.put_vector(censored);
}

SurvivalTally get_survival(Reader& r) {
    SurvivalTally s;
    const auto n_curves = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < n_curves; ++i) s.curves.push_back(r.get_string());
    const auto n_groups = r.get<std::uint64_t>();
    for (std::uint64_t i = 0; i < n_groups; ++i) s.groups.push_back(r.get_string());
    s.times = r.get<std::uint64_t>();
    const auto index = r.get_vector<std::uint32_t>();
    const auto events = r.get_vector<double>();
    const auto censored = r.get_vector<double>();
    const std::size_t cells = s.curves.size() * s.groups.size() * s.times;
    if (events.size() != index.size() || censored.size() != index.size())
        throw CorruptUnit("unit result: inconsistent survival counts");
    s.events.assign(cells, 0.0);
    s.censored.assign(cells, 0.0);
    for (std::size_t i = 0; i < index.size(); ++i) {
        if (index[i] >= cells) throw CorruptUnit("unit result: survival count out of range");
        s.events[index[i]] = events[i];
        s.censored[index[i]] = censored[i];
    }
    return s;
}

}  // namespace

std::vector<std::uint8_t> encode(const UnitResult& unit, bool compress_series) {
    Writer w;
    w.put(kMagic);
    w.put(kVersion);
    w.put_vector(unit.kpis);
    w.put<std::uint64_t>(unit.series.size());
    const bool compress = compress_series && !unit.series.empty();
    w.put<std::uint8_t>(compress ? 1 : 0);
    if (compress)
        w.put_vector(lz4_compress(hdf5::shuffle(unit.series)));
    else
        w.put_vector(unit.series);
    put_survival(w, unit.survival);
    w.put<std::uint64_t>(unit.agent_days);
    // A checksum of everything before it: a flipped bit anywhere is caught on reading. Units
    // encoded for a store in memory (never at rest, series uncompressed and large) carry 0: a
    // checksum there would cost a pass over megabytes for nothing.
    const auto crc = compress_series || unit.series.empty()
                         ? static_cast<std::uint32_t>(
                               crc32(0, w.bytes.data(), static_cast<uInt>(w.bytes.size())))
                         : 0u;
    w.put(crc);
    return std::move(w.bytes);
}

DecodedUnit decode(const std::vector<std::uint8_t>& bytes) {
    if (bytes.size() < 12) throw CorruptUnit("unit result truncated");
    std::uint32_t stored_crc;
    std::memcpy(&stored_crc, bytes.data() + bytes.size() - 4, 4);
    const bool checked = stored_crc != 0 || bytes.size() < 64;
    if (checked && static_cast<std::uint32_t>(
                       crc32(0, bytes.data(), static_cast<uInt>(bytes.size() - 4))) != stored_crc)
        throw CorruptUnit("unit result corrupted (checksum mismatch)");
    Reader r(bytes, bytes.size() - 4);
    if (r.get<std::uint32_t>() != kMagic) throw CorruptUnit("not an essaim unit result");
    if (const auto version = r.get<std::uint32_t>(); version != kVersion)
        throw CorruptUnit("unit result of layout version " + std::to_string(version) +
                          " (this essaim reads version " + std::to_string(kVersion) + ")");
    DecodedUnit unit;
    unit.kpis = r.get_vector<double>();
    unit.series_values = r.get<std::uint64_t>();
    unit.series_compressed = r.get<std::uint8_t>() == 1;
    if (unit.series_compressed) {
        unit.series_bytes = r.get_vector<std::uint8_t>();
    } else {
        if (r.get<std::uint64_t>() != unit.series_values)
            throw CorruptUnit("unit result: series size");
        const std::size_t n = unit.series_values * sizeof(float);
        const std::uint8_t* p = r.take(n);
        unit.series_bytes.assign(p, p + n);
    }
    unit.survival = get_survival(r);
    unit.agent_days = r.get<std::uint64_t>();
    if (!r.done()) throw CorruptUnit("unit result has trailing bytes");
    return unit;
}

std::vector<std::uint8_t> compressed_series(const DecodedUnit& unit) {
    if (unit.series_values == 0) return {};
    return hdf5::compress_slab(decompress_series(unit));
}

std::vector<float> decompress_series(const DecodedUnit& unit) {
    const std::size_t n = unit.series_values;
    if (n == 0) return {};
    if (!unit.series_compressed) {
        std::vector<float> values(n);
        std::memcpy(values.data(), unit.series_bytes.data(), n * sizeof(float));
        return values;
    }
    std::vector<std::uint8_t> shuffled(n * sizeof(float));
    const int size = LZ4_decompress_safe(reinterpret_cast<const char*>(unit.series_bytes.data()),
                                         reinterpret_cast<char*>(shuffled.data()),
                                         static_cast<int>(unit.series_bytes.size()),
                                         static_cast<int>(shuffled.size()));
    if (size != static_cast<int>(shuffled.size()))
        throw CorruptUnit("unit result: daily series cannot be decompressed");
    return hdf5::unshuffle(shuffled);
}

}  // namespace essaim::experiment
