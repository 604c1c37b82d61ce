#pragma once
// Reading a file a user names (a scenario, an `extends` base, a design): only a regular file of
// bounded size is read. A device may never end (/dev/zero), a FIFO blocks the opening, a directory
// reads as nothing; each is refused by kind, without being read. Callers word the refusal in
// their own terms (a TOML error at a position, a design error).
#include <sys/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace essaim {

struct InputFileProblem : std::runtime_error {
    enum class Kind { not_regular, too_large, unreadable };
    InputFileProblem(Kind kind, std::string what, std::uintmax_t bytes);
    Kind kind;
    std::uintmax_t bytes;  // too_large: the size seen (at least max_bytes + 1)
    // what(): "a FIFO (named pipe)" (not_regular), the system's reason (unreadable), or the
    // size in words (too_large).
};

// What a file that is not a regular one is, for messages: "a directory", "a FIFO (named pipe)"...
const char* file_kind(mode_t mode);

// The contents of `path`. Throws InputFileProblem. The file is checked with stat() before it is
// opened, opened with O_NONBLOCK (should a FIFO replace it meanwhile), checked again with fstat()
// and read no further than max_bytes + 1.
std::string read_regular_file(const std::string& path, std::uintmax_t max_bytes);

}  // namespace essaim
