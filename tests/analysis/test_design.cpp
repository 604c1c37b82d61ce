#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/design.hpp"
#include "tests/temp_dir.hpp"

using namespace essaim::analysis;
namespace fs = std::filesystem;

namespace {

// The DesignError `f` throws; a failed check when it throws none.
template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const DesignError& e) {
        return e.what();
    }
    FAIL("expected a DesignError");
    return "";
}

bool contains(const std::string& text, const std::string& fragment) {
    return text.find(fragment) != std::string::npos;
}

using Grid = std::pair<std::string, std::vector<std::string>>;

}  // namespace

TEST_CASE("design: a grid's values, spaces trimmed") {
    const Grid grid = parse_grid(" parcours.caseload = 20, 25 ,30");
    CHECK(grid.first == "parcours.caseload");
    CHECK(grid.second == std::vector<std::string>{"20", "25", "30"});
    CHECK(parse_grid("k=1").second == std::vector<std::string>{"1"});
}

TEST_CASE("design: an empty grid value is refused wherever it is") {
    // std::getline used to drop a trailing empty item: `k=20,` ran one point.
    for (const std::string text : {"k=20,", "k=,20", "k=20,,30", "k=20, ,30"}) {
        INFO("--grid " << text);
        const std::string message = error_of([&] { parse_grid(text); });
        CHECK(contains(message, "'" + text + "'"));
        CHECK(contains(message, "is empty"));
    }
    CHECK(contains(error_of([] { parse_grid("k=20,"); }), "value 2 is empty"));
    CHECK(contains(error_of([] { parse_grid("k=,20"); }), "value 1 is empty"));
    CHECK(contains(error_of([] { parse_grid("k="); }), "no values after '='"));
    CHECK(contains(error_of([] { parse_grid("=1,2"); }), "expected key.path=value1"));
}

TEST_CASE("design: a key given in two grids is refused") {
    const std::vector<Grid> grids{parse_grid("k=20,30"), parse_grid("other=1"), parse_grid("k=40")};
    const std::string message = error_of([&] { full_factorial(grids); });
    CHECK(contains(message, "key 'k' is given twice"));
    CHECK(full_factorial({parse_grid("k=20,30"), parse_grid("j=1,2,3")}).size() == 6);
}

TEST_CASE("design: CSV files") {
    essaim::test::TempDir dir;

    SUBCASE("a header and rows, quoted values keep their commas") {
        const std::string path = dir.write(
            "d.csv", "parcours.caseload, territory.A.coaches\n20,\"[[2019-07-01, 2]]\"\n");
        const std::vector<DesignPoint> points = read_design_csv(path);
        REQUIRE(points.size() == 1);
        CHECK(points[0] == DesignPoint{{"parcours.caseload", "20"},
                                       {"territory.A.coaches", "[[2019-07-01, 2]]"}});
    }
    SUBCASE("a UTF-8 byte-order mark (as spreadsheets write) is not part of the first key") {
        const std::string path =
            dir.write("bom.csv", "\xEF\xBB\xBFparcours.caseload,k\r\n20,1\r\n");
        const std::vector<DesignPoint> points = read_design_csv(path);
        REQUIRE(points.size() == 1);
        CHECK(points[0][0].first == "parcours.caseload");
        CHECK(points[0][1] == Setting{"k", "1"});
    }
    SUBCASE("a repeated column is refused, naming the file, the line and the key") {
        const std::string path = dir.write("rep.csv", "\n\nk,j,k\n1,2,3\n");
        const std::string message = error_of([&] { read_design_csv(path); });
        CHECK(message.starts_with(path + ":3: "));
        CHECK(contains(message, "column 'k' is given twice (columns 1 and 3)"));
    }
    SUBCASE("other errors name the file and the line") {
        const std::string path = dir.write("bad.csv", "k,j\n1,2\n1\n");
        CHECK(contains(error_of([&] { read_design_csv(path); }), path + ":3: expected 2 values"));
        const std::string empty = dir.write("empty.csv", "k,j\n1,\n");
        CHECK(
            contains(error_of([&] { read_design_csv(empty); }), empty + ":2: empty value for 'j'"));
        const std::string bad_key = dir.write("key.csv", "k\xff,k\xff\n1,2\n");
        // Messages stay valid UTF-8: the bad byte is spelled out.
        CHECK(contains(error_of([&] { read_design_csv(bad_key); }),
                       "column 'k\\xFF' is given twice"));
    }
    SUBCASE("only a regular file is read") {
        const std::string fifo = dir.file("pipe.csv");
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        CHECK(contains(error_of([&] { read_design_csv(fifo); }),
                       fifo + ": the design file is a FIFO"));
        CHECK(contains(error_of([&] { read_design_csv("/dev/zero"); }), "is a character device"));
        CHECK(contains(error_of([&] { read_design_csv(dir.path.string()); }), "is a directory"));
        CHECK(contains(error_of([&] { read_design_csv(dir.file("absent.csv")); }),
                       "cannot be read: No such file"));
        const std::string big = dir.file("big.csv");
        std::ofstream(big) << "k\n1\n";
        fs::resize_file(big, kMaxDesignBytes + 1);
        CHECK(contains(error_of([&] { read_design_csv(big); }), "larger than the limit of 64 MiB"));
    }
}
