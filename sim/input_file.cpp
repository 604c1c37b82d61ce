#include "sim/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace essaim {
namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) : fd_(fd) {}
    ~FileDescriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

using Kind = InputFileProblem::Kind;

[[noreturn]] void unreadable() {
    throw InputFileProblem(Kind::unreadable, std::strerror(errno), 0);
}

void check(const struct stat& info, std::uintmax_t max_bytes) {
    if (!S_ISREG(info.st_mode))
        throw InputFileProblem(Kind::not_regular, file_kind(info.st_mode), 0);
    const auto size = static_cast<std::uintmax_t>(info.st_size);
    if (size > max_bytes)
        throw InputFileProblem(Kind::too_large, std::to_string(size) + " bytes", size);
}

}  // namespace

const char* file_kind(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

InputFileProblem::InputFileProblem(Kind kind, std::string what, std::uintmax_t bytes)
    : std::runtime_error(std::move(what)), kind(kind), bytes(bytes) {}

std::string read_regular_file(const std::string& path, std::uintmax_t max_bytes) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) unreadable();
    check(info, max_bytes);
    const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0 || ::fstat(fd.get(), &info) != 0) unreadable();
    check(info, max_bytes);
    std::string text;
    char buffer[1 << 16];
    while (true) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) unreadable();
        if (n == 0) return text;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > max_bytes)  // the file grew after fstat()
            throw InputFileProblem(Kind::too_large, std::to_string(text.size()) + " bytes",
                                   text.size());
    }
}

}  // namespace essaim
