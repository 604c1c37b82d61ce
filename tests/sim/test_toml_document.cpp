#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "sim/toml_document.hpp"
#include "tests/temp_dir.hpp"

using namespace essaim;
namespace fs = std::filesystem;

namespace {

const TomlNode& at(const TomlNode& node, std::string_view key) {
    const TomlNode* found = node.find(key);
    REQUIRE_MESSAGE(found != nullptr, "missing key " << key);
    return *found;
}

template <class F>
TomlError error_of(F&& f) {
    try {
        f();
    } catch (const TomlError& e) {
        return e;
    }
    FAIL("expected a TomlError");
    return TomlError({}, "", "");
}

// `n` copies of `segment` joined by dots.
std::string dotted(std::size_t n, const std::string& segment = "a") {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        if (i) out += '.';
        out += segment;
    }
    return out;
}

// GCC 12 warns (-Wrestrict, falsely) at `"literal" + std::string(...)`; appending does not.
template <class... Parts>
std::string concat(const Parts&... parts) {
    std::string out;
    (out += ... += parts);
    return out;
}

std::string repeated(std::size_t n, const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += text;
    return out;
}

bool mentions(const TomlError& e, const std::string& fragment) {
    return std::string(e.what()).find(fragment) != std::string::npos;
}

}  // namespace

TEST_CASE("toml_document: values, positions and document order") {
    const TomlNode root = parse_toml_text(
        "[b]\nz = 1\na = 2.5\n\n[a]\ns = \"x\"\nd = 2019-07-01\nflag = true\n", "f.toml");
    REQUIRE(root.members.size() == 2);
    CHECK(root.members[0].key == "b");  // document order, not toml++'s sorted order
    CHECK(root.members[1].key == "a");
    const TomlNode& b = at(root, "b");
    CHECK(b.members[0].key == "z");
    CHECK(at(b, "z").kind == TomlNode::Kind::integer);
    CHECK(at(b, "z").integer == 1);
    CHECK(at(b, "a").floating == doctest::Approx(2.5));
    CHECK(at(b, "a").where.file == "f.toml");
    CHECK(at(b, "a").where.line == 3);
    CHECK(at(b, "a").where.column == 5);
    CHECK(at(b, "a").key_where.column == 1);
    const TomlNode& a = at(root, "a");
    CHECK(at(a, "d").kind == TomlNode::Kind::date);
    CHECK(at(a, "d").date == Date{2019, 7, 1});
    CHECK(at(a, "flag").boolean);
    CHECK(at(a, "s").describe() == "\"x\"");
    CHECK(a.describe() == "a table");
}

TEST_CASE("toml_document: describe spells floats as floats") {
    const TomlNode root = parse_toml_text("i = -3\nf = 456.0\ng = 0.1\na = [1]\n", "f.toml");
    CHECK(at(root, "i").describe() == "-3");
    CHECK(at(root, "f").describe() == "456.0");
    CHECK(at(root, "g").describe() == "0.1");
    CHECK(at(root, "a").describe() == "an array");
}

TEST_CASE("toml_document: a syntax error is located") {
    const TomlError e = error_of([] { parse_toml_text("a = 1\nb = = 2\n", "bad.toml"); });
    CHECK(e.where().file == "bad.toml");
    CHECK(e.where().line == 2);
    CHECK(std::string(e.what()).starts_with("bad.toml:2:"));
    CHECK(e.message().find("TOML syntax error") != std::string::npos);
}

TEST_CASE("toml_document: extends deep-merges tables and replaces arrays wholesale") {
    essaim::test::TempDir dir;
    dir.write("base/base.toml",
              "[p]\nx = 1\ny = 2\n[p.q]\nu = 1\nv = 2\n"
              "[[item]]\nname = \"A\"\n[[item]]\nname = \"B\"\n"
              "list = [1, 2, 3]\n");
    dir.write("base/mid.toml", "extends = \"base.toml\"\n[p]\ny = 20\n[p.q]\nv = 200\n");
    const std::string top =
        dir.write("top.toml", "extends = \"base/mid.toml\"\n[p]\nz = 3\n[[item]]\nname = \"C\"\n");
    const TomlNode root = load_toml_file(top);
    CHECK(root.find("extends") == nullptr);
    const TomlNode& p = at(root, "p");
    CHECK(at(p, "x").integer == 1);
    CHECK(at(p, "y").integer == 20);
    CHECK(at(p, "z").integer == 3);
    CHECK(at(at(p, "q"), "u").integer == 1);
    CHECK(at(at(p, "q"), "v").integer == 200);
    // Each value points to the file that wrote it.
    CHECK(fs::path(at(p, "x").where.file).filename() == "base.toml");
    CHECK(at(p, "x").where.line == 2);
    CHECK(fs::path(at(p, "y").where.file).filename() == "mid.toml");
    CHECK(at(p, "y").where.line == 3);
    CHECK(at(p, "z").where.file == top);
    // The array of tables of the variant replaces the base's.
    const TomlNode& item = at(root, "item");
    REQUIRE(item.items.size() == 1);
    CHECK(at(item.items[0], "name").text == "C");
}

TEST_CASE("toml_document: extends resolves against the text's source name") {
    essaim::test::TempDir dir;
    dir.write("base.toml", "a = 1\nb = 2\n");
    const TomlNode root =
        parse_toml_text("extends = \"base.toml\"\nb = 3\n", (dir.path / "virtual.toml").string());
    CHECK(at(root, "a").integer == 1);
    CHECK(at(root, "b").integer == 3);
}

TEST_CASE("toml_document: extends cycles, missing files and bad values are reported") {
    essaim::test::TempDir dir;
    dir.write("a.toml", "extends = \"b.toml\"\nx = 1\n");
    dir.write("b.toml", "x = 0\nextends = \"a.toml\"\n");
    const std::string self = dir.write("self.toml", "extends = \"self.toml\"\n");
    const std::string missing = dir.write("missing.toml", "\nextends = \"nope.toml\"\n");
    const std::string wrong = dir.write("wrong.toml", "extends = 3\n");

    TomlError e = error_of([&] { load_toml_file((dir.path / "a.toml").string()); });
    CHECK(e.key() == "extends");
    CHECK(e.message().find("cycle") != std::string::npos);
    CHECK(fs::path(e.where().file).filename() == "b.toml");
    CHECK(e.where().line == 2);

    e = error_of([&] { load_toml_file(self); });
    CHECK(e.message().find("cycle") != std::string::npos);

    e = error_of([&] { load_toml_file(missing); });
    CHECK(e.where().line == 2);
    CHECK(e.message().find("cannot read") != std::string::npos);

    e = error_of([&] { load_toml_file(wrong); });
    CHECK(e.key() == "extends");
    CHECK(e.message().find("got 3") != std::string::npos);

    e = error_of([&] { load_toml_file((dir.path / "absent.toml").string()); });
    CHECK(e.message().find("cannot read") != std::string::npos);
}

TEST_CASE("toml_document: --set overrides") {
    TomlNode root = parse_toml_text(
        "[parcours]\ncaseload = 30\nmode = \"integrated\"\n"
        "[[territory]]\nname = \"Alpha\"\ncaseload = 30\n"
        "[[territory]]\nname = \"Beta\"\ncaseload = 25\n",
        "f.toml");

    SUBCASE("scalar, read as TOML, positioned at --set") {
        apply_override(root, "parcours.caseload=20");
        const TomlNode& v = at(at(root, "parcours"), "caseload");
        CHECK(v.kind == TomlNode::Kind::integer);
        CHECK(v.integer == 20);
        CHECK(v.where.file == "--set");
        CHECK(v.where.line == 0);
    }
    SUBCASE("a value that is not TOML is a string") {
        apply_override(root, "parcours.mode=sequential");
        CHECK(at(at(root, "parcours"), "mode").text == "sequential");
        apply_override(root, "parcours.mode = \"integrated\"");
        CHECK(at(at(root, "parcours"), "mode").text == "integrated");
    }
    SUBCASE("dates, arrays and inline tables") {
        apply_override(root, "scenario.start=2019-07-01");
        CHECK(at(at(root, "scenario"), "start").date == Date{2019, 7, 1});
        apply_override(root, "x.y=[[2019-07-01, 2], [2020-01-01, 3]]");
        CHECK(at(at(root, "x"), "y").items.size() == 2);
        apply_override(root, "x.z={ a = 1 }");
        CHECK(at(at(at(root, "x"), "z"), "a").where.file == "--set");
    }
    SUBCASE("nested new keys create tables") {
        apply_override(root, "barriers.mobility.beta=0.5");
        const TomlNode& beta = at(at(at(root, "barriers"), "mobility"), "beta");
        CHECK(beta.floating == doctest::Approx(0.5));
    }
    SUBCASE("array of tables by name and by index") {
        apply_override(root, "territory.Beta.caseload=20");
        apply_override(root, "territory.0.caseload=12");
        const TomlNode& territory = at(root, "territory");
        CHECK(at(territory.items[1], "caseload").integer == 20);
        CHECK(at(territory.items[0], "caseload").integer == 12);
        apply_override(root, "territory.2={ name = \"Gamma\" }");  // index == size appends
        REQUIRE(territory.items.size() == 3);
        CHECK(at(territory.items[2], "name").text == "Gamma");
    }
    SUBCASE("errors") {
        TomlError e = error_of([&] { apply_override(root, "parcours.caseload"); });
        CHECK(e.where().file == "--set");
        CHECK(e.message().find("key.path=value") != std::string::npos);
        e = error_of([&] { apply_override(root, "=3"); });
        CHECK(e.message().find("non-empty key") != std::string::npos);
        e = error_of([&] { apply_override(root, "parcours..caseload=3"); });
        CHECK(e.message().find("non-empty key") != std::string::npos);
        e = error_of([&] { apply_override(root, "territory.Btea.caseload=3"); });
        CHECK(e.key() == "territory.Btea");
        CHECK(e.message().find("did you mean 'Beta'") != std::string::npos);
        e = error_of([&] { apply_override(root, "territory.7.caseload=3"); });
        CHECK(e.message().find("out of range") != std::string::npos);
        e = error_of([&] { apply_override(root, "parcours.caseload.x=3"); });
        CHECK(e.key() == "parcours.caseload.x");
        CHECK(std::string(e.what()) ==
              "--set: parcours.caseload.x: cannot set a key inside 'parcours.caseload', which "
              "is 30, not a table");
    }
}

TEST_CASE("toml_document: re-serialisation reads back to the same document") {
    const std::string text =
        "title = \"a \\\"quoted\\\" name\"\n"
        "[p]\nh = 0.0222222\nthird = 0.3333333333333333\nn = 456.0\nd = 2019-07-01\n"
        "\"odd key\" = 1\n"
        "[p.deep.deeper]\nx = [1, 2]\n"
        "[[t]]\nname = \"A\"\nsectors = { a = 0.5, b = 0.5 }\ncoaches = [[2019-07-01, 2]]\n"
        "[t.profile.duration]\nlt1y = 1.0\n"
        "[[t]]\nname = \"B\"\n"
        "[empty]\n";
    const TomlNode root = parse_toml_text(text, "f.toml");
    const std::string once = to_toml_text(root);
    const TomlNode again = parse_toml_text(once, "g.toml");
    CHECK(to_toml_text(again) == once);
    CHECK(once.find("h = 0.0222222\n") != std::string::npos);  // shortest round-trip spelling
    CHECK(once.find("n = 456.0\n") != std::string::npos);
    CHECK(at(at(again, "p"), "third").floating == at(at(root, "p"), "third").floating);
    CHECK(at(again, "title").text == "a \"quoted\" name");
    CHECK(at(at(again, "t").items[0], "profile").is_table());
    CHECK(at(again, "empty").is_table());
    CHECK(at(at(again, "p"), "odd key").integer == 1);
}

TEST_CASE("toml_document: did-you-mean hints") {
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("caseload", "caseload") == 0);
    const std::vector<std::string> keys{"caseload", "caseload_ref", "contacts_per_week"};
    CHECK(closest_name("casload", keys) == "caseload");
    CHECK(closest_name("caseload_rf", keys) == "caseload_ref");
    CHECK(closest_name("contacts", keys) == "contacts_per_week");  // a prefix
    CHECK_FALSE(closest_name("something_else", keys).has_value());
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs (issue 7, items 7 to 9)

TEST_CASE("toml_document: only regular files are read, as the file or as an extends target") {
    essaim::test::TempDir dir;
    const std::string directory = dir.path.string() + "/sub";
    fs::create_directories(directory);
    const std::string fifo = dir.file("pipe.toml");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // (path, what the message calls it); /dev/zero never ends, opening a FIFO blocks.
    const std::vector<std::pair<std::string, std::string>> cases{
        {directory, "is a directory"},
        {"/dev/zero", "is a character device"},
        {"/dev/null", "is a character device"},
        {fifo, "is a FIFO"}};
    for (const auto& [path, kind] : cases) {
        INFO("path: " << path);
        TomlError e = error_of([&] { load_toml_file(path); });
        CHECK(e.where().file == path);
        CHECK(e.message().starts_with(kind));
        CHECK(e.message().find("regular file") != std::string::npos);

        const std::string top =
            dir.write("top.toml", "x = 1\nextends = \"" + fs::absolute(path).string() + "\"\n");
        e = error_of([&] { load_toml_file(top); });
        CHECK(e.where().file == top);
        CHECK(e.where().line == 2);
        CHECK(e.key() == "extends");
        CHECK(e.message().find("'" + path + "' " + kind) != std::string::npos);
    }
}

TEST_CASE("toml_document: a file over the size limit is refused before it is read") {
    essaim::test::TempDir dir;
    const std::string big = dir.file("big.toml");
    std::ofstream(big) << "x = 1\n";
    fs::resize_file(big, kMaxFileBytes + 1);  // sparse: nothing is written
    TomlError e = error_of([&] { load_toml_file(big); });
    CHECK(e.where().file == big);
    CHECK(e.message().find(std::to_string(kMaxFileBytes + 1) + " bytes") != std::string::npos);
    CHECK(e.message().find("64 MiB") != std::string::npos);

    const std::string top = dir.write("top.toml", "extends = \"big.toml\"\n");
    e = error_of([&] { load_toml_file(top); });
    CHECK(e.key() == "extends");
    CHECK(e.where().line == 1);
    CHECK(e.message().find("64 MiB") != std::string::npos);

    e = error_of([&] { parse_toml_text(std::string(kMaxFileBytes + 1, ' '), "text.toml"); });
    CHECK(e.message().find("64 MiB") != std::string::npos);
}

TEST_CASE("toml_document: extends chains are limited to 64 links") {
    essaim::test::TempDir dir;
    // f0 extends f1 ... extends f{links}; f{links} extends nothing.
    auto chain = [&](std::size_t links) {
        for (std::size_t i = 0; i <= links; ++i) {
            const std::string next =
                i < links ? concat("extends = \"f", std::to_string(i + 1), ".toml\"\n") : "";
            dir.write(concat("f", std::to_string(i), ".toml"),
                      concat("k", std::to_string(i), " = ", std::to_string(i), "\n", next));
        }
        return dir.file("f0.toml");
    };
    const TomlNode root = load_toml_file(chain(kMaxExtendsDepth));
    CHECK(at(root, "k0").integer == 0);
    CHECK(at(root, "k64").integer == 64);

    const TomlError e = error_of([&] { load_toml_file(chain(kMaxExtendsDepth + 1)); });
    CHECK(e.key() == "extends");
    CHECK(fs::path(e.where().file).filename() == "f64.toml");
    CHECK(e.where().line == 2);
    CHECK(e.message().find("more than 64 extends links") != std::string::npos);
}

TEST_CASE("toml_document: nesting deeper than 64 levels is refused where it is written") {
    SUBCASE("a header of 64 segments is read, 65 or 30,000 are not") {
        const TomlNode root = parse_toml_text(concat("[", dotted(64), "]\n"), "f.toml");
        CHECK(at(root, "a").is_table());
        const TomlError e65 =
            error_of([] { parse_toml_text(concat("[", dotted(65), "]\n"), "f.toml"); });
        CHECK(e65.where().line == 1);
        CHECK(e65.where().column == 2 + 64 * 2);  // the 65th segment
        CHECK(e65.key() == dotted(65));
        CHECK(e65.message().find("nested more than 64 levels") != std::string::npos);
        const TomlError e = error_of([] {
            parse_toml_text("x = 1\n\n[" + dotted(30000, "ab") + "]\ny = 2\n", "deep.toml");
        });
        CHECK(std::string(e.what()).starts_with("deep.toml:3:" + std::to_string(2 + 64 * 3)));
        CHECK(e.key().starts_with("ab.ab.ab"));
        CHECK(e.key().size() < 500);  // the key is shortened, not 90,000 bytes
    }
    SUBCASE("an array of tables' items are one level below the array") {
        CHECK_NOTHROW(parse_toml_text("[[" + dotted(63) + "]]\n", "f.toml"));
        const TomlError e = error_of([] { parse_toml_text("[[" + dotted(64) + "]]\n", "f.toml"); });
        CHECK(e.where().column == 1);
    }
    SUBCASE("dotted keys count below their header, inline tables too") {
        CHECK_NOTHROW(
            parse_toml_text(concat("[", dotted(32), "]\n", dotted(32), " = 1\n"), "f.toml"));
        TomlError e = error_of([] {
            parse_toml_text(concat("[", dotted(32), "]\n", dotted(33), " = 1\n"), "f.toml");
        });
        CHECK(e.where().line == 2);
        CHECK(e.key() == dotted(65));
        e = error_of([] { parse_toml_text("x = { " + dotted(300000) + " = 1 }\n", "f.toml"); });
        CHECK(e.where().column == 7 + 63 * 2);
        CHECK(e.key().starts_with("x.a.a"));
        e = error_of([] {
            parse_toml_text("x = " + repeated(64, "{ a = ") + "1" + repeated(64, " }") + "\n",
                            "f.toml");
        });
        CHECK(e.key() == "x." + dotted(64));
    }
    SUBCASE("arrays in arrays: 63 brackets below a key are read, 64 are not") {
        const TomlNode root =
            parse_toml_text("x = " + repeated(63, "[") + "1" + repeated(63, "]") + "\n", "f.toml");
        CHECK(at(root, "x").is_array());
        const TomlError e = error_of([] {
            parse_toml_text("\nx = " + repeated(64, "[") + "1" + repeated(64, "]") + "\n",
                            "f.toml");
        });
        CHECK(e.where().line == 2);
        CHECK(e.where().column == 5 + 64);  // the 1 inside the 64th bracket is at level 65
        CHECK(e.key() == "x");
        // Beyond toml++'s own limit (256), the depth is still ours to report.
        CHECK(mentions(error_of([] { parse_toml_text("x = " + repeated(30000, "["), "f.toml"); }),
                       "nested more than 64 levels"));
    }
    SUBCASE("a header inside arrays of tables: each item is a level too") {
        // [[a]] then [[a.a]] ...: every segment names an array and then its last item, so 40
        // segments reach level 81; this is found once the tree is read, before any use of it.
        std::string text;
        for (std::size_t n = 1; n <= 40; ++n) text += concat("[[", dotted(n), "]]\n");
        const TomlError e = error_of([&] { parse_toml_text(text, "f.toml"); });
        CHECK(e.where().file == "f.toml");
        CHECK(e.where().line == 33);  // [[a x 33]]: its item is at level 2 * 33 = 66
        CHECK(e.key().starts_with("a.0.a.0.a.0"));
        CHECK(e.message().find("nested more than 64 levels") != std::string::npos);
        text.resize(text.find("[[" + dotted(33)));
        CHECK_NOTHROW(parse_toml_text(text, "f.toml"));
    }
    SUBCASE("brackets, braces and dots inside strings and comments are not structure") {
        const std::string text = "\"" + dotted(100) + "\" = '" + repeated(100, "[") + "'\n" +
                                 "s = \"\"\"\n" + repeated(100, "{[") + "\\\"\"\"\n\"\"\"\"\n" +
                                 "l = '''" + repeated(100, "[") + "''''\n" + "# [" + dotted(100) +
                                 "]\n" + "[t]\nd = 1979-05-27 07:32:00.999\nf = 1.5e3\n" +
                                 "a = [ # " + repeated(100, "[") +
                                 "\n  \"]\", '[', { q = \"[{\" },\n]\n";
        const TomlNode root = parse_toml_text(text, "f.toml");
        CHECK(at(root, dotted(100)).text == repeated(100, "["));
        CHECK(at(root, "l").text == repeated(100, "[") + "'");
        CHECK(at(at(root, "t"), "a").items.size() == 3);
    }
}

TEST_CASE("toml_document: --set key paths and values are bounded too") {
    TomlNode root = parse_toml_text("[p]\nx = 1\n", "f.toml");
    apply_override(root, dotted(64) + "=1");
    TomlError e = error_of([&] { apply_override(root, dotted(5000) + "=1"); });
    CHECK(e.where().file == "--set");
    CHECK(e.key().starts_with("a.a.a"));
    CHECK(e.key().size() < 500);
    CHECK(e.message().find("5000 segments") != std::string::npos);
    CHECK(e.message().find("64 levels") != std::string::npos);

    // The key path's depth and the value's add up.
    apply_override(root, "b." + dotted(60) + "=[[[1]]]");
    e = error_of([&] { apply_override(root, "b." + dotted(61) + "=[[[1]]]"); });
    CHECK(e.key() == "b." + dotted(61));
    CHECK(e.message().find("nested more than 64 levels") != std::string::npos);
    e = error_of([&] { apply_override(root, "p.y={ " + dotted(300000) + " = 1 }"); });
    CHECK(e.where().file == "--set");
    CHECK(e.key() == "p.y");
}

TEST_CASE("toml_document: strings and keys are UTF-8 without NUL") {
    SUBCASE("a NUL in a string or a key of a file, named by its key path") {
        TomlError e = error_of([] {
            parse_toml_text("[[t]]\nname = \"a\"\n[[t]]\nname = \"a\\u0000b\"\n", "f.toml");
        });
        CHECK(e.where().line == 4);
        CHECK(e.key() == "t.1.name");
        CHECK(e.message() ==
              "expected a string without the NUL character (\\u0000), got \"a\\u0000b\"");
        e = error_of([] { parse_toml_text("x = [\"ok\", \"\\u0000\"]\n", "f.toml"); });
        CHECK(e.key() == "x.1");
        e = error_of([] { parse_toml_text("[p]\n\"a\\u0000b\" = 1\n", "f.toml"); });
        CHECK(e.where().line == 2);
        CHECK(e.key() == "p.a\\x00b");
        CHECK(e.message().find("a key without the NUL") != std::string::npos);
    }
    SUBCASE("--set: a NUL or invalid UTF-8 in the value or in the key path") {
        TomlNode root = parse_toml_text("[p]\nx = 1\n", "f.toml");
        TomlError e = error_of([&] { apply_override(root, "p.name=\"a\\u0000b\""); });
        CHECK(e.where().file == "--set");
        CHECK(e.key() == "p.name");
        e = error_of([&] { apply_override(root, "p.name=\xff"); });
        CHECK(e.key() == "p.name");
        CHECK(e.message() == "expected a string in valid UTF-8, got \"\\xFF\"");
        e = error_of([&] { apply_override(root, "p.name=\"caf\xc3\""); });  // a cut character
        CHECK(e.message().find("\\xC3") != std::string::npos);
        e = error_of([&] { apply_override(root, "p.n\xffme=1"); });
        CHECK(e.key() == "p.n\\xFFme");
        CHECK(e.message().find("a key path in valid UTF-8") != std::string::npos);
        e = error_of([&] { apply_override(root, std::string("p.n\0me=1", 8)); });
        CHECK(e.key() == "p.n\\x00me");
        CHECK(at(root, "p").find("name") == nullptr);         // nothing was set
        apply_override(root, "p.name=Saint-\xc3\x89tienne");  // valid UTF-8 is fine
        CHECK(at(at(root, "p"), "name").text == "Saint-\xc3\x89tienne");
    }
}

TEST_CASE("toml_document: messages stay valid UTF-8 whatever the input held") {
    CHECK(is_valid_utf8("Saint-\xc3\x89tienne \xf0\x9f\x90\x9d"));
    CHECK_FALSE(is_valid_utf8("\xff"));
    CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // a surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    CHECK(printable(std::string("a\xff\xc3\x89\0b", 6)) == "a\\xFF\xc3\x89\\x00b");
    CHECK(printable(printable("\xfe")) == printable("\xfe"));
    TomlNode node;
    node.kind = TomlNode::Kind::string;
    node.text = "a\xff";
    CHECK(node.describe() == "\"a\\xFF\"");
    const TomlError e({"dir\xff/f.toml", 1, 2}, "k\xfe", "got \xfd");
    CHECK(std::string(e.what()) == "dir\\xFF/f.toml:1:2: k\\xFE: got \\xFD");
    CHECK(e.key() == "k\\xFE");
    CHECK(e.where().file == "dir\\xFF/f.toml");
}

TEST_CASE("toml_document: key.path*=factor multiplies every number of a family") {
    TomlNode root = parse_toml_text(
        "[[territory]]\nname = \"A\"\npool = 101\ncoaches = [[2019-07-01, 2], [2020-01-01, 3.5]]\n"
        "[[territory]]\nname = \"B\"\npool = 10\ncoaches = [[2019-07-01, 1]]\n",
        "f.toml");
    apply_override(root, "territory.*.coaches*=2");
    const TomlNode& a = root.find("territory")->items[0];
    CHECK(a.find("coaches")->items[0].items[1].integer == 4);
    CHECK(a.find("coaches")->items[1].items[1].floating == doctest::Approx(7.0));
    CHECK(a.find("coaches")->items[0].items[0].kind == TomlNode::Kind::date);  // dates untouched
    CHECK(root.find("territory")->items[1].find("coaches")->items[0].items[1].integer == 2);
    CHECK(a.find("pool")->integer == 101);  // outside the family
    apply_override(root, "territory.B.pool*=1.26");  // integers stay integers, rounded
    CHECK(root.find("territory")->items[1].find("pool")->integer == 13);
    CHECK(root.find("territory")->items[0].find("pool")->integer == 101);
    CHECK_THROWS_AS(apply_override(root, "territory.*.pool*=twice"), TomlError);
    CHECK_THROWS_AS(apply_override(root, "territory.*.absent*=2"), TomlError);
}
