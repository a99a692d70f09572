#pragma once
// Text encodings of the list-valued columns (targets, windows, tags, ...). They are JSON
// because the lists are always read and written whole and never filtered on in SQL; the
// shapes are the store's own, independent of the wire codec, and change only by migration.

#include "bantin/common/error.hpp"
#include "bantin/scheduler/model.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace bantin::controller::columns {

// {"zones":[..],"kinds":["screen"],"tags":[..],"devices":[..],"exclude":[..]}
std::string encode(const scheduler::Targets& targets);
Result<scheduler::Targets> decode_targets(std::string_view text);

// [[start_minute,end_minute],...]
std::string encode(const std::vector<scheduler::DailyWindow>& windows);
Result<std::vector<scheduler::DailyWindow>> decode_windows(std::string_view text);

// [[start_minute,end_minute,volume],...]
std::string encode(const std::vector<scheduler::VolumeStep>& steps);
Result<std::vector<scheduler::VolumeStep>> decode_volume_steps(std::string_view text);

std::string encode(const std::vector<int>& numbers);
Result<std::vector<int>> decode_ints(std::string_view text);

std::string encode(const std::vector<std::string>& strings);
Result<std::vector<std::string>> decode_strings(std::string_view text);

}  // namespace bantin::controller::columns
