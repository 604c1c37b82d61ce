#include "sim/toml_document.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace essaim {

namespace fs = std::filesystem;

std::string format_located_message(const SourcePosition& where, std::string_view key,
                                   std::string_view message) {
    std::string out = where.file;
    if (where.line > 0) {
        out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column);
    }
    out += ": ";
    if (!key.empty()) {
        out += key;
        out += ": ";
    }
    out += message;
    return out;
}

TomlError::TomlError(SourcePosition where, std::string key, std::string message)
    : std::runtime_error(format_located_message(where, key, message)),
      where_(std::move(where)),
      key_(std::move(key)),
      message_(std::move(message)) {}

// ---------------------------------------------------------------------------------------------
// The tree

bool TomlNode::is_array_of_tables() const {
    return is_array() && !items.empty() &&
           std::all_of(items.begin(), items.end(), [](const TomlNode& n) { return n.is_table(); });
}

const TomlNode* TomlNode::find(std::string_view member) const {
    for (const auto& m : members) {
        if (m.key == member) return &m;
    }
    return nullptr;
}

TomlNode* TomlNode::find(std::string_view member) {
    return const_cast<TomlNode*>(static_cast<const TomlNode*>(this)->find(member));
}

namespace {

std::string format_float(double value) {
    if (std::isnan(value)) return "nan";
    if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
    std::string text(buffer, end);
    // TOML needs a fraction or an exponent to read the number back as a float.
    if (text.find_first_of(".e") == std::string::npos) text += ".0";
    return text;
}

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
                    out += buffer;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

bool is_bare_key(std::string_view key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-';
    });
}

std::string format_key(std::string_view key) {
    return is_bare_key(key) ? std::string(key) : quote(key);
}

std::string scalar_text(const TomlNode& node);

std::string inline_text(const TomlNode& node) {
    if (node.is_table()) {
        if (node.members.empty()) return "{}";
        std::string out = "{ ";
        for (std::size_t i = 0; i < node.members.size(); ++i) {
            if (i) out += ", ";
            out += format_key(node.members[i].key) + " = " + inline_text(node.members[i]);
        }
        return out + " }";
    }
    if (node.is_array()) {
        std::string out = "[";
        for (std::size_t i = 0; i < node.items.size(); ++i) {
            if (i) out += ", ";
            out += inline_text(node.items[i]);
        }
        return out + "]";
    }
    return scalar_text(node);
}

std::string scalar_text(const TomlNode& node) {
    switch (node.kind) {
        case TomlNode::Kind::string:
            return quote(node.text);
        case TomlNode::Kind::integer:
            return std::to_string(node.integer);
        case TomlNode::Kind::floating:
            return format_float(node.floating);
        case TomlNode::Kind::boolean:
            return node.boolean ? "true" : "false";
        case TomlNode::Kind::date:
            return to_iso(node.date);
        case TomlNode::Kind::time:
        case TomlNode::Kind::date_time:
            return node.text;
        default:
            return inline_text(node);
    }
}

}  // namespace

std::string TomlNode::describe() const {
    if (is_table()) return "a table";
    if (is_array()) return "an array";
    return scalar_text(*this);
}

// ---------------------------------------------------------------------------------------------
// Conversion from toml++

namespace {

SourcePosition position(const toml::source_region& region, const std::string& file) {
    return {file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

std::string spelled(const auto& value) {
    std::ostringstream out;
    out << value;
    return out.str();
}

TomlNode convert(const toml::node& source, const std::string& file) {
    TomlNode node;
    node.where = position(source.source(), file);
    if (const auto* table = source.as_table()) {
        node.kind = TomlNode::Kind::table;
        for (auto&& [key, value] : *table) {
            TomlNode member = convert(value, file);
            member.key = std::string(key.str());
            member.key_where = position(key.source(), file);
            node.members.push_back(std::move(member));
        }
        // toml++ tables are sorted by key; document order is kept for the reader (e.g. sectors).
        std::stable_sort(node.members.begin(), node.members.end(),
                         [](const TomlNode& a, const TomlNode& b) {
                             return std::pair(a.key_where.line, a.key_where.column) <
                                    std::pair(b.key_where.line, b.key_where.column);
                         });
    } else if (const auto* array = source.as_array()) {
        node.kind = TomlNode::Kind::array;
        for (const auto& item : *array) node.items.push_back(convert(item, file));
    } else if (const auto* s = source.as_string()) {
        node.kind = TomlNode::Kind::string;
        node.text = s->get();
    } else if (const auto* i = source.as_integer()) {
        node.kind = TomlNode::Kind::integer;
        node.integer = i->get();
    } else if (const auto* f = source.as_floating_point()) {
        node.kind = TomlNode::Kind::floating;
        node.floating = f->get();
    } else if (const auto* b = source.as_boolean()) {
        node.kind = TomlNode::Kind::boolean;
        node.boolean = b->get();
    } else if (const auto* d = source.as_date()) {
        node.kind = TomlNode::Kind::date;
        node.date = Date{d->get().year, d->get().month, d->get().day};
    } else if (const auto* t = source.as_time()) {
        node.kind = TomlNode::Kind::time;
        node.text = spelled(t->get());
    } else if (const auto* dt = source.as_date_time()) {
        node.kind = TomlNode::Kind::date_time;
        node.text = spelled(dt->get());
    }
    return node;
}

// Parses text; a syntax error becomes a TomlError at its position.
TomlNode parse_text(std::string_view text, const std::string& file) {
    try {
        toml::table table = toml::parse(text, std::string_view(file));
        TomlNode root = convert(table, file);
        root.where = {file, 0, 0};
        return root;
    } catch (const toml::parse_error& error) {
        throw TomlError(position(error.source(), file), "",
                        "TOML syntax error: " + std::string(error.description()));
    }
}

// ---------------------------------------------------------------------------------------------
// extends

void merge_into(TomlNode& base, TomlNode variant) {
    for (auto& member : variant.members) {
        TomlNode* existing = base.find(member.key);
        if (existing && existing->is_table() && member.is_table()) {
            merge_into(*existing, std::move(member));
        } else if (existing) {
            *existing = std::move(member);
        } else {
            base.members.push_back(std::move(member));
        }
    }
    // A table written in the variant points there; one only implied by it keeps the base's place.
    if (variant.where.line > 0) base.where = variant.where;
}

std::string identity(const std::string& file) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(fs::path(file), ec);
    return ec ? fs::absolute(fs::path(file)).lexically_normal().string() : canonical.string();
}

std::string read_file(const std::string& path, const SourcePosition& asked_at,
                      std::string_view key) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw TomlError(asked_at, std::string(key), "cannot read file '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

TomlNode resolve_extends(std::string_view text, const std::string& file,
                         std::vector<std::string>& chain) {
    TomlNode document = parse_text(text, file);
    chain.push_back(identity(file));
    auto it = std::find_if(document.members.begin(), document.members.end(),
                           [](const TomlNode& m) { return m.key == "extends"; });
    if (it == document.members.end()) {
        chain.pop_back();
        return document;
    }
    TomlNode extends = std::move(*it);
    document.members.erase(it);
    if (extends.kind != TomlNode::Kind::string || extends.text.empty()) {
        throw TomlError(extends.where, "extends",
                        "expected the path of a TOML file, got " + extends.describe());
    }
    const std::string base_file =
        (fs::path(file).parent_path() / fs::path(extends.text)).lexically_normal().string();
    const std::string base_identity = identity(base_file);
    if (std::find(chain.begin(), chain.end(), base_identity) != chain.end()) {
        std::string cycle;
        for (const auto& link : chain) cycle += link + " -> ";
        throw TomlError(extends.where, "extends", "cycle: " + cycle + base_identity);
    }
    TomlNode base =
        resolve_extends(read_file(base_file, extends.where, "extends"), base_file, chain);
    chain.pop_back();
    merge_into(base, std::move(document));
    base.where = {file, 0, 0};
    return base;
}

// ---------------------------------------------------------------------------------------------
// --set

TomlNode override_value(std::string_view text) {
    const SourcePosition here{std::string(kOverrideSource), 0, 0};
    TomlNode value;
    bool is_toml = false;
    try {
        toml::table parsed = toml::parse("x = " + std::string(text), std::string_view("--set"));
        // "1\ny = 2" parses, but is not one value.
        if (parsed.size() == 1 && parsed.contains("x")) {
            value = convert(*parsed.get("x"), "");
            is_toml = true;
        }
    } catch (const toml::parse_error&) {
    }
    if (!is_toml) {
        value = TomlNode{};
        value.kind = TomlNode::Kind::string;
        value.text = std::string(text);
    }
    // Everything that came with the override reads "--set".
    auto relocate = [&](auto& self, TomlNode& node) -> void {
        node.where = here;
        if (!node.key.empty()) node.key_where = here;
        for (auto& m : node.members) self(self, m);
        for (auto& i : node.items) self(self, i);
    };
    relocate(relocate, value);
    return value;
}

std::vector<std::string> split_path(std::string_view path) {
    std::vector<std::string> segments;
    std::size_t from = 0;
    while (true) {
        const std::size_t dot = path.find('.', from);
        segments.emplace_back(path.substr(from, dot - from));
        if (dot == std::string_view::npos) break;
        from = dot + 1;
    }
    return segments;
}

std::optional<std::size_t> parse_index(std::string_view segment) {
    if (segment.empty() || !std::all_of(segment.begin(), segment.end(),
                                        [](unsigned char c) { return std::isdigit(c); })) {
        return std::nullopt;
    }
    std::size_t index = 0;
    auto [ptr, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), index);
    if (ec != std::errc{}) return std::nullopt;
    return index;
}

// The item of `array` that `segment` names: an index (== size allowed when `may_append`) or the
// `name` of a table item.
std::size_t item_of(const TomlNode& array, const std::string& segment, const std::string& path,
                    bool may_append) {
    const SourcePosition here{std::string(kOverrideSource), 0, 0};
    if (auto index = parse_index(segment)) {
        if (*index < array.items.size() || (may_append && *index == array.items.size())) {
            return *index;
        }
        throw TomlError(here, path,
                        "index " + segment + " is out of range (the array has " +
                            std::to_string(array.items.size()) + " items)");
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < array.items.size(); ++i) {
        const TomlNode* name = array.items[i].is_table() ? array.items[i].find("name") : nullptr;
        if (name && name->kind == TomlNode::Kind::string) {
            if (name->text == segment) return i;
            names.push_back(name->text);
        }
    }
    std::string message = "no item named '" + segment + "' (expected an index";
    if (!names.empty()) {
        message += " or one of:";
        for (const auto& n : names) message += " '" + n + "'";
    }
    message += ")";
    if (auto hint = closest_name(segment, names)) message += "; did you mean '" + *hint + "'?";
    throw TomlError(here, path, message);
}

}  // namespace

TomlNode load_toml_file(const std::string& path) {
    std::vector<std::string> chain;
    return resolve_extends(read_file(path, SourcePosition{path, 0, 0}, ""), path, chain);
}

TomlNode parse_toml_text(std::string_view text, const std::string& source_name) {
    std::vector<std::string> chain;
    return resolve_extends(text, source_name, chain);
}

void apply_override(TomlNode& root, std::string_view assignment) {
    const SourcePosition here{std::string(kOverrideSource), 0, 0};
    const std::size_t equals = assignment.find('=');
    if (equals == std::string_view::npos) {
        throw TomlError(here, "", "expected key.path=value, got '" + std::string(assignment) + "'");
    }
    auto trim = [](std::string_view s) {
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
            s.remove_prefix(1);
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
        return s;
    };
    const std::string_view key_path = trim(assignment.substr(0, equals));
    const std::vector<std::string> segments = split_path(key_path);
    if (key_path.empty() ||
        std::any_of(segments.begin(), segments.end(), [](auto& s) { return s.empty(); })) {
        throw TomlError(here, std::string(key_path),
                        "expected key.path=value with a non-empty key in every segment, got '" +
                            std::string(assignment) + "'");
    }
    TomlNode value = override_value(trim(assignment.substr(equals + 1)));

    TomlNode* node = &root;
    std::string path;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string& segment = segments[i];
        const bool last = i + 1 == segments.size();
        const std::string parent = path;
        path += (path.empty() ? "" : ".") + segment;
        if (node->is_array()) {
            const std::size_t index = item_of(*node, segment, path, last);
            if (index == node->items.size()) {
                node->items.push_back(std::move(value));
                return;
            }
            if (last) {
                value.key.clear();
                node->items[index] = std::move(value);
                return;
            }
            node = &node->items[index];
            continue;
        }
        if (!node->is_table()) {
            throw TomlError(here, path,
                            "cannot set a key inside '" + parent + "', which is " +
                                node->describe() + ", not a table");
        }
        TomlNode* child = node->find(segment);
        if (last) {
            value.key = segment;
            value.key_where = here;
            if (child)
                *child = std::move(value);
            else
                node->members.push_back(std::move(value));
            return;
        }
        if (!child) {
            TomlNode table;
            table.key = segment;
            table.key_where = here;
            table.where = here;
            node->members.push_back(std::move(table));
            child = &node->members.back();
        }
        node = child;
    }
}

// ---------------------------------------------------------------------------------------------
// Serialisation

namespace {

void write_table(std::string& out, const TomlNode& table, const std::string& path,
                 bool array_item) {
    // Inside an item of an array of tables, sub-tables are written inline so that each item reads
    // as one block (as `sectors = { ... }` in a [[territory]]).
    auto as_section = [&](const TomlNode& m) {
        return !array_item && (m.is_table() || m.is_array_of_tables());
    };
    bool has_values = false;
    for (const auto& m : table.members) has_values = has_values || !as_section(m);
    // A header is needed for values, for an empty table, and for every item of an array of tables;
    // a table holding only tables exists through its children's headers.
    if (!path.empty() && (array_item || has_values || table.members.empty())) {
        if (!out.empty()) out += '\n';
        out += array_item ? "[[" + path + "]]\n" : "[" + path + "]\n";
    }
    for (const auto& m : table.members) {
        if (!as_section(m)) out += format_key(m.key) + " = " + inline_text(m) + '\n';
    }
    for (const auto& m : table.members) {
        if (!as_section(m)) continue;
        const std::string child = path.empty() ? format_key(m.key) : path + "." + format_key(m.key);
        if (m.is_table()) {
            write_table(out, m, child, false);
        } else if (m.is_array_of_tables()) {
            for (const auto& item : m.items) write_table(out, item, child, true);
        }
    }
}

}  // namespace

std::string to_toml_text(const TomlNode& root) {
    std::string out;
    write_table(out, root, "", false);
    return out;
}

// ---------------------------------------------------------------------------------------------
// Hints

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closest_name(std::string_view name,
                                        const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& candidate : candidates) {
        const std::size_t distance = edit_distance(name, candidate);
        if (candidate.empty()) continue;
        const bool prefix = !name.empty() && (candidate.starts_with(name) ||
                                              std::string_view(name).starts_with(candidate));
        if (distance > 3 && !prefix) continue;
        if (!best || distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

}  // namespace essaim
