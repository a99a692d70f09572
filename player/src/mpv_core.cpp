#include "mpv_core.hpp"

#include <cstdio>
#include <cstring>

namespace bantin::player {

std::string mpv_error_text(int code) {
    return mpv_error_string(code);
}

std::string seconds_text(int milliseconds) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%d.%03d", milliseconds / 1000, milliseconds % 1000);
    return buffer;
}

EndReason to_end_reason(mpv_end_file_reason reason) {
    switch (reason) {
        case MPV_END_FILE_REASON_EOF: return EndReason::Eof;
        case MPV_END_FILE_REASON_STOP: return EndReason::Stop;
        case MPV_END_FILE_REASON_QUIT: return EndReason::Quit;
        case MPV_END_FILE_REASON_ERROR: return EndReason::Error;
        case MPV_END_FILE_REASON_REDIRECT: return EndReason::Redirect;
    }
    return EndReason::Error;
}

Result<void> set_option(mpv_handle* handle, const char* name, const std::string& value) {
    const int status = mpv_set_option_string(handle, name, value.c_str());
    if (status < 0)
        return fail(Errc::InvalidInput,
                    std::string("mpv option ") + name + "=" + value + ": " + mpv_error_text(status));
    return {};
}

CommandNode::CommandNode(const std::vector<std::string>& words) : m_items(words.size()) {
    for (std::size_t index = 0; index < words.size(); ++index) {
        m_items[index].format = MPV_FORMAT_STRING;
        m_items[index].u.string = const_cast<char*>(words[index].c_str());
    }
    m_list.num = static_cast<int>(m_items.size());
    m_list.values = m_items.data();
    m_list.keys = nullptr;
    m_node.format = MPV_FORMAT_NODE_ARRAY;
    m_node.u.list = &m_list;
}

void CommandNode::add_map(const std::vector<std::pair<std::string, std::string>>& entries) {
    m_map_keys.clear();
    m_map_values.resize(entries.size());
    for (std::size_t index = 0; index < entries.size(); ++index) {
        m_map_keys.push_back(const_cast<char*>(entries[index].first.c_str()));
        m_map_values[index].format = MPV_FORMAT_STRING;
        m_map_values[index].u.string = const_cast<char*>(entries[index].second.c_str());
    }
    m_map.num = static_cast<int>(entries.size());
    m_map.keys = m_map_keys.data();
    m_map.values = m_map_values.data();
    mpv_node map_node{};
    map_node.format = MPV_FORMAT_NODE_MAP;
    map_node.u.list = &m_map;
    m_items.push_back(map_node);
    m_list.num = static_cast<int>(m_items.size());
    m_list.values = m_items.data();
}

std::int64_t entry_id_from_reply(const mpv_node& result) {
    if (result.format != MPV_FORMAT_NODE_MAP || result.u.list == nullptr)
        return 0;
    const mpv_node_list& map = *result.u.list;
    for (int index = 0; index < map.num; ++index) {
        if (std::strcmp(map.keys[index], "playlist_entry_id") == 0 &&
            map.values[index].format == MPV_FORMAT_INT64)
            return map.values[index].u.int64;
    }
    return 0;
}

std::optional<int> playlist_position(const mpv_node& playlist, std::int64_t id) {
    if (playlist.format != MPV_FORMAT_NODE_ARRAY || playlist.u.list == nullptr)
        return std::nullopt;
    const mpv_node_list& entries = *playlist.u.list;
    for (int index = 0; index < entries.num; ++index) {
        const mpv_node& entry = entries.values[index];
        if (entry.format != MPV_FORMAT_NODE_MAP || entry.u.list == nullptr)
            continue;
        const mpv_node_list& fields = *entry.u.list;
        for (int field = 0; field < fields.num; ++field)
            if (std::strcmp(fields.keys[field], "id") == 0 &&
                fields.values[field].format == MPV_FORMAT_INT64 && fields.values[field].u.int64 == id)
                return index;
    }
    return std::nullopt;
}

PendingReply make_reply(ReplyKind kind, std::uint64_t tag) {
    PendingReply reply;
    reply.kind = kind;
    reply.tag = tag;
    return reply;
}

}  // namespace bantin::player
