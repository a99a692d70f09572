// Compressing a loudspeaker's day timeline (GET /devices/{id}/timeline: some 17,000 entries,
// 5 MB of JSON; docs/api.md "Compression"): the time and bytes of cpp-httplib's brotli
// (quality 11, what the server used before), of the controller's own brotli (quality 5) and
// gzip (level 6), then the whole answer through the API server (compression included) to a
// client that accepts br, and to one that accepts nothing. Prints `name=value` lines.
#include "bantin/controller/http_compression.hpp"
#include "bantin/controller/http_server.hpp"

#include "bench_support.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

namespace bantin::bench {
const char* const program_name = "compression_bench";
}

using namespace bantin;

namespace {

// A day of 5-second spots from 00:00, shaped as the timeline route writes its entries.
std::string day_timeline(int entries) {
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    const TimePoint midnight = parse_utc("2026-03-01T17:00:00.000Z").value();
    static const char* const digests[] = {"60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752",
                                          "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                                          "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"};
    for (int index = 0; index < entries; ++index) {
        const TimePoint start = midnight + std::chrono::milliseconds{5000LL * index};
        items.push_back(nlohmann::ordered_json{{"start", format_utc(start)},
                                               {"end", format_utc(start + std::chrono::seconds{5})},
                                               {"source_kind", "campaign"},
                                               {"source", index % 7 == 0 ? "c-tiem-chung" : "c-loop"},
                                               {"item", index % 3},
                                               {"media", digests[index % 3]},
                                               {"reason", "loop"},
                                               {"ending", "completed"},
                                               {"due", format_utc(start)},
                                               {"media_offset_ms", 0}});
    }
    return nlohmann::ordered_json{{"device", "loa-1"}, {"day", "2026-03-02"}, {"entries", std::move(items)}}
        .dump();
}

double ms_since(std::chrono::steady_clock::time_point started) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
}

void time_coding(const std::string& body, controller::ContentCoding coding, int level, const char* name) {
    const auto started = std::chrono::steady_clock::now();
    auto compressed = controller::compress_body(body, coding, level);
    const double took = ms_since(started);
    if (!compressed)
        bench::die(std::string{name} + ": compression failed");
    std::printf("%s_ms=%.1f\n%s_bytes=%zu\n", name, took, name, compressed->size());
}

}  // namespace

int main() {
    const std::string body = day_timeline(17280);
    std::printf("timeline_bytes=%zu\n", body.size());
    time_coding(body, controller::ContentCoding::Brotli, 11, "brotli_q11_httplib_before");
    time_coding(body, controller::ContentCoding::Brotli, controller::brotli_quality, "brotli_q5");
    time_coding(body, controller::ContentCoding::Gzip, controller::gzip_level, "gzip_6");

    controller::ApiServer server{controller::ApiServerOptions{}};
    server.http().Get("/timeline", [&body](const httplib::Request&, httplib::Response& response) {
        response.set_content(body, "application/json");
    });
    const int port = bench::must(server.start(), "start the API server");
    for (const char* accept : {"br", "gzip", ""}) {
        httplib::Client client{"127.0.0.1", port};
        client.set_decompress(false);
        client.set_read_timeout(120, 0);
        httplib::Headers headers;
        if (*accept)
            headers.emplace("Accept-Encoding", accept);
        const auto started = std::chrono::steady_clock::now();
        auto answer = client.Get("/timeline", headers);
        const double took = ms_since(started);
        if (!answer || answer->status != 200)
            bench::die(std::string{"GET /timeline with Accept-Encoding "} + accept + " failed");
        const std::string name = *accept ? std::string{"http_"} + accept : std::string{"http_identity"};
        std::printf("%s_ms=%.1f\n%s_bytes=%zu\n%s_encoding=%s\n", name.c_str(), took, name.c_str(),
                    answer->body.size(), name.c_str(),
                    answer->get_header_value("Content-Encoding").empty()
                        ? "identity"
                        : answer->get_header_value("Content-Encoding").c_str());
    }
    server.stop();
    return 0;
}
