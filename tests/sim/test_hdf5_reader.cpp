// The reader is checked against files made by the writer of sim/hdf5_file.hpp, and, for what that
// writer never produces (fixed-length strings, float32 attributes), by the plain C API.
#include <doctest/doctest.h>
#include <unistd.h>

#if __has_include(<hdf5.h>)
#include <hdf5.h>
#else
#include <hdf5/serial/hdf5.h>
#endif

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "sim/hdf5_file.hpp"
#include "sim/hdf5_reader.hpp"
#include "tests/temp_dir.hpp"

namespace fs = std::filesystem;
using namespace essaim;

namespace {

// The message of the ReadError thrown by `f`, or "" if none was thrown.
template <typename F>
std::string read_error(F&& f) {
    try {
        f();
    } catch (const hdf5::ReadError& e) {
        return e.what();
    }
    return {};
}

const double kNaN = std::numeric_limits<double>::quiet_NaN();

void write_sample(const std::string& path) {
    hdf5::File file = hdf5::File::create(path);
    file.set_attr_string("schema", "essaim-test");
    file.set_attr_int("schema_version", 1);
    const hdf5::Group group = file.create_group("data");
    group.set_attr_uint("seed", 18446744073709551615ull);
    group.set_attr_double("ratio", 0.1);
    group.set_attr_double("missing", kNaN);
    group.set_attr_strings("names", {"Béthune, \"Bruay\"", "", "Lille"});
    const std::vector<std::int8_t> small{-1, 0, 7};
    const std::vector<std::uint8_t> bytes{0, 255};
    const std::vector<std::int32_t> ints{-5, 2147483647};
    const std::vector<std::int64_t> longs{-9007199254740992, 3};
    const std::vector<double> doubles{0.1, kNaN, -2.5e-300};
    group.write_dataset("small", std::span<const std::int8_t>(small));
    group.write_dataset("bytes", std::span<const std::uint8_t>(bytes));
    group.write_dataset("ints", std::span<const std::int32_t>(ints));
    group.write_dataset("longs", std::span<const std::int64_t>(longs));
    const auto d = group.write_dataset("doubles", std::span<const double>(doubles));
    d.set_attr_strings("kpis", {"a", "b", "c"});
    group.write_strings("strings", {"Béthune, \"Bruay\"", "", "Gamma"});
    group.write_strings("no_strings", {});
    std::vector<double> cube(2 * 3 * 4);
    for (std::size_t i = 0; i < cube.size(); ++i) cube[i] = static_cast<double>(i) + 0.5;
    group.write_array("cube", cube, {2, 3, 4});
    group.create_group("nested").create_group("deeper");

    const hdf5::SlabWriter slabs = group.create_slabs("slabs", {3, 2, 5});
    for (std::size_t s = 0; s < 3; ++s) {
        std::vector<float> slab(10);
        for (std::size_t i = 0; i < slab.size(); ++i)
            slab[i] = static_cast<float>(s * 100 + i) + 0.25f;
        slabs.write_compressed(s, hdf5::compress_slab(slab));
    }
    file.close();
}

// What h5py writes for numpy byte strings: fixed-length, null-padded, ASCII; and a float32 and a
// space-padded attribute for good measure.
void add_fixed_length(const std::string& path) {
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(file >= 0);
    const hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, 6);
    H5Tset_strpad(type, H5T_STR_NULLPAD);
    const hsize_t dims[1] = {3};
    const hid_t space = H5Screate_simple(1, dims, nullptr);
    const char data[] =
        "abc\0\0\0sixsix"
        "x\0\0\0\0\0";
    const hid_t dataset =
        H5Dcreate2(file, "fixed", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(dataset >= 0);
    REQUIRE(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);

    const hid_t padded = H5Tcopy(H5T_C_S1);
    H5Tset_size(padded, 8);
    H5Tset_strpad(padded, H5T_STR_SPACEPAD);
    const hid_t scalar = H5Screate(H5S_SCALAR);
    const hid_t attribute = H5Acreate2(dataset, "label", padded, scalar, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Awrite(attribute, padded, "hi there") >= 0);
    const hid_t short_attribute =
        H5Acreate2(dataset, "short", padded, scalar, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Awrite(short_attribute, padded, "ok      ") >= 0);
    const float value = 0.1f;
    const hid_t float_attribute =
        H5Acreate2(dataset, "f32", H5T_IEEE_F32LE, scalar, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(H5Awrite(float_attribute, H5T_NATIVE_FLOAT, &value) >= 0);
    H5Aclose(float_attribute);
    H5Aclose(short_attribute);
    H5Aclose(attribute);
    H5Sclose(scalar);
    H5Tclose(padded);
    H5Dclose(dataset);
    H5Sclose(space);
    H5Tclose(type);
    H5Fclose(file);
}

}  // namespace

TEST_CASE("hdf5::Reader reads back values and shapes of every numeric type as double") {
    essaim::test::TempDir dir;
    const std::string path = dir.file("sample.h5");
    write_sample(path);
    const hdf5::Reader reader(path);
    CHECK(reader.path() == path);

    auto small = reader.read_array("/data/small");
    CHECK(small.shape == std::vector<std::size_t>{3});
    CHECK(small.values == std::vector<double>{-1, 0, 7});
    CHECK(reader.read_array("data/bytes").values == std::vector<double>{0, 255});
    CHECK(reader.read_array("data/ints").values == std::vector<double>{-5, 2147483647});
    CHECK(reader.read_array("data/longs").values == std::vector<double>{-9007199254740992.0, 3});

    const auto doubles = reader.read_array("data/doubles");
    REQUIRE(doubles.values.size() == 3);
    CHECK(doubles.values[0] == 0.1);
    CHECK(std::isnan(doubles.values[1]));
    CHECK(doubles.values[2] == -2.5e-300);

    const auto cube = reader.read_array("data/cube");
    CHECK(cube.shape == std::vector<std::size_t>{2, 3, 4});
    REQUIRE(cube.values.size() == 24);
    for (std::size_t i = 0; i < 24; ++i) CHECK(cube.values[i] == static_cast<double>(i) + 0.5);

    const auto cube_info = reader.info("data/cube");
    CHECK(cube_info.shape == std::vector<std::size_t>{2, 3, 4});
    CHECK(cube_info.kind == hdf5::ValueKind::floating);
    CHECK(cube_info.element_size == 8);
    CHECK(reader.info("data/slabs").element_size == 4);
    CHECK(reader.info("data/small").kind == hdf5::ValueKind::integer);
    CHECK(reader.info("data/strings").kind == hdf5::ValueKind::string);
    CHECK(reader.info("data/strings").element_size == 0);

    const auto slabs = reader.read_array("data/slabs");
    CHECK(slabs.shape == std::vector<std::size_t>{3, 2, 5});
    CHECK(slabs.values[10] == 100.25);
}

TEST_CASE("hdf5::Reader reads one slab at a time") {
    essaim::test::TempDir dir;
    const std::string path = dir.file("sample.h5");
    write_sample(path);
    const hdf5::Reader reader(path);
    for (std::size_t s = 0; s < 3; ++s) {
        const auto slab = reader.read_slab("data/slabs", s);
        CHECK(slab.shape == std::vector<std::size_t>{2, 5});
        REQUIRE(slab.values.size() == 10);
        for (std::size_t i = 0; i < 10; ++i)
            CHECK(slab.values[i] == static_cast<double>(s * 100 + i) + 0.25);
    }
    // Any numeric dataset can be read by its first index.
    const auto row = reader.read_slab("data/cube", 1);
    CHECK(row.shape == std::vector<std::size_t>{3, 4});
    CHECK(row.values.front() == 12.5);
    CHECK(row.values.back() == 23.5);
    const auto message = read_error([&] { reader.read_slab("data/slabs", 3); });
    CHECK(message.find("out of range") != std::string::npos);
    CHECK(message.find(path) != std::string::npos);
}

TEST_CASE("hdf5::Reader reads variable- and fixed-length strings") {
    essaim::test::TempDir dir;
    const std::string path = dir.file("sample.h5");
    write_sample(path);
    add_fixed_length(path);
    const hdf5::Reader reader(path);
    CHECK(reader.read_strings("data/strings") ==
          std::vector<std::string>{"Béthune, \"Bruay\"", "", "Gamma"});
    CHECK(reader.read_strings("data/no_strings").empty());
    CHECK(reader.read_strings("fixed") == std::vector<std::string>{"abc", "sixsix", "x"});
    CHECK(reader.info("fixed").element_size == 6);
    CHECK(reader.attr_string("fixed", "label") == "hi there");
    CHECK(reader.attr_string("fixed", "short") == "ok");
    CHECK(reader.attr_double("fixed", "f32") == static_cast<double>(0.1f));
    // The shortest text that reads back as the same float32, not its double expansion.
    bool found = false;
    for (const auto& [name, text] : reader.attributes("fixed"))
        if (name == "f32") {
            found = true;
            CHECK(text == "0.1");
        }
    CHECK(found);
    CHECK(!read_error([&] { reader.read_array("data/strings"); }).empty());
    CHECK(!read_error([&] { reader.read_strings("data/ints"); }).empty());
}

TEST_CASE("hdf5::Reader reads attributes") {
    essaim::test::TempDir dir;
    const std::string path = dir.file("sample.h5");
    write_sample(path);
    const hdf5::Reader reader(path);
    CHECK(reader.attr_string("/", "schema") == "essaim-test");
    CHECK(reader.attr_double("/", "schema_version") == 1);
    CHECK(reader.attr_double("data", "ratio") == 0.1);
    CHECK(std::isnan(reader.attr_double("data", "missing")));
    CHECK(reader.attr_strings("data", "names") ==
          std::vector<std::string>{"Béthune, \"Bruay\"", "", "Lille"});
    CHECK(reader.attr_strings("data/doubles", "kpis") == std::vector<std::string>{"a", "b", "c"});
    CHECK(reader.has_attr("data", "seed"));
    CHECK(!reader.has_attr("data", "nope"));
    CHECK(!reader.has_attr("nowhere/at/all", "seed"));

    const auto all = reader.attributes("data");
    std::vector<std::string> names;
    for (const auto& [name, text] : all) names.push_back(name);
    CHECK(names == std::vector<std::string>{"missing", "names", "ratio", "seed"});
    CHECK(all[0].second == "nan");
    CHECK(all[2].second == "0.1");
    CHECK(all[3].second == "18446744073709551615");  // exactly, which a double could not hold

    auto message = read_error([&] { reader.attr_string("data", "nope"); });
    CHECK(message.find("nope") != std::string::npos);
    CHECK(message.find(path) != std::string::npos);
    CHECK(!read_error([&] { reader.attr_string("data", "names"); }).empty());  // three, not one
    CHECK(!read_error([&] { reader.attr_double("data", "names"); }).empty());
}

TEST_CASE("hdf5::Reader lists members and tells what exists") {
    essaim::test::TempDir dir;
    const std::string path = dir.file("sample.h5");
    write_sample(path);
    const hdf5::Reader reader(path);
    CHECK(reader.members("/") == std::vector<std::string>{"data"});
    CHECK(reader.members("data") == std::vector<std::string>{"bytes", "cube", "doubles", "ints",
                                                             "longs", "nested", "no_strings",
                                                             "slabs", "small", "strings"});
    CHECK(reader.members("/data/nested") == std::vector<std::string>{"deeper"});
    CHECK(reader.exists("/"));
    CHECK(reader.exists("data/nested/deeper"));
    CHECK(reader.exists("/data/cube"));
    CHECK(!reader.exists("/data/nothing"));
    CHECK(!reader.exists("missing/intermediate/group"));
    CHECK(reader.is_group("data/nested"));
    CHECK(!reader.is_group("data/cube"));
    CHECK(!reader.is_group("not/there"));
    CHECK(!read_error([&] { reader.members("data/cube"); }).empty());
    CHECK(!read_error([&] { reader.members("nope"); }).empty());
}

TEST_CASE("hdf5::Reader reports bad input as ReadError naming the file") {
    essaim::test::TempDir dir;
    const std::string missing = dir.file("missing.h5");
    auto message = read_error([&] { hdf5::Reader reader(missing); });
    CHECK(message.find(missing) != std::string::npos);

    const std::string text = dir.file("text.h5");
    std::ofstream(text) << "not an HDF5 file\n";
    message = read_error([&] { hdf5::Reader reader(text); });
    CHECK(message.find(text) != std::string::npos);
    CHECK(message.find("not an HDF5 file") != std::string::npos);

    message = read_error([&] { hdf5::Reader reader(dir.path.string()); });
    CHECK(message.find(dir.path.string()) != std::string::npos);

    const std::string path = dir.file("sample.h5");
    write_sample(path);
    const hdf5::Reader reader(path);
    message = read_error([&] { reader.read_array("data/nothing"); });
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find("/data/nothing") != std::string::npos);
    message = read_error([&] { reader.read_strings("no/such/thing"); });
    CHECK(message.find("/no/such/thing") != std::string::npos);
    CHECK(!read_error([&] { reader.read_slab("data/nothing", 0); }).empty());
    CHECK(!read_error([&] { reader.attributes("data/nothing"); }).empty());
}
