#include "schema.hpp"

#include <date/tz.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bantin::config::detail {

std::string join_path(std::string_view parent, std::string_view key) {
    if (parent.empty())
        return std::string(key);
    std::string path(parent);
    path += '.';
    path += key;
    return path;
}

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and adjacent
// transpositions ("prot" -> "port") each cost one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t rows = a.size() + 1;
    const std::size_t columns = b.size() + 1;
    std::vector<std::size_t> table(rows * columns);
    auto at = [&](std::size_t row, std::size_t column) -> std::size_t& {
        return table[row * columns + column];
    };
    for (std::size_t row = 0; row < rows; ++row) at(row, 0) = row;
    for (std::size_t column = 0; column < columns; ++column) at(0, column) = column;
    for (std::size_t row = 1; row < rows; ++row) {
        for (std::size_t column = 1; column < columns; ++column) {
            const std::size_t cost = a[row - 1] == b[column - 1] ? 0 : 1;
            std::size_t best =
                std::min({at(row - 1, column) + 1, at(row, column - 1) + 1, at(row - 1, column - 1) + cost});
            if (row > 1 && column > 1 && a[row - 1] == b[column - 2] && a[row - 2] == b[column - 1]) {
                best = std::min(best, at(row - 2, column - 2) + 1);
            }
            at(row, column) = best;
        }
    }
    return at(rows - 1, columns - 1);
}

bool is_bare_key_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

}  // namespace

std::function<std::optional<std::string>(const std::string&)> known_time_zone(bool empty_allowed) {
    return [empty_allowed](const std::string& value) -> std::optional<std::string> {
        if (value.empty() && empty_allowed)
            return std::nullopt;
        try {
            (void)date::locate_zone(value);
            return std::nullopt;
        } catch (const std::exception&) {
            return "unknown time zone " + quote(value) + " (use an IANA name such as \"Asia/Ho_Chi_Minh\")";
        }
    };
}

std::optional<std::string> closest_match(std::string_view name, std::span<const std::string> candidates) {
    // A typo of a short key is at most one edit; longer keys allow a little more.
    const std::size_t allowed = name.size() <= 4 ? 1 : (name.size() <= 10 ? 2 : 3);
    std::optional<std::string> best;
    std::size_t best_distance = allowed + 1;
    for (const auto& candidate : candidates) {
        const std::size_t distance = edit_distance(name, candidate);
        if (distance < best_distance) {
            best_distance = distance;
            best = candidate;
        }
    }
    // "keepalive" for "keepalive_s": the key without its unit suffix.
    if (!best) {
        for (const auto& candidate : candidates) {
            if (candidate.starts_with(name) && candidate.size() > name.size() &&
                candidate[name.size()] == '_') {
                return candidate;
            }
        }
    }
    return best;
}

std::string quote(std::string_view text) {
    std::string out = "\"";
    for (const char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    static constexpr char hex[] = "0123456789ABCDEF";
                    const auto byte = static_cast<unsigned char>(c);
                    out += "\\u00";
                    out += hex[byte >> 4];
                    out += hex[byte & 0x0f];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
    return out;
}

std::string toml_key(std::string_view key) {
    if (!key.empty() && std::all_of(key.begin(), key.end(), is_bare_key_char))
        return std::string(key);
    return quote(key);
}

std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        case toml::node_type::none: break;
    }
    return "nothing";
}

int line_of(const toml::node& node) {
    return static_cast<int>(node.source().begin.line);
}

std::string comment_lines(std::string_view text, std::string_view indent) {
    constexpr std::size_t width = 90;
    std::string out;
    std::string line;
    std::istringstream words{std::string(text)};
    std::string word;
    while (words >> word) {
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            out += std::string(indent) + "# " + line + "\n";
            line.clear();
        }
        if (!line.empty())
            line += ' ';
        line += word;
    }
    if (!line.empty())
        out += std::string(indent) + "# " + line + "\n";
    return out;
}

// ---- Loader

Loader::Loader(const toml::table& root) {
    m_frames.push_back(Frame{&root, "", 1, {}});
}

const toml::node* Loader::find(std::string_view name) {
    Frame& frame = m_frames.back();
    frame.known.emplace_back(name);
    return frame.table ? frame.table->get(name) : nullptr;
}

int Loader::line_or_table(const toml::node& node) const {
    return line_or(node, m_frames.back().line);
}

int Loader::line_or(const toml::node& node, int fallback) {
    const int line = line_of(node);
    return line > 0 ? line : fallback;
}

void Loader::add_issue(int line, std::string key_path, std::string message) {
    m_failed_keys.insert(key_path);
    if (auto bracket = key_path.find('['); bracket != std::string::npos) {
        m_failed_keys.insert(key_path.substr(0, bracket));
    }
    m_issues.push_back(Issue{line, std::move(key_path), std::move(message)});
}

void Loader::close_frame() {
    Frame& frame = m_frames.back();
    if (frame.table) {
        for (const auto& [key, node] : *frame.table) {
            const std::string_view name = key.str();
            if (std::find(frame.known.begin(), frame.known.end(), name) != frame.known.end())
                continue;
            std::string message = node.is_table() ? "unknown table" : "unknown key";
            if (auto suggestion = closest_match(name, frame.known)) {
                message += " (did you mean " + quote(*suggestion) + "?)";
            }
            int line = static_cast<int>(key.source().begin.line);
            if (line <= 0)
                line = line_or(node, frame.line);
            add_issue(line, join_path(frame.path, name), std::move(message));
        }
    }
    m_frames.pop_back();
}

bool Loader::read_map(const toml::node& node, const std::string& path,
                      std::map<std::string, std::string>& out) {
    const toml::table* table = node.as_table();
    if (!table) {
        add_issue(line_or_table(node), path, "expected a table, got " + std::string(type_name(node)));
        return false;
    }
    out.clear();
    bool good = true;
    for (const auto& [key, value] : *table) {
        const std::string entry_path = join_path(path, toml_key(key.str()));
        const int line = line_or(value, line_or_table(node));
        const auto* text = value.as_string();
        if (!text) {
            add_issue(line, entry_path, "expected a string, got " + std::string(type_name(value)));
            good = false;
        } else if (text->get().empty()) {
            add_issue(line, entry_path, "must not be empty");
            good = false;
        } else {
            out.emplace(std::string(key.str()), text->get());
        }
    }
    return good;
}

void Loader::cross_issue(std::string_view key_path, std::string message,
                         std::initializer_list<std::string_view> others) {
    if (m_failed_keys.contains(key_path))
        return;
    for (const auto other : others) {
        if (m_failed_keys.contains(other))
            return;
    }
    // The key's own line, else the nearest enclosing table the file has.
    std::string_view path = key_path;
    int line = 1;
    while (true) {
        if (auto found = m_lines.find(path); found != m_lines.end()) {
            line = found->second;
            break;
        }
        const auto dot = path.rfind('.');
        if (dot == std::string_view::npos)
            break;
        path = path.substr(0, dot);
    }
    add_issue(line, std::string(key_path), std::move(message));
}

std::vector<Issue> Loader::finish() {
    while (!m_frames.empty()) close_frame();
    std::stable_sort(m_issues.begin(), m_issues.end(),
                     [](const Issue& a, const Issue& b) { return a.line < b.line; });
    return std::move(m_issues);
}

// ---- loading

Result<toml::table> parse_toml(std::string_view text, std::string_view source_name) {
    try {
        return toml::parse(text, source_name);
    } catch (const toml::parse_error& error) {
        const auto line = error.source().begin.line;
        return fail(Errc::InvalidInput, std::string(source_name) + ":" + std::to_string(line > 0 ? line : 1) +
                                            ": not valid TOML: " + std::string(error.description()));
    }
}

Error format_issues(std::string_view source_name, const std::vector<Issue>& issues) {
    std::string detail;
    for (const auto& issue : issues) {
        if (!detail.empty())
            detail += '\n';
        detail += std::string(source_name) + ":" + std::to_string(issue.line) + ": " + issue.key_path + ": " +
                  issue.message;
    }
    return Error{Errc::InvalidInput, std::move(detail)};
}

Result<std::string> read_file(const std::filesystem::path& path) {
    std::error_code ignored;
    if (std::filesystem::is_directory(path, ignored)) {
        return fail(Errc::Io, path.string() + ": cannot read: is a directory");
    }
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        const int error = errno;
        return fail(error == ENOENT ? Errc::NotFound : Errc::Io,
                    path.string() + ": cannot open: " + std::strerror(error));
    }
    std::ostringstream buffer;
    buffer << file.rdbuf();
    if (file.bad())
        return fail(Errc::Io, path.string() + ": cannot read");
    return std::move(buffer).str();
}

// ---- Renderer

Renderer::Renderer(std::string_view title) : m_path{""}, m_text(comment_lines(title) + "\n") {}

}  // namespace bantin::config::detail
