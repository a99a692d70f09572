#pragma once
// Text notices and their spoken versions on the device that plays them (docs/scheduling.md,
// "Text notices: shown on screens, spoken on speakers").
//
// A text notice is a scheduler::MediaRef of type Text whose `speech` names an Audio MediaRef
// of the same model: its text-to-speech audio. A screen renders the text; a speaker cannot,
// so for a speaker every playlist item naming such a notice is pointed at its speech audio.
// The controller applies this to a speaker's bundle; the player applies it to what it
// resolves (bundle model and alert messages together), because alerts go out on shared zone
// topics, one message for screens and speakers alike.
//
// Pure functions over values; any thread. No errors: a link the model cannot satisfy (speech
// absent from the model, or not audio) is left alone, and validation reports it.

#include "bantin/protocol/messages.hpp"
#include "bantin/scheduler/model.hpp"

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace bantin::protocol {

// For a speaker: items naming a text notice whose speech is an Audio media of `model` name
// that audio instead, keeping their own duration override (a text's length is the length of
// its speech, so the timeline is the one the controller previews). Those text notices leave
// model.media; their digests are returned. A speaker's ticker campaigns leave model.campaigns
// (a speaker has no ticker). For a screen, nothing changes and the result is empty.
std::set<std::string> speak_text_notices(scheduler::Model& model, scheduler::DeviceKind kind);

// Removes the manifest entries of `digests` (the text notices a speaker no longer plays).
void drop_manifest_entries(std::vector<MediaEntry>& manifest, const std::set<std::string>& digests);

// "DIỄN TẬP" (drill): an exercise's headline and spoken text begin with it, so nobody takes
// it for a live alert.
inline constexpr std::string_view exercise_marker = "DI\u1EC4N T\u1EACP";

// An alert's own words, as the controller stores them and a device can make them again when
// they cannot be fetched: the bytes of its text notice (headline, a blank line, text: the same
// bytes, so the same digest) and what its speech says (the text, after the drill marker for an
// exercise; empty when the alert has no text). `alert.headline` already carries the marker.
std::string alert_notice_text(const scheduler::Alert& alert);
std::string alert_spoken_text(const scheduler::Alert& alert);

}  // namespace bantin::protocol
