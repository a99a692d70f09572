#pragma once
// The hostile-input corpus under tests/hostile/ (docs/hostile-input.md): files of bad input,
// each listed in tests/hostile/manifest.json with the refusal it must get. The data-driven
// tests (controller: HTTP, API bodies, uploads, CAP; protocol: envelopes and signed payloads)
// read entries through this header.
//
// Generated content keeps the repository small: an entry with "nest": N is built as
// file content * N + "middle" + "close" * N (100,000-deep JSON or XML); "repeat": N repeats the
// file content N times (oversized bodies).

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

namespace bantin::testing {

inline std::filesystem::path hostile_corpus_dir() {
    return std::filesystem::path{BANTIN_HOSTILE_CORPUS};
}

inline const nlohmann::json& hostile_manifest() {
    static const nlohmann::json manifest = [] {
        std::ifstream in(hostile_corpus_dir() / "manifest.json", std::ios::binary);
        return nlohmann::json::parse(in);
    }();
    return manifest;
}

inline std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The bytes of an entry, generated where the entry says so.
inline std::string hostile_content(const nlohmann::json& entry) {
    const std::string file = read_bytes(hostile_corpus_dir() / entry.at("file").get<std::string>());
    if (entry.contains("nest")) {
        const auto depth = entry.at("nest").get<std::size_t>();
        const std::string middle = entry.value("middle", std::string{});
        const std::string close = entry.value("close", std::string{});
        std::string out;
        out.reserve((file.size() + close.size()) * depth + middle.size());
        for (std::size_t i = 0; i < depth; ++i) out += file;
        out += middle;
        for (std::size_t i = 0; i < depth; ++i) out += close;
        return out;
    }
    if (entry.contains("repeat")) {
        std::string out;
        for (std::size_t i = 0, n = entry.at("repeat").get<std::size_t>(); i < n; ++i) out += file;
        return out;
    }
    return file;
}

// Every file under tests/hostile/<group>/ that no manifest entry names.
inline std::vector<std::string> unlisted_corpus_files() {
    std::set<std::string> listed;
    for (const auto& [group, entries] : hostile_manifest().items())
        for (const auto& entry : entries) listed.insert(entry.at("file").get<std::string>());
    std::vector<std::string> unlisted;
    for (const auto& item : std::filesystem::recursive_directory_iterator(hostile_corpus_dir())) {
        if (!item.is_regular_file())
            continue;
        const std::string relative =
            std::filesystem::relative(item.path(), hostile_corpus_dir()).generic_string();
        if (relative != "manifest.json" && !listed.contains(relative))
            unlisted.push_back(relative);
    }
    return unlisted;
}

}  // namespace bantin::testing
