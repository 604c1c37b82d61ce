// The HDF5 wrapper is checked by reading its files back with the plain C API, so that a bug shared
// by a writer and a reader built on the same wrapper cannot hide.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

// sim keeps HDF5's include path private; Debian's serial HDF5 lives in a subdirectory.
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#else
#include <hdf5/serial/hdf5.h>
#endif

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/hdf5_file.hpp"
#include "sim/output_file.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace essaim;

namespace {

// Read-only access to a written file through the C API.
struct Reader {
    hid_t file;
    explicit Reader(const fs::path& path)
        : file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
        REQUIRE(file >= 0);
    }
    ~Reader() { H5Fclose(file); }

    hid_t open_attribute(const char* object, const char* name) const {
        const hid_t attribute = H5Aopen_by_name(file, object, name, H5P_DEFAULT, H5P_DEFAULT);
        REQUIRE_MESSAGE(attribute >= 0, object, " @", name);
        return attribute;
    }

    template <typename T>
    T scalar_attribute(const char* object, const char* name, hid_t mem_type) const {
        const hid_t attribute = open_attribute(object, name);
        T value{};
        CHECK(H5Aread(attribute, mem_type, &value) >= 0);
        H5Aclose(attribute);
        return value;
    }

    // Strings, scalar or 1-D, of a variable-length string attribute; also checks it is UTF-8.
    std::vector<std::string> string_attribute(const char* object, const char* name) const {
        const hid_t attribute = open_attribute(object, name);
        const hid_t type = H5Aget_type(attribute);
        CHECK(H5Tis_variable_str(type) > 0);
        CHECK(H5Tget_cset(type) == H5T_CSET_UTF8);
        const hid_t space = H5Aget_space(attribute);
        const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
        std::vector<char*> raw(count, nullptr);
        if (count > 0) CHECK(H5Aread(attribute, type, raw.data()) >= 0);
        std::vector<std::string> values(raw.begin(), raw.end());
        if (count > 0) H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw.data());
        H5Sclose(space);
        H5Tclose(type);
        H5Aclose(attribute);
        return values;
    }

    std::vector<hsize_t> shape(const char* dataset_name) const {
        const hid_t dataset = H5Dopen2(file, dataset_name, H5P_DEFAULT);
        REQUIRE(dataset >= 0);
        const hid_t space = H5Dget_space(dataset);
        std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space)));
        H5Sget_simple_extent_dims(space, dims.data(), nullptr);
        H5Sclose(space);
        H5Dclose(dataset);
        return dims;
    }

    template <typename T>
    std::vector<T> dataset(const char* name, hid_t mem_type, hid_t expected_file_type) const {
        const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
        REQUIRE_MESSAGE(dataset >= 0, name);
        const hid_t type = H5Dget_type(dataset);
        CHECK_MESSAGE(H5Tequal(type, expected_file_type) > 0, name);
        H5Tclose(type);
        const hid_t space = H5Dget_space(dataset);
        std::vector<T> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
        if (!values.empty())
            CHECK(H5Dread(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
        H5Sclose(space);
        H5Dclose(dataset);
        return values;
    }

    std::vector<std::string> string_dataset(const char* name) const {
        const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
        REQUIRE(dataset >= 0);
        const hid_t type = H5Dget_type(dataset);
        CHECK(H5Tis_variable_str(type) > 0);
        const hid_t space = H5Dget_space(dataset);
        std::vector<char*> raw(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
        if (!raw.empty())
            CHECK(H5Dread(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) >= 0);
        std::vector<std::string> values(raw.begin(), raw.end());
        if (!raw.empty()) H5Dvlen_reclaim(type, space, H5P_DEFAULT, raw.data());
        H5Sclose(space);
        H5Tclose(type);
        H5Dclose(dataset);
        return values;
    }

    // Chunk shape (empty when contiguous) and the filter identifiers of a dataset.
    std::pair<std::vector<hsize_t>, std::vector<H5Z_filter_t>> layout(const char* name) const {
        const hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
        REQUIRE(dataset >= 0);
        const hid_t create = H5Dget_create_plist(dataset);
        std::vector<hsize_t> chunk;
        std::vector<H5Z_filter_t> filters;
        if (H5Pget_layout(create) == H5D_CHUNKED) {
            chunk.resize(32);
            chunk.resize(static_cast<std::size_t>(
                H5Pget_chunk(create, static_cast<int>(chunk.size()), chunk.data())));
            for (int i = 0; i < H5Pget_nfilters(create); ++i) {
                unsigned flags = 0;
                std::size_t n_values = 0;
                unsigned config = 0;
                filters.push_back(
                    H5Pget_filter2(create, i, &flags, &n_values, nullptr, 0, nullptr, &config));
            }
        }
        H5Pclose(create);
        H5Dclose(dataset);
        return {chunk, filters};
    }
};

}  // namespace

TEST_CASE("hdf5: attributes and datasets round trip") {
    essaim::test::TempDir dir;
    const auto path = dir.path / "round.h5";
    std::vector<double> large(5000);
    std::iota(large.begin(), large.end(), 0.5);
    const std::vector<double> cube = [] {
        std::vector<double> values(4 * 3 * 2);
        std::iota(values.begin(), values.end(), 0.0);
        values[5] = std::numeric_limits<double>::quiet_NaN();
        return values;
    }();

    hdf5::write_file_atomically(path.string(), [&](hdf5::File& file) {
        CHECK(file.object_name() == "/");
        CHECK(file.file_name() == path.string());
        file.set_attr_string("schema", "test");
        file.set_attr_int("version", -3);
        file.set_attr_uint("seed", std::numeric_limits<std::uint64_t>::max());
        file.set_attr_double("ratio", 0.25);
        file.set_attr_string("unicode", "r\xc3\xa9sultat");
        file.set_attr_string("empty", "");

        const auto group = file.create_group("data");
        CHECK(group.object_name() == "/data");
        group.set_attr_strings("names", {"a", "bb", ""});
        group.set_attr_strings("none", {});
        const auto nested = group.create_group("nested");
        CHECK(nested.object_name() == "/data/nested");

        group.write_dataset("i8", std::vector<std::int8_t>{-1, 0, 127});
        group.write_dataset("u8", std::vector<std::uint8_t>{0, 31, 255});
        group.write_dataset("i32", std::vector<std::int32_t>{-1, 7, 2147483647});
        group.write_dataset("i64", std::vector<std::int64_t>{-5, 1LL << 40});
        group.write_dataset("empty", std::vector<double>{});
        const auto big = group.write_dataset("large", large);
        big.set_attr_string("unit", "days");
        group.write_strings("strings", {"alpha", "", "\xc3\xa9t\xc3\xa9"});
        const auto array = nested.write_array("cube", cube, {4, 3, 2});
        array.set_attr_strings("dimensions", {"x", "y", "z"});
    });

    REQUIRE(fs::exists(path));
    CHECK(dir.entries() == std::vector<std::string>{"round.h5"});
    Reader reader(path);
    CHECK(reader.string_attribute("/", "schema") == std::vector<std::string>{"test"});
    CHECK(reader.scalar_attribute<std::int64_t>("/", "version", H5T_NATIVE_INT64) == -3);
    CHECK(reader.scalar_attribute<std::uint64_t>("/", "seed", H5T_NATIVE_UINT64) ==
          std::numeric_limits<std::uint64_t>::max());
    CHECK(reader.scalar_attribute<double>("/", "ratio", H5T_NATIVE_DOUBLE) == 0.25);
    CHECK(reader.string_attribute("/", "unicode") == std::vector<std::string>{"r\xc3\xa9sultat"});
    CHECK(reader.string_attribute("/", "empty") == std::vector<std::string>{""});
    CHECK(reader.string_attribute("/data", "names") == std::vector<std::string>{"a", "bb", ""});
    CHECK(reader.string_attribute("/data", "none").empty());
    CHECK(reader.string_attribute("/data/large", "unit") == std::vector<std::string>{"days"});
    CHECK(reader.string_attribute("/data/nested/cube", "dimensions") ==
          std::vector<std::string>{"x", "y", "z"});

    CHECK(reader.dataset<std::int8_t>("/data/i8", H5T_NATIVE_INT8, H5T_STD_I8LE) ==
          std::vector<std::int8_t>{-1, 0, 127});
    CHECK(reader.dataset<std::uint8_t>("/data/u8", H5T_NATIVE_UINT8, H5T_STD_U8LE) ==
          std::vector<std::uint8_t>{0, 31, 255});
    CHECK(reader.dataset<std::int32_t>("/data/i32", H5T_NATIVE_INT32, H5T_STD_I32LE) ==
          std::vector<std::int32_t>{-1, 7, 2147483647});
    CHECK(reader.dataset<std::int64_t>("/data/i64", H5T_NATIVE_INT64, H5T_STD_I64LE) ==
          std::vector<std::int64_t>{-5, 1LL << 40});
    CHECK(reader.dataset<double>("/data/empty", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE).empty());
    CHECK(reader.dataset<double>("/data/large", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) == large);
    CHECK(reader.string_dataset("/data/strings") ==
          std::vector<std::string>{"alpha", "", "\xc3\xa9t\xc3\xa9"});

    CHECK(reader.shape("/data/nested/cube") == std::vector<hsize_t>{4, 3, 2});
    const auto read_cube =
        reader.dataset<double>("/data/nested/cube", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE);
    REQUIRE(read_cube.size() == cube.size());
    for (std::size_t i = 0; i < cube.size(); ++i) {
        if (std::isnan(cube[i]))
            CHECK(std::isnan(read_cube[i]));
        else
            CHECK(read_cube[i] == cube[i]);
    }

    // Small 1-D data stays contiguous; large data and arrays are shuffled then deflated.
    CHECK(reader.layout("/data/i8").first.empty());
    const std::vector<H5Z_filter_t> compressed{H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE};
    CHECK(reader.layout("/data/large").second == compressed);
    CHECK(reader.layout("/data/nested/cube").first == std::vector<hsize_t>{4, 3, 2});
    CHECK(reader.layout("/data/nested/cube").second == compressed);
}

TEST_CASE("hdf5: large arrays are split along the leading dimension into chunks of <= 1 MiB") {
    essaim::test::TempDir dir;
    const auto path = dir.path / "chunks.h5";
    std::vector<double> values(2000 * 10 * 20, 1.0);  // 3.2 MB
    hdf5::write_file_atomically(path.string(), [&](hdf5::File& file) {
        file.write_array("daily", values, {2000, 10, 20});
        file.write_array("wide", std::vector<double>(3 * 100000, 2.0), {3, 100000});
        file.write_array("nothing", std::vector<double>{}, {0, 10, 20});
    });
    Reader reader(path);
    CHECK(reader.layout("/daily").first == std::vector<hsize_t>{500, 10, 20});
    // A single row over the limit is split along the next dimension.
    CHECK(reader.layout("/wide").first == std::vector<hsize_t>{1, 100000});
    CHECK(reader.shape("/nothing") == std::vector<hsize_t>{0, 10, 20});
    CHECK(reader.layout("/nothing").first.empty());
}

TEST_CASE("hdf5: a failed write leaves neither the target nor a temporary") {
    essaim::test::TempDir dir;
    const auto path = dir.path / "out.h5";
    CHECK_THROWS_WITH_AS(hdf5::write_file_atomically(path.string(),
                                                     [](hdf5::File& file) {
                                                         file.set_attr_int("partial", 1);
                                                         file.create_group("half");
                                                         throw std::runtime_error("midway");
                                                     }),
                         "midway", std::runtime_error);
    CHECK_FALSE(fs::exists(path));
    CHECK(dir.entries().empty());
}

TEST_CASE("hdf5: a failed write leaves an existing target untouched") {
    essaim::test::TempDir dir;
    const auto path = dir.path / "out.h5";
    hdf5::write_file_atomically(path.string(),
                                [](hdf5::File& file) { file.set_attr_int("generation", 1); });
    // Creating the same attribute twice is an HDF5 error, raised from inside the wrapper.
    try {
        hdf5::write_file_atomically(path.string(), [](hdf5::File& file) {
            file.set_attr_int("generation", 2);
            file.set_attr_int("generation", 3);
        });
        FAIL("expected an exception");
    } catch (const std::runtime_error& error) {
        const std::string message = error.what();
        CHECK(message.find(path.string()) != std::string::npos);
        CHECK(message.find("generation") != std::string::npos);
        CHECK(message.find(".tmp-") == std::string::npos);
    }
    CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
    Reader reader(path);
    CHECK(reader.scalar_attribute<std::int64_t>("/", "generation", H5T_NATIVE_INT64) == 1);
}

TEST_CASE("hdf5: errors name the file and the object") {
    essaim::test::TempDir dir;
    const auto missing = dir.path / "no-such-directory" / "out.h5";
    try {
        hdf5::write_file_atomically(missing.string(), [](hdf5::File&) {});
        FAIL("expected an exception");
    } catch (const std::runtime_error& error) {
        CHECK(std::string(error.what()).find(missing.string()) != std::string::npos);
    }
    CHECK_FALSE(fs::exists(missing.parent_path()));
    CHECK(dir.entries().empty());

    try {
        hdf5::write_file_atomically((dir.path / "shape.h5").string(), [](hdf5::File& file) {
            file.create_group("g").write_array("bad", std::vector<double>(5), {2, 3});
        });
        FAIL("expected an exception");
    } catch (const std::runtime_error& error) {
        CHECK(std::string(error.what()).find("/g/bad") != std::string::npos);
    }
    CHECK(dir.entries().empty());
}

TEST_CASE(
    "hdf5: the file is created exclusively: a link or a directory at its name is left alone") {
    essaim::test::TempDir dir;
    const std::string victim = dir.write("victim", "precious");
    fs::create_symlink(victim, dir.path / "link");
    fs::create_directory(dir.path / "planted");
    dir.write("planted/inside", "x");
    CHECK_FALSE(hdf5::File::create_new(dir.file("link")).has_value());
    CHECK_FALSE(hdf5::File::create_new(dir.file("planted")).has_value());
    std::ifstream in(victim);
    std::string text;
    std::getline(in, text);
    CHECK(text == "precious");
    CHECK(fs::exists(dir.path / "planted" / "inside"));
    CHECK(hdf5::File::create_new(dir.file("new.h5")).has_value());
}

TEST_CASE("hdf5: a target name of 253 bytes is written (the temporary's name is shortened)") {
    essaim::test::TempDir dir;
    const auto path = dir.path / std::string(253, 'n');
    hdf5::write_file_atomically(path.string(), [](hdf5::File& file) { file.set_attr_int("a", 1); });
    CHECK(dir.entries() == std::vector<std::string>{path.filename().string()});
}

// Runs `body` in a child whose files may not grow beyond `bytes` (write(2) then fails with
// EFBIG, as with a full disk); returns the child's exit status.
int in_child_with_file_limit(rlim_t bytes, const std::function<int()>& body) {
    std::fflush(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{bytes, bytes};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        ::_exit(body());
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    return status;
}

TEST_CASE("hdf5: a full disk is an IoError naming the file and the system's reason") {
    essaim::test::TempDir dir;
    const auto path = dir.path / "out.h5";
    hdf5::write_file_atomically(path.string(),
                                [](hdf5::File& file) { file.set_attr_int("generation", 1); });
    const auto before = fs::file_size(path);
    const int status = in_child_with_file_limit(before + 4096, [&] {
        try {
            hdf5::write_file_atomically(path.string(), [](hdf5::File& file) {
                file.set_attr_int("generation", 2);
                file.create_group("g").write_array("big", std::vector<double>(200000, 1.5),
                                                   {200000});
            });
        } catch (const IoError& e) {
            const std::string message = e.what();
            const bool named = message.find(path.string()) != std::string::npos;
            return named && message.find(std::strerror(EFBIG)) != std::string::npos ? 0 : 2;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 3;
        }
        return 4;
    });
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(dir.entries() == std::vector<std::string>{"out.h5"});
    Reader reader(path);
    CHECK(reader.scalar_attribute<std::int64_t>("/", "generation", H5T_NATIVE_INT64) == 1);
}

// A read-only file system stops root too, unlike permission bits; mounting one needs root.
TEST_CASE("hdf5: a read-only directory is an IoError with the system's reason") {
    essaim::test::TempDir dir;
    const auto mount_point = dir.path / "ro";
    fs::create_directory(mount_point);
    if (::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_RDONLY, "size=64k") != 0) {
        MESSAGE("skipped: cannot mount a read-only tmpfs here (" << std::strerror(errno) << ")");
        return;
    }
    const auto path = mount_point / "out.h5";
    try {
        hdf5::write_file_atomically(path.string(), [](hdf5::File&) {});
        FAIL("expected an exception");
    } catch (const IoError& e) {
        const std::string message = e.what();
        CHECK(message.find(path.string()) != std::string::npos);
        CHECK(message.find(std::strerror(EROFS)) != std::string::npos);
    }
    ::umount(mount_point.c_str());
}

TEST_CASE("hdf5: library version") {
    const std::string version = hdf5::library_version();
    CHECK(version.find('.') != std::string::npos);
    CHECK(version.rfind("1.", 0) == 0);
}
