#pragma once
// A fresh directory under the system temp path, removed with everything in it on destruction.
// The one temporary directory of the tests (each suite used to carry its own copy).

#include <filesystem>
#include <random>
#include <string>

namespace bantin::testing {

class TemporaryDirectory {
public:
    TemporaryDirectory() {
        std::random_device random;
        auto base = std::filesystem::temp_directory_path();
        for (;;) {
            m_path = base / ("bantin-test-" + std::to_string(random()));
            if (std::filesystem::create_directory(m_path))
                break;
        }
    }
    ~TemporaryDirectory() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

    const std::filesystem::path& path() const { return m_path; }
    std::string file(const std::string& name) const { return (m_path / name).string(); }
    std::filesystem::path operator/(const std::string& name) const { return m_path / name; }

private:
    std::filesystem::path m_path;
};

}  // namespace bantin::testing
