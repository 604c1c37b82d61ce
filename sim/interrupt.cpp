#include "sim/interrupt.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace essaim::interrupt {

namespace {

enum Kind : int {
    kFree,
    kClaimed,    // being filled in: invisible to the handler
    kCreating,   // a temporary that may not exist yet
    kTemporary,  // a temporary identified by device and inode
    kDirectory,
    kOutputExisted,
    kOutputNew,
    kOutputWritten,
    kStore,  // a unit store: kept, and the message says how to continue
};

// Export holds about ten entries at once; the rest is margin.
constexpr int kSlots = 64;
constexpr std::size_t kMaxPath = 4096;

struct Entry {
    std::atomic<int> kind{kFree};
    dev_t device = 0;
    ino_t inode = 0;
    char path[kMaxPath] = {};
};

static_assert(std::atomic<int>::is_always_lock_free, "the handler reads the registry");

Entry g_entries[kSlots];
char g_who[256] = "essaim";
std::atomic<bool> g_handling{false};

Slot claim(int kind, const std::string& path) {
    if (path.empty() || path.size() >= kMaxPath) return kNone;
    for (Slot slot = 0; slot < kSlots; ++slot) {
        Entry& entry = g_entries[slot];
        int expected = kFree;
        if (!entry.kind.compare_exchange_strong(expected, kClaimed)) continue;
        std::memcpy(entry.path, path.c_str(), path.size() + 1);
        entry.device = 0;
        entry.inode = 0;
        entry.kind.store(kind, std::memory_order_release);
        return slot;
    }
    return kNone;
}

// ---- What the handler may call: async-signal-safe, no allocation.

class Message {
public:
    void add(const char* text) {
        while (*text != '\0' && size_ < sizeof text_) text_[size_++] = *text++;
    }
    // ": " before the first part, "; " before the others.
    void part(const char* text, const char* path = nullptr, const char* after = nullptr) {
        add(parts_++ == 0 ? ": " : "; ");
        add(text);
        if (path != nullptr) add(path);
        if (after != nullptr) add(after);
    }
    void write_line() {
        add("\n");
        for (std::size_t done = 0; done < size_;) {
            const ssize_t n = ::write(STDERR_FILENO, text_ + done, size_ - done);
            if (n <= 0) return;
            done += static_cast<std::size_t>(n);
        }
    }

private:
    char text_[3 * kMaxPath];
    std::size_t size_ = 0;
    int parts_ = 0;
};

const char* signal_name(int signal) {
    switch (signal) {
        case SIGINT:
            return "SIGINT";
        case SIGTERM:
            return "SIGTERM";
        case SIGHUP:
            return "SIGHUP";
        default:
            return "a signal";
    }
}

void remove_temporaries() {
    for (Entry& entry : g_entries) {
        const int kind = entry.kind.load(std::memory_order_acquire);
        struct stat status;
        if ((kind != kCreating && kind != kTemporary) || ::lstat(entry.path, &status) != 0)
            continue;
        if (kind == kCreating ? S_ISREG(status.st_mode)
                              : status.st_dev == entry.device && status.st_ino == entry.inode)
            ::unlink(entry.path);
    }
    // After the files, so that a directory holding only temporaries is empty by now.
    for (Entry& entry : g_entries)
        if (entry.kind.load(std::memory_order_acquire) == kDirectory) ::rmdir(entry.path);
}

void report(int signal) {
    static Message message;  // static: the handler's stack may be small
    message.add(g_who);
    message.add(": interrupted by ");
    message.add(signal_name(signal));
    bool pending = false;
    for (const Entry& entry : g_entries) {
        const int kind = entry.kind.load(std::memory_order_acquire);
        if ((kind == kOutputExisted || kind == kOutputNew) && !pending) {
            message.part("nothing written");
            pending = true;
        }
        if (kind == kOutputExisted) message.part("", entry.path, " is unchanged");
        if (kind == kOutputNew) message.part("", entry.path, " was not created");
        if (kind == kOutputWritten) message.part("", entry.path, " was written");
    }
    for (const Entry& entry : g_entries)
        if (entry.kind.load(std::memory_order_acquire) == kStore)
            message.part("finished units are kept in ", entry.path,
                         ": run the same command with --resume to continue");
    message.write_line();
}

extern "C" void on_signal(int signal) {
    // A second signal, in this thread or another, waits for the first one's exit.
    if (g_handling.exchange(true)) {
        for (;;) ::pause();
    }
    remove_temporaries();
    report(signal);
    ::_exit(128 + signal);
}

}  // namespace

void install(const std::string& who) {
    const std::size_t n = std::min(who.size(), sizeof g_who - 1);
    std::memcpy(g_who, who.data(), n);
    g_who[n] = '\0';
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&action.sa_mask, signal);
    for (int signal : {SIGINT, SIGTERM, SIGHUP}) {
        struct sigaction previous {};
        // Who started us with a signal ignored (nohup, a background job) wants it ignored.
        if (::sigaction(signal, nullptr, &previous) == 0 && previous.sa_handler == SIG_IGN)
            continue;
        ::sigaction(signal, &action, nullptr);
    }
}

Slot add_temporary(const std::string& path) { return claim(kCreating, path); }

void identify(Slot slot, dev_t device, ino_t inode) {
    if (slot < 0 || slot >= kSlots) return;
    // Still kCreating while the identity is filled in, which the handler does not read.
    Entry& entry = g_entries[slot];
    entry.device = device;
    entry.inode = inode;
    entry.kind.store(kTemporary, std::memory_order_release);
}

Slot add_directory(const std::string& path) { return claim(kDirectory, path); }

Slot add_store(const std::string& path) { return claim(kStore, path); }

Slot add_output(const std::string& target, bool existed) {
    return claim(existed ? kOutputExisted : kOutputNew, target);
}

void output_written(const std::string& target) {
    for (Entry& entry : g_entries) {
        int kind = entry.kind.load(std::memory_order_acquire);
        if ((kind == kOutputExisted || kind == kOutputNew) && target == entry.path)
            entry.kind.compare_exchange_strong(kind, kOutputWritten);
    }
}

void remove(Slot slot) {
    if (slot >= 0 && slot < kSlots) g_entries[slot].kind.store(kFree, std::memory_order_release);
}

}  // namespace essaim::interrupt
