#pragma once
// Shared by the config tests: the error lines of a failed load.

#include "bantin/common/error.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace bantin::config::test {

template <class T>
std::vector<std::string> error_lines(const Result<T>& result) {
    std::vector<std::string> lines;
    if (result)
        return lines;
    std::istringstream stream(result.error().detail);
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
}

}  // namespace bantin::config::test
