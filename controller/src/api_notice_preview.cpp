// A text notice's slides drawn by the player's own code (player::NoticeRenderer, the same fonts,
// design, sizes and pages a screen shows), for the console's editor, approver view and
// playlist pictures (docs/api.md "Notice preview").
//
//   POST /api/v1/notices/preview {"text", "zone"?, "device"?, "look"?, "severity"?, "size"? |
//                                 "width"? + "height"?}
//     -> 200 {"id", "pages", "width", "height", "body_size", "header": {"place", "date"},
//             "images": ["/api/v1/notices/preview/<id>/1.png", ...]}
//   GET  /api/v1/notices/preview/<id>/<page>.png -> image/png
//
// The pages are drawn once per distinct request (its id is the SHA-256 of everything the
// pictures depend on, the day included) and kept in a small in-memory cache; a request whose
// pictures are cached draws nothing. Drawing is bounded (text length, frame sizes, pages) and
// rate-limited per session; SDL_ttf draws one notice at a time.
#include "api_content.hpp"
#include "api_route.hpp"

#include "bantin/config/controller_config.hpp"
#include "bantin/media/font_coverage.hpp"
#include "bantin/media/sha256.hpp"
#include "bantin/media/speech.hpp"
#include "bantin/player/notice_renderer.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace bantin::controller::api {
namespace {

constexpr std::size_t max_text_bytes = 8000;
constexpr int min_side = 64;
constexpr int max_side = 3840;
constexpr long long max_area = 3840LL * 2160;
constexpr int max_pages = 30;
constexpr std::size_t cache_entries = 64;
constexpr std::size_t cache_bytes = 48U * 1024 * 1024;
// Per session: a burst of this many drawings, then one more every refill interval.
constexpr double burst = 30;
constexpr double refill_per_s = 1.0;

struct Preset {
    std::string_view name;
    int width;
    int height;
};
constexpr std::array<Preset, 3> presets{
    {{"landscape", 1920, 1080}, {"portrait", 1080, 1920}, {"strip", 1920, 240}}};

struct CachedNotice {
    std::vector<std::string> pngs;
    std::size_t bytes = 0;
};

// The drawn pictures, newest used first; the renderer, opened on first use; the buckets.
struct NoticePreviews {
    std::mutex mutex;
    std::list<std::pair<std::string, std::shared_ptr<const CachedNotice>>> recent;
    std::size_t bytes = 0;
    std::mutex render_mutex;  // SDL_ttf draws on one thread at a time
    std::optional<Result<player::NoticeRenderer>> renderer;
    std::map<std::string, std::pair<double, std::chrono::steady_clock::time_point>, std::less<>> buckets;

    // Shared, never copied: a page's GET holds the pictures even if they are dropped meanwhile.
    std::shared_ptr<const CachedNotice> find(const std::string& id) {
        std::lock_guard lock(mutex);
        for (auto at = recent.begin(); at != recent.end(); ++at)
            if (at->first == id) {
                recent.splice(recent.begin(), recent, at);
                return recent.front().second;
            }
        return nullptr;
    }

    void keep(const std::string& id, CachedNotice notice) {
        std::lock_guard lock(mutex);
        for (auto at = recent.begin(); at != recent.end(); ++at)
            if (at->first == id)
                return;
        bytes += notice.bytes;
        recent.emplace_front(id, std::make_shared<const CachedNotice>(std::move(notice)));
        while (recent.size() > 1 && (recent.size() > cache_entries || bytes > cache_bytes)) {
            bytes -= recent.back().second->bytes;
            recent.pop_back();
        }
    }

    // Takes one drawing from the session's bucket; the seconds to wait when it is empty.
    std::optional<int> take(const std::string& session) {
        std::lock_guard lock(mutex);
        const auto now = std::chrono::steady_clock::now();
        // Buckets full again are forgotten, so the map holds only sessions drawing now.
        std::erase_if(buckets, [&](const auto& entry) {
            return entry.second.first +
                       std::chrono::duration<double>(now - entry.second.second).count() * refill_per_s >=
                   burst;
        });
        auto [at, added] = buckets.try_emplace(session, burst, now);
        auto& [tokens, last] = at->second;
        tokens = std::min(burst, tokens + std::chrono::duration<double>(now - last).count() * refill_per_s);
        last = now;
        if (tokens >= 1) {
            tokens -= 1;
            return std::nullopt;
        }
        return static_cast<int>(std::ceil((1 - tokens) / refill_per_s));
    }
};

NoticePreviews& previews() {
    static NoticePreviews shared;
    return shared;
}

std::optional<int> parse_side(const nlohmann::json* value) {
    if (!value || !value->is_number_integer())
        return std::nullopt;
    const auto number = value->get<std::int64_t>();
    if (number < min_side || number > max_side)
        return std::nullopt;
    return static_cast<int>(number);
}

std::string bilingual_glyphs(const std::vector<char32_t>& missing) {
    const std::string points = media::describe_code_points(missing);
    return "text: phông chữ của màn hình không có ký tự " + points + "; the screen font cannot draw " +
           points;
}

Answer preview_notice(Call& call) {
    ApiContext& context = call.context;
    BodyFields fields = call.fields();
    const std::string text = fields.required_string("text");
    const auto zone_id = fields.optional_string("zone");
    const auto device_id = fields.optional_string("device");
    const auto look_name = fields.optional_string("look");
    const auto severity_name = fields.optional_string("severity");
    const auto size_name = fields.optional_string("size");
    const nlohmann::json* width_value = fields.optional_value("width");
    const nlohmann::json* height_value = fields.optional_value("height");
    if (auto refused = fields.refusal())
        return refuse(*refused);

    if (text.size() > max_text_bytes)
        return refuse(Refusal::invalid("text: dài quá " + std::to_string(max_text_bytes) +
                                       " byte; longer than " + std::to_string(max_text_bytes) + " bytes"));
    if (!media::is_valid_utf8(text))
        return refuse(Refusal::invalid("text: không phải UTF-8 hợp lệ; not valid UTF-8"));
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return refuse(Refusal::invalid("text: không được để trống; must not be empty"));

    player::NoticeLook look;
    if (look_name) {
        if (*look_name == "notice")
            look.kind = player::NoticeKind::Notice;
        else if (*look_name == "alert")
            look.kind = player::NoticeKind::Alert;
        else if (*look_name == "exercise")
            look.kind = player::NoticeKind::Exercise;
        else
            return refuse(Refusal::invalid(
                "look: chỉ nhận notice, alert hoặc exercise; expected notice, alert or exercise"));
    }
    if (severity_name) {
        auto severity = scheduler::value_in(scheduler::severity_names, *severity_name);
        if (!severity)
            return refuse(
                Refusal::invalid("severity: chỉ nhận minor, moderate, severe hoặc extreme; expected "
                                 "minor, moderate, severe or extreme"));
        look.severity = *severity;
    }

    // The frame: a preset, or width and height; landscape full HD when neither is given.
    player::FrameSize frame{1920, 1080};
    if (size_name && (width_value || height_value))
        return refuse(
            Refusal::invalid("size, width, height: chọn cỡ có sẵn hoặc chiều rộng và chiều cao; "
                             "give a size or a width and a height, not both"));
    if (size_name) {
        auto preset = std::ranges::find(presets, *size_name, &Preset::name);
        if (preset == presets.end())
            return refuse(Refusal::invalid(
                "size: chỉ nhận landscape, portrait hoặc strip; expected landscape, portrait or strip"));
        frame = {preset->width, preset->height};
    } else if (width_value || height_value) {
        auto width = parse_side(width_value);
        auto height = parse_side(height_value);
        if (!width || !height || static_cast<long long>(*width) * *height > max_area)
            return refuse(Refusal::invalid(
                "width, height: mỗi cạnh là số nguyên từ " + std::to_string(min_side) + " đến " +
                std::to_string(max_side) + " điểm ảnh, tối đa 3840×2160; each side is an integer from " +
                std::to_string(min_side) + " to " + std::to_string(max_side) + " pixels, at most 3840x2160"));
        frame = {*width, *height};
    }

    // The header: the zone's name (a device's zone when a device is named) and today's date in
    // its time zone; a screen whose layout draws a live header band gets none, on the area
    // below that band, as the player does.
    player::NoticeHeader header;
    std::string time_zone = context.config.devices.default_time_zone;
    std::optional<std::string> zone = zone_id;
    bool header_band = false;
    if (device_id) {
        auto device = context.store.read_value<DeviceRecord>(
            [&](StoreTransaction& transaction) { return transaction.device_by_id(*device_id); });
        if (!device)
            return refuse(Refusal(
                404, "not-found",
                "không tìm thấy thiết bị \"" + *device_id + "\"; device \"" + *device_id + "\" not found"));
        if (!zone)
            zone = device->device.zone;
        time_zone = device->device.time_zone;
        if (device->device.layout.header_permille > 0) {
            header_band = true;
            frame.height -= frame.height * device->device.layout.header_permille / 1000;
        }
    }
    if (zone && !header_band) {
        auto record = context.store.read_value<ZoneRecord>(
            [&](StoreTransaction& transaction) { return transaction.zone_by_id(*zone); });
        if (!record)
            return refuse(
                Refusal(404, "not-found",
                        "không tìm thấy khu vực \"" + *zone + "\"; zone \"" + *zone + "\" not found"));
        header.place = record->name;
    }
    if (!header_band)
        header.date = player::vietnamese_date(context.clock.wall(), time_zone);

    const std::string keyed = nlohmann::json{
        {"text", text},
        {"look", static_cast<int>(look.kind)},
        {"severity", static_cast<int>(look.severity)},
        {"place", header.place},
        {"date", header.date},
        {"width", frame.width},
        {"height", frame.height}}.dump();
    const std::string id = media::sha256_hex(keyed);
    NoticePreviews& shared = previews();
    auto cached = shared.find(id);
    player::NoticePagination pagination;
    {
        std::lock_guard render_lock(shared.render_mutex);
        if (!shared.renderer)
            shared.renderer = player::NoticeRenderer::create();
        if (!*shared.renderer) {
            spdlog::error("notice preview: {}", shared.renderer->error().message());
            const std::string detail = shared.renderer->error().detail;
            shared.renderer.reset();  // tried again next time: the fonts may be installed by then
            return refuse(Refusal(503, "unavailable",
                                  "máy chủ không mở được phông chữ để vẽ bản tin; the server cannot open the "
                                  "notice fonts: " +
                                      detail));
        }
        const player::NoticeRenderer& renderer = **shared.renderer;
        if (auto missing = renderer.missing_glyphs(text); !missing.empty())
            return refuse(Refusal::invalid(bilingual_glyphs(missing)));
        auto paginated = renderer.paginate(text, look, header, frame);
        if (!paginated) {
            if (paginated.error().code == Errc::Unsupported)
                return refuse(
                    Refusal::invalid("text: màn hình không vẽ được bản tin này; the screen cannot "
                                     "draw this notice: " +
                                     paginated.error().detail));
            return refuse(paginated.error());
        }
        pagination = *paginated;
        if (pagination.pages > max_pages)
            return refuse(Refusal::invalid("text: dài quá " + std::to_string(max_pages) + " trang (" +
                                           std::to_string(pagination.pages) + " trang); longer than " +
                                           std::to_string(max_pages) + " pages (" +
                                           std::to_string(pagination.pages) + ")"));
        if (!cached) {
            if (auto wait = shared.take(media::sha256_hex(call.user.token))) {
                Refusal limited(429, "rate-limited",
                                "vẽ quá nhiều bản tin; hãy thử lại sau " + std::to_string(*wait) +
                                    " giây. Too many notice previews; try again in " + std::to_string(*wait) +
                                    " s");
                return refuse(std::move(limited));
            }
            auto pages = renderer.render_pages(text, look, header, frame);
            if (!pages) {
                if (pages.error().code == Errc::Unsupported)
                    return refuse(
                        Refusal::invalid("text: màn hình không vẽ được bản tin này; the screen "
                                         "cannot draw this notice: " +
                                         pages.error().detail));
                return refuse(pages.error());
            }
            CachedNotice drawn;
            for (const auto& page : *pages) {
                auto png = player::encode_png(page);
                if (!png)
                    return refuse(png.error());
                drawn.bytes += png->size();
                drawn.pngs.push_back(std::move(*png));
            }
            shared.keep(id, std::move(drawn));
        }
    }
    nlohmann::ordered_json images = nlohmann::ordered_json::array();
    for (int page = 1; page <= pagination.pages; ++page)
        images.push_back(route("/notices/preview/") + id + "/" + std::to_string(page) + ".png");
    return ok({{"id", id},
               {"pages", pagination.pages},
               {"width", frame.width},
               {"height", frame.height},
               {"body_size", pagination.body_size},
               {"header", {{"place", header.place}, {"date", header.date}}},
               {"images", std::move(images)}});
}

void notice_page(Call& call, const httplib::Request&, httplib::Response& response) {
    const std::string id = call.capture(1);
    const std::string page_text = call.capture(2);
    int page = 0;
    std::from_chars(page_text.data(), page_text.data() + page_text.size(), page);
    auto cached = previews().find(id);
    if (!cached || page < 1 || static_cast<std::size_t>(page) > cached->pngs.size())
        return send_error(response, 404, "not-found",
                          "không còn bản xem trước này; hãy vẽ lại. This notice preview is gone; ask for it "
                          "again (POST /api/v1/notices/preview)");
    response.status = 200;
    response.set_header("Cache-Control", "private, max-age=86400, immutable");
    response.set_header("X-Notice-Pages", std::to_string(cached->pngs.size()));
    response.set_content(cached->pngs[static_cast<std::size_t>(page - 1)], "image/png");
}

}  // namespace

void register_notice_preview_routes(Routes& routes) {
    routes.post(route("/notices/preview"), {Action::Read, BodyRule::Required, "a JSON object with text"},
                preview_notice);
    routes.get_raw(route("/notices/preview/") + std::string{sha256_pattern} + "/([0-9]{1,2})\\.png",
                   {Action::Read}, notice_page);
}

}  // namespace bantin::controller::api
