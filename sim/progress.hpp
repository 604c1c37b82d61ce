#pragma once
// Progress of long work on stderr: a bar with rate and ETA on a terminal, a plain line every few
// seconds otherwise, nothing when quiet. advance() may be called from any thread. With a delay,
// nothing is shown for work that ends sooner (a quick run should not print a bar).
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace essaim {

class Progress {
public:
    enum class Mode { automatic, quiet };
    Progress(std::string label, std::uint64_t total, Mode mode = Mode::automatic, double delay_seconds = 0);
    ~Progress();  // finishes the line
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(std::uint64_t done = 1);
    void finish();

private:
    void draw(bool final);
    std::string label_;
    std::uint64_t total_, done_ = 0;
    bool quiet_, terminal_, finished_ = false, shown_ = false;
    double delay_seconds_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace essaim
