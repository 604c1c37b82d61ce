#pragma once
// Progress of long work on stderr: a bar with rate and ETA on a terminal, a plain line every few
// seconds otherwise, nothing when quiet. Call advance() from one thread at a time (the ensemble
// runner calls it from its in-order stage).
#include <chrono>
#include <cstdint>
#include <string>

namespace essaim {

class Progress {
public:
    enum class Mode { automatic, quiet };
    Progress(std::string label, std::uint64_t total, Mode mode = Mode::automatic);
    ~Progress();  // finishes the line
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::uint64_t done = 1);
    void finish();

private:
    void draw(bool final);
    std::string label_;
    std::uint64_t total_, done_ = 0;
    bool quiet_, terminal_, finished_ = false;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace essaim
