#pragma once
// SHA-256 of a byte string, for recording what exactly a run was given (e.g. the scenario text in
// an output manifest) in a form that can be compared without the text itself.
#include <string>
#include <string_view>

namespace essaim {

// Lower-case hexadecimal digest (64 characters). Throws std::runtime_error if OpenSSL fails.
std::string sha256_hex(std::string_view data);

}  // namespace essaim
