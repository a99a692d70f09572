#include "bantin/controller/http_compression.hpp"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>

namespace bantin::controller {
namespace {

std::string lower(std::string_view text) {
    std::string out{text};
    std::ranges::transform(out, out.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim_header_value(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// The q value of one Accept-Encoding element ("gzip;q=0.5"): 1 when none is given, 0 for q=0,
// q=0.0 and the like or anything unreadable.
double quality(std::string_view parameters) {
    while (!parameters.empty()) {
        const auto semicolon = parameters.find(';');
        std::string_view parameter = trim_header_value(parameters.substr(0, semicolon));
        parameters =
            semicolon == std::string_view::npos ? std::string_view{} : parameters.substr(semicolon + 1);
        if (parameter.size() >= 2 && (parameter[0] == 'q' || parameter[0] == 'Q') && parameter[1] == '=') {
            const std::string_view number = trim_header_value(parameter.substr(2));
            double value = 0;
            auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
            if (error != std::errc{} || end != number.data() + number.size() || value < 0 || value > 1)
                return 0;
            return value;
        }
    }
    return 1;
}

}  // namespace

ContentCoding choose_coding(std::string_view accept_encoding) {
    double brotli = -1;
    double gzip = -1;
    double any = -1;
    std::string_view list = accept_encoding;
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view element = trim_header_value(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        const auto semicolon = element.find(';');
        const std::string name = lower(trim_header_value(element.substr(0, semicolon)));
        const double q = semicolon == std::string_view::npos ? 1.0 : quality(element.substr(semicolon + 1));
        if (name == "br")
            brotli = q;
        else if (name == "gzip" || name == "x-gzip")
            gzip = std::max(gzip, q);
        else if (name == "*")
            any = q;
    }
    if (brotli < 0)
        brotli = any;
    if (gzip < 0)
        gzip = any;
    if (brotli > 0 && brotli >= gzip)
        return ContentCoding::Brotli;
    if (gzip > 0)
        return ContentCoding::Gzip;
    return ContentCoding::Identity;
}

bool compressible_type(std::string_view content_type) {
    const std::string type = lower(trim_header_value(content_type.substr(0, content_type.find(';'))));
    if (type.starts_with("text/"))
        return type != "text/event-stream";
    static constexpr std::array<std::string_view, 8> types{
        "application/json",     "application/javascript", "application/xml",       "image/svg+xml",
        "application/atom+xml", "application/rss+xml",    "application/xhtml+xml", "application/geo+json"};
    return std::ranges::find(types, type) != types.end() || type.ends_with("+json");
}

std::optional<std::string> compress_body(std::string_view body, ContentCoding coding, int level) {
    switch (coding) {
        case ContentCoding::Identity: return std::string{body};
        case ContentCoding::Brotli: {
            std::string out(BrotliEncoderMaxCompressedSize(body.size()), '\0');
            std::size_t size = out.size();
            if (out.empty() ||
                BrotliEncoderCompress(level < 0 ? brotli_quality : std::clamp(level, 0, 11),
                                      BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, body.size(),
                                      reinterpret_cast<const std::uint8_t*>(body.data()), &size,
                                      reinterpret_cast<std::uint8_t*>(out.data())) != BROTLI_TRUE)
                return std::nullopt;
            out.resize(size);
            return out;
        }
        case ContentCoding::Gzip: {
            z_stream stream{};
            // 15 + 16: a gzip header and trailer around the deflate stream.
            if (deflateInit2_(&stream, level < 0 ? gzip_level : std::clamp(level, 1, 9), Z_DEFLATED, 15 + 16,
                              8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                              static_cast<int>(sizeof(z_stream))) != Z_OK)
                return std::nullopt;
            std::string out(deflateBound(&stream, static_cast<uLong>(body.size())), '\0');
            stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
            stream.avail_in = static_cast<uInt>(body.size());
            stream.next_out = reinterpret_cast<Bytef*>(out.data());
            stream.avail_out = static_cast<uInt>(out.size());
            const int result = deflate(&stream, Z_FINISH);
            const auto written = stream.total_out;
            deflateEnd(&stream);
            if (result != Z_STREAM_END)
                return std::nullopt;
            out.resize(static_cast<std::size_t>(written));
            return out;
        }
    }
    return std::nullopt;
}

std::optional<std::string> decompress_body(std::string_view body, ContentCoding coding) {
    std::string out;
    std::array<char, 64 * 1024> buffer{};
    switch (coding) {
        case ContentCoding::Identity: return std::string{body};
        case ContentCoding::Brotli: {
            BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
            if (!state)
                return std::nullopt;
            std::size_t in_left = body.size();
            const auto* in = reinterpret_cast<const std::uint8_t*>(body.data());
            BrotliDecoderResult result = BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT;
            while (result == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) {
                std::size_t out_left = buffer.size();
                auto* next = reinterpret_cast<std::uint8_t*>(buffer.data());
                result = BrotliDecoderDecompressStream(state, &in_left, &in, &out_left, &next, nullptr);
                out.append(buffer.data(), buffer.size() - out_left);
            }
            BrotliDecoderDestroyInstance(state);
            if (result != BROTLI_DECODER_RESULT_SUCCESS)
                return std::nullopt;
            return out;
        }
        case ContentCoding::Gzip: {
            z_stream stream{};
            if (inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, static_cast<int>(sizeof(z_stream))) != Z_OK)
                return std::nullopt;
            stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
            stream.avail_in = static_cast<uInt>(body.size());
            int result = Z_OK;
            while (result == Z_OK) {
                stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
                stream.avail_out = static_cast<uInt>(buffer.size());
                result = inflate(&stream, Z_NO_FLUSH);
                out.append(buffer.data(), buffer.size() - stream.avail_out);
            }
            inflateEnd(&stream);
            if (result != Z_STREAM_END)
                return std::nullopt;
            return out;
        }
    }
    return std::nullopt;
}

std::string_view coding_name(ContentCoding coding) {
    switch (coding) {
        case ContentCoding::Identity: return "identity";
        case ContentCoding::Gzip: return "gzip";
        case ContentCoding::Brotli: return "br";
    }
    return "identity";
}

}  // namespace bantin::controller
