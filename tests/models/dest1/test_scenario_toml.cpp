#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "models/dest1/scenario_toml.hpp"
#include "tests/temp_dir.hpp"

using namespace essaim;
using namespace essaim::dest1;
namespace fs = std::filesystem;

namespace {

const std::string kDocking = std::string(ESSAIM_SOURCE_DIR) + "/scenarios/docking.toml";

// Ten lines: text appended to it starts on line 11.
const std::string kMinimal =
    "[scenario]\n"                   // 1
    "name = \"t\"\n"                 // 2
    "start = 2019-07-01\n"           // 3
    "end = 2020-06-30\n"             // 4
    "\n"                             // 5
    "[[territory]]\n"                // 6
    "name = \"A\"\n"                 // 7
    "open = 2019-07-01\n"            // 8
    "coaches = [[2019-07-01, 1]]\n"  // 9
    "pool = 100\n";                  // 10

// A scenario with two territories, whose lines are numbered from 1, followed by `extra` (line 15).
std::string two_territories(const std::string& a_extra, const std::string& extra = "") {
    return "[scenario]\n"                   // 1
           "name = \"t\"\n"                 // 2
           "start = 2019-07-01\n"           // 3
           "end = 2020-06-30\n"             // 4
           "[[territory]]\n"                // 5
           "name = \"A\"\n"                 // 6
           "open = 2019-07-01\n"            // 7
           "coaches = [[2019-07-01, 1]]\n"  // 8
           "pool = 100\n"                   // 9
           + a_extra +                      // 10 (one line)
           "[[territory]]\n"                // 11
           "name = \"B\"\n"                 // 12
           "open = 2019-07-01\n"            // 13
           "coaches = [[2019-07-01, 1]]\n"  // 14
           "pool = 100\n"                   // 15
           + extra;                         // 16...
}

ScenarioError error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
    try {
        parse_scenario(text, "x.toml", overrides);
    } catch (const ScenarioError& e) {
        return e;
    }
    FAIL("expected a ScenarioError for:\n" << text);
    return ScenarioError("", 0, 0, "", "");
}

void check_error(const std::string& text, const std::string& key, int line,
                 const std::string& fragment, const std::vector<std::string>& overrides = {}) {
    const ScenarioError e = error_of(text, overrides);
    INFO("what(): " << std::string(e.what()));
    CHECK(e.key() == key);
    CHECK(e.line() == line);
    CHECK(e.message().find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("scenario_toml: docking.toml lands in the right fields") {
    const Scenario s = load_scenario(kDocking);
    CHECK(s.name == "docking-3t");
    CHECK(s.description.starts_with("Three territories"));
    CHECK(s.model == "dest1");
    CHECK(s.start == Date{2019, 7, 1});
    CHECK(s.end == Date{2022, 6, 30});
    CHECK(s.seed == 20190701u);

    const Parameters& p = s.parameters;
    CHECK(p.mode == ParcoursMode::integrated);
    CHECK(p.parcours_days == 456);
    CHECK(p.followup_days == 365);
    CHECK(p.caseload == 30);
    CHECK(p.caseload_ref == 30);
    CHECK(p.contacts_per_week == 1.0);
    CHECK(p.alpha == 0.5);
    CHECK(p.kappa == 0.5);
    CHECK(p.patience_days == 90);
    CHECK(p.h0_job == 0.0222222);
    CHECK(p.h0_drop == 0.00111111);
    CHECK(p.gamma_confidence == 1.8);
    CHECK(p.rho_employed == 0.4);
    CHECK(p.h0_post == 0.00416667);
    CHECK(p.post_job_days == 540);
    CHECK(p.digital_penalty == 0.5);
    CHECK(p.outreach_per_coach == 0.12);
    CHECK(p.pool_half == 500);
    CHECK(p.maturity_days == 270);
    CHECK(p.r0_adjacent == 0.6);
    CHECK(p.r0_isolated == 0.3);
    CHECK(p.delta_duration == std::array<double, 3>{1.3, 1.0, 0.75});
    CHECK(p.delta_diploma == std::array<double, 3>{0.85, 1.0, 1.2});
    CHECK(p.beta == std::array<double, 5>{0.6, 0.7, 0.85, 0.7, 0.6});
    CHECK(p.resolve_per_day[kMobility] == 0.00833333);
    CHECK(p.resolve_per_day[kHealth] == 0.00416667);
    CHECK(p.coach_cost_per_year == 48000.0);
    CHECK(p.hub_fixed_cost_per_year == 60000.0);
    CHECK(p.solution_cost == 400.0);

    CHECK(s.profile.duration == std::array<double, 3>{0.30, 0.16, 0.54});
    CHECK(s.profile.diploma == std::array<double, 3>{0.54, 0.36, 0.10});
    CHECK(s.profile.prevalence == std::array<double, 5>{0.75, 0.70, 0.45, 0.20, 0.25});

    // Sectors keep the file's order.
    REQUIRE(s.sectors.size() == 4);
    CHECK(s.sectors[0].name == "cleaning");
    CHECK(s.sectors[0].weight == 0.35);
    CHECK(s.sectors[0].contract_days == 180);
    CHECK(s.sectors[1].name == "green_spaces");
    CHECK(s.sectors[2].name == "catering");
    CHECK(s.sectors[2].contract_days == 120);
    CHECK(s.sectors[3].name == "other");
    CHECK(s.sectors[3].contract_days == 240);

    REQUIRE(s.territories.size() == 3);
    const Territory& alpha = s.territories[0];
    CHECK(alpha.name == "Alpha");
    CHECK(alpha.open == Date{2019, 7, 1});
    REQUIRE(alpha.coaches.size() == 2);
    CHECK(alpha.coaches[0] == std::pair(Date{2019, 7, 1}, 2.0));
    CHECK(alpha.coaches[1] == std::pair(Date{2020, 1, 1}, 3.0));
    CHECK(alpha.pool == 3000);
    CHECK(alpha.inflow_per_day == 1.5);
    CHECK(alpha.neighbours == std::vector<int>{1});
    CHECK_FALSE(alpha.caseload.has_value());
    CHECK_FALSE(alpha.sector_weights.has_value());
    CHECK_FALSE(alpha.profile.has_value());

    const Territory& beta = s.territories[1];
    CHECK(beta.name == "Beta");
    CHECK(beta.open == Date{2020, 7, 1});
    CHECK(beta.pool == 1200);
    CHECK(beta.inflow_per_day == 0.8);
    CHECK(beta.neighbours == std::vector<int>{0});
    REQUIRE(beta.caseload.has_value());
    CHECK(*beta.caseload == 25);
    REQUIRE(beta.sector_weights.has_value());
    CHECK(*beta.sector_weights == std::vector<double>{0.5, 0.1, 0.3, 0.1});

    const Territory& gamma = s.territories[2];
    CHECK(gamma.name == "Gamma");
    CHECK(gamma.neighbours.empty());
    REQUIRE(gamma.coaches.size() == 2);
    CHECK(gamma.coaches[1] == std::pair(Date{2021, 1, 1}, 2.0));

    REQUIRE(s.crises.size() == 2);
    const Crisis& lockdown = s.crises[0];
    CHECK(lockdown.name == "lockdown");
    CHECK(lockdown.start == Date{2020, 3, 17});
    CHECK(lockdown.end == Date{2020, 5, 10});
    CHECK(lockdown.remote);
    CHECK(lockdown.outreach == 0.3);
    CHECK(lockdown.contacts == 0.6);
    CHECK(lockdown.jobloss == 1.5);
    CHECK(lockdown.dropout == 1.3);
    CHECK(lockdown.inflow == 1.2);
    CHECK(lockdown.hire == std::vector<double>{0.6, 0.7, 0.05, 0.4});
    CHECK(s.crises[1].name == "lockdown-2");
    CHECK(s.crises[1].hire[2] == 0.02);

    CHECK(s.source_path == kDocking);
    CHECK(s.source_text.find("name = \"docking-3t\"") != std::string::npos);
}

TEST_CASE("scenario_toml: the effective document reproduces the scenario") {
    const Scenario s = load_scenario(kDocking, {"territory.Beta.caseload=20"});
    const Scenario again = parse_scenario(s.source_text, "manifest.toml");
    CHECK(again.source_text == s.source_text);
    CHECK(*again.territories[1].caseload == 20);
    CHECK(again.parameters.h0_job == s.parameters.h0_job);
    CHECK(again.parameters.resolve_per_day == s.parameters.resolve_per_day);
    CHECK(again.crises[0].hire == s.crises[0].hire);
    CHECK(again.territories[0].coaches == s.territories[0].coaches);
    CHECK(again.sectors[2].name == "catering");
}

TEST_CASE("scenario_toml: omitted keys take the MODEL.md defaults") {
    const Scenario s = parse_scenario(kMinimal, "x.toml");
    const Parameters defaults;
    CHECK(s.parameters.h0_job == defaults.h0_job);
    CHECK(s.parameters.caseload == 30);
    CHECK(s.parameters.beta == defaults.beta);
    CHECK(s.profile.prevalence == Profile{}.prevalence);
    CHECK(s.seed == 0);
    CHECK(s.model == "dest1");
    REQUIRE(s.sectors.size() == 4);  // no [sectors] table: the four MODEL.md sectors
    CHECK(s.sectors[2].name == "catering");
    CHECK(s.sectors[2].weight == 0.20);
    CHECK(s.sectors[3].contract_days == 240);
    CHECK(s.territories[0].inflow_per_day == 0);
    CHECK(s.territories[0].neighbours.empty());
    CHECK(s.crises.empty());
}

TEST_CASE("scenario_toml: integers are numbers, dates may be strings, open may precede start") {
    const Scenario s = parse_scenario(
        "[scenario]\nname = \"t\"\nstart = \"2019-07-01\"\nend = 2019-07-01\n"
        "[parcours]\ncontacts_per_week = 2\n"
        "[[territory]]\nname = \"A\"\nopen = 2019-01-01\ncoaches = [[\"2018-12-01\", 1.5]]\n"
        "pool = 0\n",
        "x.toml");
    CHECK(s.start == Date{2019, 7, 1});
    CHECK(s.end == s.start);
    CHECK(s.parameters.contacts_per_week == 2.0);
    CHECK(s.territories[0].open == Date{2019, 1, 1});
    CHECK(s.territories[0].coaches[0] == std::pair(Date{2018, 12, 1}, 1.5));
}

TEST_CASE("scenario_toml: error message format") {
    const ScenarioError e = error_of(kMinimal + "[parcours]\ncaseload = -3\n");
    CHECK(std::string(e.what()) ==
          "x.toml:12:12: parcours.caseload: expected a number >= 1, got -3");
    CHECK(e.file() == "x.toml");
    CHECK(e.column() == 12);
}

TEST_CASE("scenario_toml: unknown keys, with hints") {
    check_error(kMinimal + "[parcours]\ncasload = 3\n", "parcours.casload", 12,
                "did you mean 'caseload'?");
    check_error(kMinimal + "[parcour]\ncaseload = 3\n", "parcour", 11, "did you mean 'parcours'?");
    check_error("[scenario]\nnmae = \"t\"\n", "scenario.nmae", 2, "did you mean 'name'?");
    check_error(kMinimal + "[barriers.mobilty]\nbeta = 0.5\n", "barriers.mobilty", 11,
                "did you mean 'mobility'?");
    check_error(kMinimal + "[barriers.mobility]\nbta = 0.5\n", "barriers.mobility.bta", 12,
                "did you mean 'beta'?");
    check_error(kMinimal + "[profile.duration]\nlt1 = 0.5\n", "profile.duration.lt1", 12,
                "did you mean 'lt1y'?");
    check_error(kMinimal + "[outreach]\nwhatever_this_is = 1\n", "outreach.whatever_this_is", 12,
                "expected one of: per_coach_per_day, pool_half");
    check_error(kMinimal + "capacity = 3\n", "territory.A.capacity", 11, "unknown key");
    check_error(kMinimal +
                    "[[crisis]]\nname = \"c\"\nstart = 2020-01-01\nend = 2020-01-02\n"
                    "outreech = 0.5\n",
                "crisis.c.outreech", 15, "did you mean 'outreach'?");
}

TEST_CASE("scenario_toml: wrong types") {
    check_error(kMinimal + "[parcours]\ncaseload = \"thirty\"\n", "parcours.caseload", 12,
                "expected a number >= 1, got \"thirty\"");
    check_error(kMinimal + "[parcours]\nduration_days = 456.0\n", "parcours.duration_days", 12,
                "expected an integer >= 1, got 456.0");
    check_error(kMinimal + "[parcours]\nfollowup_days = 365.5\n", "parcours.followup_days", 12,
                "expected an integer >= 0, got 365.5");
    check_error(kMinimal + "[parcours]\nalpha = true\n", "parcours.alpha", 12, "got true");
    check_error(kMinimal + "[hazards]\nh0_job = [1]\n", "hazards.h0_job", 12, "got an array");
    check_error(kMinimal + "[parcours]\nmode = 1\n", "parcours.mode", 12, "expected a string");
    check_error(kMinimal + "parcours = 3\n", "territory.A.parcours", 11, "unknown key");
    check_error("parcours = 3\n" + kMinimal, "parcours", 1, "expected a table, got 3");
    check_error(kMinimal + "[scenario.x]\n", "scenario.x", 11, "unknown key");
    check_error(kMinimal +
                    "[[crisis]]\nname = \"c\"\nstart = 2020-01-01\nend = 2020-01-02\n"
                    "remote = \"yes\"\n",
                "crisis.c.remote", 15, "expected true or false");
}

TEST_CASE("scenario_toml: integer keys reject floats") {
    // `pool` appears once per territory: replace it rather than repeat it.
    std::string text = kMinimal;
    text.replace(text.find("pool = 100"), 10, "pool = 1e2");
    check_error(text, "territory.A.pool", 10, "expected an integer >= 0, got 100.0");
    check_error(kMinimal + "[scenario]\nseed = 1.5\n", "", 11, "TOML syntax error");  // redefined
    check_error("[scenario]\nname = \"t\"\nstart = 2019-07-01\nend = 2019-07-01\nseed = 1.5\n",
                "scenario.seed", 5, "expected an integer >= 0, got 1.5");
    check_error("[scenario]\nname = \"t\"\nstart = 2019-07-01\nend = 2019-07-01\nseed = -1\n",
                "scenario.seed", 5, "expected an integer >= 0, got -1");
}

TEST_CASE("scenario_toml: dates") {
    check_error("[scenario]\nname = \"t\"\nstart = \"2019-13-01\"\n", "scenario.start", 3,
                "expected a date like 2019-07-01, got \"2019-13-01\"");
    check_error("[scenario]\nname = \"t\"\nstart = 2019-07-01T00:00:00\n", "scenario.start", 3,
                "expected a date");
    check_error("[scenario]\nname = \"t\"\nstart = 20190701\n", "scenario.start", 3,
                "got 20190701");
    check_error("[scenario]\nname = \"t\"\nstart = 2019-07-01\nend = 2019-06-30\n", "scenario.end",
                4, "on or after scenario.start (2019-07-01), got 2019-06-30");
}

TEST_CASE("scenario_toml: required keys") {
    check_error("[scenario]\nstart = 2019-07-01\n", "scenario.name", 1, "missing required key");
    check_error("[scenario]\nname = \"\"\n", "scenario.name", 2, "non-empty string");
    check_error("[scenario]\nname = \"t\"\nend = 2019-07-01\n", "scenario.start", 1,
                "missing required key");
    check_error("[scenario]\nname = \"t\"\nstart = 2019-07-01\n", "scenario.end", 1,
                "missing required key");
    check_error("[scenario]\nname = \"t\"\nstart = 2019-07-01\nend = 2019-07-02\n", "territory", 0,
                "at least one [[territory]]");
    check_error("territory = []\n[scenario]\nname = \"t\"\nstart = 2019-07-01\nend = 2019-07-02\n",
                "territory", 1, "at least one territory");
    check_error("[parcours]\ncaseload = 3\n", "scenario.name", 0, "missing required key");
    std::string no_pool = kMinimal;
    no_pool.erase(no_pool.find("pool = 100\n"));
    check_error(no_pool, "territory.A.pool", 6, "missing required key");
}

TEST_CASE("scenario_toml: model and mode") {
    check_error("[scenario]\nname = \"t\"\nmodel = \"dest2\"\n", "scenario.model", 3,
                "expected \"dest1\"");
    check_error(kMinimal + "[parcours]\nmode = \"parallel\"\n", "parcours.mode", 12,
                "expected \"integrated\" or \"sequential\", got \"parallel\"");
    const Scenario s = parse_scenario(kMinimal + "[parcours]\nmode = \"sequential\"\n", "x.toml");
    CHECK(s.parameters.mode == ParcoursMode::sequential);
}

TEST_CASE("scenario_toml: ranges") {
    check_error(kMinimal + "[barriers.health]\nprevalence = 1.2\n", "barriers.health.prevalence",
                12, "expected a probability in [0, 1], got 1.2");
    check_error(kMinimal + "[rampup]\nr0_adjacent = -0.1\n", "rampup.r0_adjacent", 12,
                "probability in [0, 1]");
    check_error(kMinimal + "[rampup]\nr0_isolated = 2\n", "rampup.r0_isolated", 12,
                "probability in [0, 1]");
    check_error(kMinimal + "[hazards]\ndigital_penalty = 1.5\n", "hazards.digital_penalty", 12,
                "probability in [0, 1]");
    check_error(kMinimal + "[hazards]\nh0_job = -0.1\n", "hazards.h0_job", 12, ">= 0");
    check_error(kMinimal + "[hazards]\npost_job_days = 0\n", "hazards.post_job_days", 12, "> 0");
    check_error(kMinimal + "[hazards]\nh0_drop = nan\n", "hazards.h0_drop", 12, "got nan");
    check_error(kMinimal + "[parcours]\npatience_days = 0\n", "parcours.patience_days", 12, "> 0");
    check_error(kMinimal + "[parcours]\ncaseload = 0.5\n", "parcours.caseload", 12, ">= 1");
    check_error(kMinimal + "[parcours]\nduration_days = 0\n", "parcours.duration_days", 12, ">= 1");
    check_error(kMinimal + "[outreach]\npool_half = 0\n", "outreach.pool_half", 12, "> 0");
    check_error(kMinimal + "[rampup]\nmaturity_days = -1\n", "rampup.maturity_days", 12, "> 0");
    check_error(kMinimal + "[effects.diploma]\nhigh = -1\n", "effects.diploma.high", 12, ">= 0");
    check_error(kMinimal + "[costs]\nsolution = -400\n", "costs.solution", 12, ">= 0");
    check_error(kMinimal + "[barriers.digital]\nresolve_per_day = -1\n",
                "barriers.digital.resolve_per_day", 12, ">= 0");
    check_error(two_territories("inflow_per_day = -1\n"), "territory.A.inflow_per_day", 10, ">= 0");
    check_error(two_territories("caseload = 0\n"), "territory.A.caseload", 10, ">= 1");
    std::string negative_pool = kMinimal;
    negative_pool.replace(negative_pool.find("pool = 100"), 10, "pool = -1");
    check_error(negative_pool, "territory.A.pool", 10, "expected an integer >= 0, got -1");
    // Upper bounds that keep every derived count inside 64-bit integers and a run's memory finite.
    check_error(kMinimal + "[parcours]\nfollowup_days = 2147483000\n", "parcours.followup_days", 12,
                "<= 36500");
    check_error(kMinimal + "[parcours]\nduration_days = 40000\n", "parcours.duration_days", 12,
                "<= 36500");
    check_error(two_territories("inflow_per_day = 1e12\n"), "territory.A.inflow_per_day", 10,
                "<= 1000000");
    check_error(kMinimal + "[outreach]\nper_coach_per_day = 1e5\n", "outreach.per_coach_per_day",
                12, "<= 10000");
    check_error(
        kMinimal +
            "[[crisis]]\nname = \"c\"\nstart = 2020-01-01\nend = 2020-01-02\noutreach = 2000\n",
        "crisis.c.outreach", 15, "<= 1000");
    std::string huge_pool = kMinimal;
    huge_pool.replace(huge_pool.find("pool = 100"), 10, "pool = 2000000000000");
    check_error(huge_pool, "territory.A.pool", 10, "<= 1000000000000");
    std::string century = kMinimal;
    century.replace(century.find("end = 2020-06-30"), 16, "end = 2200-01-01");
    check_error(century, "scenario.end", 4, "shorter than 36500 days");
}

TEST_CASE("scenario_toml: version 1.1 keys, employability variance and coach time") {
    const Scenario off = parse_scenario(kMinimal, "x.toml");
    CHECK(off.parameters.employability_variance == 0);
    CHECK_FALSE(off.parameters.contacts_capacity_per_coach_week.has_value());
    const Scenario on = parse_scenario(kMinimal +
                                           "[hazards]\nemployability_variance = 1.5\n"
                                           "[parcours]\ncontacts_capacity_per_coach_week = 20\n",
                                       "x.toml");
    CHECK(on.parameters.employability_variance == 1.5);
    CHECK(on.parameters.contacts_capacity_per_coach_week == 20.0);
    // `inf` is the registry's spelling of "no limit": the same as an absent key.
    const Scenario unlimited =
        parse_scenario(kMinimal + "[parcours]\ncontacts_capacity_per_coach_week = inf\n", "x.toml");
    CHECK_FALSE(unlimited.parameters.contacts_capacity_per_coach_week.has_value());
    check_error(kMinimal + "[hazards]\nemployability_variance = -0.5\n",
                "hazards.employability_variance", 12,
                "expected a variance >= 0 and <= 100, got -0.5");
    check_error(kMinimal + "[hazards]\nemployability_variance = 101\n",
                "hazards.employability_variance", 12, "<= 100");
    check_error(kMinimal + "[hazards]\nemployability_variance = nan\n",
                "hazards.employability_variance", 12, "got nan");
    // Positive but so small that the gamma's shape 1/v overflows (every Z would be non-finite).
    check_error(kMinimal + "[hazards]\nemployability_variance = 1e-310\n",
                "hazards.employability_variance", 12, "expected 0 or a variance >= 1e-12");
    check_error(kMinimal + "[parcours]\ncontacts_capacity_per_coach_week = 0\n",
                "parcours.contacts_capacity_per_coach_week", 12,
                "expected a number > 0 (or inf: no limit), got 0");
    check_error(kMinimal + "[parcours]\ncontacts_capacity_per_coach_week = -inf\n",
                "parcours.contacts_capacity_per_coach_week", 12, "got -inf");
    check_error(kMinimal + "[parcours]\ncontacts_capacity_per_coach_week = \"20\"\n",
                "parcours.contacts_capacity_per_coach_week", 12, "> 0");
}

TEST_CASE("scenario_toml: shares") {
    check_error(kMinimal + "[profile.duration]\nlt1y = 0.3\n1to2y = 0.3\ngt2y = 0.3\n",
                "profile.duration", 11, "shares must sum to 1, got 0.9");
    check_error(kMinimal + "[profile.diploma]\nlow = 0.5\n", "profile.diploma", 11,
                "shares must sum to 1");
    // Within 1e-6 is accepted; missing classes keep their inherited shares.
    const Scenario s = parse_scenario(
        kMinimal +
            "[profile.duration]\nlt1y = 0.3333333\n1to2y = 0.3333333\ngt2y = 0.3333333\n"
            "[profile.diploma]\nlow = 0.44\nmid = 0.46\n",
        "x.toml");
    CHECK(s.profile.duration[0] == 0.3333333);
    CHECK(s.profile.diploma == std::array<double, 3>{0.44, 0.46, 0.10});
    check_error(kMinimal + "[profile.duration]\nlt1y = 1.3\n1to2y = -0.3\ngt2y = 0\n",
                "profile.duration.lt1y", 12, "expected a share in [0, 1], got 1.3");
}

TEST_CASE("scenario_toml: sectors") {
    check_error(kMinimal + "[sectors]\n", "sectors", 11, "at least one sector");
    check_error(kMinimal + "[sectors.a]\nweight = 0\ncontract_days = 10\n", "sectors", 11,
                "sum > 0");
    check_error(kMinimal + "[sectors.a]\nweight = -1\ncontract_days = 10\n", "sectors.a.weight", 12,
                ">= 0");
    check_error(kMinimal + "[sectors.a]\nweight = 1\ncontract_days = 0\n",
                "sectors.a.contract_days", 13, "> 0");
    check_error(kMinimal + "[sectors.a]\nweight = 1\n", "sectors.a.contract_days", 11,
                "missing required key");
    check_error(kMinimal + "[sectors]\na = 1\n", "sectors.a", 12, "expected a table");
    // Weights need not sum to 1.
    const Scenario s = parse_scenario(kMinimal +
                                          "[sectors.b]\nweight = 3\ncontract_days = 10\n"
                                          "[sectors.a]\nweight = 1\ncontract_days = 20\n",
                                      "x.toml");
    REQUIRE(s.sectors.size() == 2);
    CHECK(s.sectors[0].name == "b");
    CHECK(s.sectors[0].weight == 3);
    CHECK(s.sectors[1].contract_days == 20);
}

TEST_CASE("scenario_toml: territory sector weights and profiles") {
    const std::string sectors =
        "[sectors.cleaning]\nweight = 1\ncontract_days = 10\n"
        "[sectors.catering]\nweight = 1\ncontract_days = 10\n";
    check_error(two_territories("sectors = { clening = 1 }\n", sectors),
                "territory.A.sectors.clening", 10, "unknown sector, did you mean 'cleaning'?");
    check_error(two_territories("sectors = { cleaning = 0 }\n", sectors), "territory.A.sectors", 10,
                "sum > 0");
    check_error(two_territories("sectors = { cleaning = -1 }\n", sectors),
                "territory.A.sectors.cleaning", 10, ">= 0");
    Scenario s = parse_scenario(two_territories("sectors = { catering = 2 }\n", sectors), "x.toml");
    CHECK(*s.territories[0].sector_weights == std::vector<double>{0.0, 2.0});

    s = parse_scenario(
        two_territories("profile = { diploma = { low = 0.2, mid = 0.7 }, "
                        "prevalence = { mobility = 0.8 } }\n",
                        "[profile.duration]\nlt1y = 0.5\n1to2y = 0.25\ngt2y = 0.25\n"),
        "x.toml");
    REQUIRE(s.territories[0].profile.has_value());
    const Profile& own = *s.territories[0].profile;
    CHECK(own.duration == std::array<double, 3>{0.5, 0.25, 0.25});  // inherited from the global
    CHECK(own.diploma == std::array<double, 3>{0.2, 0.7, 0.10});
    CHECK(own.prevalence[kMobility] == 0.8);
    CHECK(own.prevalence[kHealth] == 0.25);
    CHECK_FALSE(s.territories[1].profile.has_value());

    check_error(two_territories("profile = { diploma = { low = 0.9 } }\n"),
                "territory.A.profile.diploma", 10, "must sum to 1");
    check_error(two_territories("profile = { prevalence = { mobilty = 0.9 } }\n"),
                "territory.A.profile.prevalence.mobilty", 10, "did you mean 'mobility'?");
    check_error(two_territories("profile = { prevalence = { health = 1.9 } }\n"),
                "territory.A.profile.prevalence.health", 10, "probability");
    check_error(two_territories("profile = { effects = {} }\n"), "territory.A.profile.effects", 10,
                "unknown key");
}

TEST_CASE("scenario_toml: coach schedules") {
    auto with_coaches = [](const std::string& coaches) {
        std::string text = kMinimal;
        text.replace(text.find("coaches = [[2019-07-01, 1]]"), 27, "coaches = " + coaches);
        return text;
    };
    check_error(with_coaches("[[2019-07-01, 2], [2020-01-01, 3], [2019-12-01, 4]]"),
                "territory.A.coaches.2", 9, "out of date order");
    check_error(with_coaches("[[2019-07-01, 2], [2019-07-01, 3]]"), "territory.A.coaches.1", 9,
                "out of date order");
    check_error(with_coaches("[[2019-08-01, 2]]"), "territory.A.coaches.0", 9,
                "must be on or before open (2019-07-01)");
    check_error(with_coaches("[[2019-07-01, 0]]"), "territory.A.coaches.0", 9,
                "expected a headcount >= 1 and <= 1000000, got 0");
    check_error(with_coaches("[[2019-07-01, 2], [2020-01-01, 0]]"), "territory.A.coaches.1", 9,
                "headcount >= 1");
    check_error(with_coaches("[]"), "territory.A.coaches", 9, "non-empty array");
    check_error(with_coaches("[[2019-07-01]]"), "territory.A.coaches.0", 9,
                "[date, headcount] pair");
    check_error(with_coaches("3"), "territory.A.coaches", 9, "got 3");
}

TEST_CASE("scenario_toml: territory names and neighbours") {
    std::string duplicate = two_territories("");
    duplicate.replace(duplicate.find("name = \"B\""), 10, "name = \"A\"");
    const ScenarioError e = error_of(duplicate);
    CHECK(e.key() == "territory.A.name");
    CHECK(e.line() == 11);
    CHECK(e.message().find("duplicate territory name \"A\" (first given at x.toml:6:8)") !=
          std::string::npos);

    check_error(two_territories("neighbours = [\"Bb\"]\n"), "territory.A.neighbours.0", 10,
                "no territory named \"Bb\", did you mean 'B'?");
    check_error(two_territories("neighbours = [\"A\"]\n"), "territory.A.neighbours.0", 10,
                "its own neighbour");
    check_error(two_territories("neighbours = [\"B\", \"B\"]\n"), "territory.A.neighbours.1", 10,
                "listed twice");
    check_error(two_territories("neighbours = \"B\"\n"), "territory.A.neighbours", 10,
                "expected an array of territory names");
    std::string numbered = two_territories("");
    numbered.replace(numbered.find("name = \"A\""), 10, "name = 3");
    check_error(numbered, "territory.0.name", 6, "expected a non-empty string, got 3");
    check_error(
        "[scenario]\nname = \"t\"\nstart = 2019-07-01\nend = 2019-07-01\n"
        "[territory]\nname = \"A\"\n",
        "territory", 5, "expected an array of tables ([[territory]])");

    // Edges are stored as listed, on one side or both.
    const Scenario one_side = parse_scenario(two_territories("neighbours = [\"B\"]\n"), "x.toml");
    CHECK(one_side.territories[0].neighbours == std::vector<int>{1});
    CHECK(one_side.territories[1].neighbours.empty());
}

TEST_CASE("scenario_toml: crises") {
    const std::string crisis = "[[crisis]]\nname = \"c\"\nstart = 2020-03-17\n";  // lines 11-13
    check_error(kMinimal + crisis + "end = 2020-03-16\n", "crisis.c.end", 14,
                "on or after start (2020-03-17), got 2020-03-16");
    check_error(kMinimal + crisis + "end = 2020-05-10\nhire = { catring = 0.5 }\n",
                "crisis.c.hire.catring", 15, "unknown sector, did you mean 'catering'?");
    check_error(kMinimal + crisis + "end = 2020-05-10\noutreach = -0.5\n", "crisis.c.outreach", 15,
                ">= 0");
    check_error(kMinimal + crisis + "end = 2020-05-10\nhire = { other = -1 }\n",
                "crisis.c.hire.other", 15, ">= 0");
    check_error(kMinimal + "[[crisis]]\nstart = 2020-03-17\nend = 2020-05-10\n", "crisis.0.name",
                11, "missing required key");
    check_error(kMinimal + "[crisis]\nname = \"c\"\n", "crisis", 11, "array of tables");

    const Scenario s = parse_scenario(
        kMinimal + crisis + "end = 2020-03-17\nhire = { catering = 0.05 }\n", "x.toml");
    REQUIRE(s.crises.size() == 1);
    const Crisis& c = s.crises[0];
    CHECK_FALSE(c.remote);
    CHECK(c.outreach == 1);
    CHECK(c.contacts == 1);
    CHECK(c.jobloss == 1);
    CHECK(c.dropout == 1);
    CHECK(c.inflow == 1);
    CHECK(c.hire == std::vector<double>{1, 1, 0.05, 1});  // MODEL.md sectors, catering third
}

TEST_CASE("scenario_toml: TOML syntax errors are located") {
    check_error(kMinimal + "[parcours]\ncaseload = = 3\n", "", 12, "TOML syntax error");
}

TEST_CASE("scenario_toml: --set overrides") {
    SUBCASE("scalar, nested and by territory name or index") {
        const Scenario s =
            load_scenario(kDocking, {"parcours.caseload=40", "barriers.digital.beta=0.9",
                                     "territory.Beta.caseload=20", "territory.2.pool=10",
                                     "scenario.seed=7", "crisis.lockdown.hire.catering=0.1"});
        CHECK(s.parameters.caseload == 40);
        CHECK(s.parameters.beta[kDigital] == 0.9);
        CHECK(*s.territories[1].caseload == 20);
        CHECK(s.territories[2].pool == 10);
        CHECK(s.seed == 7u);
        CHECK(s.crises[0].hire[2] == 0.1);
        CHECK(s.source_text.find("caseload = 40") != std::string::npos);
    }
    SUBCASE("a bare word is a string") {
        const Scenario s = load_scenario(kDocking, {"parcours.mode=sequential"});
        CHECK(s.parameters.mode == ParcoursMode::sequential);
    }
    SUBCASE("replacing an array") {
        const Scenario s = load_scenario(kDocking, {"territory.Alpha.coaches=[[2019-07-01, 5]]",
                                                    "territory.Gamma.neighbours=[\"Alpha\"]"});
        CHECK(s.territories[0].coaches.size() == 1);
        CHECK(s.territories[0].coaches[0].second == 5);
        CHECK(s.territories[2].neighbours == std::vector<int>{0});
    }
    SUBCASE("errors read --set") {
        ScenarioError e = error_of(kMinimal, {"parcours.caseload=-3"});
        CHECK(std::string(e.what()) == "--set: parcours.caseload: expected a number >= 1, got -3");
        CHECK(e.file() == "--set");
        CHECK(e.line() == 0);
        e = error_of(kMinimal, {"parcours.duration_days=1.5"});
        CHECK(e.file() == "--set");
        CHECK(e.message() == "expected an integer >= 1, got 1.5");
        e = error_of(kMinimal, {"parcours.casload=3"});
        CHECK(e.file() == "--set");
        CHECK(e.message().find("did you mean 'caseload'?") != std::string::npos);
        e = error_of(kMinimal, {"parcours.mode=parallel"});
        CHECK(e.message().find("got \"parallel\"") != std::string::npos);
        e = error_of(kMinimal, {"territory.Z.pool=3"});
        CHECK(e.file() == "--set");
        CHECK(e.key() == "territory.Z");
        e = error_of(kMinimal, {"no_equals_sign"});
        CHECK(e.file() == "--set");
        CHECK(e.message().find("key.path=value") != std::string::npos);
        e = error_of(kMinimal, {"=1"});
        CHECK(e.file() == "--set");
    }
}

TEST_CASE("scenario_toml: extends") {
    essaim::test::TempDir dir;
    const std::string base = dir.write("base.toml", kMinimal + "[parcours]\ncaseload = 20\n");
    const std::string variant = dir.write(
        "variant.toml",
        "extends = \"base.toml\"\n[scenario]\nname = \"variant\"\n[parcours]\nkappa = 0.7\n");
    const Scenario s = load_scenario(variant);
    CHECK(s.name == "variant");
    CHECK(s.start == Date{2019, 7, 1});
    CHECK(s.parameters.caseload == 20);
    CHECK(s.parameters.kappa == 0.7);
    CHECK(s.source_path == variant);
    CHECK(s.source_text.find("extends") == std::string::npos);
    CHECK(s.source_text.find("name = \"variant\"") != std::string::npos);

    // An error in an inherited value points to the base file.
    dir.write("bad_base.toml", kMinimal + "[parcours]\ncaseload = -1\n");
    const std::string bad = dir.write("bad.toml", "extends = \"bad_base.toml\"\n");
    try {
        load_scenario(bad);
        FAIL("expected an error");
    } catch (const ScenarioError& e) {
        CHECK(fs::path(e.file()).filename() == "bad_base.toml");
        CHECK(e.line() == 12);
        CHECK(e.key() == "parcours.caseload");
    }

    // Cycles.
    dir.write("c1.toml", "extends = \"c2.toml\"\n");
    const std::string c2 = dir.write("c2.toml", "extends = \"c1.toml\"\n");
    try {
        load_scenario(c2);
        FAIL("expected an error");
    } catch (const ScenarioError& e) {
        CHECK(e.key() == "extends");
        CHECK(e.message().find("cycle") != std::string::npos);
    }

    // The docking scenario can be extended unchanged.
    const std::string docking_variant =
        dir.write("docking_variant.toml", "extends = \"" + fs::path(kDocking).generic_string() +
                                              "\"\n[parcours]\nmode = \"sequential\"\n");
    const Scenario d = load_scenario(docking_variant);
    CHECK(d.parameters.mode == ParcoursMode::sequential);
    CHECK(d.territories.size() == 3);
}

namespace {

// A regular territory A and a candidate C (no `open`, no schedule yet), then `c_keys` (line 14 on)
// and `tail` (e.g. a [rollout] table).
std::string with_candidate(const std::string& c_keys, const std::string& tail = "") {
    return "[scenario]\n"                   // 1
           "name = \"t\"\n"                 // 2
           "start = 2019-07-01\n"           // 3
           "end = 2020-06-30\n"             // 4
           "[[territory]]\n"                // 5
           "name = \"A\"\n"                 // 6
           "open = 2019-07-01\n"            // 7
           "coaches = [[2019-07-01, 1]]\n"  // 8
           "pool = 100\n"                   // 9
           "[[territory]]\n"                // 10
           "name = \"C\"\n"                 // 11
           "candidate = true\n"             // 12
           "pool = 50\n"                    // 13
           + c_keys + tail;                 // 14...
}

std::string with_after_open(const std::string& steps) {
    std::string text = kMinimal;
    text.replace(text.find("coaches = [[2019-07-01, 1]]"), 27, "coaches_after_open = " + steps);
    return text;
}

}  // namespace

TEST_CASE("scenario_toml: rollout defaults") {
    const Scenario s = parse_scenario(kMinimal, "x.toml");
    CHECK(s.rollout.policy == RolloutPolicy::dates);
    CHECK_FALSE(s.rollout.start.has_value());
    CHECK(s.rollout.wave_every_days == 91);
    CHECK(s.rollout.max_per_wave == 0);
    CHECK(s.rollout.budget_per_year == 0);
    CHECK_FALSE(s.territories[0].candidate);
    CHECK(s.territories[0].coaches_after_open.empty());
}

TEST_CASE("scenario_toml: rollout table") {
    check_error(kMinimal + "[rollout]\npolicy = \"need\"\nwave_every = 30\n", "rollout.wave_every",
                13, "unknown key, did you mean 'wave_every_days'?");
    check_error(kMinimal + "[rollout]\nbudget = 1e6\n", "rollout.budget", 12,
                "did you mean 'budget_per_year'?");
    check_error(kMinimal + "[rolout]\n", "rolout", 11, "did you mean 'rollout'?");
    check_error(kMinimal + "[rollout]\npolicy = \"random\"\n", "rollout.policy", 12,
                "expected \"dates\", \"need\" or \"proximity\", got \"random\"");
    check_error(kMinimal + "[rollout]\npolicy = 1\n", "rollout.policy", 12, "expected a string");
    check_error(kMinimal + "[rollout]\nstart = 2019-06-30\n", "rollout.start", 12,
                "within the run [scenario.start, scenario.end] (2019-07-01 to 2020-06-30), got "
                "2019-06-30");
    check_error(kMinimal + "[rollout]\nstart = 2020-07-01\n", "rollout.start", 12,
                "within the run");
    check_error(kMinimal + "[rollout]\nstart = \"soon\"\n", "rollout.start", 12, "expected a date");
    check_error(kMinimal + "[rollout]\nwave_every_days = 0\n", "rollout.wave_every_days", 12,
                "expected an integer >= 1, got 0");
    check_error(kMinimal + "[rollout]\nwave_every_days = 30.5\n", "rollout.wave_every_days", 12,
                "expected an integer >= 1, got 30.5");
    check_error(kMinimal + "[rollout]\nmax_per_wave = -1\n", "rollout.max_per_wave", 12,
                "expected an integer >= 0, got -1");
    check_error(kMinimal + "[rollout]\nbudget_per_year = -1\n", "rollout.budget_per_year", 12,
                "expected a number >= 0, got -1");
    check_error(kMinimal + "rollout = 3\n", "territory.A.rollout", 11, "unknown key");

    // Both ends of the run are accepted.
    Scenario s = parse_scenario(kMinimal + "[rollout]\nstart = 2019-07-01\n", "x.toml");
    CHECK(s.rollout.start == Date{2019, 7, 1});
    s = parse_scenario(kMinimal + "[rollout]\nstart = 2020-06-30\npolicy = \"proximity\"\n",
                       "x.toml");
    CHECK(s.rollout.start == Date{2020, 6, 30});
    CHECK(s.rollout.policy == RolloutPolicy::proximity);
}

TEST_CASE("scenario_toml: coaches_after_open") {
    check_error(with_after_open("[[0, 2], [180, 3], [90, 4]]"), "territory.A.coaches_after_open.2",
                9, "day 90 is out of order (expected a day after 180)");
    check_error(with_after_open("[[0, 2], [0, 3]]"), "territory.A.coaches_after_open.1", 9,
                "out of order");
    check_error(with_after_open("[[30, 2]]"), "territory.A.coaches_after_open.0", 9,
                "must start at day 0");
    check_error(with_after_open("[[0, 0]]"), "territory.A.coaches_after_open.0", 9,
                "expected a headcount >= 1 and <= 1000000, got 0");
    check_error(with_after_open("[[0, 2], [90, 0.5]]"), "territory.A.coaches_after_open.1", 9,
                "headcount >= 1");
    check_error(with_after_open("[[-1, 2]]"), "territory.A.coaches_after_open.0", 9,
                "expected an integer >= 0, got -1");
    check_error(with_after_open("[[0.5, 2]]"), "territory.A.coaches_after_open.0", 9,
                "expected an integer >= 0, got 0.5");
    check_error(with_after_open("[[2019-07-01, 2]]"), "territory.A.coaches_after_open.0", 9,
                "expected an integer");
    check_error(with_after_open("[]"), "territory.A.coaches_after_open", 9, "non-empty array");
    check_error(with_after_open("[[0]]"), "territory.A.coaches_after_open.0", 9,
                "[days since opening, headcount] pair");
    check_error(with_after_open("3"), "territory.A.coaches_after_open", 9, "got 3");

    // Exactly one of the two schedules.
    check_error(
        kMinimal + "coaches_after_open = [[0, 1]]\n", "territory.A.coaches_after_open", 11,
        "either coaches (dated steps) or coaches_after_open (days since opening), not both");
    std::string neither = kMinimal;
    neither.erase(neither.find("coaches = [[2019-07-01, 1]]\n"), 28);
    check_error(neither, "territory.A.coaches", 6,
                "missing required key: give either coaches (dated steps) or coaches_after_open");

    // A non-candidate may use it; its `open` stays required and the schedule is stored as written.
    const Scenario s = parse_scenario(with_after_open("[[0, 1], [90, 2.5], [365, 4]]"), "x.toml");
    const Territory& a = s.territories[0];
    CHECK(a.open == Date{2019, 7, 1});
    CHECK(a.coaches.empty());
    CHECK(a.coaches_after_open == std::vector<std::pair<int, double>>{{0, 1}, {90, 2.5}, {365, 4}});
    std::string no_open = with_after_open("[[0, 1]]");
    no_open.erase(no_open.find("open = 2019-07-01\n"), 18);
    check_error(no_open + "[rollout]\npolicy = \"need\"\n", "territory.A.open", 6,
                "missing required key");
}

TEST_CASE("scenario_toml: candidates") {
    check_error(with_candidate("coaches_after_open = [[0, 1]]\n", "candidate = \"yes\"\n"), "", 15,
                "TOML syntax error");  // redefined key
    std::string not_bool = with_candidate("coaches_after_open = [[0, 1]]\n");
    not_bool.replace(not_bool.find("candidate = true"), 16, "candidate = \"yes\"");
    check_error(not_bool, "territory.C.candidate", 12, "expected true or false, got \"yes\"");

    // Under "dates" (the default), a candidate opens on its own date: `open` is required.
    check_error(with_candidate("coaches_after_open = [[0, 1]]\n"), "territory.C.open", 10,
                "missing required key (a candidate opens on its own date under rollout.policy "
                "\"dates\")");
    check_error(
        with_candidate("coaches_after_open = [[0, 1]]\n", "[rollout]\npolicy = \"dates\"\n"),
        "territory.C.open", 10, "missing required key");
    Scenario s = parse_scenario(with_candidate("open = 2020-01-01\ncoaches = [[2020-01-01, 2]]\n"),
                                "x.toml");
    CHECK(s.territories[1].candidate);
    CHECK(s.territories[1].open == Date{2020, 1, 1});
    CHECK(s.territories[1].coaches == std::vector<std::pair<Date, double>>{{{2020, 1, 1}, 2}});
    // ... and the check "first step on or before open" applies to its `coaches`.
    check_error(with_candidate("open = 2020-01-01\ncoaches = [[2020-02-01, 2]]\n"),
                "territory.C.coaches.0", 15, "must be on or before open (2020-01-01)");

    // Under "need" and "proximity" the roll-out decides the date: dated coaches are refused.
    check_error(with_candidate("coaches = [[2020-01-01, 2]]\n", "[rollout]\npolicy = \"need\"\n"),
                "territory.C.coaches", 14,
                "a candidate under rollout.policy \"need\" opens on a date the roll-out decides: "
                "give its schedule as coaches_after_open");
    check_error(with_candidate("open = 2020-01-01\ncoaches = [[2020-01-01, 2]]\n",
                               "[rollout]\npolicy = \"proximity\"\n"),
                "territory.C.coaches", 15, "rollout.policy \"proximity\"");
    check_error(with_candidate("coaches = [[2020-01-01, 2]]\ncoaches_after_open = [[0, 1]]\n",
                               "[rollout]\npolicy = \"need\"\n"),
                "territory.C.coaches_after_open", 15, "not both");
    check_error(with_candidate("", "[rollout]\npolicy = \"need\"\n"), "territory.C.coaches", 10,
                "missing required key: give either coaches");
    // A non-candidate under "need" may still use dated coaches.
    s = parse_scenario(
        with_candidate("coaches_after_open = [[0, 1]]\n", "[rollout]\npolicy = \"need\"\n"),
        "x.toml");
    CHECK(s.territories[0].coaches.size() == 1);

    // Without `open`, the earliest date is the roll-out start, else the scenario start.
    CHECK(s.territories[1].open == Date{2019, 7, 1});
    s = parse_scenario(with_candidate("coaches_after_open = [[0, 1]]\n",
                                      "[rollout]\npolicy = \"need\"\nstart = 2019-10-01\n"),
                       "x.toml");
    CHECK(s.territories[1].open == Date{2019, 10, 1});
    s = parse_scenario(with_candidate("open = 2020-03-01\ncoaches_after_open = [[0, 1]]\n",
                                      "[rollout]\npolicy = \"proximity\"\nstart = 2019-10-01\n"),
                       "x.toml");
    CHECK(s.territories[1].open == Date{2020, 3, 1});
}

TEST_CASE("scenario_toml: a roll-out scenario lands in the right fields and round-trips") {
    const std::string text =
        "[scenario]\n"
        "name = \"essaimage\"\n"
        "start = 2019-07-01\n"
        "end = 2022-06-30\n"
        "[rollout]\n"
        "policy = \"proximity\"\n"
        "start = 2020-01-01\n"
        "wave_every_days = 182\n"
        "max_per_wave = 1\n"
        "budget_per_year = 450000.5\n"
        "[[territory]]\n"
        "name = \"Hub\"\n"
        "open = 2019-07-01\n"
        "coaches_after_open = [[0, 2], [180, 3]]\n"
        "pool = 3000\n"
        "neighbours = [\"Near\"]\n"
        "[[territory]]\n"
        "name = \"Near\"\n"
        "candidate = true\n"
        "coaches_after_open = [[0, 1], [90, 2.5]]\n"
        "pool = 800\n"
        "[[territory]]\n"
        "name = \"Far\"\n"
        "candidate = true\n"
        "open = 2021-01-01\n"
        "coaches_after_open = [[0, 2]]\n"
        "pool = 1500\n"
        "[[territory]]\n"
        "name = \"Fixed\"\n"
        "candidate = false\n"
        "open = 2020-07-01\n"
        "coaches = [[2020-07-01, 1], [2021-01-01, 2]]\n"
        "pool = 500\n";
    const Scenario s = parse_scenario(text, "x.toml");
    CHECK(s.rollout.policy == RolloutPolicy::proximity);
    CHECK(s.rollout.start == Date{2020, 1, 1});
    CHECK(s.rollout.wave_every_days == 182);
    CHECK(s.rollout.max_per_wave == 1);
    CHECK(s.rollout.budget_per_year == 450000.5);
    REQUIRE(s.territories.size() == 4);
    const Territory& hub = s.territories[0];
    CHECK_FALSE(hub.candidate);
    CHECK(hub.open == Date{2019, 7, 1});
    CHECK(hub.coaches.empty());
    CHECK(hub.coaches_after_open == std::vector<std::pair<int, double>>{{0, 2}, {180, 3}});
    const Territory& near = s.territories[1];
    CHECK(near.candidate);
    CHECK(near.open == Date{2020, 1, 1});  // no `open`: the roll-out start
    CHECK(near.coaches_after_open == std::vector<std::pair<int, double>>{{0, 1}, {90, 2.5}});
    CHECK(near.pool == 800);
    const Territory& far = s.territories[2];
    CHECK(far.candidate);
    CHECK(far.open == Date{2021, 1, 1});  // the earliest opening date
    CHECK(far.coaches_after_open == std::vector<std::pair<int, double>>{{0, 2}});
    const Territory& fixed = s.territories[3];
    CHECK_FALSE(fixed.candidate);
    CHECK(fixed.coaches.size() == 2);
    CHECK(fixed.coaches_after_open.empty());

    // The effective document carries the new keys, and reading it again gives the same scenario.
    CHECK(s.source_text.find("[rollout]\npolicy = \"proximity\"\nstart = 2020-01-01\n") !=
          std::string::npos);
    CHECK(s.source_text.find("coaches_after_open = [[0, 1], [90, 2.5]]") != std::string::npos);
    CHECK(s.source_text.find("candidate = true") != std::string::npos);
    const Scenario again = parse_scenario(s.source_text, "manifest.toml");
    CHECK(again.source_text == s.source_text);
    CHECK(again.rollout.policy == s.rollout.policy);
    CHECK(again.rollout.start == s.rollout.start);
    CHECK(again.rollout.wave_every_days == s.rollout.wave_every_days);
    CHECK(again.rollout.max_per_wave == s.rollout.max_per_wave);
    CHECK(again.rollout.budget_per_year == s.rollout.budget_per_year);
    for (std::size_t t = 0; t < s.territories.size(); ++t) {
        CAPTURE(t);
        CHECK(again.territories[t].candidate == s.territories[t].candidate);
        CHECK(again.territories[t].open == s.territories[t].open);
        CHECK(again.territories[t].coaches == s.territories[t].coaches);
        CHECK(again.territories[t].coaches_after_open == s.territories[t].coaches_after_open);
    }

    // --set reaches the new keys.
    const Scenario set = parse_scenario(text, "x.toml",
                                        {"rollout.policy=need", "rollout.max_per_wave=0",
                                         "territory.Far.coaches_after_open=[[0, 3]]"});
    CHECK(set.rollout.policy == RolloutPolicy::need);
    CHECK(set.rollout.max_per_wave == 0);
    CHECK(set.territories[2].coaches_after_open == std::vector<std::pair<int, double>>{{0, 3}});
    const ScenarioError e =
        error_of(text, {"territory.Fixed.candidate=true", "rollout.policy=need"});
    CHECK(e.key() == "territory.Fixed.coaches");
    CHECK(e.line() == 32);
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs (issue 7, items 7 to 9): refused as ScenarioErrors, located.

TEST_CASE("scenario_toml: a scenario path or extends that is not a regular file") {
    essaim::test::TempDir dir;
    const std::string fifo = dir.file("pipe.toml");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    for (const std::string& path : {dir.path.string(), std::string("/dev/zero"), fifo}) {
        INFO("path: " << path);
        try {
            load_scenario(path);
            FAIL("expected a ScenarioError");
        } catch (const ScenarioError& e) {
            CHECK(e.file() == path);
            CHECK(e.message().find("not a regular file") != std::string::npos);
        }
        const std::string top =
            dir.write("top.toml", "extends = \"" + fs::absolute(path).string() + "\"\n");
        try {
            load_scenario(top);
            FAIL("expected a ScenarioError");
        } catch (const ScenarioError& e) {
            CHECK(e.file() == top);
            CHECK(e.line() == 1);
            CHECK(e.key() == "extends");
            CHECK(e.message().find("not a regular file") != std::string::npos);
        }
    }
}

TEST_CASE("scenario_toml: deep nesting and long extends chains are refused, located") {
    ScenarioError e = error_of(kMinimal + "[parcours." + std::string(30000 * 2 - 1, '.') + "]\n");
    CHECK(e.line() == 11);  // (an empty segment: a syntax error is fine as long as it is not deep)
    std::string header = "[parcours";
    for (int i = 0; i < 30000; ++i) header += ".a";
    e = error_of(kMinimal + header + "]\n");
    CHECK(e.file() == "x.toml");
    CHECK(e.line() == 11);
    CHECK(e.column() == 2 + 9 + 63 * 2);
    CHECK(e.key().starts_with("parcours.a.a"));
    CHECK(e.message().find("nested more than 64 levels") != std::string::npos);

    std::string arrays = "[parcours]\nx = ";
    for (int i = 0; i < 1000; ++i) arrays += "[";
    e = error_of(kMinimal + arrays + "\n");
    CHECK(e.line() == 12);
    CHECK(e.key() == "parcours.x");

    essaim::test::TempDir dir;
    dir.write("f100.toml", kMinimal);
    for (int i = 99; i >= 0; --i) {
        std::string name = "f", next = "extends = \"f";
        name += std::to_string(i) + ".toml";
        next += std::to_string(i + 1) + ".toml\"\n";
        dir.write(name, next);
    }
    try {
        load_scenario(dir.file("f0.toml"));
        FAIL("expected a ScenarioError");
    } catch (const ScenarioError& error) {
        CHECK(fs::path(error.file()).filename() == "f64.toml");
        CHECK(error.key() == "extends");
        CHECK(error.message().find("more than 64 extends links") != std::string::npos);
    }
}

TEST_CASE("scenario_toml: NUL characters and invalid UTF-8 are refused, naming the key") {
    // Two names differing after a NUL would be one name in HDF5 and CSV files.
    std::string text = two_territories("");
    text.replace(text.find("name = \"B\""), 10, "name = \"A\\u0000B\"");
    ScenarioError e = error_of(text);
    CHECK(e.key() == "territory.1.name");
    CHECK(e.line() == 11);  // no extra line for A
    CHECK(e.message().find("NUL") != std::string::npos);

    e = error_of(kMinimal, {"scenario.name=\xff"});
    CHECK(e.file() == "--set");
    CHECK(e.key() == "scenario.name");
    CHECK(e.message() == "expected a string in valid UTF-8, got \"\\xFF\"");
    e = error_of(kMinimal, {"scenario.description=\"a\\u0000\""});
    CHECK(e.key() == "scenario.description");
    e = error_of(kMinimal, {"territory.A.name=\"A\\u0000B\""});
    CHECK(e.key() == "territory.A.name");
    e = error_of(kMinimal, {"scenario.na\xe9me=1"});
    CHECK(e.key() == "scenario.na\\xE9me");
    CHECK(std::string(e.what()) ==
          "--set: scenario.na\\xE9me: expected a key path in valid UTF-8, got "
          "\"scenario.na\\xE9me\"");

    // Whatever a caller passes, the error's parts are printable (validate --json needs UTF-8).
    const ScenarioError raw("f\xff.toml", 1, 2, "k\xfe", "got \xfd");
    CHECK(raw.file() == "f\\xFF.toml");
    CHECK(raw.key() == "k\\xFE");
    CHECK(raw.message() == "got \\xFD");
}
