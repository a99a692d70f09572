#include "bantin/media/thumbnail.hpp"

#include "bantin/media/process.hpp"
#include "bantin/media/sha256.hpp"

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <system_error>

namespace bantin::media {

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream input(path, std::ios::binary);
    std::ostringstream text;
    text << input.rdbuf();
    return text.str();
}

bool looks_like_jpeg(const std::filesystem::path& path) {
    std::ifstream input(path, std::ios::binary);
    char head[3] = {};
    input.read(head, 3);
    return input.gcount() == 3 && static_cast<unsigned char>(head[0]) == 0xFF &&
           static_cast<unsigned char>(head[1]) == 0xD8 && static_cast<unsigned char>(head[2]) == 0xFF;
}

// A name in tmp/ no other writer uses: this process, a counter.
std::filesystem::path unique_temporary(const std::filesystem::path& directory, std::string_view sha256,
                                       std::string_view extension) {
    static std::atomic<unsigned long> counter{0};
    return directory / ("thumbnail-" + std::string{sha256} + "-" + std::to_string(::getpid()) + "-" +
                        std::to_string(counter.fetch_add(1)) + std::string{extension});
}

Result<void> write_atomically(const std::filesystem::path& temporary, const std::filesystem::path& target,
                              std::string_view bytes) {
    {
        std::ofstream output(temporary, std::ios::binary | std::ios::trunc);
        output.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!output)
            return fail(Errc::Io, "cannot write " + temporary.string());
    }
    std::error_code error;
    std::filesystem::rename(temporary, target, error);
    if (error) {
        std::filesystem::remove(temporary, error);
        return fail(Errc::Io, "cannot rename a thumbnail into " + target.string());
    }
    return {};
}

}  // namespace

Result<void> make_thumbnail(const std::filesystem::path& source, PictureKind kind,
                            std::optional<Duration> duration, const std::filesystem::path& destination,
                            const ThumbnailOptions& options) {
    std::vector<std::string> argv{options.ffmpeg,        "-nostdin", "-v", "error", "-y",
                                  "-protocol_whitelist", "file"};
    if (kind == PictureKind::Video) {
        // 1 s in, or 10 % of a video shorter than 10 s (a 2 s clip: 0.2 s).
        std::int64_t at_ms = 1000;
        if (duration && duration->count() < 10000)
            at_ms = duration->count() / 10;
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(at_ms) / 1000.0);
        argv.insert(argv.end(), {"-ss", seconds});
    }
    argv.insert(argv.end(),
                {"-i", "file:" + std::filesystem::absolute(source).string(), "-frames:v", "1", "-an", "-sn",
                 "-vf", "scale='min(" + std::to_string(options.width) + ",iw)':-2,format=yuvj420p", "-f",
                 "image2", "-c:v", "mjpeg", "-q:v", "5", destination.string()});
    ProcessRequest request;
    request.argv = std::move(argv);
    request.timeout = options.timeout;
    auto ran = run_process(request);
    if (!ran) {
        if (ran.error().code == Errc::Timeout)
            return fail(Errc::InvalidInput, "tạo hình thu nhỏ quá lâu; making the thumbnail took too long (" +
                                                ran.error().detail + ")");
        return std::unexpected(ran.error());
    }
    std::error_code error;
    if (!ran->succeeded() || !std::filesystem::exists(destination, error) ||
        std::filesystem::file_size(destination, error) == 0 || !looks_like_jpeg(destination)) {
        std::filesystem::remove(destination, error);
        std::string reason = ran->succeeded() ? "ffmpeg made no picture" : "ffmpeg " + ran->describe();
        const std::string target = std::filesystem::absolute(source).string();
        for (auto at = reason.find(target); at != std::string::npos; at = reason.find(target))
            reason.replace(at, target.size(), source.filename().string());
        return fail(Errc::InvalidInput,
                    "không tạo được hình thu nhỏ từ tệp này; no thumbnail could be made from this file (" +
                        reason + ")");
    }
    return {};
}

Result<std::filesystem::path> ThumbnailStore::get_or_make(std::string_view sha256, PictureKind kind,
                                                          std::optional<Duration> duration) const {
    if (!is_sha256_hex(sha256))
        return fail(Errc::InvalidInput, "not a sha256 digest");
    const std::filesystem::path folder = directory();
    std::error_code error;
    std::filesystem::create_directories(folder, error);
    if (error)
        return fail(Errc::Io, "cannot create " + folder.string() + ": " + error.message());
    const std::filesystem::path picture = folder / (std::string{sha256} + ".jpg");
    const std::filesystem::path failed = folder / (std::string{sha256} + ".failed");
    if (std::filesystem::exists(picture, error))
        return picture;
    if (std::filesystem::exists(failed, error))
        return fail(Errc::InvalidInput, read_text(failed));
    auto source = m_store.lookup(sha256);
    if (!source)
        return std::unexpected(source.error());
    const auto temporary = unique_temporary(m_store.temporary_directory(), sha256, ".jpg");
    auto made = make_thumbnail(*source, kind, duration, temporary, m_options);
    if (!made) {
        std::filesystem::remove(temporary, error);
        if (made.error().code == Errc::InvalidInput) {
            // Remembered: the same bytes give the same failure.
            static_cast<void>(
                write_atomically(unique_temporary(m_store.temporary_directory(), sha256, ".failed"), failed,
                                 made.error().detail));
        }
        return std::unexpected(made.error());
    }
    std::filesystem::rename(temporary, picture, error);
    if (error) {
        std::filesystem::remove(temporary, error);
        return fail(Errc::Io, "cannot store the thumbnail " + picture.string());
    }
    return picture;
}

void ThumbnailStore::remove(std::string_view sha256) const {
    if (!is_sha256_hex(sha256))
        return;
    std::error_code error;
    std::filesystem::remove(directory() / (std::string{sha256} + ".jpg"), error);
    std::filesystem::remove(directory() / (std::string{sha256} + ".failed"), error);
}

}  // namespace bantin::media
