#pragma once
// Shared by the media tests: a temporary directory, a settable clock and a sleeper that records
// the delays it was asked for instead of waiting.

#include "bantin/common/clock.hpp"
#include "bantin/media/fetch.hpp"
#include "support/temporary_directory.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

namespace bantin::media::testing {

using bantin::testing::TemporaryDirectory;

class SettableClock final : public Clock {
public:
    TimePoint wall() const override {
        std::lock_guard lock{m_mutex};
        return m_wall;
    }
    MonotonicTime monotonic() const override {
        std::lock_guard lock{m_mutex};
        return MonotonicTime{m_wall.time_since_epoch()};
    }
    void advance(Duration step) {
        std::lock_guard lock{m_mutex};
        m_wall += step;
    }

private:
    mutable std::mutex m_mutex;
    TimePoint m_wall = from_unix_ms(1'795'737'600'000);
};

class RecordingSleeper final : public Sleeper {
public:
    bool sleep(Duration delay, const CancelToken& cancel) override {
        std::lock_guard lock{m_mutex};
        m_delays.push_back(delay);
        return !cancel.cancelled();
    }
    std::vector<Duration> delays() const {
        std::lock_guard lock{m_mutex};
        return m_delays;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<Duration> m_delays;
};

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in{path, std::ios::binary};
    return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

inline void write_file(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out{path, std::ios::binary};
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::size_t count_files(const std::filesystem::path& directory) {
    std::size_t count = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator{directory}) {
        count += entry.is_regular_file() ? 1u : 0u;
    }
    return count;
}

}  // namespace bantin::media::testing
