// `essaim models`, `essaim describe MODEL`, and `essaim run` for models other than Dest1 (a
// scenario file whose `scenario.model` names one, or `--model NAME` without a file).
#include <boost/program_options.hpp>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/cli.hpp"
#include "apps/cli_common.hpp"
#include "apps/models.hpp"
#include "apps/table.hpp"

namespace essaim::cli {
namespace po = boost::program_options;

namespace {

std::string range_text(const experiment::ParameterInfo& p) {
    using Type = experiment::ParameterInfo::Type;
    if (p.type == Type::choice) {
        std::string out;
        for (const auto& c : p.choices) out += (out.empty() ? "" : " | ") + c;
        return out;
    }
    if (p.type == Type::boolean) return "true | false";
    auto bound = [](double x) {
        if (std::isinf(x)) return std::string(x > 0 ? "inf" : "-inf");
        std::ostringstream out;
        out << x;
        return out.str();
    };
    std::ostringstream out;  // not operator+: GCC 12 warns falsely (-Wrestrict)
    out << (p.min_inclusive ? "[" : "(") << bound(p.min) << ", " << bound(p.max)
        << (p.max_inclusive && !std::isinf(p.max) ? "]" : ")");
    return out.str();
}

nlohmann::ordered_json variables_json(const std::vector<VariableInfo>& variables) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& v : variables)
        list.push_back({{"name", v.name},
                        {"unit", v.unit},
                        {"label_en", v.label_en},
                        {"label_fr", v.label_fr}});
    return list;
}

nlohmann::ordered_json parameter_json(const experiment::ParameterInfo& p) {
    nlohmann::ordered_json o;
    o["name"] = p.name;
    o["key"] = p.key;
    o["type"] = experiment::type_name(p.type);
    o["unit"] = p.unit;
    o["default"] = p.default_value;
    if (p.type == experiment::ParameterInfo::Type::choice) {
        o["choices"] = p.choices;
    } else {
        o["min"] = number(p.min);  // infinite bounds are null
        o["max"] = std::isinf(p.max) ? nlohmann::ordered_json(nullptr) : number(p.max);
        o["min_inclusive"] = p.min_inclusive;
        o["max_inclusive"] = p.max_inclusive;
    }
    o["description_en"] = p.description_en;
    o["description_fr"] = p.description_fr;
    return o;
}

// The Markdown table of docs/SCENARIOS.md ("Parameter registry"), generated from the registry.
void print_markdown(std::ostream& out, const experiment::Model& model) {
    out << "| name | key | type | unit | default | range | meaning |\n"
           "|---|---|---|---|---|---|---|\n";
    for (const auto& p : model.parameters())
        out << "| `" << p.name << "` | `" << p.key << "` | " << experiment::type_name(p.type)
            << " | " << p.unit << " | `" << p.default_value << "` | " << range_text(p) << " | "
            << p.description_en << " |\n";
}

}  // namespace

int models_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim models [--json]\n\n"
        "Lists the models this essaim runs (a scenario file names its model in scenario.model;\n"
        "`--model NAME` runs a model without a file where it has defaults).";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("json", "print one JSON object on stdout")(
        "quiet,q", "nothing on stderr (accepted by every command)");
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {})) return kOk;
    if (vm.count("json")) {
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (const auto& name : models().names()) {
            const experiment::Model& m = *models().find(name);
            list.push_back({{"name", name},
                            {"description", m.description()},
                            {"parameters", m.parameters().size()},
                            {"kpis", variables_json(m.kpis())}});
        }
        std::cout << nlohmann::ordered_json{{"models", list}}.dump() << '\n';
        return kOk;
    }
    Table table({{"model", Table::Align::left},
                 {"parameters"},
                 {"KPIs"},
                 {"description", Table::Align::left}});
    for (const auto& name : models().names()) {
        const experiment::Model& m = *models().find(name);
        table.add_row({name, std::to_string(m.parameters().size()), std::to_string(m.kpis().size()),
                       m.description()});
    }
    table.print(std::cout);
    return kOk;
}

int describe_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim describe MODEL [--json | --markdown] [--lang en|fr]\n\n"
        "Prints MODEL's parameter registry (name, scenario key, type, unit, default, allowed "
        "range,\n"
        "description), then its KPIs and daily series.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("json", "print one JSON object on stdout")(
        "markdown", "print the parameter table as Markdown (docs/SCENARIOS.md)")(
        "lang", po::value<std::string>()->default_value("en"), "descriptions in en or fr")(
        "quiet,q", "nothing on stderr (accepted by every command)");
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"model"})) return kOk;
    const experiment::Model& model = model_named(vm["model"].as<std::string>());
    const std::string lang = vm["lang"].as<std::string>();
    if (lang != "en" && lang != "fr")
        throw UsageError("--lang: expected en or fr, got '" + lang + "'");
    if (vm.count("json")) {
        nlohmann::ordered_json parameters = nlohmann::ordered_json::array();
        for (const auto& p : model.parameters()) parameters.push_back(parameter_json(p));
        nlohmann::ordered_json json{{"model", model.name()},
                                    {"description", model.description()},
                                    {"parameters", parameters},
                                    {"kpis", variables_json(model.kpis())},
                                    {"series", variables_json(model.series())}};
        std::cout << json.dump() << '\n';
        return kOk;
    }
    if (vm.count("markdown")) {
        print_markdown(std::cout, model);
        return kOk;
    }
    std::cout << model.name() << ": " << model.description() << "\n\nParameters\n";
    Table parameters({{"name", Table::Align::left},
                      {"key", Table::Align::left},
                      {"type", Table::Align::left},
                      {"unit", Table::Align::left},
                      {"default"},
                      {"range", Table::Align::left},
                      {"description", Table::Align::left}});
    for (const auto& p : model.parameters())
        parameters.add_row({p.name, p.key, experiment::type_name(p.type), p.unit, p.default_value,
                            range_text(p), lang == "fr" ? p.description_fr : p.description_en});
    parameters.print(std::cout);
    for (const auto& [title, variables] :
         {std::pair{"KPIs", &model.kpis()}, std::pair{"Daily series", &model.series()}}) {
        if (variables->empty()) continue;
        std::cout << '\n' << title << '\n';
        Table table({{"name", Table::Align::left},
                     {"unit", Table::Align::left},
                     {"label", Table::Align::left}});
        for (const auto& v : *variables)
            table.add_row({v.name, v.unit, lang == "fr" ? v.label_fr : v.label_en});
        table.print(std::cout);
    }
    return kOk;
}

bool runs_another_model(const std::vector<std::string>& args) {
    for (const std::string& a : args)
        if (a == "--model" || a.starts_with("--model=")) return true;
    // The scenario file: the first argument that is not an option (nor an option's value).
    for (const auto& a : args) {
        if (a.empty() || a[0] == '-') return false;  // options first: let `run` report them
        try {
            return scenario_model(a) != "dest1";
        } catch (const std::exception&) {
            return false;  // `run` reports a bad file with its usual message
        }
    }
    return false;
}

int model_run_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim run [SCENARIO] --model NAME [--set key=value]... [--seed N]\n"
        "                  [--replication N] [--json]\n\n"
        "Runs one replication of a model other than Dest1 (essaim models): from a scenario file\n"
        "whose scenario.model names it, or from the model's defaults with --model NAME. Prints\n"
        "the KPIs (with --json one object: {\"model\", \"scenario\", \"seed\", \"replication\",\n"
        "\"total\": {KPI: value}} and each total KPI at the top level too). Writes no file.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("model", po::value<std::string>(),
                                                 "the model (default: the file's scenario.model)")(
        "set", po::value<std::vector<std::string>>()->composing(),
        "override a parameter, e.g. --set x1=0.5 (repeatable)")(
        "seed", po::value<std::uint64_t>(), "random seed (default: the scenario's seed)")(
        "replication", po::value<std::uint64_t>()->default_value(0), "replication number")(
        "json", "print one JSON object on stdout")("quiet,q", "nothing on stderr")(
        "no-output", "accepted for symmetry with Dest1 runs (no file is written anyway)");
    po::variables_map vm;
    if (!parse(args, options, usage, vm, {"scenario"}, 0)) return kOk;
    if (!vm.count("scenario") && !vm.count("model"))
        throw UsageError("give a SCENARIO file or --model NAME");
    const bool has_file = vm.count("scenario") > 0;
    const std::string model_name = vm.count("model")
                                       ? vm["model"].as<std::string>()
                                       : scenario_model(vm["scenario"].as<std::string>());
    const experiment::Model& model = model_named(model_name);
    if (model.name() == "dest1" && has_file) {  // `--model dest1 FILE`: Dest1's own run
        std::vector<std::string> rest;
        for (std::size_t i = 0; i < args.size(); ++i) {
            if (args[i] == "--model") {
                ++i;
                continue;
            }
            if (!args[i].starts_with("--model=")) rest.push_back(args[i]);
        }
        return run_command(rest);
    }
    const auto overrides = overrides_of(vm);
    const auto scenario = has_file ? model.load(vm["scenario"].as<std::string>(), overrides)
                                   : model.load_defaults(overrides);
    const std::uint64_t seed = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : scenario->seed();
    const std::uint64_t replication = vm["replication"].as<std::uint64_t>();
    const experiment::UnitResult result = model.run(*scenario, seed, replication, {});
    const auto& kpis = model.kpis();
    const std::size_t total_row = scenario->units().size() * kpis.size();
    if (vm.count("json")) {
        nlohmann::ordered_json json{{"model", model.name()},
                                    {"scenario", scenario->name()},
                                    {"seed", seed},
                                    {"replication", replication}};
        nlohmann::ordered_json total;
        for (std::size_t k = 0; k < kpis.size(); ++k)
            total[kpis[k].name] = number(result.kpis[total_row + k]);
        json["total"] = total;
        for (std::size_t k = 0; k < kpis.size(); ++k)
            json[kpis[k].name] = number(result.kpis[total_row + k]);
        std::cout << json.dump() << '\n';
        return kOk;
    }
    std::cout << "Model " << model.name() << ", scenario " << scenario->name() << ", seed " << seed
              << ", replication " << replication << "\n\n";
    Table table({{"KPI", Table::Align::left}, {"value"}, {"unit", Table::Align::left}});
    for (std::size_t k = 0; k < kpis.size(); ++k) {
        std::ostringstream value;
        value.precision(std::numeric_limits<double>::max_digits10);
        value << result.kpis[total_row + k];
        table.add_row({kpis[k].name, value.str(), kpis[k].unit});
    }
    table.print(std::cout);
    return kOk;
}

}  // namespace essaim::cli
