#include "sim/hdf5_file.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "sim/hdf5_internal.hpp"
#include "sim/output_file.hpp"

namespace essaim::hdf5 {

namespace {

using internal::hdf5_reason;
using internal::Id;
using internal::silence_hdf5;

// Above this size a 1-D dataset is worth chunking and compressing.
constexpr std::size_t kCompressFromBytes = 16 * 1024;
// HDF5's default chunk cache is 1 MiB per dataset: larger chunks would bypass it.
constexpr std::size_t kMaxChunkBytes = 1024 * 1024;
// Level 1: several times faster than higher levels on our mostly-integer series, for files a
// few percent larger; writing must not dominate an ensemble.
constexpr unsigned kDeflateLevel = 1;

// HDF5 clears its error stack at the start of every call, so a reason must be taken before the
// clean-up calls that follow a failure (closing the identifiers opened so far).
std::string g_saved_reason;

hid_t failure() {
    g_saved_reason = hdf5_reason();
    return -1;
}

// The first object of `g_unclosed_file` whose close failed: closing flushes the object's data, so
// a failure there (a full disk) means the file is incomplete even if closing the file succeeds.
std::string g_unclosed_file, g_unclosed_object, g_unclosed_reason;

// A failed system call (a full disk, a read-only file system) is an IoError with the system's
// reason; anything else is HDF5's own reason, for a bug report.
[[noreturn]] void throw_error(std::string_view file, std::string_view object, std::string_view what,
                              std::string reason = hdf5_reason()) {
    if (reason.empty()) reason = g_saved_reason;
    g_saved_reason.clear();
    std::string message = internal::located(file, object, what);
    if (const int error = internal::system_errno(reason); error != 0)
        throw IoError(message + ": " + std::strerror(error));
    if (!reason.empty()) message += " (" + reason + ")";
    throw std::runtime_error(message);
}

// A file access list under which closing the file closes everything opened from it, so that
// after close() the file on disk is complete and may be renamed or removed even if some handle
// is still alive.
Id strong_close_access(const std::string& shown) {
    Id access(H5Pcreate(H5P_FILE_ACCESS));
    if (!access.ok() || H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG) < 0)
        throw_error(shown, "", "cannot set up file access");
    return access;
}

bool exists(const std::string& path) {
    struct stat status;
    return ::lstat(path.c_str(), &status) == 0;
}

Id utf8_string_type() {
    Id type(H5Tcopy(H5T_C_S1));
    if (type.ok() && H5Tset_size(type.get(), H5T_VARIABLE) >= 0 &&
        H5Tset_cset(type.get(), H5T_CSET_UTF8) >= 0)
        return type;
    return Id(-1);
}

std::vector<const char*> c_strings(const std::vector<std::string>& values) {
    std::vector<const char*> pointers;
    pointers.reserve(values.size());
    for (const auto& value : values) pointers.push_back(value.c_str());
    return pointers;
}

// Chunk shape for a float or integer array: whole array if it fits in kMaxChunkBytes, otherwise
// the leading dimensions are halved first, so that a chunk holds complete trailing rows (e.g. all
// variables of all territories for a run of days).
std::vector<hsize_t> chunk_shape(const std::vector<hsize_t>& shape, std::size_t element_size) {
    std::vector<hsize_t> chunk = shape;
    auto bytes = [&] {
        std::size_t total = element_size;
        for (hsize_t n : chunk) total *= n;
        return total;
    };
    for (std::size_t d = 0; d < chunk.size() && bytes() > kMaxChunkBytes;) {
        if (chunk[d] > 1)
            chunk[d] = (chunk[d] + 1) / 2;
        else
            ++d;
    }
    return chunk;
}

// Creates and writes a dataset; chunked with shuffle + deflate when `compress` is set.
hid_t create_dataset(hid_t parent, const std::string& name, hid_t file_type, hid_t mem_type,
                     const std::vector<hsize_t>& shape, std::size_t element_size, bool compress,
                     const void* data) {
    Id space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr));
    if (!space.ok()) return failure();
    Id create(H5Pcreate(H5P_DATASET_CREATE));
    if (!create.ok()) return failure();
    const bool empty = std::find(shape.begin(), shape.end(), 0) != shape.end();
    if (compress && !empty) {
        const auto chunk = chunk_shape(shape, element_size);
        if (H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()) < 0 ||
            H5Pset_shuffle(create.get()) < 0 || H5Pset_deflate(create.get(), kDeflateLevel) < 0)
            return failure();
    }
    Id dataset(H5Dcreate2(parent, name.c_str(), file_type, space.get(), H5P_DEFAULT, create.get(),
                          H5P_DEFAULT));
    if (!dataset.ok()) return failure();
    if (!empty && H5Dwrite(dataset.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        return failure();
    return dataset.release();
}

}  // namespace

// ---- Object

Object::Object(std::int64_t id, std::string file, std::string name)
    : id_(id), file_(std::move(file)), name_(std::move(name)) {}

Object::Object(Object&& other) noexcept
    : id_(std::exchange(other.id_, -1)),
      file_(std::move(other.file_)),
      name_(std::move(other.name_)) {}

Object& Object::operator=(Object&& other) noexcept {
    if (this != &other) {
        release();
        id_ = std::exchange(other.id_, -1);
        file_ = std::move(other.file_);
        name_ = std::move(other.name_);
    }
    return *this;
}

Object::~Object() { release(); }

std::int64_t Object::take_id() noexcept { return std::exchange(id_, -1); }

void Object::release() noexcept {
    // H5Idec_ref closes files, groups and datasets alike, and cannot throw from a destructor; a
    // failure is kept for write_file_atomically, which must not commit an incomplete file.
    if (id_ >= 0 && H5Idec_ref(id_) < 0) {
        try {
            if (g_unclosed_file.empty()) {
                g_unclosed_reason = hdf5_reason();
                g_unclosed_object = name_;
                g_unclosed_file = file_;
            }
        } catch (...) {  // no memory for the message: the failure is still reported, unnamed
            g_unclosed_file = file_.empty() ? "?" : file_;
        }
        H5Eclear2(H5E_DEFAULT);
    }
    id_ = -1;
}

std::string Object::child_name(std::string_view name) const {
    return (name_ == "/" ? "" : name_) + "/" + std::string(name);
}

void Object::fail(std::string_view object, std::string_view what) const {
    throw_error(file_, object, what);
}

namespace {

// Writes one attribute of `count` elements (0 for a scalar) of `type` on `owner`.
bool write_attribute(hid_t owner, std::string_view name, hid_t type, const void* data,
                     std::size_t count, bool scalar) {
    const hsize_t dims[1] = {count};
    Id space(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, nullptr));
    if (!space.ok()) return false;
    const std::string attr_name(name);
    Id attribute(H5Acreate2(owner, attr_name.c_str(), type, space.get(), H5P_DEFAULT, H5P_DEFAULT));
    if (!attribute.ok()) return false;
    if (!scalar && count == 0) return true;
    return H5Awrite(attribute.get(), type, data) >= 0;
}

}  // namespace

void Object::set_attr_string(std::string_view name, std::string_view value) const {
    silence_hdf5();
    const std::string copy(value);
    const char* pointer = copy.c_str();
    Id type = utf8_string_type();
    if (!type.ok() || !write_attribute(id_, name, type.get(), &pointer, 0, true))
        fail(name_, "cannot write string attribute '" + std::string(name) + "'");
}

void Object::set_attr_int(std::string_view name, std::int64_t value) const {
    silence_hdf5();
    if (!write_attribute(id_, name, H5T_NATIVE_INT64, &value, 0, true))
        fail(name_, "cannot write integer attribute '" + std::string(name) + "'");
}

void Object::set_attr_uint(std::string_view name, std::uint64_t value) const {
    silence_hdf5();
    if (!write_attribute(id_, name, H5T_NATIVE_UINT64, &value, 0, true))
        fail(name_, "cannot write integer attribute '" + std::string(name) + "'");
}

void Object::set_attr_double(std::string_view name, double value) const {
    silence_hdf5();
    if (!write_attribute(id_, name, H5T_NATIVE_DOUBLE, &value, 0, true))
        fail(name_, "cannot write float attribute '" + std::string(name) + "'");
}

void Object::set_attr_strings(std::string_view name, const std::vector<std::string>& values) const {
    silence_hdf5();
    const auto pointers = c_strings(values);
    Id type = utf8_string_type();
    if (!type.ok() ||
        !write_attribute(id_, name, type.get(), pointers.data(), pointers.size(), false))
        fail(name_, "cannot write string array attribute '" + std::string(name) + "'");
}

// ---- Group

Group::Group(std::int64_t id, std::string file, std::string name)
    : Object(id, std::move(file), std::move(name)) {}

Group Group::create_group(std::string_view name) const {
    silence_hdf5();
    const std::string full = child_name(name);
    const std::string local(name);
    const hid_t group = H5Gcreate2(id(), local.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) fail(full, "cannot create group");
    return Group(group, file_name(), full);
}

Object Group::write_numeric(std::string_view name, std::int64_t mem_type, const void* data,
                            std::size_t count, std::size_t element_size) const {
    silence_hdf5();
    const std::string full = child_name(name);
    const hid_t dataset =
        create_dataset(id(), std::string(name), mem_type, mem_type, {static_cast<hsize_t>(count)},
                       element_size, count * element_size >= kCompressFromBytes, data);
    if (dataset < 0) fail(full, "cannot write dataset");
    return Object(dataset, file_name(), full);
}

Object Group::write_dataset(std::string_view name, std::span<const std::int8_t> values) const {
    return write_numeric(name, H5T_NATIVE_INT8, values.data(), values.size(), sizeof(std::int8_t));
}

Object Group::write_dataset(std::string_view name, std::span<const std::uint8_t> values) const {
    return write_numeric(name, H5T_NATIVE_UINT8, values.data(), values.size(),
                         sizeof(std::uint8_t));
}

Object Group::write_dataset(std::string_view name, std::span<const std::int32_t> values) const {
    return write_numeric(name, H5T_NATIVE_INT32, values.data(), values.size(),
                         sizeof(std::int32_t));
}

Object Group::write_dataset(std::string_view name, std::span<const std::int64_t> values) const {
    return write_numeric(name, H5T_NATIVE_INT64, values.data(), values.size(),
                         sizeof(std::int64_t));
}

Object Group::write_dataset(std::string_view name, std::span<const float> values) const {
    return write_numeric(name, H5T_NATIVE_FLOAT, values.data(), values.size(), sizeof(float));
}

Object Group::write_dataset(std::string_view name, std::span<const double> values) const {
    return write_numeric(name, H5T_NATIVE_DOUBLE, values.data(), values.size(), sizeof(double));
}

Object Group::write_strings(std::string_view name, const std::vector<std::string>& values) const {
    silence_hdf5();
    const std::string full = child_name(name);
    const auto pointers = c_strings(values);
    Id type = utf8_string_type();
    const hid_t dataset = type.ok()
                              ? create_dataset(id(), std::string(name), type.get(), type.get(),
                                               {static_cast<hsize_t>(values.size())},
                                               sizeof(const char*), false, pointers.data())
                              : -1;
    if (dataset < 0) fail(full, "cannot write string dataset");
    return Object(dataset, file_name(), full);
}

Object Group::write_array(std::string_view name, std::span<const double> values,
                          const std::vector<std::size_t>& shape) const {
    silence_hdf5();
    const std::string full = child_name(name);
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    std::size_t count = 1;
    for (std::size_t n : shape) count *= n;
    if (shape.empty() || count != values.size())
        throw std::runtime_error("HDF5 file '" + file_name() + "', object '" + full +
                                 "': shape does not match the number of values");
    const hid_t dataset =
        create_dataset(id(), std::string(name), H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, dims,
                       sizeof(double), true, values.data());
    if (dataset < 0) fail(full, "cannot write array dataset");
    return Object(dataset, file_name(), full);
}

// ---- File

File::File(std::int64_t id, std::string file, std::string name)
    : Group(id, std::move(file), std::move(name)) {}

File File::create(const std::string& path, const std::string& display_name) {
    silence_hdf5();
    const std::string shown = display_name.empty() ? path : display_name;
    const Id access = strong_close_access(shown);
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, access.get());
    if (file < 0) throw_error(shown, "", "cannot create file");
    return File(file, shown, "/");
}

std::optional<File> File::create_new(const std::string& path, const std::string& display_name) {
    silence_hdf5();
    const std::string shown = display_name.empty() ? path : display_name;
    const Id access = strong_close_access(shown);
    if (exists(path)) return std::nullopt;
    // The sec2 driver opens with O_CREAT | O_EXCL: a link at `path` is not followed.
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, access.get());
    if (file >= 0) return File(file, shown, "/");
    const std::string reason = hdf5_reason();
    const int error = internal::system_errno(reason);
    if (error == EEXIST) return std::nullopt;
    // Nothing was at `path` a moment ago, so a regular file there now is one HDF5 created
    // before failing (e.g. to lock it).
    struct stat status;
    if (::lstat(path.c_str(), &status) == 0 && S_ISREG(status.st_mode)) ::unlink(path.c_str());
    const std::string what = "cannot create file";
    if (error != 0) throw IoError(internal::located(shown, "", what) + ": " + std::strerror(error));
    throw std::runtime_error(internal::located(shown, "", what) +
                             (reason.empty() ? "" : " (" + reason + ")"));
}

void File::close() {
    silence_hdf5();
    const std::int64_t file = take_id();
    if (file >= 0 && H5Fclose(file) < 0) fail("", "cannot close file");
}

// ---- Atomic write

void write_file_atomically(const std::string& path, const std::function<void(File&)>& fill) {
    std::optional<File> file;
    output::Temporary temporary = output::Temporary::create(path, [&](const std::string& name) {
        file = File::create_new(name, path);
        return file.has_value();
    });
    g_unclosed_file.clear();
    try {
        fill(*file);
        file->close();
        if (!g_unclosed_file.empty())
            throw_error(path, g_unclosed_object, "cannot close", std::move(g_unclosed_reason));
    } catch (...) {
        file.reset();  // HDF5 lets go of the file before the temporary removes it
        g_unclosed_file.clear();
        throw;
    }
    temporary.commit();
}

std::string library_version() {
    silence_hdf5();
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(release);
}

// ---- Slabs

std::vector<std::uint8_t> shuffle(std::span<const float> values) {
    const std::size_t n = values.size();
    std::vector<std::uint8_t> shuffled(n * sizeof(float));
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(values.data());
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < sizeof(float); ++k)
            shuffled[k * n + i] = bytes[i * sizeof(float) + k];
    return shuffled;
}

std::vector<float> unshuffle(std::span<const std::uint8_t> shuffled) {
    const std::size_t n = shuffled.size() / sizeof(float);
    std::vector<float> values(n);
    auto* out = reinterpret_cast<std::uint8_t*>(values.data());
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t k = 0; k < sizeof(float); ++k)
            out[i * sizeof(float) + k] = shuffled[k * n + i];
    return values;
}

std::vector<std::uint8_t> compress_slab(std::span<const float> values, int level) {
    std::vector<std::uint8_t> shuffled = shuffle(values);
    // Run-length deflate: after the shuffle, exponent and high mantissa bytes come in long runs,
    // which Z_RLE encodes several times faster than the default strategy, in a stream that any
    // inflate (HDF5's deflate filter) reads.
    z_stream stream{};
    if (deflateInit2(&stream, level, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK)
        throw std::runtime_error("compress_slab: zlib failed to initialise");
    std::vector<std::uint8_t> out(deflateBound(&stream, static_cast<uLong>(shuffled.size())));
    stream.next_in = shuffled.data();
    stream.avail_in = static_cast<uInt>(shuffled.size());
    stream.next_out = out.data();
    stream.avail_out = static_cast<uInt>(out.size());
    const int status = deflate(&stream, Z_FINISH);
    const auto size = stream.total_out;
    deflateEnd(&stream);
    if (status != Z_STREAM_END) throw std::runtime_error("compress_slab: zlib failed");
    out.resize(size);
    return out;
}

SlabWriter::SlabWriter(Object&& dataset, std::size_t slab_size)
    : Object(std::move(dataset)), slab_size_(slab_size) {}

void SlabWriter::write_compressed(std::size_t index, const std::vector<std::uint8_t>& bytes) const {
    silence_hdf5();
    Id space(H5Dget_space(id()));
    const int rank = space.ok() ? H5Sget_simple_extent_ndims(space.get()) : -1;
    if (rank < 1) fail(object_name(), "cannot read the slab dataset's shape");
    std::vector<hsize_t> offset(static_cast<std::size_t>(rank), 0);
    offset[0] = index;
    if (H5Dwrite_chunk(id(), H5P_DEFAULT, 0, offset.data(), bytes.size(), bytes.data()) < 0)
        fail(object_name(), "cannot write slab " + std::to_string(index));
}

SlabWriter Group::create_slabs(std::string_view name, const std::vector<std::size_t>& shape,
                               int level) const {
    silence_hdf5();
    const std::string full = child_name(name);
    if (shape.size() < 2) throw std::runtime_error("create_slabs: need at least two dimensions");
    std::vector<hsize_t> dims(shape.begin(), shape.end()), chunk = dims;
    chunk[0] = 1;
    std::size_t slab = 1;
    for (std::size_t d = 1; d < shape.size(); ++d) slab *= shape[d];
    Id space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr));
    Id create(H5Pcreate(H5P_DATASET_CREATE));
    if (!space.ok() || !create.ok() ||
        H5Pset_chunk(create.get(), static_cast<int>(chunk.size()), chunk.data()) < 0 ||
        H5Pset_shuffle(create.get()) < 0 ||
        H5Pset_deflate(create.get(), static_cast<unsigned>(level)) < 0)
        fail(full, "cannot prepare slab dataset");
    const hid_t dataset = H5Dcreate2(id(), std::string(name).c_str(), H5T_NATIVE_FLOAT, space.get(),
                                     H5P_DEFAULT, create.get(), H5P_DEFAULT);
    if (dataset < 0) fail(full, "cannot create slab dataset");
    return SlabWriter(Object(dataset, file_name(), full), slab);
}

}  // namespace essaim::hdf5
