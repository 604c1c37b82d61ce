// Targets files of `essaim calibrate` (experiment/calibration_targets.hpp): what a valid file
// gives, every error located at file:line:column with its key (and "did you mean" where a name
// is close), and the resolution of KPI references against a model without dates (binomial) and
// one with territories and dates (Dest1's docking scenario).
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "experiment/calibration_targets.hpp"
#include "models/analytic/analytic.hpp"
#include "models/dest1/dest1_model.hpp"

using namespace essaim;
using namespace essaim::experiment;

namespace {

const std::string kDocking = ESSAIM_SOURCE_DIR "/scenarios/docking.toml";

// The error a targets text gives ("no error" when it reads).
std::string read_error(const std::string& text) {
    try {
        read_targets_text(text, "targets.toml");
    } catch (const TomlError& e) {
        return e.what();
    }
    return "no error";
}

// The error resolving a (valid) targets text against a model's scenario gives.
std::string resolve_error(const std::string& text, const Model& model,
                          const ModelScenario& scenario) {
    auto targets = read_targets_text(text, "targets.toml");
    try {
        resolve_targets(targets, model, scenario);
    } catch (const TomlError& e) {
        return e.what();
    }
    return "no error";
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::size_t kpi_index(const Model& model, const std::string& name) {
    const auto& kpis = model.kpis();
    for (std::size_t k = 0; k < kpis.size(); ++k)
        if (kpis[k].name == name) return k;
    FAIL("no KPI " << name);
    return 0;
}

}  // namespace

TEST_CASE("calibration targets: a valid file, every form") {
    const auto targets = read_targets_text(R"(
[[target]]
kpi = "entries"
value = 400
scale = 25

[[target]]
name = "job rate"
kpi = "  entrants_with_job /entries  "
at = 2020-12-01
value = 0.33
scale = 0.05

[[target]]
name = "job rate, mid-2020"
ratio = ["territory.Alpha.job_starts", "territory.Alpha.entries"]
from = 2020-07-06
to = 2020-10-31
value = 1.5e0
scale = 1

[[target]]
name = "same day range"
kpi = "entries"
from = 2020-07-06
to = 2020-07-06
value = -3
scale = 0.5
)",
                                           "targets.toml");
    REQUIRE(targets.size() == 4);
    const auto& a = targets[0];
    CHECK(a.name == "entries");  // the name defaults to the KPI
    CHECK(a.numerator == "entries");
    CHECK(a.denominator.empty());
    CHECK(!a.dated);
    CHECK(a.date_text().empty());
    CHECK(a.value == 400);
    CHECK(a.scale == 25);
    CHECK(a.kpi_text() == "entries");
    CHECK(a.where.file == "targets.toml");
    CHECK(a.where.line == 2);

    const auto& b = targets[1];
    CHECK(b.name == "job rate");
    CHECK(b.numerator == "entrants_with_job");  // trimmed on both sides of the slash
    CHECK(b.denominator == "entries");
    CHECK(b.kpi_text() == "entrants_with_job / entries");
    CHECK(b.dated);
    CHECK(b.date_text() == "2020-12-01");
    CHECK(to_iso(b.from) == "2020-12-01");
    CHECK(to_iso(b.to) == "2020-12-01");
    CHECK(b.value == doctest::Approx(0.33));
    CHECK(b.where.line == 7);

    const auto& c = targets[2];
    CHECK(c.numerator == "territory.Alpha.job_starts");
    CHECK(c.denominator == "territory.Alpha.entries");
    CHECK(c.kpi_text() == "territory.Alpha.job_starts / territory.Alpha.entries");
    CHECK(c.date_text() == "2020-07-06..2020-10-31");
    CHECK(c.value == 1.5);

    // from == to is one date.
    CHECK(targets[3].date_text() == "2020-07-06");
    CHECK(targets[3].value == -3);  // any finite value; only the scale must be positive
}

TEST_CASE("calibration targets: unknown keys, located, with a suggestion") {
    std::string e = read_error("[[target]]\nkpi = \"entries\"\nvalue = 1\nscael = 1\n");
    CHECK(contains(e, "targets.toml:4:1: target.0.scael: unknown key"));
    CHECK(contains(e, "did you mean 'scale'?"));

    e = read_error(
        "[[target]]\nkpi = \"a\"\nvalue = 1\nscale = 1\n\n[[target]]\nkpi = \"b\"\n"
        "vaule = 2\nscale = 1\n");
    CHECK(contains(e, "targets.toml:8:1: target.1.vaule: unknown key"));
    CHECK(contains(e, "did you mean 'value'?"));

    e = read_error("[[target]]\nkpi = \"a\"\nvalue = 1\nscale = 1\n  frm = 2020-01-01\n");
    CHECK(contains(e, "targets.toml:5:3: target.0.frm"));
    CHECK(contains(e, "did you mean 'from'?"));

    // Nothing close: no suggestion.
    e = read_error("[[target]]\nkpi = \"a\"\nvalue = 1\nscale = 1\nweight = 3\n");
    CHECK(contains(e, "target.0.weight: unknown key"));
    CHECK(!contains(e, "did you mean"));

    // Outside [[target]] tables.
    e = read_error("title = \"x\"\n[[target]]\nkpi = \"a\"\nvalue = 1\nscale = 1\n");
    CHECK(contains(e, "targets.toml:1:1: title: unknown key"));
    e = read_error("[[targets]]\nkpi = \"a\"\nvalue = 1\nscale = 1\n");
    CHECK(contains(e, "targets: unknown key"));
}

TEST_CASE("calibration targets: the KPI forms and their errors") {
    std::string e = read_error("[[target]]\nvalue = 1\nscale = 1\n");
    CHECK(contains(e, "targets.toml:1:1: target.0: give either kpi"));
    e = read_error("[[target]]\nkpi = \"a\"\nratio = [\"a\", \"b\"]\nvalue = 1\nscale = 1\n");
    CHECK(contains(e, "target.0: give either kpi"));

    for (const char* bad : {"\"\"", "\"   \"", "\"a /\"", "\"/ b\"", "\" / \"", "3", "[\"a\"]"}) {
        e = read_error(std::string("[[target]]\nvalue = 1\nkpi = ") + bad + "\nscale = 1\n");
        INFO(bad << " -> " << e);
        CHECK(contains(e, "targets.toml:3:7: target.0.kpi: expected"));
    }
    for (const char* bad : {"[\"a\"]", "[\"a\", \"b\", \"c\"]", "\"a / b\"", "[]"}) {
        e = read_error(std::string("[[target]]\nvalue = 1\nratio = ") + bad + "\nscale = 1\n");
        INFO(bad << " -> " << e);
        CHECK(contains(e, "targets.toml:3:9: target.0.ratio: expected two KPIs"));
    }
    for (const char* bad : {"[\"a\", 2]", "[\"\", \"b\"]", "[\"a\", \" \"]"}) {
        e = read_error(std::string("[[target]]\nvalue = 1\nratio = ") + bad + "\nscale = 1\n");
        INFO(bad << " -> " << e);
        CHECK(contains(e, "target.0.ratio: expected a non-empty string"));
    }
    // kpi = "a / b" and ratio = ["a", "b"] are the same target.
    const auto one = read_targets_text("[[target]]\nkpi = \"a/b\"\nvalue = 1\nscale = 1\n", "x");
    const auto two =
        read_targets_text("[[target]]\nratio = [\" a\", \"b \"]\nvalue = 1\nscale = 1\n", "x");
    CHECK(one[0].numerator == two[0].numerator);
    CHECK(one[0].denominator == two[0].denominator);
    CHECK(one[0].name == two[0].name);
    CHECK(one[0].name == "a / b");
}

TEST_CASE("calibration targets: dates, at against from/to") {
    const std::string head = "[[target]]\nkpi = \"entries\"\nvalue = 1\nscale = 1\n";
    std::string e = read_error(head + "at = 2020-01-01\nfrom = 2020-01-01\nto = 2020-02-01\n");
    CHECK(contains(e, "targets.toml:5:6: target.0.at: give either at or from/to, not both"));
    e = read_error(head + "from = 2020-01-01\nat = 2020-01-01\n");
    CHECK(contains(e, "target.0.at: give either at or from/to"));
    e = read_error(head + "from = 2020-01-01\n");
    CHECK(contains(e, "targets.toml:5:8: target.0.from: a date range needs both from and to"));
    e = read_error(head + "to = 2020-01-01\n");
    CHECK(contains(e, "targets.toml:5:6: target.0.to: a date range needs both from and to"));
    e = read_error(head + "from = 2020-03-01\nto = 2020-02-29\n");
    CHECK(contains(e, "targets.toml:6:6: target.0.to: expected a date on or after from "
                      "(2020-03-01), got 2020-02-29"));
    for (const char* bad : {"\"2020-01-01\"", "20200101", "2020-01-01T10:00:00"}) {
        e = read_error(head + "at = " + bad + "\n");
        INFO(bad << " -> " << e);
        CHECK(contains(e, "targets.toml:5:6: target.0.at: expected a date (YYYY-MM-DD)"));
    }
}

TEST_CASE("calibration targets: value and scale") {
    const std::string head = "[[target]]\nkpi = \"entries\"\n";
    std::string e = read_error(head + "scale = 1\n");
    CHECK(contains(e, "targets.toml:1:1: target.0.value: missing"));
    e = read_error(head + "value = 1\n");
    CHECK(contains(e, "targets.toml:1:1: target.0.scale: missing"));
    for (const char* bad : {"0", "0.0", "-1", "-0.5", "-inf"}) {
        e = read_error(head + "value = 1\nscale = " + bad + "\n");
        INFO(bad << " -> " << e);
        // -inf is not finite: refused as a number before its sign is looked at.
        CHECK(contains(e, "targets.toml:4:9: target.0.scale: expected"));
    }
    CHECK(contains(read_error(head + "value = 1\nscale = 0\n"), "expected a scale > 0, got 0"));
    for (const char* bad : {"nan", "inf", "\"1\"", "true", "[1]"}) {
        e = read_error(head + "value = " + bad + "\nscale = 1\n");
        INFO(bad << " -> " << e);
        CHECK(contains(e, "targets.toml:3:9: target.0.value: expected a finite number"));
        e = read_error(head + "value = 1\nscale = " + bad + "\n");
        CHECK(contains(e, "target.0.scale: expected"));
    }
    // A tiny positive scale is allowed.
    CHECK(read_error(head + "value = 1\nscale = 1e-300\n") == "no error");
}

TEST_CASE("calibration targets: names must differ, and there is at least one target") {
    std::string e = read_error(
        "[[target]]\nkpi = \"entries\"\nvalue = 1\nscale = 1\n"
        "[[target]]\nname = \"other\"\nkpi = \"entries\"\nvalue = 1\nscale = 1\n"
        "[[target]]\nkpi = \"entries\"\nat = 2020-01-01\nvalue = 2\nscale = 1\n");
    // The third target's name defaults to its KPI, the first's name.
    CHECK(contains(e, "targets.toml:10:1: target.2.name: 'entries' is already target 0"));
    e = read_error(
        "[[target]]\nname = \"x\"\nkpi = \"a\"\nvalue = 1\nscale = 1\n"
        "[[target]]\nname = \"x\"\nkpi = \"b\"\nvalue = 1\nscale = 1\n");
    CHECK(contains(e, "target.1.name: 'x' is already target 0"));
    e = read_error("[[target]]\nname = \"\"\nkpi = \"a\"\nvalue = 1\nscale = 1\n");
    CHECK(contains(e, "target.0.name: expected a non-empty string"));

    CHECK(contains(read_error(""), "expected at least one [[target]]"));
    CHECK(contains(read_error("# nothing\n"), "expected at least one [[target]]"));
    CHECK(contains(read_error("target = 3\n"), "expected at least one [[target]]"));
    CHECK(contains(read_error("[target]\nkpi = \"a\"\nvalue = 1\nscale = 1\n"),
                   "expected at least one [[target]]"));
    CHECK(contains(read_error("target = [1]\n"), "target.0: expected a table"));
    // A TOML syntax error is located too.
    CHECK(contains(read_error("[[target]]\nkpi = \"a\nvalue = 1\n"), "targets.toml:2:"));
}

TEST_CASE("calibration targets: read_targets_file names the file") {
    try {
        read_targets_file(ESSAIM_SOURCE_DIR "/no-such-targets.toml");
        FAIL("no error for a missing file");
    } catch (const std::exception& e) {
        CHECK(contains(e.what(), "no-such-targets.toml"));
    }
}

TEST_CASE("calibration targets: resolved against the binomial model (no dates, no units)") {
    const auto model = analytic::make_binomial();
    const auto scenario = model->load_defaults({});
    auto targets = read_targets_text(
        "[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 1\n"
        "[[target]]\nname = \"share\"\nkpi = \"successes / successes\"\nvalue = 1\nscale = 0.1\n",
        "targets.toml");
    resolve_targets(targets, *model, *scenario);
    CHECK(targets[0].numerator_column == 0);
    CHECK(targets[1].numerator_column == 0);
    CHECK(targets[1].denominator_column == 0);
    CHECK(target_value(targets[0], {17}) == 17);
    CHECK(target_value(targets[1], {17}) == 1);
    CHECK(std::isnan(target_value(targets[1], {0})));  // 0 / 0: undefined

    const std::string head = "[[target]]\nvalue = 18\nscale = 1\n";
    std::string e = resolve_error(head + "kpi = \"sucesses\"\n", *model, *scenario);
    CHECK(contains(e, "targets.toml:"));
    CHECK(contains(e, "the binomial model has no KPI 'sucesses', did you mean 'successes'?"));
    e = resolve_error(head + "kpi = \"successes / trials\"\n", *model, *scenario);
    CHECK(contains(e, "has no KPI 'trials'"));
    e = resolve_error(head + "kpi = \"zzzzzz\"\n", *model, *scenario);
    CHECK(contains(e, "has no KPI 'zzzzzz'"));
    CHECK(!contains(e, "did you mean"));
    e = resolve_error(head + "kpi = \"territory.A.successes\"\n", *model, *scenario);
    CHECK(contains(e, "no territory 'A' in the scenario"));
    for (const char* date : {"at = 2020-01-01", "from = 2020-01-01\nto = 2020-02-01"}) {
        e = resolve_error(head + "kpi = \"successes\"\n" + date + "\n", *model, *scenario);
        INFO(e);
        CHECK(contains(e, "targets.toml:"));
        CHECK(contains(e, "the binomial model has no dates: leave out at/from/to"));
    }
    // The second target is the bad one: the error points into it, not at the first.
    e = resolve_error(
        "[[target]]\nkpi = \"successes\"\nvalue = 18\nscale = 1\n\n"
        "[[target]]\nname = \"second\"\nkpi = \"successes\"\nvalue = 18\nscale = 1\nat = "
        "2020-01-01\n",
        *model, *scenario);
    CHECK((contains(e, "targets.toml:6:") || contains(e, "targets.toml:11:")));
    CHECK(contains(e, "second"));
}

TEST_CASE("calibration targets: resolved against Dest1's docking scenario (units, dates)") {
    const auto model = dest1::make_model();
    const auto scenario = model->load(kDocking, {});
    const auto units = scenario->units();
    REQUIRE(units == std::vector<std::string>{"Alpha", "Beta", "Gamma"});
    const std::size_t n = model->kpis().size();
    auto targets = read_targets_text(R"(
[[target]]
kpi = "entries"
value = 400
scale = 20
[[target]]
kpi = "territory.Beta.job_starts / territory.Gamma.entries"
at = 2019-07-01
value = 1
scale = 1
[[target]]
name = "rate"
ratio = ["job_starts", "territory.Alpha.entries"]
from = 2021-01-01
to = 2022-06-30
value = 1
scale = 1
)",
                                     "targets.toml");
    resolve_targets(targets, *model, *scenario);
    // Columns of the unit x KPI array: territories first, the total row last.
    CHECK(targets[0].numerator_column == 3 * n + kpi_index(*model, "entries"));
    CHECK(targets[1].numerator_column == 1 * n + kpi_index(*model, "job_starts"));
    CHECK(targets[1].denominator_column == 2 * n + kpi_index(*model, "entries"));
    CHECK(targets[2].numerator_column == 3 * n + kpi_index(*model, "job_starts"));
    CHECK(targets[2].denominator_column == 0 * n + kpi_index(*model, "entries"));
    std::vector<double> kpis(4 * n);
    for (std::size_t i = 0; i < kpis.size(); ++i) kpis[i] = static_cast<double>(i + 1);
    CHECK(target_value(targets[0], kpis) == kpis[targets[0].numerator_column]);
    CHECK(target_value(targets[1], kpis) ==
          doctest::Approx(kpis[targets[1].numerator_column] /
                          kpis[targets[1].denominator_column]));

    const std::string head = "[[target]]\nvalue = 1\nscale = 1\n";
    std::string e = resolve_error(head + "kpi = \"territory.Alpah.entries\"\n", *model, *scenario);
    CHECK(contains(e, "no territory 'Alpah' in the scenario, did you mean 'Alpha'?"));
    e = resolve_error(head + "kpi = \"territory.Alpha.entires\"\n", *model, *scenario);
    CHECK(contains(e, "the dest1 model has no KPI 'entires', did you mean 'entries'?"));
    e = resolve_error(head + "kpi = \"territory..entries\"\n", *model, *scenario);
    CHECK(contains(e, "no territory"));
    e = resolve_error(head + "kpi = \"territory.entries\"\n", *model, *scenario);
    CHECK(e != "no error");
    e = resolve_error(head + "kpi = \"entries / entires\"\n", *model, *scenario);
    CHECK(contains(e, "did you mean 'entries'?"));

    // Dates: the first and last days of the run are allowed, a day outside is not.
    for (const char* ok : {"at = 2019-07-01", "at = 2022-06-30", "from = 2019-07-01\nto = 2022-06-30"})
        CHECK(resolve_error(head + "kpi = \"entries\"\n" + ok + "\n", *model, *scenario) ==
              "no error");
    for (const char* bad : {"at = 2019-06-30", "at = 2022-07-01", "at = 2030-01-01",
                            "from = 2019-06-30\nto = 2020-01-01",
                            "from = 2022-01-01\nto = 2022-07-01"}) {
        e = resolve_error(head + "kpi = \"entries\"\n" + bad + "\n", *model, *scenario);
        INFO(bad << " -> " << e);
        CHECK(contains(e, "targets.toml:"));
        CHECK(contains(e, "expected dates within the scenario's run, 2019-07-01 to 2022-06-30"));
    }
}
