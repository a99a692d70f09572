#include "columns.hpp"

#include "names.hpp"

#include <nlohmann/json.hpp>

namespace bantin::controller::columns {

namespace {

using nlohmann::json;

// Decoders run on text this store wrote; a failure means the file was edited by hand or is
// damaged, so it is an Io error naming the column content.
template <class T, class F>
Result<T> decode(std::string_view text, std::string_view what, F&& convert) {
    try {
        json parsed = json::parse(text);
        return convert(parsed);
    } catch (const json::exception& error) {
        return fail(Errc::Io, "stored " + std::string{what} + " is not valid (" + error.what() +
                                  "): " + std::string{text.substr(0, 120)});
    }
}

json strings_json(const std::vector<std::string>& strings) {
    json array = json::array();
    for (const auto& s : strings) array.push_back(s);
    return array;
}

}  // namespace

std::string encode(const scheduler::Targets& targets) {
    json kinds = json::array();
    for (auto kind : targets.kinds) kinds.push_back(std::string{names::of(kind)});
    json object = json::object();
    object["zones"] = strings_json(targets.zones);
    object["kinds"] = kinds;
    object["tags"] = strings_json(targets.tags);
    object["devices"] = strings_json(targets.device_ids);
    object["exclude"] = strings_json(targets.exclude_device_ids);
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<scheduler::Targets> decode_targets(std::string_view text) {
    return decode<scheduler::Targets>(text, "targets", [](const json& object) -> Result<scheduler::Targets> {
        scheduler::Targets targets;
        targets.zones = object.at("zones").get<std::vector<std::string>>();
        for (const auto& kind : object.at("kinds")) {
            auto parsed = names::device_kind(kind.get<std::string>());
            if (!parsed)
                return fail(Errc::Io, "stored targets: " + parsed.error().detail);
            targets.kinds.push_back(*parsed);
        }
        targets.tags = object.at("tags").get<std::vector<std::string>>();
        targets.device_ids = object.at("devices").get<std::vector<std::string>>();
        targets.exclude_device_ids = object.at("exclude").get<std::vector<std::string>>();
        return targets;
    });
}

std::string encode(const std::vector<scheduler::DailyWindow>& windows) {
    json array = json::array();
    for (const auto& window : windows) array.push_back({window.start_minute, window.end_minute});
    return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<scheduler::DailyWindow>> decode_windows(std::string_view text) {
    return decode<std::vector<scheduler::DailyWindow>>(
        text, "windows", [](const json& array) -> Result<std::vector<scheduler::DailyWindow>> {
            std::vector<scheduler::DailyWindow> windows;
            for (const auto& pair : array) {
                windows.push_back({pair.at(0).get<int>(), pair.at(1).get<int>()});
            }
            return windows;
        });
}

std::string encode(const std::vector<scheduler::VolumeStep>& steps) {
    json array = json::array();
    for (const auto& step : steps) {
        array.push_back({step.window.start_minute, step.window.end_minute, step.volume});
    }
    return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<scheduler::VolumeStep>> decode_volume_steps(std::string_view text) {
    return decode<std::vector<scheduler::VolumeStep>>(
        text, "volume schedule", [](const json& array) -> Result<std::vector<scheduler::VolumeStep>> {
            std::vector<scheduler::VolumeStep> steps;
            for (const auto& triple : array) {
                steps.push_back(
                    {{triple.at(0).get<int>(), triple.at(1).get<int>()}, triple.at(2).get<int>()});
            }
            return steps;
        });
}

std::string encode(const std::vector<int>& numbers) {
    return json(numbers).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<int>> decode_ints(std::string_view text) {
    return decode<std::vector<int>>(text, "numbers", [](const json& array) -> Result<std::vector<int>> {
        return array.get<std::vector<int>>();
    });
}

std::string encode(const std::vector<std::string>& strings) {
    return strings_json(strings).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<std::string>> decode_strings(std::string_view text) {
    return decode<std::vector<std::string>>(text, "strings",
                                            [](const json& array) -> Result<std::vector<std::string>> {
                                                return array.get<std::vector<std::string>>();
                                            });
}

}  // namespace bantin::controller::columns
