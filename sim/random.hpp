#pragma once
// Counter-based random streams. Every number a run draws is a pure function of
// (seed, replication, territory, purpose, agent, day, block): Philox4x64-10 (Random123) maps that
// key and counter to 256 random bits. Nothing depends on thread count, scheduling order, or on how
// many numbers other agents drew, and replication r of two scenarios shares the numbers of every
// (person-slot, purpose, day): common random numbers come for free.
#include <Random123/philox.h>

#include <array>
#include <cstdint>
#include <limits>

namespace essaim {

// A uniform on the open interval (0, 1) from 32 random bits: never exactly 0 or 1, so that
// log(u) and comparisons `u < p` with p in [0, 1] are always well defined.
inline double unit_open(std::uint32_t bits) { return (static_cast<double>(bits) + 0.5) * 0x1p-32; }

// Where a block of random bits belongs. `purpose` names what the numbers are for (creation of an
// agent, its daily turn, outreach, inflow...): the model defines its own purposes.
struct StreamAddress {
    std::uint32_t territory = 0;
    std::uint32_t purpose = 0;
    std::uint64_t agent = 0;
    std::uint64_t day = 0;
};

class RandomSource {
public:
    using Block = std::array<std::uint32_t, 8>;

    RandomSource(std::uint64_t seed, std::uint64_t replication) : key_{{seed, replication}} {}

    // The 8 uniform 32-bit words of block `index` at `address`.
    Block block(const StreamAddress& address, std::uint64_t index = 0) const {
        const r123::Philox4x64::ctr_type counter{
            {(static_cast<std::uint64_t>(address.territory) << 32) | address.purpose, address.agent,
             address.day, index}};
        const auto out = philox_(counter, key_);
        Block words;
        for (int i = 0; i < 4; ++i) {
            words[2 * i] = static_cast<std::uint32_t>(out.v[i]);
            words[2 * i + 1] = static_cast<std::uint32_t>(out.v[i] >> 32);
        }
        return words;
    }

    std::uint64_t seed() const { return key_.v[0]; }
    std::uint64_t replication() const { return key_.v[1]; }

private:
    r123::Philox4x64 philox_;
    r123::Philox4x64::key_type key_;
};

// An endless sequence of 32-bit words at one address, as a UniformRandomBitGenerator, for the
// samplers that need an unknown number of draws (Boost.Random's Poisson).
class RandomStream {
public:
    using result_type = std::uint32_t;
    RandomStream(const RandomSource& source, const StreamAddress& address)
        : source_(&source), address_(address) {}

    static constexpr result_type min() { return 0; }
    static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
    result_type operator()() {
        if (used_ == 8) {
            block_ = source_->block(address_, next_block_++);
            used_ = 0;
        }
        return block_[used_++];
    }
    double uniform() { return unit_open((*this)()); }

private:
    const RandomSource* source_;
    StreamAddress address_;
    RandomSource::Block block_{};
    std::uint64_t next_block_ = 0;
    int used_ = 8;
};

// Poisson(mean) from a stream; mean <= 0 gives 0. Boost.Random's sampler (inversion below 10,
// Hörmann's PTRS above) is exact for every mean. Throws std::domain_error above 1e15, where a
// 64-bit count could no longer be trusted (scenario validation keeps means far below).
std::int64_t poisson(RandomStream& stream, double mean);

// Gamma(shape, scale) from a stream (mean shape x scale, variance shape x scale^2), by
// Boost.Random's sampler (exact rejection methods: Cauchy envelope above shape 1, an exponential
// one below). Throws std::domain_error unless shape > 0 and scale > 0.
double gamma_variate(RandomStream& stream, double shape, double scale);

}  // namespace essaim
