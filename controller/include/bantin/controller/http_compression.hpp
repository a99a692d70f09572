#pragma once
// Compressing answers, done by Bantin in one place (docs/api.md, "Compression"). cpp-httplib
// compresses with brotli at its slowest quality (11): a device's day timeline (5 MB of JSON)
// took some 24 s. Its own compression is switched off (the API server hides Accept-Encoding
// from it) and every answer is compressed here instead, after its handler ran: brotli at
// quality 5 when the client accepts `br`, else gzip at level 6, for text, JSON, JavaScript, SVG
// and XML bodies of at least min_compressed_bytes; never a range (206), a body an earlier step
// already encoded, or a streamed body (a media file). Every compressible answer carries
// `Vary: Accept-Encoding`. Pure functions of their inputs; thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace bantin::controller {

enum class ContentCoding { Identity, Gzip, Brotli };

inline constexpr int brotli_quality = 5;
inline constexpr int gzip_level = 6;
inline constexpr std::size_t min_compressed_bytes = 1024;

// The coding to answer with for an Accept-Encoding header: br, then gzip, never one the header
// gives q=0; Identity when neither is accepted.
ContentCoding choose_coding(std::string_view accept_encoding);
// Whether a Content-Type names text the server compresses (parameters such as charset ignored).
bool compressible_type(std::string_view content_type);
// `body` compressed with `coding` at the given level (brotli 0-11, gzip 1-9; -1: the defaults
// above); nullopt when the library fails. Identity returns the body as it is.
std::optional<std::string> compress_body(std::string_view body, ContentCoding coding, int level = -1);
// Inflates a gzip or brotli body (tests, benches); nullopt when it is not one.
std::optional<std::string> decompress_body(std::string_view body, ContentCoding coding);
// "br", "gzip" or "identity".
std::string_view coding_name(ContentCoding coding);

}  // namespace bantin::controller
