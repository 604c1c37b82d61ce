#include "sim/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace essaim {

namespace {
std::string duration_text(double seconds) {
    if (!(seconds >= 0) || seconds > 1e7) return "?";
    const long s = static_cast<long>(seconds + 0.5);
    char buffer[32];
    if (s >= 3600)
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        std::snprintf(buffer, sizeof buffer, "%ld:%02ld", s / 60, s % 60);
    return buffer;
}
}  // namespace

Progress::Progress(std::string label, std::uint64_t total, Mode mode, double delay_seconds)
    : label_(std::move(label)),
      total_(total),
      quiet_(mode == Mode::quiet),
      terminal_(isatty(STDERR_FILENO) == 1),
      delay_seconds_(delay_seconds),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::advance(std::uint64_t done) {
    const std::lock_guard<std::mutex> lock(mutex_);
    done_ += done;
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    if (std::chrono::duration<double>(now - start_).count() < delay_seconds_) return;
    // A terminal redraws often; a log file gets a line every 5 seconds at most.
    const auto period = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(5000);
    if (now - last_draw_ >= period) {
        last_draw_ = now;
        draw(false);
    }
}

void Progress::finish() {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (!quiet_ && (terminal_ || done_ > 0) && (shown_ || elapsed >= delay_seconds_)) draw(true);
}

void Progress::draw(bool final) {
    shown_ = true;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? done_ / elapsed : 0;
    const double eta = rate > 0 ? (total_ - done_) / rate : -1;
    const double fraction = total_ ? static_cast<double>(done_) / total_ : 1.0;
    if (terminal_) {
        constexpr int kWidth = 30;
        const int filled = static_cast<int>(fraction * kWidth);
        std::fprintf(stderr, "\r%s [%s%s] %llu/%llu  %.1f/s  %s %s\x1b[K", label_.c_str(),
                     std::string(filled, '#').c_str(), std::string(kWidth - filled, ' ').c_str(),
                     static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                     rate, final ? "in" : "ETA", duration_text(final ? elapsed : eta).c_str());
        if (final) std::fputc('\n', stderr);
    } else {
        std::fprintf(stderr, "%s: %llu/%llu (%.0f%%), %.1f/s, %s %s\n", label_.c_str(),
                     static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                     100 * fraction, rate, final ? "done in" : "ETA",
                     duration_text(final ? elapsed : eta).c_str());
    }
    std::fflush(stderr);
}

}  // namespace essaim
