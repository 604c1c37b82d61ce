#include "sim/output_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <utility>

#include "sim/input_file.hpp"
#include "sim/interrupt.hpp"

namespace essaim::output {

namespace fs = std::filesystem;

namespace {

// "." + name + "." + kRandomChars + ".tmp"
constexpr std::size_t kRandomChars = 12;
constexpr std::size_t kTemporaryOverhead = 1 + 1 + kRandomChars + 4;
// A name collision means something is squatting there; with 71 random bits, this many in a row
// means something else is wrong.
constexpr int kAttempts = 100;

std::string in_quotes(const std::string& path) { return "'" + path + "'"; }

std::string directory_of(const std::string& path) {
    const std::string parent = fs::path(path).parent_path().string();
    return parent.empty() ? "." : parent;
}

std::size_t name_max(const std::string& directory) {
    const long limit = ::pathconf(directory.c_str(), _PC_NAME_MAX);
    return limit > 0 ? static_cast<std::size_t>(limit) : NAME_MAX;
}

// The longest prefix of `text` of at most `bytes` bytes that does not cut a UTF-8 character.
std::string utf8_prefix(const std::string& text, std::size_t bytes) {
    if (text.size() <= bytes) return text;
    std::size_t end = bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

std::string random_chars() {
    static constexpr char kAlphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char bytes[kRandomChars];
    std::size_t got = 0;
    while (got < sizeof bytes) {
        const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
        if (n < 0 && errno != EINTR) throw IoError(std::string("getrandom: ") + strerror(errno));
        if (n > 0) got += static_cast<std::size_t>(n);
    }
    std::string out;
    for (unsigned char byte : bytes) out += kAlphabet[byte % (sizeof kAlphabet - 1)];
    return out;
}

// A fresh unpredictable name beside `target`, within the directory's NAME_MAX.
std::string temporary_name(const std::string& target) {
    const fs::path path(target);
    const std::size_t limit = name_max(directory_of(target));
    const std::size_t room = limit > kTemporaryOverhead ? limit - kTemporaryOverhead : 1;
    std::string name(1, '.');
    name.append(utf8_prefix(path.filename().string(), room)).append(".");
    name.append(random_chars()).append(".tmp");
    return (path.parent_path() / name).string();
}

void check_is_regular_or_new(const std::string& path) {
    struct stat link;
    if (::lstat(path.c_str(), &link) != 0) return;
    struct stat target;
    const bool is_link = S_ISLNK(link.st_mode);
    // A dangling link is replaced by the new file, as a regular file would be.
    if (is_link && ::stat(path.c_str(), &target) != 0) return;
    const mode_t mode = is_link ? target.st_mode : link.st_mode;
    if (S_ISREG(mode)) return;
    throw PathError(in_quotes(path) + (is_link ? " is a link to " : " is ") + file_kind(mode) +
                    ", not a regular file");
}

void check_not_an_input(const std::string& path, const std::vector<std::string>& inputs) {
    struct stat output;
    if (::stat(path.c_str(), &output) != 0) return;
    for (const auto& input : inputs) {
        struct stat status;
        if (::stat(input.c_str(), &status) == 0 && status.st_dev == output.st_dev &&
            status.st_ino == output.st_ino)
            throw PathError(in_quotes(path) + " is the input file " + in_quotes(input) +
                            "; it would be overwritten");
    }
}

void check_directory(const std::string& path) {
    const std::string directory = directory_of(path);
    struct stat status;
    if (::stat(directory.c_str(), &status) != 0)
        throw PathError("directory " + in_quotes(directory) + " does not exist");
    if (!S_ISDIR(status.st_mode)) throw PathError(in_quotes(directory) + " is not a directory");
    const std::string name = fs::path(path).filename().string();
    const std::size_t limit = name_max(directory);
    if (name.size() > limit)
        throw PathError(in_quotes(path) + ": the file name has " + std::to_string(name.size()) +
                        " bytes, more than the " + std::to_string(limit) +
                        " the file system allows");
    // access() sees a read-only file system even for root, whom permission bits do not stop.
    if (::access(directory.c_str(), W_OK | X_OK) != 0)
        throw IoError("cannot write " + in_quotes(path) + ": directory " + in_quotes(directory) +
                      " is not writable: " + std::strerror(errno));
}

}  // namespace

void check_path(const std::string& path, const std::vector<std::string>& inputs) {
    if (path.empty()) throw PathError("the path is empty");
    if (!fs::path(path).has_filename() || fs::path(path).filename() == "." ||
        fs::path(path).filename() == "..")
        throw PathError(in_quotes(path) + " names a directory, not a file");
    check_is_regular_or_new(path);
    check_not_an_input(path, inputs);
    check_directory(path);
}

std::string safe_file_name(std::string_view name) {
    std::string out;
    for (const char c : name) {
        const bool kept = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        out += kept ? c : '_';
    }
    // Only the first dot: the others may belong to a suffix (".." + ".h5" gives "_..h5").
    if (!out.empty() && out.front() == '.') out.front() = '_';
    return out.empty() ? "_" : out;
}

bool exists(const std::string& path) {
    struct stat status;
    return ::lstat(path.c_str(), &status) == 0;
}

// ---- Temporary

int create_exclusively(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

Temporary Temporary::create(const std::string& target) {
    return create(target, [&](const std::string& name) {
        const int error = create_exclusively(name);
        if (error == 0 || error == EEXIST) return error == 0;
        throw IoError("cannot write " + in_quotes(target) + ": cannot create a file in " +
                      in_quotes(directory_of(target)) + ": " + std::strerror(error));
    });
}

Temporary Temporary::create(const std::string& target,
                            const std::function<bool(const std::string& name)>& create_new) {
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        const std::string name = temporary_name(target);
        const interrupt::Slot slot = interrupt::add_temporary(name);
        bool created = false;
        try {
            created = create_new(name);
        } catch (...) {
            interrupt::remove(slot);
            throw;
        }
        if (created) return Temporary(target, name, slot);
        interrupt::remove(slot);
    }
    throw IoError("cannot write " + in_quotes(target) + ": no free temporary name in " +
                  in_quotes(directory_of(target)) + " after " + std::to_string(kAttempts) +
                  " attempts");
}

Temporary::Temporary(std::string target, std::string path, int slot)
    : target_(std::move(target)), path_(std::move(path)), slot_(slot) {
    struct stat status;
    if (::lstat(path_.c_str(), &status) != 0 || !S_ISREG(status.st_mode)) {
        interrupt::remove(slot_);
        throw IoError("cannot write " + in_quotes(target_) + ": the temporary file " +
                      in_quotes(path_) + " vanished as it was created");
    }
    device_ = status.st_dev;
    inode_ = status.st_ino;
    interrupt::identify(slot_, device_, inode_);
}

Temporary::Temporary(Temporary&& other) noexcept
    : target_(std::move(other.target_)),
      path_(std::move(other.path_)),
      fd_(std::exchange(other.fd_, -1)),
      device_(other.device_),
      inode_(other.inode_),
      slot_(std::exchange(other.slot_, interrupt::kNone)),
      done_(std::exchange(other.done_, true)) {}

Temporary::~Temporary() { discard(); }

bool Temporary::is_ours() const {
    struct stat status;
    return ::lstat(path_.c_str(), &status) == 0 && status.st_dev == device_ &&
           status.st_ino == inode_;
}

void Temporary::fail(const std::string& what, int error) const {
    std::string message = "cannot write " + in_quotes(target_);
    if (!what.empty()) message += ": " + what;
    if (error != 0) message += std::string(": ") + std::strerror(error);
    throw IoError(message);
}

void Temporary::open_for_writing() {
    if (fd_ >= 0) return;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd_ < 0) fail("cannot open the temporary file " + in_quotes(path_), errno);
    struct stat status;
    if (::fstat(fd_, &status) != 0 || status.st_dev != device_ || status.st_ino != inode_)
        fail("the temporary file " + in_quotes(path_) + " was replaced", 0);
}

void Temporary::write(std::string_view bytes) {
    open_for_writing();
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("", errno);
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

void Temporary::commit() {
    if (done_) return;
    if (fd_ < 0) open_for_writing();  // also checks that the file is still ours
    // The data must be on disk before the name points to it, or a crash could leave an empty
    // target where a complete old file was.
    if (::fsync(fd_) != 0) fail("", errno);
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail("", errno);
    if (::rename(path_.c_str(), target_.c_str()) != 0)
        fail("cannot rename " + in_quotes(path_) + " to it", errno);
    done_ = true;
    interrupt::remove(std::exchange(slot_, interrupt::kNone));
    interrupt::output_written(target_);
}

void Temporary::discard() noexcept {
    if (done_) return;
    done_ = true;
    if (fd_ >= 0) ::close(std::exchange(fd_, -1));
    if (is_ours()) ::unlink(path_.c_str());
    interrupt::remove(std::exchange(slot_, interrupt::kNone));
}

void write_atomically(const std::string& target, std::string_view contents) {
    Temporary temporary = Temporary::create(target);
    temporary.write(contents);
    temporary.commit();
}

}  // namespace essaim::output
