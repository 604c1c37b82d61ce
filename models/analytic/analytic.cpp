#include "models/analytic/analytic.hpp"

#include <boost/random/binomial_distribution.hpp>
#include <cmath>
#include <numbers>
#include <string>

#include "models/analytic/flat_scenario.hpp"
#include "sim/random.hpp"

namespace essaim::analytic {
namespace {

using experiment::ModelScenario;
using experiment::ParameterInfo;
using experiment::UnitRequest;
using experiment::UnitResult;

constexpr double kPi = std::numbers::pi;

ParameterInfo number(std::string name, double min, double max, std::string default_value,
                     std::string en, std::string fr) {
    ParameterInfo p;
    p.name = p.key = std::move(name);
    p.min = min;
    p.max = max;
    p.default_value = std::move(default_value);
    p.description_en = std::move(en);
    p.description_fr = std::move(fr);
    return p;
}

const std::vector<VariableInfo>& output_y() {
    static const std::vector<VariableInfo> kpis{{"y", "", "model output", "sortie du modèle"}};
    return kpis;
}

// A standard normal from the replication's own stream (Box-Muller on one block): the noise is a
// pure function of (seed, replication), like every random number of essaim.
double standard_normal(std::uint64_t seed, std::uint64_t replication) {
    const RandomSource random(seed, replication);
    const auto words = random.block({0, 1, 0, 0});
    const double u1 = unit_open(words[0]), u2 = unit_open(words[1]);
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
}

// What the analytic models share: one KPI `y`, no daily series, scenarios as flat documents read
// against the registry; each model gives its registry, the reading and the formula.
class FlatModel : public experiment::Model {
public:
    FlatModel(std::string name, std::string description)
        : name_(std::move(name)), description_(std::move(description)) {}
    const std::string& name() const override { return name_; }
    const std::string& description() const override { return description_; }
    const std::vector<VariableInfo>& kpis() const override { return output_y(); }
    const std::vector<VariableInfo>& series() const override { return no_series_; }

    std::shared_ptr<const ModelScenario> load(
        const std::string& path, const std::vector<std::string>& overrides) const override {
        auto scenario = read(flat_document(&path, overrides));
        set_source_path(*scenario, path);
        return scenario;
    }
    std::shared_ptr<const ModelScenario> load_defaults(
        const std::vector<std::string>& overrides) const override {
        return read(flat_document(nullptr, overrides));
    }
    std::shared_ptr<const ModelScenario> load_text(
        const std::string& text, const std::string& source,
        const std::vector<std::string>& overrides) const override {
        return read(text_document(text, source, overrides));
    }
    hdf5::Group write_manifest(const hdf5::Group& root, const ModelScenario& scenario,
                               const experiment::Manifest& manifest) const override {
        return write_flat_description(root, dynamic_cast<const FlatScenario&>(scenario), name_,
                                      manifest);
    }
    UnitResult run(const ModelScenario& scenario, std::uint64_t seed, std::uint64_t replication,
                   const UnitRequest&) const override {
        UnitResult result;
        result.kpis = {y(dynamic_cast<const FlatScenario&>(scenario), seed, replication)};
        return result;
    }

protected:
    virtual std::shared_ptr<FlatScenario> read(const TomlNode& document) const = 0;
    virtual double y(const FlatScenario& s, std::uint64_t seed,
                     std::uint64_t replication) const = 0;

    std::string name_, description_;
    std::vector<VariableInfo> no_series_;
};

class Ishigami final : public FlatModel {
public:
    Ishigami()
        : FlatModel("ishigami",
                    "Ishigami function y = sin x1 + a sin^2 x2 + b x3^4 sin x1 "
                    "(sensitivity-analysis test)") {
        const char* x_fr = "facteur d'entrée";
        for (const char* x : {"x1", "x2", "x3"})
            registry_.push_back(number(x, -kPi, kPi, "0.0", std::string("input factor ") + x,
                                       std::string(x_fr) + " " + x));
        registry_.push_back(
            number("a", -1e6, 1e6, "7.0", "constant a (weight of sin^2 x2)", "constante a"));
        registry_.push_back(
            number("b", -1e6, 1e6, "0.1", "constant b (weight of x3^4 sin x1)", "constante b"));
        registry_.push_back(number("noise_sd", 0, 1e6, "0.0", "sd of Gaussian noise added to y",
                                   "écart-type du bruit gaussien ajouté à y"));
    }
    const std::vector<ParameterInfo>& parameters() const override { return registry_; }

private:
    std::shared_ptr<FlatScenario> read(const TomlNode& document) const override {
        return read_flat_scenario(document, registry_, name_);
    }
    double y(const FlatScenario& s, std::uint64_t seed, std::uint64_t replication) const override {
        const double x1 = s.number("x1"), x2 = s.number("x2"), x3 = s.number("x3");
        double y = std::sin(x1) + s.number("a") * std::pow(std::sin(x2), 2) +
                   s.number("b") * std::pow(x3, 4) * std::sin(x1);
        if (const double sd = s.number("noise_sd"); sd > 0)
            y += sd * standard_normal(seed, replication);
        return y;
    }

    std::vector<ParameterInfo> registry_;
};

// Saltelli's usual coefficients: two important inputs, two moderate, four nearly inert.
constexpr const char* kDefaultG = "[0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0]";
constexpr std::size_t kMaxGInputs = 64;

// "x1", "x2", ...: appended rather than "x" + to_string, which GCC 12 flags falsely (-Wrestrict).
std::string input_name(std::size_t i) {
    std::string name = "x";
    name += std::to_string(i);
    return name;
}

class SobolG final : public FlatModel {
public:
    SobolG()
        : FlatModel("sobol-g",
                    "Sobol' G-function y = prod (|4 x_i - 2| + a_i) / (1 + a_i) "
                    "(sensitivity-analysis test)"),
          registry_(registry_for(8)) {}
    const std::vector<ParameterInfo>& parameters() const override { return registry_; }

private:
    double y(const FlatScenario& s, std::uint64_t, std::uint64_t) const override {
        const std::vector<double>& a = s.list("a");
        double y = 1;
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double x = s.number(input_name(i + 1));
            y *= (std::abs(4 * x - 2) + a[i]) / (1 + a[i]);
        }
        return y;
    }
    // x1..xD for D coefficients: how many inputs there are depends on the scenario's `a`.
    static std::vector<ParameterInfo> registry_for(std::size_t inputs) {
        std::vector<ParameterInfo> registry;
        ParameterInfo a = number("a", 0, 1e9, kDefaultG,
                                 "coefficients a_i, one per input (small a_i: important input)",
                                 "coefficients a_i, un par facteur (a_i petit : facteur influent)");
        a.type = ParameterInfo::Type::list;
        registry.push_back(a);
        for (std::size_t i = 1; i <= inputs; ++i) {
            const std::string x = input_name(i);
            registry.push_back(
                number(x, 0, 1, "0.5", "input factor " + x, "facteur d'entrée " + x));
        }
        return registry;
    }
    std::shared_ptr<FlatScenario> read(const TomlNode& document) const override {
        std::size_t inputs = 8;
        if (const TomlNode* a = document.find("a"); a && a->is_array()) {
            inputs = a->items.size();
            if (inputs > kMaxGInputs)
                throw TomlError(a->where, "a",
                                "expected at most " + std::to_string(kMaxGInputs) +
                                    " coefficients, got " + std::to_string(inputs));
        }
        for (const TomlNode& m : document.members) {
            std::size_t index = 0;
            const bool is_input = m.key.size() > 1 && m.key[0] == 'x' &&
                                  m.key.find_first_not_of("0123456789", 1) == std::string::npos;
            if (is_input) index = std::stoul(m.key.substr(1, 9));
            if (is_input && (index == 0 || index > inputs))
                throw TomlError(m.key_where, m.key,
                                "the G-function has " + std::to_string(inputs) +
                                    " coefficients (a), so its inputs are x1..x" +
                                    std::to_string(inputs));
        }
        return read_flat_scenario(document, registry_for(inputs), name_);
    }

    std::vector<ParameterInfo> registry_;
};

// A calibration check with a known posterior: successes ~ Binomial(trials, p). With a uniform
// prior on p and an exact match on k successes, the posterior is Beta(k + 1, trials - k + 1).
class Binomial final : public FlatModel {
public:
    Binomial()
        : FlatModel("binomial",
                    "successes ~ Binomial(trials, p) (calibration test: known posterior)") {
        registry_.push_back(number("p", 0, 1, "0.5", "probability of a success",
                                   "probabilité d'un succès"));
        ParameterInfo trials = number("trials", 0, 1e6, "50", "number of trials",
                                      "nombre d'essais");
        trials.type = ParameterInfo::Type::integer;
        registry_.push_back(trials);
    }
    const std::vector<ParameterInfo>& parameters() const override { return registry_; }
    const std::vector<VariableInfo>& kpis() const override {
        static const std::vector<VariableInfo> kpis{
            {"successes", "", "number of successes", "nombre de succès"}};
        return kpis;
    }

private:
    std::shared_ptr<FlatScenario> read(const TomlNode& document) const override {
        return read_flat_scenario(document, registry_, name_);
    }
    double y(const FlatScenario& s, std::uint64_t seed, std::uint64_t replication) const override {
        const RandomSource random(seed, replication);
        RandomStream stream(random, {0, 1, 0, 0});
        // Boost.Random's sampler (inversion for small means, BTRD above): exact, and the same
        // numbers for the same stream on every platform.
        boost::random::binomial_distribution<long> successes(
            static_cast<long>(std::llround(s.number("trials"))), s.number("p"));
        return static_cast<double>(successes(stream));
    }

    std::vector<ParameterInfo> registry_;
};

}  // namespace

std::shared_ptr<const experiment::Model> make_binomial() { return std::make_shared<Binomial>(); }
std::shared_ptr<const experiment::Model> make_ishigami() { return std::make_shared<Ishigami>(); }
std::shared_ptr<const experiment::Model> make_sobol_g() { return std::make_shared<SobolG>(); }

}  // namespace essaim::analytic
