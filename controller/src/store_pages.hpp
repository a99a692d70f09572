#pragma once
// Internal to the controller: every page of a paged Store list, read in one transaction.

#include "bantin/controller/store.hpp"

#include <vector>

namespace bantin::controller {

// Calls `list(Page)` with pages of 1,000 until one comes back short.
template <class Record, class List>
Result<std::vector<Record>> read_all_pages(List&& list) {
    constexpr int batch = 1000;
    std::vector<Record> all;
    for (Page page{batch, 0};; page.offset += batch) {
        Result<std::vector<Record>> rows = list(page);
        if (!rows)
            return std::unexpected(rows.error());
        const bool last = rows->size() < static_cast<std::size_t>(batch);
        for (auto& row : *rows) all.push_back(std::move(row));
        if (last)
            return all;
    }
}

}  // namespace bantin::controller
