#include <doctest/doctest.h>

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
