#pragma once
// Output files, written so that a target is either complete or untouched: the bytes go to a
// temporary created exclusively (never through a link, never over anything) under an
// unpredictable name beside the target, which is renamed over the target only once complete, and
// removed on failure or interruption (sim/interrupt.hpp). Also the checks on an output path
// given by the user, and file names derived from user text.
#include <sys/types.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace essaim {

// Reading or writing a file failed for a reason outside the program (disk full, read-only file
// system, permissions). The message names the path and the system's reason; the command exits
// with code 1 and does not call it an internal error.
struct IoError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

namespace output {

// An output path that cannot be used, found before any work is done (exit code 2).
struct PathError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Throws PathError if `path` is empty, names something that exists and is not a regular file (a
// directory, a device, a FIFO, a socket, or a link to one of those), is the same file as one of
// `inputs` (same device and inode, however spelt), has no existing directory, or has a name
// longer than the file system allows. Throws IoError if its directory cannot be written (a
// read-only file system, permissions), so that a long run does not end in that failure.
void check_path(const std::string& path, const std::vector<std::string>& inputs = {});

// `name` as a file name: ASCII letters, digits, '-', '_' and '.' are kept, any other byte (each
// byte of a multi-byte character too) becomes '_', and so does a leading dot, so that the result
// never is empty, ".", "..", hidden, or a path.
std::string safe_file_name(std::string_view name);

// Whether anything exists at `path` (a dangling link too).
bool exists(const std::string& path);

// Creates an empty regular file at `path` with open(2)'s O_CREAT | O_EXCL | O_NOFOLLOW: returns 0,
// or EEXIST if anything is there (a link is not followed, a directory not touched), or the errno
// of another failure.
int create_exclusively(const std::string& path);

// A file being written beside its target. Move-only; the destructor removes the file unless it
// was committed, and only if it still is the file created here.
class Temporary {
public:
    // Creates an empty file "<dir>/.<name>.<random>.tmp" for target "<dir>/<name>", open for
    // writing, with open(2)'s O_CREAT | O_EXCL (a link or anything else already there is never
    // followed or replaced: another name is drawn). The name is shortened to fit in NAME_MAX.
    // Throws IoError naming the target if the directory does not accept a new file.
    static Temporary create(const std::string& target);

    // The same, with the file created by `create_new(name)`, e.g. a library opening it itself:
    // it must create `name` exclusively and return true, return false if `name` already exists,
    // and throw otherwise.
    static Temporary create(const std::string& target,
                            const std::function<bool(const std::string& name)>& create_new);

    Temporary(Temporary&& other) noexcept;
    Temporary& operator=(Temporary&& other) = delete;
    Temporary(const Temporary&) = delete;
    Temporary& operator=(const Temporary&) = delete;
    ~Temporary();

    const std::string& path() const { return path_; }
    const std::string& target() const { return target_; }

    // Appends bytes (only for a file made by the first create()). Throws IoError naming the
    // target and the system's reason (e.g. "No space left on device").
    void write(std::string_view bytes);

    // Flushes the file to disk and renames it over the target; afterwards it is the target's
    // business. Throws IoError (and leaves the target untouched) if either step fails, or if the
    // file at the temporary name is no longer the one created here.
    void commit();

    // Removes the file now (if it still is the one created here).
    void discard() noexcept;

private:
    Temporary(std::string target, std::string path, int slot);
    bool is_ours() const;
    void open_for_writing();
    [[noreturn]] void fail(const std::string& what, int error) const;

    std::string target_;
    std::string path_;
    int fd_ = -1;
    dev_t device_ = 0;
    ino_t inode_ = 0;
    int slot_ = -1;  // interrupt::Slot
    bool done_ = false;
};

// Writes `contents` to `target` through a Temporary.
void write_atomically(const std::string& target, std::string_view contents);

}  // namespace output
}  // namespace essaim
