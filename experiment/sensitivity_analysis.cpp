#include "experiment/sensitivity_analysis.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <span>
#include <sstream>
#include <stdexcept>

#include "sim/hdf5_file.hpp"

namespace essaim::experiment {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::array<const char*, 3> kMethodNames{"sobol", "morris", "lhs"};

// The KPIs an analysis reports: those asked for, else every KPI of a small model, else Dest1's
// four headline outcomes (entries, positive exit rate, days to first job, cost per positive exit).
std::vector<std::size_t> kpis_of(const Model& model, const std::vector<std::string>& asked) {
    const auto& kpis = model.kpis();
    auto index_of = [&](const std::string& name) -> std::size_t {
        for (std::size_t k = 0; k < kpis.size(); ++k)
            if (kpis[k].name == name) return k;
        std::vector<std::string> names;
        for (const auto& v : kpis) names.push_back(v.name);
        std::string message = "--kpi: the " + model.name() + " model has no KPI '" + name + "'";
        if (auto best = closest_name(name, names)) message += ", did you mean '" + *best + "'?";
        throw std::invalid_argument(message);
    };
    std::vector<std::size_t> out;
    for (const auto& name : asked) out.push_back(index_of(name));
    if (!out.empty()) return out;
    if (kpis.size() <= 6) {
        for (std::size_t k = 0; k < kpis.size(); ++k) out.push_back(k);
        return out;
    }
    for (const char* name :
         {"entries", "positive_exit_rate", "mean_days_to_first_job", "cost_per_positive_exit"})
        for (std::size_t k = 0; k < kpis.size(); ++k)
            if (kpis[k].name == name) out.push_back(k);
    if (out.empty())
        for (std::size_t k = 0; k < 4 && k < kpis.size(); ++k) out.push_back(k);
    return out;
}

std::size_t default_n(SaMethod method) {
    switch (method) {
        case SaMethod::sobol:
            return 512;
        case SaMethod::morris:
            return 20;
        case SaMethod::lhs:
            return 200;
    }
    return 100;
}

std::vector<std::string> column(const std::vector<SpaceParameter>& space,
                                std::string SpaceParameter::*field) {
    std::vector<std::string> out;
    for (const auto& p : space) out.push_back(p.*field);
    return out;
}

void label(const hdf5::Object& object, const std::vector<std::string>& kpis,
           const std::vector<std::string>& parameters, const char* dimensions) {
    object.set_attr_strings("kpis", kpis);
    object.set_attr_strings("parameters", parameters);
    object.set_attr_string("dimensions", dimensions);
}

}  // namespace

const char* method_name(SaMethod method) { return kMethodNames[static_cast<int>(method)]; }

analysis::UnitDesign unit_design(SaMethod method, std::size_t n, std::size_t dimensions,
                                 const SaOptions& options, analysis::SaltelliLayout* layout) {
    if (n == 0) n = default_n(method);
    switch (method) {
        case SaMethod::sobol: {
            analysis::SaltelliDesign d =
                analysis::saltelli_design(n, dimensions, options.second_order);
            if (layout) *layout = d.layout;
            return d.points;
        }
        case SaMethod::morris:
            return analysis::morris_design(n, dimensions, {options.levels, 0, options.seed});
        case SaMethod::lhs:
            return analysis::latin_hypercube(n, dimensions, options.seed, options.maximin);
    }
    return {};
}

SensitivityAnalysis::SensitivityAnalysis(const Model& model, const std::string& base_text,
                                         const std::string& base_path,
                                         std::vector<SpaceParameter> space, SaOptions options)
    : model_(model), space_(std::move(space)), options_(std::move(options)) {
    if (space_.empty()) throw std::invalid_argument("sa: the parameter space is empty");
    kpis_ = kpis_of(model_, options_.kpis);
    design_rows_n_ = options_.n == 0 ? default_n(options_.method) : options_.n;
    design_ = unit_design(options_.method, design_rows_n_, space_.size(), options_, &layout_);
    std::vector<SweepPoint> points;
    points.reserve(design_.rows());
    for (std::size_t row = 0; row < design_.rows(); ++row) {
        SweepPoint point;
        std::vector<std::string> overrides;
        for (std::size_t i = 0; i < space_.size(); ++i) {
            const SpaceParameter& p = space_[i];
            point.settings.emplace_back(p.key + (p.scale ? "*" : ""),
                                        p.value_at(design_.at(row, i)));
            overrides.push_back(p.override_at(design_.at(row, i)));
        }
        point.scenario = model_.load_text(base_text, base_path, overrides);
        points.push_back(std::move(point));
    }
    SweepOptions sweep_options;
    sweep_options.base_text = base_text;
    sweep_options.base_path = base_path;
    sweep_options.seed = options_.seed;
    sweep_options.replications = options_.replications;
    sweep_options.threads = options_.threads;
    sweep_options.quiet = options_.quiet;
    sweep_options.engine = options_.engine;
    sweep_ = std::make_unique<Sweep>(model_, std::move(points), sweep_options);
}

SaResult SensitivityAnalysis::analyse(
    const std::function<std::vector<std::uint8_t>(std::uint64_t)>& unit) const {
    const SweepResult sweep = sweep_->reduce(unit, "", {});
    const std::size_t rows = design_.rows(), reps = options_.replications;
    const std::size_t units = sweep.rows.size(), total = units - 1, n_kpis = sweep.n_kpis;
    SaResult result;
    result.outputs.assign(rows * reps * kpis_.size(), kNaN);
    result.means.assign(rows * kpis_.size(), kNaN);
    for (std::size_t row = 0; row < rows; ++row)
        for (std::size_t k = 0; k < kpis_.size(); ++k) {
            double sum = 0;
            for (std::size_t r = 0; r < reps; ++r) {
                const double y =
                    sweep.replication_kpis[((row * reps + r) * units + total) * n_kpis + kpis_[k]];
                result.outputs[(row * reps + r) * kpis_.size() + k] = y;
                sum += y;
            }
            result.means[row * kpis_.size() + k] = sum / static_cast<double>(reps);
        }
    for (std::size_t k = 0; k < kpis_.size(); ++k) {
        std::vector<double> means(rows), outputs(rows * reps);
        for (std::size_t row = 0; row < rows; ++row) {
            means[row] = result.means[row * kpis_.size() + k];
            for (std::size_t r = 0; r < reps; ++r)
                outputs[row * reps + r] = result.outputs[(row * reps + r) * kpis_.size() + k];
        }
        KpiIndices indices;
        indices.kpi = model_.kpis()[kpis_[k]].name;
        switch (options_.method) {
            case SaMethod::sobol:
                indices.sobol =
                    analysis::sobol_indices(layout_, means, {options_.bootstrap, options_.seed});
                break;
            case SaMethod::morris:
                indices.morris = analysis::morris_indices(design_, means);
                break;
            case SaMethod::lhs:
                indices.prcc = analysis::partial_rank_correlations(design_, means);
                break;
        }
        indices.noise_share = reps > 1 ? analysis::replication_noise_share(outputs, reps) : kNaN;
        result.indices.push_back(std::move(indices));
    }
    return result;
}

void SensitivityAnalysis::write(const std::string& path, const SaResult& result,
                                const Manifest& manifest) const {
    const std::vector<std::string> names = column(space_, &SpaceParameter::name);
    std::vector<std::string> kpi_names;
    for (std::size_t k : kpis_) kpi_names.push_back(model_.kpis()[k].name);
    const std::size_t d = space_.size(), k_n = kpis_.size(), rows = design_.rows();
    hdf5::write_file_atomically(path, [&](hdf5::File& file) {
        file.set_attr_string("schema", "essaim-sa");
        file.set_attr_int("schema_version", kOutputSchemaVersion);
        const hdf5::Group m =
            model_.write_manifest(file, *sweep_->points().front().scenario, manifest);
        m.set_attr_string("method", method_name(options_.method));
        m.set_attr_uint("design_rows", rows);
        m.set_attr_uint("replications", options_.replications);
        m.set_attr_uint("levels", options_.levels);
        m.set_attr_int("second_order", options_.second_order ? 1 : 0);
        m.set_attr_uint("bootstrap", options_.bootstrap);
        write_space(file);
        const hdf5::Group design = file.create_group("design");
        label(design.write_array("unit", design_.values, {rows, d}), kpi_names, names,
              "row,parameter");
        std::vector<std::string> values;
        for (const auto& point : sweep_->points())
            for (const auto& [key, value] : point.settings) values.push_back(value);
        design.write_strings("values", values).set_attr_string("dimensions", "row,parameter");
        const hdf5::Group outputs = file.create_group("outputs");
        label(outputs.write_array("kpis", result.outputs, {rows, options_.replications, k_n}),
              kpi_names, names, "row,replication,kpi");
        label(outputs.write_array("mean", result.means, {rows, k_n}), kpi_names, names, "row,kpi");
        write_indices(file, result, kpi_names, names);
    });
}

void SensitivityAnalysis::write_space(const hdf5::Group& root) const {
    const hdf5::Group group = root.create_group("space");
    auto strings = [&](const char* name, const std::vector<std::string>& values) {
        group.write_strings(name, values).set_attr_string("dimensions", "parameter");
    };
    auto numbers = [&](const char* name, double SpaceParameter::*field) {
        std::vector<double> values;
        for (const auto& p : space_) values.push_back(p.*field);
        group.write_dataset(name, std::span<const double>(values))
            .set_attr_string("dimensions", "parameter");
    };
    strings("name", column(space_, &SpaceParameter::name));
    strings("key", column(space_, &SpaceParameter::key));
    std::vector<std::string> distributions, en, fr, choices;
    std::vector<std::int8_t> scale;
    for (const auto& p : space_) {
        distributions.push_back(distribution_name(p.distribution));
        const ParameterInfo* info = find_parameter(model_.parameters(), p.name);
        en.push_back(info ? info->description_en : (p.scale ? "multiplier of " + p.key : p.key));
        fr.push_back(info ? info->description_fr
                          : (p.scale ? "multiplicateur de " + p.key : p.key));
        std::string joined;
        for (const auto& v : p.values) joined += (joined.empty() ? "" : ", ") + v;
        choices.push_back(joined);
        scale.push_back(p.scale ? 1 : 0);
    }
    strings("distribution", distributions);
    strings("label_en", en);
    strings("label_fr", fr);
    strings("choices", choices);
    numbers("min", &SpaceParameter::min);
    numbers("max", &SpaceParameter::max);
    numbers("mode", &SpaceParameter::mode);
    numbers("mean", &SpaceParameter::mean);
    numbers("sd", &SpaceParameter::sd);
    group.write_dataset("scale", std::span<const std::int8_t>(scale))
        .set_attr_string("dimensions", "parameter");
}

void SensitivityAnalysis::write_indices(const hdf5::Group& root, const SaResult& result,
                                        const std::vector<std::string>& kpis,
                                        const std::vector<std::string>& parameters) const {
    const std::size_t k_n = result.indices.size(), d = space_.size();
    const hdf5::Group group = root.create_group("indices");
    group.set_attr_string("method", method_name(options_.method));
    auto matrix = [&](const char* name, auto value) {  // kpi x parameter
        std::vector<double> values;
        for (const auto& idx : result.indices)
            for (std::size_t i = 0; i < d; ++i) values.push_back(value(idx, i));
        label(group.write_array(name, values, {k_n, d}), kpis, parameters, "kpi,parameter");
    };
    auto intervals = [&](const char* name, auto interval) {  // kpi x parameter x (low, high)
        std::vector<double> values;
        for (const auto& idx : result.indices)
            for (std::size_t i = 0; i < d; ++i) {
                const analysis::Interval v = interval(idx, i);
                values.insert(values.end(), {v.low, v.high});
            }
        label(group.write_array(name, values, {k_n, d, 2}), kpis, parameters,
              "kpi,parameter,bound");
    };
    using I = const KpiIndices&;
    switch (options_.method) {
        case SaMethod::sobol:
            matrix("S1", [](I x, std::size_t i) { return x.sobol.first[i]; });
            intervals("S1_ci95", [](I x, std::size_t i) { return x.sobol.first_ci95[i]; });
            matrix("ST", [](I x, std::size_t i) { return x.sobol.total[i]; });
            intervals("ST_ci95", [](I x, std::size_t i) { return x.sobol.total_ci95[i]; });
            if (options_.second_order) {
                std::vector<double> values;
                for (const auto& idx : result.indices)
                    values.insert(values.end(), idx.sobol.second.begin(), idx.sobol.second.end());
                label(group.write_array("S2", values, {k_n, d, d}), kpis, parameters,
                      "kpi,parameter,parameter");
            }
            break;
        case SaMethod::morris:
            matrix("mu", [](I x, std::size_t i) { return x.morris.mu[i]; });
            matrix("mu_star", [](I x, std::size_t i) { return x.morris.mu_star[i]; });
            matrix("sigma", [](I x, std::size_t i) { return x.morris.sigma[i]; });
            break;
        case SaMethod::lhs:
            matrix("prcc", [](I x, std::size_t i) { return x.prcc.prcc[i]; });
            intervals("prcc_ci95", [](I x, std::size_t i) { return x.prcc.ci95[i]; });
            break;
    }
    std::vector<double> noise;
    for (const auto& idx : result.indices) noise.push_back(idx.noise_share);
    group.write_dataset("noise_share", std::span<const double>(noise))
        .set_attr_string("dimensions", "kpi");
}

namespace {

std::string exact(double value) {
    char buffer[32];
    std::string text(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
    if (text.find_first_of(".e") == std::string::npos &&
        text.find_first_of("in") == std::string::npos)
        text += ".0";
    return text;
}

std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (char c : text) out += c == '"' || c == '\\' ? std::string("\\") + c : std::string(1, c);
    return out + "\"";
}

}  // namespace

std::string space_text(const std::vector<SpaceParameter>& space) {
    std::string out;
    for (const auto& p : space) {
        out += "[[parameter]]\nkey = " + quoted(p.key) +
               "\ndistribution = " + quoted(distribution_name(p.distribution)) + "\n";
        if (p.scale) out += "scale = true\n";
        if (p.distribution == SpaceParameter::Distribution::choice) {
            out += "values = [";
            for (std::size_t i = 0; i < p.values.size(); ++i) out += (i ? ", " : "") + p.values[i];
            out += "]\n";
            continue;
        }
        out += "min = " + exact(p.min) + "\nmax = " + exact(p.max) + "\n";
        if (p.distribution == SpaceParameter::Distribution::triangular)
            out += "mode = " + exact(p.mode) + "\n";
        if (p.distribution == SpaceParameter::Distribution::normal)
            out += "mean = " + exact(p.mean) + "\nsd = " + exact(p.sd) + "\n";
    }
    return out;
}

std::map<std::string, std::string> SensitivityAnalysis::store_meta(std::uint64_t shard,
                                                                   std::uint64_t shards) const {
    auto meta = sweep_->store_meta(shard, shards);
    std::string kpis;
    for (std::size_t k : kpis_) kpis += (kpis.empty() ? "" : ",") + model_.kpis()[k].name;
    meta["sa_space"] = space_text(space_);
    meta["sa_method"] = method_name(options_.method);
    meta["sa_n"] = std::to_string(design_rows_n_);
    meta["sa_levels"] = std::to_string(options_.levels);
    meta["sa_second_order"] = options_.second_order ? "1" : "0";
    meta["sa_bootstrap"] = std::to_string(options_.bootstrap);
    meta["sa_maximin"] = std::to_string(options_.maximin);
    meta["sa_kpis"] = kpis;
    return meta;
}

SensitivityAnalysis analysis_of_store(
    const std::map<std::string, std::string>& meta,
    const std::function<const Model*(const std::string&)>& find_model) {
    auto value = [&](const char* key) -> const std::string& {
        const auto it = meta.find(key);
        if (it == meta.end())
            throw StoreError(std::string("not a sensitivity analysis's unit store (no ") + key +
                             ")");
        return it->second;
    };
    const Model* model = find_model(value("model"));
    if (model == nullptr) throw StoreError("a unit store of the unknown model " + value("model"));
    SaOptions options;
    const std::string& method = value("sa_method");
    for (auto m : {SaMethod::sobol, SaMethod::morris, SaMethod::lhs})
        if (method == method_name(m)) options.method = m;
    options.n = std::stoull(value("sa_n"));
    options.replications = std::stoull(value("replications"));
    options.seed = std::stoull(value("seed"));
    options.engine = value("engine");
    options.levels = std::stoull(value("sa_levels"));
    options.second_order = value("sa_second_order") == "1";
    options.bootstrap = std::stoull(value("sa_bootstrap"));
    options.maximin = std::stoull(value("sa_maximin"));
    options.quiet = true;
    std::istringstream kpis(value("sa_kpis"));
    for (std::string k; std::getline(kpis, k, ',');) options.kpis.push_back(k);
    SensitivityAnalysis sa(*model, value("base_text"), value("base_path"),
                           read_space_text(value("sa_space"), "store", model->parameters()),
                           options);
    if (sa.sweep().fingerprint() != value("fingerprint"))
        throw StoreError("the analysis rebuilt from the store does not match its fingerprint");
    return sa;
}

}  // namespace essaim::experiment
