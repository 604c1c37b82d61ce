#pragma once
// Reading back the result files essaim writes (for `essaim compare A.h5 B.h5`, `essaim export`).
// Like hdf5_file.hpp, <hdf5.h> stays in the .cpp. Errors throw hdf5::ReadError naming the file
// and the object; a missing or non-HDF5 file is a ReadError too (bad input, exit code 2).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace essaim::hdf5 {

struct ReadError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A numeric dataset of any integer or float type, converted to double, with its shape.
struct Array {
    std::vector<double> values;
    std::vector<std::size_t> shape;
};

// What a dataset holds, without reading it.
enum class ValueKind { integer, floating, string, other };
struct DatasetInfo {
    std::vector<std::size_t> shape;  // empty for a scalar
    ValueKind kind = ValueKind::other;
    std::size_t element_size = 0;  // bytes in the file; 0 for variable-length strings
};

class Reader {
public:
    explicit Reader(const std::string& path);  // opens read-only
    ~Reader();
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    const std::string& path() const { return path_; }
    bool exists(
        std::string_view object) const;  // "/a/b" or "a/b"; intermediate groups may be missing
    // Names of the members of a group, in HDF5's name order.
    std::vector<std::string> members(std::string_view group) const;
    bool is_group(std::string_view object) const;

    DatasetInfo info(std::string_view dataset) const;
    Array read_array(std::string_view dataset) const;
    // For a float32 slab dataset of shape (n, ...): slab `index` only.
    Array read_slab(std::string_view dataset, std::size_t index) const;
    std::vector<std::string> read_strings(std::string_view dataset) const;

    bool has_attr(std::string_view object, std::string_view name) const;
    std::string attr_string(std::string_view object, std::string_view name) const;
    std::vector<std::string> attr_strings(std::string_view object, std::string_view name) const;
    double attr_double(std::string_view object, std::string_view name) const;  // any numeric type
    // Every attribute of an object as text (numbers formatted with full precision).
    std::vector<std::pair<std::string, std::string>> attributes(std::string_view object) const;

private:
    std::string path_;
    std::int64_t file_ = -1;
};

}  // namespace essaim::hdf5
