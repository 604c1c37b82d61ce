#include "sim/toml_document.hpp"

#include "sim/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>

namespace essaim {

namespace fs = std::filesystem;

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// The length of the valid UTF-8 sequence starting at text[i], or 0 when there is none.
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) {
        return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
    };
    const unsigned char lead = at(0);
    if (lead < 0x80) return 1;
    // The second byte's range excludes overlong forms (E0, F0), surrogates (ED) and code points
    // above U+10FFFF (F4).
    unsigned char low = 0x80, high = 0xBF;
    std::size_t length = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (at(1) < low || at(1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (!is_continuation(at(k))) return 0;
    }
    return length;
}

std::string hex_escape(unsigned char c) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "\\x%02X", c);
    return buffer;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0) return false;
        i += length;
    }
    return true;
}

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        if (length == 0 || text[i] == '\0') {
            out += hex_escape(static_cast<unsigned char>(text[i]));
            ++i;
        } else {
            out.append(text, i, length);
            i += length;
        }
    }
    return out;
}

std::string format_located_message(const SourcePosition& where, std::string_view key,
                                   std::string_view message) {
    std::string out = printable(where.file);
    if (where.line > 0) {
        out += ':' + std::to_string(where.line) + ':' + std::to_string(where.column);
    }
    out += ": ";
    if (!key.empty()) {
        out += printable(key);
        out += ": ";
    }
    out += printable(message);
    return out;
}

TomlError::TomlError(SourcePosition where, std::string key, std::string message)
    : std::runtime_error(format_located_message(where, key, message)),
      where_(std::move(where)),
      key_(printable(key)),
      message_(printable(message)) {
    where_.file = printable(where_.file);
}

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

std::string escaped_ascii(unsigned char c) {
    switch (c) {
        case '"':
            return "\\\"";
        case '\\':
            return "\\\\";
        case '\n':
            return "\\n";
        case '\t':
            return "\\t";
        case '\r':
            return "\\r";
        case '\b':
            return "\\b";
        case '\f':
            return "\\f";
        default:
            if (c < 0x20 || c == 0x7f) {
                char buffer[8];
                std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
                return buffer;
            }
            return std::string(1, static_cast<char>(c));
    }
}

// A TOML basic string. Bytes that are not UTF-8 read \xNN, which is not TOML: they only reach
// here in messages, since documents refuse such strings.
std::string quote(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = utf8_length(text, i);
        const auto c = static_cast<unsigned char>(text[i]);
        if (length == 1) {
            out += escaped_ascii(c);
        } else if (length == 0) {
            out += hex_escape(c);
        } else {
            out.append(text, i, length);
        }
        i += std::max<std::size_t>(length, 1);
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
// Nesting, checked before toml++ reads a text

namespace {

// The start of `text`, for a message: a key can be as long as its file.
std::string shortened(std::string_view text, std::size_t shown = 400) {
    if (text.size() <= shown) return std::string(text);
    while (shown > 0 && is_continuation(static_cast<unsigned char>(text[shown]))) --shown;
    return std::string(text.substr(0, shown)) + "...";
}

// toml++ builds, walks and destroys its tree recursively, and bounds only arrays and inline tables
// (256 levels): a header of 300,000 dotted segments overflows the stack inside toml::parse. The
// depth must therefore be known before parsing. This scanner follows TOML's lexical structure just
// far enough to count levels. At anything it does not expect it stops and leaves the syntax error
// to toml++, which then stops there too, having built nothing deeper than what was counted.
class NestingScan {
public:
    struct TooDeep {
        std::size_t offset;  // where the first level over the limit is written
        std::string key;     // the key path being written there, as spelled
    };

    // `base`: the depth of the table the text's top-level keys go into (0 for a document).
    NestingScan(std::string_view text, std::size_t base) : text_(text), base_(base) {}

    std::optional<TooDeep> run() {
        try {
            std::size_t table = base_;
            while (true) {
                skip_space_and_lines();
                if (at_end()) return std::nullopt;
                table = peek() == '[' ? header() : (keyval(table), table);
            }
        } catch (const TooDeep& deep) {
            return deep;
        } catch (const NotToml&) {
            return std::nullopt;
        }
    }

private:
    struct NotToml {};

    bool at_end() const { return i_ >= text_.size(); }
    char peek(std::size_t k = 0) const { return i_ + k < text_.size() ? text_[i_ + k] : '\0'; }
    void expect(char c) {
        if (at_end() || peek() != c) throw NotToml{};
        ++i_;
    }
    void skip_blank() {
        while (peek() == ' ' || peek() == '\t') ++i_;
    }
    void skip_space_and_lines() {
        while (true) {
            skip_blank();
            if (peek() == '#') {
                while (!at_end() && peek() != '\n') ++i_;
            }
            if (at_end() || (peek() != '\n' && peek() != '\r')) return;
            ++i_;
        }
    }

    void level(std::size_t depth, std::size_t offset) const {
        if (depth <= kMaxNestingDepth) return;
        std::string key;
        for (const auto& segment : path_) {
            if (!key.empty()) key += '.';
            key += segment;
        }
        throw TooDeep{offset, shortened(key)};
    }

    // `[a.b]` or `[[a.b]]`; the depth of the table it opens.
    std::size_t header() {
        const std::size_t offset = i_;
        const bool array = peek(1) == '[';
        i_ += array ? 2 : 1;
        path_.clear();
        std::size_t depth = key(base_);
        if (array) level(++depth, offset);  // the new item is a table inside the array
        skip_blank();
        expect(']');
        if (array) expect(']');
        return depth;
    }

    // A dotted key whose first segment lies at depth + 1; the depth of its last segment. Its
    // segments are appended to path_.
    std::size_t key(std::size_t depth) {
        while (true) {
            skip_blank();
            const std::size_t start = i_;
            if (peek() == '"' || peek() == '\'') {
                single_line_string(peek());
            } else {
                while (!at_end() && is_bare(peek())) ++i_;
                if (i_ == start) throw NotToml{};
            }
            path_.push_back(text_.substr(start, i_ - start));
            level(++depth, start);
            skip_blank();
            if (peek() != '.') return depth;
            ++i_;
        }
    }

    // Lenient on purpose (toml++ judges the key): anything not structural.
    static bool is_bare(char c) { return !std::strchr(" \t\r\n.=[]{}\"'#,", c) || c == '\0'; }

    void keyval(std::size_t table) {
        const std::size_t kept = path_.size();
        const std::size_t depth = key(table);
        skip_blank();
        expect('=');
        value(depth);
        path_.resize(kept);
    }

    // The value of a node at `depth`.
    void value(std::size_t depth) {
        skip_blank();
        const char c = peek();
        if (c == '"' || c == '\'') {
            string(c);
        } else if (c == '[') {
            array(depth);
        } else if (c == '{') {
            inline_table(depth);
        } else {
            // Numbers, dates, booleans: their dots and spaces are not structure.
            const std::size_t start = i_;
            while (!at_end() && !std::strchr(",]}#\r\n", peek())) ++i_;
            if (i_ == start) throw NotToml{};
        }
    }

    void array(std::size_t depth) {
        ++i_;
        while (true) {
            skip_space_and_lines();
            if (peek() == ']') break;
            level(depth + 1, i_);
            value(depth + 1);
            skip_space_and_lines();
            if (peek() != ',') break;
            ++i_;
        }
        expect(']');
    }

    void inline_table(std::size_t depth) {
        ++i_;
        while (true) {
            skip_space_and_lines();
            if (peek() == '}') break;
            keyval(depth);
            skip_space_and_lines();
            if (peek() != ',') break;
            ++i_;
        }
        expect('}');
    }

    void string(char quote) {
        if (peek(1) == quote && peek(2) == quote) {
            multi_line_string(quote);
        } else {
            single_line_string(quote);
        }
    }

    void single_line_string(char quote) {
        ++i_;
        while (!at_end() && peek() != '\n') {
            const char c = peek();
            i_ += quote == '"' && c == '\\' ? 2 : 1;
            if (c == quote) return;
        }
        throw NotToml{};
    }

    void multi_line_string(char quote) {
        i_ += 3;
        while (!at_end()) {
            if (quote == '"' && peek() == '\\') {
                i_ += 2;
            } else if (peek() == quote && peek(1) == quote && peek(2) == quote) {
                // Up to two quotes before the closing three belong to the string.
                while (peek() == quote) ++i_;
                return;
            } else {
                ++i_;
            }
        }
        throw NotToml{};
    }

    std::string_view text_;
    std::size_t base_;
    std::size_t i_ = 0;
    std::vector<std::string_view> path_;  // segments of the key being written, as spelled
};

// Line and column (in characters, as toml++ counts them) of a byte offset.
SourcePosition position_of(std::string_view text, std::size_t offset, const std::string& file) {
    const std::string_view before = text.substr(0, offset);
    const std::size_t line_start =
        before.rfind('\n') == std::string_view::npos ? 0 : before.rfind('\n') + 1;
    const int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
    int column = 1;
    for (std::size_t k = line_start; k < offset; ++k) {
        if (!is_continuation(static_cast<unsigned char>(text[k]))) ++column;
    }
    return {file, line, column};
}

std::string too_deep_message() {
    return "nested more than " + std::to_string(kMaxNestingDepth) +
           " levels deep (each table, dotted-key segment, array and array item is a level)";
}

// Refuses a text nesting deeper than kMaxNestingDepth below `base`; errors are at their place.
void check_nesting(std::string_view text, const std::string& file, std::size_t base) {
    if (auto deep = NestingScan(text, base).run()) {
        throw TomlError(position_of(text, deep->offset, file), deep->key, too_deep_message());
    }
}

}  // namespace

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

// The start of a long text, quoted for a message.
std::string excerpt(std::string_view text) {
    const std::string start = shortened(text, 60);
    return start.size() < text.size() ? quote(start.substr(0, start.size() - 3)) + "..."
                                      : quote(text);
}

// Strings and keys end up in HDF5 and CSV files, where a NUL ends them, and in JSON, which needs
// UTF-8: two names differing after a NUL would silently become one.
void check_text(std::string_view text, const SourcePosition& where, const std::string& key,
                const char* what) {
    if (!is_valid_utf8(text)) {
        throw TomlError(where, key,
                        std::string("expected ") + what + " in valid UTF-8, got " + excerpt(text));
    }
    if (text.find('\0') != std::string_view::npos) {
        throw TomlError(where, key,
                        std::string("expected ") + what +
                            " without the NUL character (\\u0000), got " + excerpt(text));
    }
}

std::string join_key(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// `path` names the node in messages, `depth` is its level (the root's is 0).
TomlNode convert(const toml::node& source, const std::string& file, const std::string& path,
                 std::size_t depth) {
    TomlNode node;
    node.where = position(source.source(), file);
    // check_nesting has bounded the text already; this keeps the recursion bounded regardless.
    if (depth > kMaxNestingDepth) throw TomlError(node.where, path, too_deep_message());
    if (const auto* table = source.as_table()) {
        node.kind = TomlNode::Kind::table;
        for (auto&& [key, value] : *table) {
            const std::string member_path = join_key(path, key.str());
            const SourcePosition key_where = position(key.source(), file);
            check_text(key.str(), key_where, member_path, "a key");
            TomlNode member = convert(value, file, member_path, depth + 1);
            member.key = std::string(key.str());
            member.key_where = key_where;
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
        for (std::size_t i = 0; i < array->size(); ++i) {
            node.items.push_back(
                convert((*array)[i], file, join_key(path, std::to_string(i)), depth + 1));
        }
    } else if (const auto* s = source.as_string()) {
        node.kind = TomlNode::Kind::string;
        node.text = s->get();
        check_text(node.text, node.where, path, "a string");
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

std::string size_message(std::uintmax_t bytes) {
    return std::to_string(bytes) + " bytes, more than the limit of " +
           std::to_string(kMaxFileBytes) + " bytes (" + std::to_string(kMaxFileBytes >> 20) +
           " MiB) for a TOML file";
}

// Parses text; a syntax error becomes a TomlError at its position.
TomlNode parse_text(std::string_view text, const std::string& file) {
    if (text.size() > kMaxFileBytes) {
        throw TomlError({file, 0, 0}, "", "the text is " + size_message(text.size()));
    }
    check_nesting(text, file, 0);
    try {
        toml::table table = toml::parse(text, std::string_view(file));
        TomlNode root = convert(table, file, "", 0);
        root.where = {file, 0, 0};
        return root;
    } catch (const toml::parse_error& error) {
        throw TomlError(position(error.source(), file), "",
                        "TOML syntax error: " + std::string(error.description()));
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// extends

namespace {

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

// Only a regular file is read: a device may never end (/dev/zero), a FIFO blocks the opening, a
// directory reads as an empty document. Errors are reported where the file was asked for; the
// file is named unless that place is the file itself.
std::string read_file(const std::string& path, const SourcePosition& asked_at,
                      std::string_view key) {
    const std::string subject = asked_at.file == path ? "" : "'" + path + "' ";
    try {
        return read_regular_file(path, kMaxFileBytes);
    } catch (const InputFileProblem& problem) {
        std::string why;
        switch (problem.kind) {
            case InputFileProblem::Kind::not_regular:
                why = "is " + std::string(problem.what()) +
                      ", not a regular file: only regular files are read as TOML";
                break;
            case InputFileProblem::Kind::too_large:
                why = "is " + size_message(problem.bytes);
                break;
            case InputFileProblem::Kind::unreadable:
                why = "cannot read: " + std::string(problem.what());
                break;
        }
        throw TomlError(asked_at, std::string(key), subject + why);
    }
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
    // Each link is a level of recursion and a whole file in memory.
    if (chain.size() > kMaxExtendsDepth) {
        throw TomlError(extends.where, "extends",
                        "more than " + std::to_string(kMaxExtendsDepth) +
                            " extends links in a chain (starting at " + chain.front() + ")");
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

// The value of an override whose node lies at `depth`, named `key_path` in messages.
TomlNode override_value(std::string_view text, const std::string& key_path, std::size_t depth) {
    const SourcePosition here{std::string(kOverrideSource), 0, 0};
    const std::string source = "x = " + std::string(text);
    try {
        check_nesting(source, here.file, depth - 1);
    } catch (const TomlError& error) {
        throw TomlError(here, key_path, error.message());
    }
    TomlNode value;
    bool is_toml = false;
    try {
        toml::table parsed = toml::parse(source, std::string_view(here.file));
        // "1\ny = 2" parses, but is not one value.
        if (parsed.size() == 1 && parsed.contains("x")) {
            value = convert(*parsed.get("x"), here.file, key_path, depth);
            is_toml = true;
        }
    } catch (const toml::parse_error&) {
    } catch (const TomlError& error) {
        throw TomlError(here, error.key(), error.message());
    }
    if (!is_toml) {
        value = TomlNode{};
        value.kind = TomlNode::Kind::string;
        value.text = std::string(text);
        check_text(value.text, here, key_path, "a string");
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

namespace {

// Multiplies the numbers of `node` and below; integers stay integers (rounded).
std::size_t scale_all(TomlNode& node, double factor) {
    if (node.kind == TomlNode::Kind::floating) {
        node.floating *= factor;
    } else if (node.kind == TomlNode::Kind::integer) {
        node.integer = static_cast<std::int64_t>(std::llround(static_cast<double>(node.integer) *
                                                              factor));
    }
    std::size_t scaled = node.is_number() ? 1 : 0;
    for (auto& m : node.members) scaled += scale_all(m, factor);
    for (auto& i : node.items) scaled += scale_all(i, factor);
    return scaled;
}

// The nodes at `segments` from `node`, where `*` matches every member or item.
void matching(TomlNode& node, const std::vector<std::string>& segments, std::size_t at,
              std::vector<TomlNode*>& found) {
    if (at == segments.size()) {
        found.push_back(&node);
        return;
    }
    const std::string& segment = segments[at];
    if (segment == "*") {
        for (auto& m : node.members) matching(m, segments, at + 1, found);
        for (auto& i : node.items) matching(i, segments, at + 1, found);
        return;
    }
    if (node.is_array()) {
        for (auto& item : node.items) {
            const TomlNode* name = item.is_table() ? item.find("name") : nullptr;
            if (name && name->kind == TomlNode::Kind::string && name->text == segment)
                matching(item, segments, at + 1, found);
        }
        if (auto index = parse_index(segment); index && *index < node.items.size())
            matching(node.items[*index], segments, at + 1, found);
        return;
    }
    if (TomlNode* child = node.find(segment)) matching(*child, segments, at + 1, found);
}

}  // namespace

void scale_numbers(TomlNode& root, std::string_view key_path, std::string_view factor_text) {
    const SourcePosition here{std::string(kOverrideSource), 0, 0};
    const std::string key(key_path);
    check_text(key_path, here, key, "a key path");
    const std::vector<std::string> segments = split_path(key_path);
    if (segments.size() > kMaxNestingDepth || key.empty() ||
        std::any_of(segments.begin(), segments.end(), [](auto& s) { return s.empty(); }))
        throw TomlError(here, shortened(key_path), "expected key.path*=factor");
    double factor = 0;
    const std::string text(factor_text);
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), factor);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(factor))
        throw TomlError(here, key + "*", "expected a number to multiply by, got '" +
                                             shortened(factor_text) + "'");
    std::vector<TomlNode*> found;
    matching(root, segments, 0, found);
    std::size_t scaled = 0;
    for (TomlNode* node : found) scaled += scale_all(*node, factor);
    if (scaled == 0)
        throw TomlError(here, key + "*", "no number to multiply under '" + key + "'");
}

void apply_override(TomlNode& root, std::string_view assignment) {
    const SourcePosition here{std::string(kOverrideSource), 0, 0};
    const std::size_t equals = assignment.find('=');
    if (equals == std::string_view::npos) {
        throw TomlError(here, "", "expected key.path=value, got '" + shortened(assignment) + "'");
    }
    auto trim = [](std::string_view s) {
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
            s.remove_prefix(1);
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
        return s;
    };
    std::string_view key_path = trim(assignment.substr(0, equals));
    // "key.path*=factor": multiplies every number under key.path (segments may be `*`).
    if (key_path.size() > 1 && key_path.back() == '*' && key_path[key_path.size() - 2] != '.') {
        scale_numbers(root, trim(key_path.substr(0, key_path.size() - 1)),
                      trim(assignment.substr(equals + 1)));
        return;
    }
    check_text(key_path, here, std::string(key_path), "a key path");
    const std::vector<std::string> segments = split_path(key_path);
    if (segments.size() > kMaxNestingDepth) {
        throw TomlError(here, shortened(key_path),
                        "a key path of " + std::to_string(segments.size()) + " segments is " +
                            too_deep_message());
    }
    if (key_path.empty() ||
        std::any_of(segments.begin(), segments.end(), [](auto& s) { return s.empty(); })) {
        throw TomlError(here, std::string(key_path),
                        "expected key.path=value with a non-empty key in every segment, got '" +
                            shortened(assignment) + "'");
    }
    TomlNode value =
        override_value(trim(assignment.substr(equals + 1)), std::string(key_path), segments.size());

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
