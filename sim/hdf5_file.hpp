#pragma once
// A small RAII layer over the HDF5 C API for writing result files: files, groups, attributes and
// datasets, each closed when its handle goes out of scope. It knows nothing of any model.
// <hdf5.h> stays in hdf5_file.cpp so that code writing files needs neither HDF5's include paths
// nor its macros. Every failure throws std::runtime_error naming the file and the object; a failed
// system call (disk full, read-only file system) throws essaim::IoError (sim/output_file.hpp)
// with the system's reason.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace essaim::hdf5 {

// An open HDF5 object (file, group or dataset) that can carry attributes. Move-only. Strings are
// stored as variable-length UTF-8, which h5py reads back as `str` for attributes.
class Object {
public:
    Object(Object&& other) noexcept;
    Object& operator=(Object&& other) noexcept;
    Object(const Object&) = delete;
    Object& operator=(const Object&) = delete;
    ~Object();

    // Distinct names rather than overloads: the stored HDF5 type is part of a file's schema, so
    // an `int` argument must not silently pick int64, uint64 or double.
    void set_attr_string(std::string_view name, std::string_view value) const;
    void set_attr_int(std::string_view name, std::int64_t value) const;
    void set_attr_uint(std::string_view name, std::uint64_t value) const;
    void set_attr_double(std::string_view name, double value) const;
    void set_attr_strings(std::string_view name, const std::vector<std::string>& values) const;

    const std::string& file_name() const { return file_; }
    const std::string& object_name() const { return name_; }  // absolute path in the file

protected:
    Object(std::int64_t id, std::string file, std::string name);
    friend class Group;  // creates datasets, which are plain Objects
    std::int64_t id() const { return id_; }
    std::int64_t take_id() noexcept;  // the caller becomes responsible for closing it
    std::string child_name(std::string_view name) const;
    [[noreturn]] void fail(std::string_view object, std::string_view what) const;

private:
    void release() noexcept;
    std::int64_t id_ = -1;  // hid_t
    std::string file_;
    std::string name_;
};

// A float32 dataset of shape (n, ...) written one slab [i, ...] at a time, each slab one chunk,
// stored with HDF5's shuffle + deflate filters so that any reader decodes it. The compression is
// done by compress_slab(), a pure function that worker threads may call in parallel; the writer
// only stores bytes (H5Dwrite_chunk). Slabs may be written in any order; writing them in index
// order makes the file byte-identical however many threads compressed them.
class SlabWriter : public Object {
public:
    void write_compressed(std::size_t index, const std::vector<std::uint8_t>& bytes) const;
    std::size_t slab_size() const { return slab_size_; }

private:
    friend class Group;
    SlabWriter(Object&& dataset, std::size_t slab_size);
    std::size_t slab_size_;
};

// HDF5's shuffle filter (byte k of every float, for k = 0..3 in turn: the slowly varying exponent
// bytes come together, which is what makes the values compress) and its inverse.
std::vector<std::uint8_t> shuffle(std::span<const float> values);
std::vector<float> unshuffle(std::span<const std::uint8_t> shuffled);

// Byte shuffle then zlib deflate of one slab, exactly as HDF5's filters would store it.
std::vector<std::uint8_t> compress_slab(std::span<const float> values, int level = 1);

class Group : public Object {
public:
    Group create_group(std::string_view name) const;

    // 1-D datasets. Large ones are chunked and compressed like write_array; small ones are
    // stored contiguously, where chunk indexing would cost more than it saves.
    Object write_dataset(std::string_view name, std::span<const std::int8_t> values) const;
    Object write_dataset(std::string_view name, std::span<const std::uint8_t> values) const;
    Object write_dataset(std::string_view name, std::span<const std::int32_t> values) const;
    Object write_dataset(std::string_view name, std::span<const std::int64_t> values) const;
    Object write_dataset(std::string_view name, std::span<const float> values) const;
    Object write_dataset(std::string_view name, std::span<const double> values) const;
    Object write_strings(std::string_view name, const std::vector<std::string>& values) const;

    // A row-major float64 array of the given shape, chunked (at most about 1 MiB per chunk, the
    // size of HDF5's default chunk cache, splitting the leading dimensions first), shuffled and
    // deflated at level 1. An array with an empty dimension is stored contiguously.
    Object write_array(std::string_view name, std::span<const double> values,
                       const std::vector<std::size_t>& shape) const;

    // `shape` = (slabs, slab dimensions...); see SlabWriter.
    SlabWriter create_slabs(std::string_view name, const std::vector<std::size_t>& shape,
                            int level = 1) const;

protected:
    Group(std::int64_t id, std::string file, std::string name);

private:
    Object write_numeric(std::string_view name, std::int64_t mem_type, const void* data,
                         std::size_t count, std::size_t element_size) const;
};

class File : public Group {
public:
    // Creates `path`, truncating an existing file. Errors name `display_name` if given: the file
    // being written may be a temporary whose name means nothing to the user.
    static File create(const std::string& path, const std::string& display_name = {});
    // Creates `path` only if nothing is there (open(2)'s O_EXCL, so a link is not followed);
    // returns nothing if something is.
    static std::optional<File> create_new(const std::string& path,
                                          const std::string& display_name = {});

    // Flushes and closes, throwing if that fails; later use of this handle or of objects opened
    // from it is an error. The destructor closes too, but cannot report failure.
    void close();

private:
    File(std::int64_t id, std::string file, std::string name);
};

// Writes a file under a temporary name beside the target (output::Temporary), then renames it to
// `path`, so that the target is either complete or untouched, also when the process is
// interrupted (sim/interrupt.hpp). If `fill` (or closing, or renaming) throws, the temporary is
// removed and the exception propagates.
void write_file_atomically(const std::string& path, const std::function<void(File&)>& fill);

// The HDF5 library in use, e.g. "1.10.8".
std::string library_version();

}  // namespace essaim::hdf5
