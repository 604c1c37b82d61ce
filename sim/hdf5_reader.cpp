#include "sim/hdf5_reader.hpp"

#include <charconv>
#include <filesystem>
#include <system_error>
#include <type_traits>
#include <utility>

#include "sim/hdf5_internal.hpp"

namespace essaim::hdf5 {

namespace {

using internal::hdf5_reason;
using internal::Id;
using internal::silence_hdf5;

// Absolute form of an object name, for messages and for walking its components.
std::string absolute(std::string_view object) {
    std::string name(object);
    if (name.empty() || name.front() != '/') name.insert(name.begin(), '/');
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    return name;
}

[[noreturn]] void throw_error(std::string_view file, std::string_view object,
                              std::string_view what) {
    throw ReadError(internal::error_message(file, object, what));
}

// Dataset and attribute reads differ only in these calls; the conversions around them are shared.
struct Source {
    hid_t id;
    bool attribute;
    hid_t type() const { return attribute ? H5Aget_type(id) : H5Dget_type(id); }
    hid_t space() const { return attribute ? H5Aget_space(id) : H5Dget_space(id); }
    herr_t read(hid_t mem_type, void* buffer) const {
        return attribute ? H5Aread(id, mem_type, buffer)
                         : H5Dread(id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    }
};

// Shape of a dataspace; empty for a scalar. False if it cannot be read.
bool shape_of(hid_t space, std::vector<std::size_t>& shape) {
    const int rank = H5Sget_simple_extent_ndims(space);
    if (rank < 0) return false;
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    if (rank > 0 && H5Sget_simple_extent_dims(space, dims.data(), nullptr) < 0) return false;
    shape.assign(dims.begin(), dims.end());
    return true;
}

std::size_t count_of(const std::vector<std::size_t>& shape) {
    std::size_t count = 1;
    for (std::size_t n : shape) count *= n;
    return count;
}

bool is_numeric(hid_t type) {
    const H5T_class_t type_class = H5Tget_class(type);
    return type_class == H5T_INTEGER || type_class == H5T_FLOAT;
}

// Reads every element as double. Returns an error description, empty on success.
std::string read_doubles(const Source& source, Array& out) {
    Id type(source.type());
    Id space(source.space());
    if (!type.ok() || !space.ok() || !shape_of(space.get(), out.shape))
        return "cannot read its type or shape";
    if (!is_numeric(type.get())) return "is not numeric";
    out.values.resize(count_of(out.shape));
    if (!out.values.empty() && source.read(H5T_NATIVE_DOUBLE, out.values.data()) < 0)
        return "cannot read its values";
    return {};
}

// Reads every element of a string dataset or attribute, variable- or fixed-length (h5py writes
// either, depending on how the strings were given to it).
std::string read_text(const Source& source, std::vector<std::string>& out) {
    Id type(source.type());
    Id space(source.space());
    std::vector<std::size_t> shape;
    if (!type.ok() || !space.ok() || !shape_of(space.get(), shape))
        return "cannot read its type or shape";
    if (H5Tget_class(type.get()) != H5T_STRING) return "is not a string";
    const std::size_t count = count_of(shape);
    out.clear();
    out.reserve(count);
    if (count == 0) return {};
    const htri_t variable = H5Tis_variable_str(type.get());
    if (variable < 0) return "cannot read its string type";
    if (variable > 0) {
        Id mem_type(H5Tcopy(H5T_C_S1));
        if (!mem_type.ok() || H5Tset_size(mem_type.get(), H5T_VARIABLE) < 0 ||
            H5Tset_cset(mem_type.get(), H5Tget_cset(type.get())) < 0)
            return "cannot set up a string type";
        std::vector<char*> pointers(count, nullptr);
        if (source.read(mem_type.get(), pointers.data()) < 0) return "cannot read its values";
        for (char* pointer : pointers) out.emplace_back(pointer != nullptr ? pointer : "");
        // The library allocated each string; give them back the way it expects.
        Id mem_space(H5Screate_simple(1, std::vector<hsize_t>{count}.data(), nullptr));
#if H5_VERSION_GE(1, 12, 0)
        if (mem_space.ok())
            H5Treclaim(mem_type.get(), mem_space.get(), H5P_DEFAULT, pointers.data());
#else
        if (mem_space.ok())
            H5Dvlen_reclaim(mem_type.get(), mem_space.get(), H5P_DEFAULT, pointers.data());
#endif
        return {};
    }
    const std::size_t size = H5Tget_size(type.get());
    if (size == 0) return "cannot read its string size";
    // Reading with the file's own type copies the bytes unchanged; the padding is undone here.
    Id mem_type(H5Tcopy(type.get()));
    std::vector<char> buffer(count * size);
    if (!mem_type.ok() || source.read(mem_type.get(), buffer.data()) < 0)
        return "cannot read its values";
    const H5T_str_t pad = H5Tget_strpad(type.get());
    for (std::size_t i = 0; i < count; ++i) {
        std::string_view text(buffer.data() + i * size, size);
        if (pad == H5T_STR_SPACEPAD) {
            const auto end = text.find_last_not_of(' ');
            text = end == std::string_view::npos ? std::string_view{} : text.substr(0, end + 1);
        } else {
            const auto nul = text.find('\0');
            if (nul != std::string_view::npos) text = text.substr(0, nul);
        }
        out.emplace_back(text);
    }
    return {};
}

// Attribute values as text: integers exactly (a uint64 seed does not fit a double), floats in
// their shortest round-trip form, arrays comma-joined.
std::string format_double(double value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string format_float(float value) {
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string attribute_text(hid_t attribute, std::string& error) {
    Id type(H5Aget_type(attribute));
    Id space(H5Aget_space(attribute));
    std::vector<std::size_t> shape;
    if (!type.ok() || !space.ok() || !shape_of(space.get(), shape)) {
        error = "cannot read its type or shape";
        return {};
    }
    const std::size_t count = count_of(shape);
    std::vector<std::string> parts;
    const H5T_class_t type_class = H5Tget_class(type.get());
    if (type_class == H5T_STRING) {
        error = read_text({attribute, true}, parts);
    } else if (type_class == H5T_INTEGER && H5Tget_sign(type.get()) == H5T_SGN_NONE) {
        std::vector<std::uint64_t> values(count);
        if (count > 0 && H5Aread(attribute, H5T_NATIVE_UINT64, values.data()) < 0)
            error = "cannot read its values";
        for (auto v : values) parts.push_back(std::to_string(v));
    } else if (type_class == H5T_INTEGER) {
        std::vector<std::int64_t> values(count);
        if (count > 0 && H5Aread(attribute, H5T_NATIVE_INT64, values.data()) < 0)
            error = "cannot read its values";
        for (auto v : values) parts.push_back(std::to_string(v));
    } else if (type_class == H5T_FLOAT && H5Tget_size(type.get()) <= sizeof(float)) {
        std::vector<float> values(count);
        if (count > 0 && H5Aread(attribute, H5T_NATIVE_FLOAT, values.data()) < 0)
            error = "cannot read its values";
        for (auto v : values) parts.push_back(format_float(v));
    } else if (type_class == H5T_FLOAT) {
        std::vector<double> values(count);
        if (count > 0 && H5Aread(attribute, H5T_NATIVE_DOUBLE, values.data()) < 0)
            error = "cannot read its values";
        for (auto v : values) parts.push_back(format_double(v));
    } else {
        error = "has a type that cannot be shown as text";
    }
    std::string text;
    for (std::size_t i = 0; i < parts.size(); ++i) text += (i ? "," : "") + parts[i];
    return text;
}

}  // namespace

Reader::Reader(const std::string& path) : path_(path) {
    silence_hdf5();
    std::error_code error;
    const auto status = std::filesystem::status(path, error);
    if (!std::filesystem::exists(status)) throw ReadError("HDF5 file '" + path + "': no such file");
    if (std::filesystem::is_directory(status))
        throw ReadError("HDF5 file '" + path + "': is a directory");
#if H5_VERSION_GE(1, 12, 0)
    const htri_t is_hdf5 = H5Fis_accessible(path.c_str(), H5P_DEFAULT);
#else
    const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
#endif
    if (is_hdf5 == 0) {
        H5Eclear2(H5E_DEFAULT);
        throw ReadError("HDF5 file '" + path + "': not an HDF5 file");
    }
    if (is_hdf5 < 0) throw_error(path, "", "cannot read file");
    file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file_ < 0) throw_error(path, "", "cannot open file");
}

Reader::~Reader() {
    if (file_ >= 0 && H5Fclose(file_) < 0) H5Eclear2(H5E_DEFAULT);
}

bool Reader::exists(std::string_view object) const {
    silence_hdf5();
    const std::string name = absolute(object);
    if (name == "/") return true;
    // H5Lexists fails rather than answering false when an intermediate group is missing, so the
    // path is checked one component at a time.
    for (std::size_t slash = name.find('/', 1);; slash = name.find('/', slash + 1)) {
        const std::string prefix = name.substr(0, slash);
        if (H5Lexists(file_, prefix.c_str(), H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return false;
        }
        if (slash == std::string::npos) break;
    }
    // A dangling soft link exists as a link but not as an object.
    const htri_t resolves = H5Oexists_by_name(file_, name.c_str(), H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    return resolves > 0;
}

bool Reader::is_group(std::string_view object) const {
    if (!exists(object)) return false;
    const std::string name = absolute(object);
    Id opened(H5Oopen(file_, name.c_str(), H5P_DEFAULT));
    if (!opened.ok()) throw_error(path_, name, "cannot open object");
    return H5Iget_type(opened.get()) == H5I_GROUP;
}

std::vector<std::string> Reader::members(std::string_view group) const {
    silence_hdf5();
    const std::string name = absolute(group);
    if (!exists(name)) throw_error(path_, name, "no such group");
    Id opened(H5Gopen2(file_, name.c_str(), H5P_DEFAULT));
    if (!opened.ok()) throw_error(path_, name, "cannot open group");
    std::vector<std::string> names;
    hsize_t index = 0;
    const herr_t status = H5Literate(
        opened.get(), H5_INDEX_NAME, H5_ITER_INC, &index,
        [](hid_t, const char* member, const H5L_info_t*, void* data) -> herr_t {
            static_cast<std::vector<std::string>*>(data)->emplace_back(member);
            return 0;
        },
        &names);
    if (status < 0) throw_error(path_, name, "cannot list group members");
    return names;
}

namespace {

// Opens a dataset for reading, with errors that say whether it is missing or just unreadable.
Id open_dataset(hid_t file, const std::string& path, const std::string& name, bool exists) {
    if (!exists) throw_error(path, name, "no such dataset");
    Id dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT));
    if (!dataset.ok()) throw_error(path, name, "cannot open dataset");
    return dataset;
}

}  // namespace

DatasetInfo Reader::info(std::string_view dataset) const {
    const std::string name = absolute(dataset);
    const Id opened = open_dataset(file_, path_, name, exists(name));
    silence_hdf5();
    Id type(H5Dget_type(opened.get()));
    Id space(H5Dget_space(opened.get()));
    DatasetInfo info;
    if (!type.ok() || !space.ok() || !shape_of(space.get(), info.shape))
        throw_error(path_, name, "cannot read its type or shape");
    switch (H5Tget_class(type.get())) {
        case H5T_INTEGER:
            info.kind = ValueKind::integer;
            break;
        case H5T_FLOAT:
            info.kind = ValueKind::floating;
            break;
        case H5T_STRING:
            info.kind = ValueKind::string;
            break;
        default:
            info.kind = ValueKind::other;
    }
    const htri_t variable = info.kind == ValueKind::string ? H5Tis_variable_str(type.get()) : 0;
    info.element_size = variable > 0 ? 0 : H5Tget_size(type.get());
    return info;
}

Array Reader::read_array(std::string_view dataset) const {
    const std::string name = absolute(dataset);
    const Id opened = open_dataset(file_, path_, name, exists(name));
    silence_hdf5();
    Array array;
    const std::string error = read_doubles({opened.get(), false}, array);
    if (!error.empty()) throw_error(path_, name, error);
    return array;
}

Array Reader::read_slab(std::string_view dataset, std::size_t index) const {
    const std::string name = absolute(dataset);
    const Id opened = open_dataset(file_, path_, name, exists(name));
    silence_hdf5();
    Id type(H5Dget_type(opened.get()));
    Id space(H5Dget_space(opened.get()));
    std::vector<std::size_t> shape;
    if (!type.ok() || !space.ok() || !shape_of(space.get(), shape))
        throw_error(path_, name, "cannot read its type or shape");
    if (!is_numeric(type.get())) throw_error(path_, name, "is not numeric");
    if (shape.empty()) throw_error(path_, name, "is a scalar, not a stack of slabs");
    if (index >= shape[0])
        throw_error(path_, name,
                    "slab " + std::to_string(index) + " out of range (" + std::to_string(shape[0]) +
                        " slabs)");
    std::vector<hsize_t> start(shape.size(), 0), count(shape.begin(), shape.end());
    start[0] = index;
    count[0] = 1;
    Array array;
    array.shape.assign(shape.begin() + 1, shape.end());
    array.values.resize(count_of(array.shape));
    if (array.values.empty()) return array;
    const hsize_t elements = array.values.size();
    Id memory(H5Screate_simple(1, &elements, nullptr));
    if (!memory.ok() ||
        H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                            nullptr) < 0 ||
        H5Dread(opened.get(), H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT,
                array.values.data()) < 0)
        throw_error(path_, name, "cannot read slab " + std::to_string(index));
    return array;
}

std::vector<std::string> Reader::read_strings(std::string_view dataset) const {
    const std::string name = absolute(dataset);
    const Id opened = open_dataset(file_, path_, name, exists(name));
    silence_hdf5();
    std::vector<std::string> values;
    const std::string error = read_text({opened.get(), false}, values);
    if (!error.empty()) throw_error(path_, name, error);
    return values;
}

bool Reader::has_attr(std::string_view object, std::string_view name) const {
    if (!exists(object)) return false;
    silence_hdf5();
    const std::string attribute(name);
    const htri_t found =
        H5Aexists_by_name(file_, absolute(object).c_str(), attribute.c_str(), H5P_DEFAULT);
    H5Eclear2(H5E_DEFAULT);
    return found > 0;
}

namespace {

Id open_attribute(hid_t file, const std::string& path, const std::string& object,
                  std::string_view name, bool found) {
    const std::string attribute(name);
    if (!found) throw_error(path, object, "no attribute '" + attribute + "'");
    Id opened(H5Aopen_by_name(file, object.c_str(), attribute.c_str(), H5P_DEFAULT, H5P_DEFAULT));
    if (!opened.ok()) throw_error(path, object, "cannot open attribute '" + attribute + "'");
    return opened;
}

}  // namespace

std::vector<std::string> Reader::attr_strings(std::string_view object,
                                              std::string_view name) const {
    const std::string object_name = absolute(object);
    const Id opened = open_attribute(file_, path_, object_name, name, has_attr(object, name));
    silence_hdf5();
    std::vector<std::string> values;
    const std::string error = read_text({opened.get(), true}, values);
    if (!error.empty())
        throw_error(path_, object_name, "attribute '" + std::string(name) + "' " + error);
    return values;
}

std::string Reader::attr_string(std::string_view object, std::string_view name) const {
    const auto values = attr_strings(object, name);
    if (values.size() != 1)
        throw_error(path_, absolute(object),
                    "attribute '" + std::string(name) + "' holds " + std::to_string(values.size()) +
                        " strings, not one");
    return values.front();
}

double Reader::attr_double(std::string_view object, std::string_view name) const {
    const std::string object_name = absolute(object);
    const Id opened = open_attribute(file_, path_, object_name, name, has_attr(object, name));
    silence_hdf5();
    Array array;
    const std::string error = read_doubles({opened.get(), true}, array);
    if (!error.empty())
        throw_error(path_, object_name, "attribute '" + std::string(name) + "' " + error);
    if (array.values.size() != 1)
        throw_error(path_, object_name,
                    "attribute '" + std::string(name) + "' holds " +
                        std::to_string(array.values.size()) + " values, not one");
    return array.values.front();
}

std::vector<std::pair<std::string, std::string>> Reader::attributes(std::string_view object) const {
    const std::string name = absolute(object);
    if (!exists(name)) throw_error(path_, name, "no such object");
    silence_hdf5();
    std::vector<std::string> names;
    hsize_t index = 0;
    const herr_t status = H5Aiterate_by_name(
        file_, name.c_str(), H5_INDEX_NAME, H5_ITER_INC, &index,
        [](hid_t, const char* attribute, const H5A_info_t*, void* data) -> herr_t {
            static_cast<std::vector<std::string>*>(data)->emplace_back(attribute);
            return 0;
        },
        &names, H5P_DEFAULT);
    if (status < 0) throw_error(path_, name, "cannot list attributes");
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(names.size());
    for (const auto& attribute : names) {
        const Id opened = open_attribute(file_, path_, name, attribute, true);
        std::string error;
        std::string text = attribute_text(opened.get(), error);
        if (!error.empty()) throw_error(path_, name, "attribute '" + attribute + "' " + error);
        out.emplace_back(attribute, std::move(text));
    }
    return out;
}

}  // namespace essaim::hdf5
