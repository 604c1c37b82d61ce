// `essaim export FILE.h5 --csv DIR`: result files as tidy CSV tables (docs/OUTPUT.md, "CSV
// export").
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "apps/cli.hpp"
#include "sim/hdf5_reader.hpp"
#include "sim/interrupt.hpp"
#include "sim/output_file.hpp"

namespace essaim::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// The input file or the output directory is unusable: reported without the usage hint, exit 2.
struct BadInput : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One CSV file being written under a temporary name; rows are buffered because the replication
// series can run to millions of rows.
class CsvFile {
public:
    CsvFile(output::Temporary& file, const std::vector<std::string>& header) : file_(file) {
        for (const auto& name : header) text(name);
        end_row();
        rows_ = 0;
    }
    CsvFile(const CsvFile&) = delete;
    CsvFile& operator=(const CsvFile&) = delete;

    // RFC 4180: a field is quoted only when it must be, with quotes doubled.
    CsvFile& text(std::string_view value) {
        separate();
        if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
            buffer_ += value;
            return *this;
        }
        buffer_ += '"';
        for (char c : value) {
            if (c == '"') buffer_ += '"';
            buffer_ += c;
        }
        buffer_ += '"';
        return *this;
    }
    // NA is what both R's read.csv and pandas read as missing; to_chars gives the shortest text
    // that reads back as the same number.
    CsvFile& number(double value) {
        separate();
        if (std::isnan(value)) {
            buffer_ += "NA";
        } else if (std::isinf(value)) {
            buffer_ += value > 0 ? "Inf" : "-Inf";
        } else {
            char digits[32];
            buffer_.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
        }
        return *this;
    }
    // A float32 value in its own shortest form: 0.1f as "0.1", not as its double expansion.
    CsvFile& number_f32(double value) {
        if (!std::isfinite(value)) return number(value);
        separate();
        char digits[32];
        buffer_.append(
            digits, std::to_chars(digits, digits + sizeof digits, static_cast<float>(value)).ptr);
        return *this;
    }
    CsvFile& index(std::size_t value) {
        separate();
        buffer_ += std::to_string(value);
        return *this;
    }
    void end_row() {
        buffer_ += '\n';
        first_ = true;
        ++rows_;
        if (buffer_.size() >= (1u << 20)) flush();
    }
    std::size_t rows() const { return rows_; }

    void close() { flush(); }

private:
    void separate() {
        if (!first_) buffer_ += ',';
        first_ = false;
    }
    void flush() {
        file_.write(buffer_);  // an IoError names the CSV file and the system's reason
        buffer_.clear();
    }

    output::Temporary& file_;
    std::string buffer_;
    bool first_ = true;
    std::size_t rows_ = 0;
};

struct Written {
    std::string name;
    std::size_t rows;
};

// Every CSV goes to a temporary file in DIR (output::Temporary); all are renamed only once all
// are complete, so a failure or an interruption part-way leaves DIR as it was (and removes DIR
// if this export created it).
class Export {
public:
    Export(const hdf5::Reader& reader, fs::path dir) : reader_(reader), dir_(std::move(dir)) {}
    ~Export() {
        pending_.clear();  // removes the temporaries, so that DIR is empty if we created it
        if (created_) ::rmdir(dir_.c_str());
        interrupt::remove(directory_slot_);
    }
    Export(const Export&) = delete;
    Export& operator=(const Export&) = delete;

    void prepare() {
        const bool existed = fs::is_directory(dir_);
        interrupt::add_output(dir_.string(), existed);
        if (existed) return;
        if (::mkdir(dir_.c_str(), 0777) != 0)
            throw IoError("cannot create directory '" + dir_.string() +
                          "': " + std::strerror(errno));
        created_ = true;
        directory_slot_ = interrupt::add_directory(dir_.string());
    }

    std::unique_ptr<CsvFile> open(const std::string& name, const std::vector<std::string>& header) {
        // A deque: the CsvFile keeps a reference to its temporary while others are added.
        pending_.push_back(output::Temporary::create((dir_ / name).string()));
        return std::make_unique<CsvFile>(pending_.back(), header);
    }
    void done(const std::string& name, CsvFile& file) {
        file.close();
        written_.push_back({name, file.rows()});
    }

    void commit() {
        for (auto& temporary : pending_) {
            const bool existed = output::exists(temporary.target());
            temporary.commit();
            if (existed) replaced_.push_back(temporary.target());
        }
        pending_.clear();
        created_ = false;
        interrupt::output_written(dir_.string());
    }

    const hdf5::Reader& reader() const { return reader_; }
    const std::vector<Written>& written() const { return written_; }
    // The CSV files that replaced a file of the same name.
    const std::vector<std::string>& replaced() const { return replaced_; }

private:
    const hdf5::Reader& reader_;
    fs::path dir_;
    bool created_ = false;
    interrupt::Slot directory_slot_ = interrupt::kNone;
    std::deque<output::Temporary> pending_;
    std::vector<Written> written_;
    std::vector<std::string> replaced_;
};

// A dataset's values with the shape it must have; a mismatch means a damaged or foreign file.
hdf5::Array read_shaped(const hdf5::Reader& reader, const std::string& dataset,
                        const std::vector<std::size_t>& shape) {
    hdf5::Array array = reader.read_array(dataset);
    if (array.shape != shape) {
        std::string expected, found;
        for (std::size_t n : shape) expected += (expected.empty() ? "" : ", ") + std::to_string(n);
        for (std::size_t n : array.shape) found += (found.empty() ? "" : ", ") + std::to_string(n);
        throw BadInput("HDF5 file '" + reader.path() + "', object '" + dataset + "': shape (" +
                       found + "), expected (" + expected + ")");
    }
    return array;
}

void export_manifest(Export& out) {
    auto file = out.open("manifest.csv", {"key", "value"});
    for (const auto& [key, value] : out.reader().attributes("/manifest")) {
        file->text(key).text(value);
        file->end_row();
    }
    out.done("manifest.csv", *file);
}

// Column order: the documented ones first, then any others in name order.
std::vector<std::string> ordered(std::vector<std::string> names,
                                 const std::vector<std::string>& preferred) {
    std::vector<std::string> out;
    for (const auto& name : preferred)
        if (std::find(names.begin(), names.end(), name) != names.end()) out.push_back(name);
    for (const auto& name : names)
        if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    return out;
}

// One column of a table of 1-D datasets of equal length.
struct Column {
    std::string name;
    bool is_string = false;
    bool is_f32 = false;
    std::vector<std::string> strings;
    std::vector<double> numbers;
    std::size_t size() const { return is_string ? strings.size() : numbers.size(); }
};

Column read_column(const hdf5::Reader& reader, const std::string& dataset, std::string name) {
    const hdf5::DatasetInfo info = reader.info(dataset);
    if (info.shape.size() != 1)
        throw BadInput("HDF5 file '" + reader.path() + "', object '" + dataset +
                       "': expected a 1-D dataset");
    Column column;
    column.name = std::move(name);
    if (info.kind == hdf5::ValueKind::string) {
        column.is_string = true;
        column.strings = reader.read_strings(dataset);
    } else {
        column.is_f32 = info.kind == hdf5::ValueKind::floating && info.element_size == 4;
        column.numbers = reader.read_array(dataset).values;
    }
    return column;
}

void write_columns(Export& out, const std::string& name, const std::vector<Column>& columns,
                   const std::string& group) {
    std::vector<std::string> header;
    for (const auto& column : columns) header.push_back(column.name);
    const std::size_t rows = columns.empty() ? 0 : columns.front().size();
    for (const auto& column : columns)
        if (column.size() != rows)
            throw BadInput("HDF5 file '" + out.reader().path() + "', group '" + group +
                           "': column '" + column.name + "' has " + std::to_string(column.size()) +
                           " rows, '" + columns.front().name + "' has " + std::to_string(rows));
    auto file = out.open(name, header);
    for (std::size_t row = 0; row < rows; ++row) {
        for (const auto& column : columns) {
            if (column.is_string)
                file->text(column.strings[row]);
            else if (column.is_f32)
                file->number_f32(column.numbers[row]);
            else
                file->number(column.numbers[row]);
        }
        file->end_row();
    }
    out.done(name, *file);
}

std::vector<Column> read_group_columns(const hdf5::Reader& reader, const std::string& group,
                                       const std::vector<std::string>& preferred) {
    std::vector<std::string> datasets;
    for (const auto& member : reader.members(group))
        if (!reader.is_group(group + "/" + member)) datasets.push_back(member);
    std::vector<Column> columns;
    for (const auto& name : ordered(datasets, preferred))
        columns.push_back(read_column(reader, group + "/" + name, name));
    return columns;
}

void export_territories(Export& out) {
    write_columns(out, "territories.csv",
                  read_group_columns(out.reader(), "/territories",
                                     {"name", "open_date", "open_day", "initial_pool",
                                      "inflow_per_day", "caseload", "neighbours"}),
                  "/territories");
}

std::vector<std::string> territory_names(const hdf5::Reader& reader) {
    return reader.read_strings("/territories/name");
}

// ---- essaim-run

void export_run_kpis(Export& out) {
    const auto& reader = out.reader();
    const auto kpis = reader.attr_strings("/kpis/territories", "kpis");
    const auto territories = reader.has_attr("/kpis/territories", "territories")
                                 ? reader.attr_strings("/kpis/territories", "territories")
                                 : territory_names(reader);
    const auto by_territory =
        read_shaped(reader, "/kpis/territories", {territories.size(), kpis.size()});
    const auto total_kpis = reader.attr_strings("/kpis/total", "kpis");
    const auto total = read_shaped(reader, "/kpis/total", {total_kpis.size()});
    auto file = out.open("kpis.csv", {"territory", "kpi", "value"});
    for (std::size_t t = 0; t < territories.size(); ++t)
        for (std::size_t k = 0; k < kpis.size(); ++k) {
            file->text(territories[t])
                .text(kpis[k])
                .number(by_territory.values[t * kpis.size() + k]);
            file->end_row();
        }
    for (std::size_t k = 0; k < total_kpis.size(); ++k) {
        file->text("total").text(total_kpis[k]).number(total.values[k]);
        file->end_row();
    }
    out.done("kpis.csv", *file);
}

void export_run_series(Export& out) {
    const auto& reader = out.reader();
    const auto variables = reader.attr_strings("/series/daily", "variables");
    const auto territories = reader.has_attr("/series/daily", "territories")
                                 ? reader.attr_strings("/series/daily", "territories")
                                 : territory_names(reader);
    const auto dates = reader.read_strings("/series/dates");
    const auto daily =
        read_shaped(reader, "/series/daily", {dates.size(), territories.size(), variables.size()});
    auto file = out.open("series.csv", {"date", "day", "territory", "variable", "value"});
    std::size_t i = 0;
    for (std::size_t d = 0; d < dates.size(); ++d)
        for (const auto& territory : territories)
            for (const auto& variable : variables) {
                file->text(dates[d]).index(d).text(territory).text(variable).number(
                    daily.values[i++]);
                file->end_row();
            }
    out.done("series.csv", *file);
}

void export_agents(Export& out) {
    const auto& reader = out.reader();
    auto columns = read_group_columns(
        reader, "/agents",
        {"territory", "local_id", "duration", "diploma", "barriers_at_identification",
         "barriers_at_end", "identified_day", "entry_day", "first_job_day", "exit_day", "end_day",
         "outcome", "final_state", "state_6m", "state_12m", "first_job_sector"});
    // Codes get a readable name column beside them; code -1 (not observed) becomes NA, which
    // readers take as missing, not as a name.
    auto decode = [&](const std::string& column, const std::string& attribute) {
        const auto coded = std::find_if(columns.begin(), columns.end(),
                                        [&](const Column& c) { return c.name == column; });
        if (coded == columns.end() || coded->is_string || !reader.has_attr("/agents", attribute))
            return;
        const auto codes = reader.attr_strings("/agents", attribute);
        Column names;
        names.name = column + "_name";
        names.is_string = true;
        for (double code : coded->numbers)
            names.strings.push_back(code >= 0 && code < static_cast<double>(codes.size())
                                        ? codes[static_cast<std::size_t>(code)]
                                        : "NA");
        columns.insert(coded + 1, std::move(names));
    };
    decode("final_state", "state_codes");
    decode("first_job_sector", "sector_codes");
    write_columns(out, "agents.csv", columns, "/agents");
}

// ---- essaim-ensemble

void export_replication_kpis(Export& out, bool with_point) {
    const auto& reader = out.reader();
    const auto kpis = reader.attr_strings("/replications/kpis", "kpis");
    const auto territories = reader.attr_strings("/replications/kpis", "territories");
    const hdf5::DatasetInfo info = reader.info("/replications/kpis");
    const std::size_t rank = with_point ? 4 : 3;
    if (info.shape.size() != rank)
        throw BadInput("HDF5 file '" + reader.path() + "', object '/replications/kpis': expected " +
                       std::to_string(rank) + " dimensions");
    const std::size_t points = with_point ? info.shape[0] : 1;
    const std::size_t replications = info.shape[rank - 3];
    std::vector<std::size_t> shape{replications, territories.size(), kpis.size()};
    if (with_point) shape.insert(shape.begin(), points);
    const auto values = read_shaped(reader, "/replications/kpis", shape);
    std::vector<std::string> header{"replication", "territory", "kpi", "value"};
    if (with_point) header.insert(header.begin(), "point");
    auto file = out.open("replication_kpis.csv", header);
    std::size_t i = 0;
    for (std::size_t p = 0; p < points; ++p)
        for (std::size_t r = 0; r < replications; ++r)
            for (const auto& territory : territories)
                for (const auto& kpi : kpis) {
                    if (with_point) file->index(p);
                    file->index(r).text(territory).text(kpi).number(values.values[i++]);
                    file->end_row();
                }
    out.done("replication_kpis.csv", *file);
}

void export_kpi_summary(Export& out) {
    const auto& reader = out.reader();
    const std::string name = "/summary/kpis";
    const auto territories = reader.attr_strings(name, "territories");
    const auto kpis = reader.attr_strings(name, "kpis");
    const auto statistics = reader.attr_strings(name, "statistics");
    const auto values =
        read_shaped(reader, name, {territories.size(), kpis.size(), statistics.size()});
    auto file = out.open("kpi_summary.csv", {"territory", "kpi", "statistic", "value"});
    std::size_t i = 0;
    for (const auto& territory : territories)
        for (const auto& kpi : kpis)
            for (const auto& statistic : statistics) {
                file->text(territory).text(kpi).text(statistic).number(values.values[i++]);
                file->end_row();
            }
    out.done("kpi_summary.csv", *file);
}

void export_series_summary(Export& out) {
    const auto& reader = out.reader();
    const std::string name = "/summary/series";
    const auto territories = reader.attr_strings(name, "territories");
    const auto variables = reader.attr_strings(name, "variables");
    const auto statistics = reader.attr_strings(name, "statistics");
    const auto dates = reader.read_strings("/summary/dates");
    const auto values = read_shaped(
        reader, name, {dates.size(), territories.size(), variables.size(), statistics.size()});
    auto file = out.open("series_summary.csv",
                         {"date", "day", "territory", "variable", "statistic", "value"});
    std::size_t i = 0;
    for (std::size_t d = 0; d < dates.size(); ++d)
        for (const auto& territory : territories)
            for (const auto& variable : variables)
                for (const auto& statistic : statistics) {
                    file->text(dates[d]).index(d).text(territory).text(variable).text(statistic);
                    file->number(values.values[i++]);
                    file->end_row();
                }
    out.done("series_summary.csv", *file);
}

// Leaf groups below `group`, as paths relative to it ("all", "territory/Lille").
void leaf_groups(const hdf5::Reader& reader, const std::string& group, const std::string& relative,
                 std::vector<std::string>& out) {
    bool has_subgroup = false;
    for (const auto& member : reader.members(group)) {
        if (!reader.is_group(group + "/" + member)) continue;
        has_subgroup = true;
        leaf_groups(reader, group + "/" + member,
                    relative.empty() ? member : relative + "/" + member, out);
    }
    if (!has_subgroup && !relative.empty()) out.push_back(relative);
}

void export_survival(Export& out) {
    const auto& reader = out.reader();
    constexpr std::array<const char*, 6> kColumns{"time",     "at_risk", "events",
                                                  "survival", "lower",   "upper"};
    constexpr std::array<const char*, 5> kMedians{"n", "n_events", "median", "median_lower",
                                                  "median_upper"};
    std::vector<std::string> header{"curve", "group"};
    header.insert(header.end(), kColumns.begin(), kColumns.end());
    auto curves_file = out.open("survival.csv", header);
    header.assign({"curve", "group"});
    header.insert(header.end(), kMedians.begin(), kMedians.end());
    auto medians_file = out.open("survival_medians.csv", header);
    for (const auto& curve : reader.members("/survival")) {
        const std::string curve_path = "/survival/" + curve;
        if (!reader.is_group(curve_path)) continue;
        std::vector<std::string> groups;
        leaf_groups(reader, curve_path, "", groups);
        for (const auto& group : groups) {
            const std::string path = curve_path + "/" + group;
            std::vector<hdf5::Array> columns;
            for (const char* column : kColumns)
                columns.push_back(reader.read_array(path + "/" + column));
            for (std::size_t c = 0; c < columns.size(); ++c)
                if (columns[c].shape.size() != 1 ||
                    columns[c].values.size() != columns[0].values.size())
                    throw BadInput("HDF5 file '" + reader.path() + "', group '" + path +
                                   "': column '" + kColumns[c] + "' does not match 'time'");
            for (std::size_t row = 0; row < columns[0].values.size(); ++row) {
                curves_file->text(curve).text(group);
                for (const auto& column : columns) curves_file->number(column.values[row]);
                curves_file->end_row();
            }
            medians_file->text(curve).text(group);
            for (const char* attribute : kMedians)
                medians_file->number(reader.attr_double(path, attribute));
            medians_file->end_row();
        }
    }
    out.done("survival.csv", *curves_file);
    out.done("survival_medians.csv", *medians_file);
}

void export_replication_series(Export& out) {
    const auto& reader = out.reader();
    const std::string name = "/replications/series";
    const auto territories = reader.attr_strings(name, "territories");
    const auto variables = reader.attr_strings(name, "variables");
    const auto dates = reader.read_strings("/summary/dates");
    const hdf5::DatasetInfo info = reader.info(name);
    if (info.shape.size() != 4 || info.shape[1] != dates.size() ||
        info.shape[2] != territories.size() || info.shape[3] != variables.size())
        throw BadInput("HDF5 file '" + reader.path() + "', object '" + name +
                       "': shape does not match its dates, territories and variables");
    const bool f32 = info.kind == hdf5::ValueKind::floating && info.element_size == 4;
    auto file = out.open("replication_series.csv",
                         {"replication", "date", "day", "territory", "variable", "value"});
    // One replication in memory at a time: the whole dataset may not fit.
    for (std::size_t r = 0; r < info.shape[0]; ++r) {
        const hdf5::Array slab = reader.read_slab(name, r);
        std::size_t i = 0;
        for (std::size_t d = 0; d < dates.size(); ++d)
            for (const auto& territory : territories)
                for (const auto& variable : variables) {
                    file->index(r).text(dates[d]).index(d).text(territory).text(variable);
                    if (f32)
                        file->number_f32(slab.values[i++]);
                    else
                        file->number(slab.values[i++]);
                    file->end_row();
                }
    }
    out.done("replication_series.csv", *file);
}

// ---- essaim-sweep

void export_points(Export& out) {
    const auto& reader = out.reader();
    const auto keys = reader.read_strings("/points/keys");
    const auto values = reader.read_strings("/points/values");
    const std::size_t n_points =
        reader.has_attr("/points/values", "n_points")
            ? static_cast<std::size_t>(reader.attr_double("/points/values", "n_points"))
            : (keys.empty() ? 0 : values.size() / keys.size());
    if (values.size() != n_points * keys.size())
        throw BadInput("HDF5 file '" + reader.path() +
                       "', object '/points/values': expected n_points x n_keys = " +
                       std::to_string(n_points * keys.size()) + " values, found " +
                       std::to_string(values.size()));
    auto file = out.open("points.csv", {"point", "key", "value"});
    for (std::size_t p = 0; p < n_points; ++p)
        for (std::size_t k = 0; k < keys.size(); ++k) {
            file->index(p).text(keys[k]).text(values[p * keys.size() + k]);
            file->end_row();
        }
    out.done("points.csv", *file);
}

void export_sweep_table(Export& out) {
    const auto& reader = out.reader();
    auto columns =
        read_group_columns(reader, "/table", {"point", "territory", "kpi", "statistic", "value"});
    write_columns(out, "table.csv", columns, "/table");
}

}  // namespace

// ---- essaim-sa

// indices.csv: kpi, parameter, statistic, value (S1, S1_ci95_low, S1_ci95_high, ST, ..., mu,
// mu_star, sigma, prcc, prcc_ci95_low, prcc_ci95_high; noise_share with parameter "").
void export_sa_indices(Export& out) {
    const auto& reader = out.reader();
    auto file = out.open("indices.csv", {"kpi", "parameter", "statistic", "value"});
    for (const auto& name : reader.members("/indices")) {
        const std::string path = "/indices/" + name;
        if (name == "noise_share") continue;  // one per KPI: below
        const auto kpis = reader.attr_strings(path, "kpis");
        const auto parameters = reader.attr_strings(path, "parameters");
        const hdf5::Array a = reader.read_array(path);
        const bool interval = a.shape.size() == 3 && a.shape[2] == 2;
        const std::size_t d = parameters.size(), per = interval ? 2 : (a.shape.size() == 3 ? d : 1);
        if (a.shape.size() == 3 && !interval) continue;  // second order (S2): HDF5 only
        for (std::size_t k = 0; k < kpis.size(); ++k)
            for (std::size_t i = 0; i < d; ++i)
                for (std::size_t j = 0; j < per; ++j) {
                    file->text(kpis[k]).text(parameters[i]);
                    file->text(interval ? name + (j == 0 ? "_low" : "_high") : name);
                    file->number(a.values[(k * d + i) * per + j]);
                    file->end_row();
                }
    }
    const auto noise = reader.read_array("/indices/noise_share");
    const auto kpis = reader.attr_strings(
        "/indices/" + std::string(reader.exists("/indices/S1")     ? "S1"
                                  : reader.exists("/indices/mu")   ? "mu"
                                                                   : "prcc"),
        "kpis");
    for (std::size_t k = 0; k < kpis.size() && k < noise.values.size(); ++k) {
        file->text(kpis[k]).text("").text("noise_share").number(noise.values[k]);
        file->end_row();
    }
    out.done("indices.csv", *file);
}

// design.csv: row, parameter, unit (the point on [0, 1]), value (as set in the scenario).
void export_sa_design(Export& out) {
    const auto& reader = out.reader();
    const auto parameters = reader.attr_strings("/design/unit", "parameters");
    const hdf5::Array unit = reader.read_array("/design/unit");
    const auto values = reader.read_strings("/design/values");
    const std::size_t d = parameters.size();
    auto file = out.open("design.csv", {"row", "parameter", "unit", "value"});
    for (std::size_t r = 0; d > 0 && r < unit.values.size() / d; ++r)
        for (std::size_t i = 0; i < d; ++i) {
            file->index(r).text(parameters[i]).number(unit.values[r * d + i]);
            file->text(values.at(r * d + i));
            file->end_row();
        }
    out.done("design.csv", *file);
}

// outputs.csv: row, replication, kpi, value (the total of each run).
void export_sa_outputs(Export& out) {
    const auto& reader = out.reader();
    const auto kpis = reader.attr_strings("/outputs/kpis", "kpis");
    const hdf5::Array a = reader.read_array("/outputs/kpis");
    if (a.shape.size() != 3 || a.shape[2] != kpis.size())
        throw BadInput("'" + reader.path() + "': /outputs/kpis does not have its attributes' shape");
    auto file = out.open("outputs.csv", {"row", "replication", "kpi", "value"});
    for (std::size_t r = 0; r < a.shape[0]; ++r)
        for (std::size_t rep = 0; rep < a.shape[1]; ++rep)
            for (std::size_t k = 0; k < kpis.size(); ++k) {
                file->index(r).index(rep).text(kpis[k]);
                file->number(a.values[(r * a.shape[1] + rep) * kpis.size() + k]);
                file->end_row();
            }
    out.done("outputs.csv", *file);
}

// ---- essaim-calibration

// generations.csv: generation, tolerance, proposals, simulations, acceptance_rate,
// effective_sample_size (one row per generation).
void export_calibration_generations(Export& out) {
    const auto& reader = out.reader();
    const std::vector<std::string> columns{"tolerance", "proposals", "simulations",
                                           "acceptance_rate", "effective_sample_size"};
    std::vector<hdf5::Array> values;
    for (const auto& c : columns) values.push_back(reader.read_array("/generations/" + c));
    std::vector<std::string> header{"generation"};
    header.insert(header.end(), columns.begin(), columns.end());
    auto file = out.open("generations.csv", header);
    for (std::size_t g = 0; g < values.front().values.size(); ++g) {
        file->index(g);
        for (const auto& v : values) file->number(v.values.at(g));
        file->end_row();
    }
    out.done("generations.csv", *file);
}

// particles.csv: generation, particle, weight, parameter, value (every generation).
void export_calibration_particles(Export& out) {
    const auto& reader = out.reader();
    const auto names = reader.read_strings("/space/names");
    const std::size_t d = names.size();
    const std::size_t generations = reader.read_array("/generations/tolerance").values.size();
    auto file = out.open("particles.csv", {"generation", "particle", "weight", "parameter", "value"});
    for (std::size_t g = 0; g < generations; ++g) {
        const std::string group = "/generations/" + std::to_string(g);
        const hdf5::Array weights = reader.read_array(group + "/weights");
        const hdf5::Array x = read_shaped(reader, group + "/parameters", {weights.values.size(), d});
        for (std::size_t p = 0; p < weights.values.size(); ++p)
            for (std::size_t i = 0; i < d; ++i) {
                file->index(g).index(p).number(weights.values[p]).text(names[i]);
                file->number(x.values[p * d + i]);
                file->end_row();
            }
    }
    out.done("particles.csv", *file);
}

// posterior.csv: parameter, statistic (mean, sd, q05, q50, q95), value.
// predictive.csv: target, kpi, date, observed, scale, statistic (mean, sd, q05, q50, q95,
// share_below), value.
void export_calibration_summaries(Export& out) {
    const auto& reader = out.reader();
    const std::vector<std::string> statistics{"mean", "sd", "q05", "q50", "q95"};
    const auto names = reader.read_strings("/space/names");
    const hdf5::Array posterior =
        read_shaped(reader, "/posterior/summary", {names.size(), statistics.size()});
    auto file = out.open("posterior.csv", {"parameter", "statistic", "value"});
    for (std::size_t i = 0; i < names.size(); ++i)
        for (std::size_t k = 0; k < statistics.size(); ++k) {
            file->text(names[i]).text(statistics[k]).number(posterior.values[i * statistics.size() + k]);
            file->end_row();
        }
    out.done("posterior.csv", *file);
    const auto targets = reader.read_strings("/targets/names");
    const auto kpis = reader.read_strings("/targets/kpis");
    const auto dates = reader.read_strings("/targets/dates");
    const hdf5::Array values = reader.read_array("/targets/values");
    const hdf5::Array scales = reader.read_array("/targets/scales");
    const hdf5::Array summary =
        read_shaped(reader, "/predictive/summary", {targets.size(), statistics.size()});
    const hdf5::Array below = reader.read_array("/predictive/share_below");
    auto pred = out.open("predictive.csv",
                         {"target", "kpi", "date", "observed", "scale", "statistic", "value"});
    for (std::size_t t = 0; t < targets.size(); ++t)
        for (std::size_t k = 0; k <= statistics.size(); ++k) {
            pred->text(targets[t]).text(kpis.at(t)).text(dates.at(t));
            pred->number(values.values.at(t)).number(scales.values.at(t));
            if (k < statistics.size())
                pred->text(statistics[k]).number(summary.values[t * statistics.size() + k]);
            else
                pred->text("share_below").number(below.values.at(t));
            pred->end_row();
        }
    out.done("predictive.csv", *pred);
}

int export_command(const std::vector<std::string>& args) {
    constexpr const char* usage =
        "Usage: essaim export FILE.h5 --csv DIR [--json] [--with-replication-series] [--quiet]\n\n"
        "Writes the tables of an essaim result file (run, ensemble, sweep, sa or calibration) as\n"
        "tidy CSV files in "
        "DIR, created if missing (its parent must exist); lists the files written on stdout.\n"
        "Files and columns: docs/OUTPUT.md, \"CSV export\". NaN is written as NA.";
    po::options_description options("Options");
    options.add_options()("help,h", "this help")("csv", po::value<std::string>(),
                                                 "directory to write the CSV files into")(
        "json", "print one JSON object {directory, files: [{name, rows}]} on stdout")(
        "with-replication-series",
        "ensembles: also write every replication's daily series (large)")(
        "quiet,q", "no diagnostics on stderr (files replaced, series missing)");
    po::options_description all;
    all.add(options).add_options()("file", po::value<std::string>(), "result file");
    po::positional_options_description positional;
    positional.add("file", 1);
    po::variables_map vm;
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
        std::cout << usage << '\n' << options;
        return kOk;
    }
    if (!vm.count("file")) throw UsageError("missing FILE (an essaim .h5 result file)");
    if (!vm.count("csv")) throw UsageError("missing --csv DIR");
    const std::string path = vm["file"].as<std::string>();
    const std::string dir = vm["csv"].as<std::string>();
    const bool quiet = vm.count("quiet") > 0;

    try {
        // "out/" names the directory out, whose parent is the working directory, not "out".
        fs::path target(dir);
        if (!target.has_filename() && target.has_parent_path() && target != target.root_path())
            target = target.parent_path();
        const fs::path parent = target.parent_path();
        if (fs::exists(target) && !fs::is_directory(target))
            throw BadInput("--csv: '" + dir + "' exists and is not a directory");
        if (!parent.empty() && !fs::is_directory(parent))
            throw BadInput("--csv: directory '" + parent.string() + "' does not exist");

        const hdf5::Reader reader(path);
        if (!reader.has_attr("/", "schema"))
            throw BadInput("'" + path + "' is not an essaim result file (no `schema` attribute)");
        const std::string schema = reader.attr_string("/", "schema");
        static const std::set<std::string> known{"essaim-run", "essaim-ensemble", "essaim-sweep",
                                                 "essaim-sa", "essaim-calibration"};
        if (!known.count(schema))
            throw BadInput("'" + path + "': unknown schema '" + schema +
                           "' (expected essaim-run, essaim-ensemble, essaim-sweep, essaim-sa or "
                           "essaim-calibration)");
        const double version = reader.has_attr("/", "schema_version")
                                   ? reader.attr_double("/", "schema_version")
                                   : std::nan("");
        if (version != 1)
            throw BadInput("'" + path + "': schema " + schema + " version " +
                           (std::isnan(version) ? std::string("missing")
                                                : std::to_string(static_cast<long long>(version))) +
                           " is not supported (this essaim reads version 1)");

        Export out(reader, target);
        out.prepare();
        export_manifest(out);
        if (reader.exists("/territories")) export_territories(out);
        if (schema == "essaim-calibration") {
            export_calibration_generations(out);
            export_calibration_particles(out);
            export_calibration_summaries(out);
        } else if (schema == "essaim-sa") {
            export_sa_indices(out);
            export_sa_design(out);
            export_sa_outputs(out);
        } else if (schema == "essaim-run") {
            export_run_kpis(out);
            export_run_series(out);
            if (reader.exists("/agents")) export_agents(out);
        } else if (schema == "essaim-ensemble") {
            export_replication_kpis(out, false);
            export_kpi_summary(out);
            export_series_summary(out);
            export_survival(out);
            if (vm.count("with-replication-series") && reader.exists("/replications/series"))
                export_replication_series(out);
        } else {
            export_points(out);
            export_replication_kpis(out, true);
            export_sweep_table(out);
        }
        if (vm.count("with-replication-series") && !quiet &&
            (schema != "essaim-ensemble" || !reader.exists("/replications/series")))
            std::cerr << "essaim export: --with-replication-series: '" << path << "' has no "
                      << "per-replication series ("
                      << (schema == "essaim-ensemble" ? "the ensemble was run with --summary-only"
                                                      : "it is an " + schema + " file")
                      << "); replication_series.csv is not written\n";
        out.commit();
        if (!quiet)
            for (const auto& file : out.replaced()) std::cerr << "replaced " << file << '\n';

        if (vm.count("json")) {
            nlohmann::ordered_json json;
            json["directory"] = dir;
            json["files"] = nlohmann::ordered_json::array();
            for (const auto& file : out.written())
                json["files"].push_back({{"name", file.name}, {"rows", file.rows}});
            std::cout << json.dump() << '\n';
        } else {
            for (const auto& file : out.written())
                std::cout << (target / file.name).string() << '\n';
        }
        return kOk;
    } catch (const hdf5::ReadError& e) {
        std::cerr << "essaim export: " << e.what() << '\n';
        return kBadInput;
    } catch (const BadInput& e) {
        std::cerr << "essaim export: " << e.what() << '\n';
        return kBadInput;
    }
}

}  // namespace essaim::cli
