#include "bantin/player/player_state.hpp"

#include <cstdio>
#include <random>

namespace bantin::player {

namespace {

constexpr std::string_view state_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen_commands (id TEXT PRIMARY KEY, issued_at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alerts (id TEXT PRIMARY KEY, envelope TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cancelled_alerts (id TEXT PRIMARY KEY);
)sql";

}  // namespace

std::string new_install_epoch() {
    std::random_device device;
    std::uint64_t value = (std::uint64_t{device()} << 32) ^ device();
    char text[24];
    std::snprintf(text, sizeof text, "ie-%016llx", static_cast<unsigned long long>(value));
    return text;
}

Result<PlayerState> PlayerState::open(const std::filesystem::path& database_path) {
    std::error_code ignored;
    if (database_path.has_parent_path())
        std::filesystem::create_directories(database_path.parent_path(), ignored);
    auto database = sqlite::Database::open(database_path.string());
    if (!database)
        return std::unexpected(database.error());
    if (auto created = database->execute(state_schema); !created)
        return std::unexpected(created.error());
    PlayerState state(std::move(*database));
    auto epoch = state.meta("install_epoch");
    if (!epoch)
        return std::unexpected(epoch.error());
    if (*epoch) {
        state.m_install_epoch = **epoch;
    } else {
        state.m_install_epoch = new_install_epoch();
        if (auto saved = state.set_meta("install_epoch", state.m_install_epoch); !saved)
            return std::unexpected(saved.error());
    }
    return state;
}

Result<std::optional<std::string>> PlayerState::meta(std::string_view key) {
    auto statement = m_database.prepare("SELECT value FROM meta WHERE key = ?1");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, key);
    auto row = statement->fetch_one();
    if (!row)
        return std::unexpected(row.error());
    if (!*row)
        return std::optional<std::string>{};
    return std::optional<std::string>{statement->column_text(0)};
}

Result<void> PlayerState::set_meta(std::string_view key, std::string_view value) {
    auto statement = m_database.prepare(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = "
        "excluded.value");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, key).bind(2, value);
    return statement->run();
}

Result<void> PlayerState::erase_meta(std::string_view key) {
    auto statement = m_database.prepare("DELETE FROM meta WHERE key = ?1");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, key);
    return statement->run();
}

Result<std::optional<StoredBundle>> PlayerState::bundle(std::string_view slot) {
    auto envelope = meta(std::string(slot) + "_bundle");
    if (!envelope)
        return std::unexpected(envelope.error());
    auto version = meta(std::string(slot) + "_bundle_version");
    if (!version)
        return std::unexpected(version.error());
    if (!*envelope || !*version)
        return std::optional<StoredBundle>{};
    return std::optional<StoredBundle>{StoredBundle{std::stoull(**version), **envelope}};
}

Result<std::optional<StoredBundle>> PlayerState::active_bundle() {
    return bundle("active");
}
Result<std::optional<StoredBundle>> PlayerState::last_good_bundle() {
    return bundle("last_good");
}
Result<std::optional<StoredBundle>> PlayerState::desired_bundle() {
    return bundle("desired");
}

Result<void> PlayerState::set_desired(const StoredBundle& bundle) {
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    if (auto saved = set_meta("desired_bundle", bundle.envelope); !saved)
        return saved;
    if (auto saved = set_meta("desired_bundle_version", std::to_string(bundle.version)); !saved)
        return saved;
    return transaction->commit();
}

Result<void> PlayerState::clear_desired() {
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    if (auto erased = erase_meta("desired_bundle"); !erased)
        return erased;
    if (auto erased = erase_meta("desired_bundle_version"); !erased)
        return erased;
    return transaction->commit();
}

Result<void> PlayerState::activate_desired() {
    auto desired = desired_bundle();
    if (!desired)
        return std::unexpected(desired.error());
    if (!*desired)
        return fail(Errc::NotFound, "no desired bundle to activate");
    auto active = active_bundle();
    if (!active)
        return std::unexpected(active.error());
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    if (*active) {
        if (auto saved = set_meta("last_good_bundle", (*active)->envelope); !saved)
            return saved;
        if (auto saved = set_meta("last_good_bundle_version", std::to_string((*active)->version)); !saved)
            return saved;
    }
    if (auto saved = set_meta("active_bundle", (*desired)->envelope); !saved)
        return saved;
    if (auto saved = set_meta("active_bundle_version", std::to_string((*desired)->version)); !saved)
        return saved;
    if (auto erased = erase_meta("desired_bundle"); !erased)
        return erased;
    if (auto erased = erase_meta("desired_bundle_version"); !erased)
        return erased;
    return transaction->commit();
}

Result<protocol::SeenCommands> PlayerState::seen_commands() {
    auto statement = m_database.prepare("SELECT id, issued_at_ms FROM seen_commands ORDER BY issued_at_ms");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<protocol::SeenCommands::Entry> entries;
    while (true) {
        auto step = statement->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        entries.push_back({statement->column_text(0), from_unix_ms(statement->column_int64(1))});
    }
    std::optional<TimePoint> floor;
    auto floor_text = meta("seen_commands_floor");
    if (!floor_text)
        return std::unexpected(floor_text.error());
    if (*floor_text)
        floor = from_unix_ms(std::stoll(**floor_text));
    return protocol::SeenCommands(protocol::SeenCommands::default_capacity, std::move(entries), floor);
}

Result<void> PlayerState::remember_command(const std::string& id, TimePoint issued_at) {
    auto current = seen_commands();
    if (!current)
        return std::unexpected(current.error());
    current->remember(id, issued_at);
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    if (auto cleared = m_database.execute("DELETE FROM seen_commands"); !cleared)
        return cleared;
    auto insert = m_database.prepare("INSERT INTO seen_commands (id, issued_at_ms) VALUES (?1, ?2)");
    if (!insert)
        return std::unexpected(insert.error());
    for (const auto& entry : current->entries()) {
        insert->reset();
        insert->bind(1, entry.id).bind(2, to_unix_ms(entry.issued_at));
        if (auto ran = insert->run(); !ran)
            return ran;
    }
    if (current->floor()) {
        if (auto saved = set_meta("seen_commands_floor", std::to_string(to_unix_ms(*current->floor())));
            !saved)
            return saved;
    }
    return transaction->commit();
}

Result<std::vector<StoredAlert>> PlayerState::alerts() {
    auto statement = m_database.prepare("SELECT id, envelope FROM alerts ORDER BY id");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<StoredAlert> result;
    while (true) {
        auto step = statement->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        result.push_back({statement->column_text(0), statement->column_text(1)});
    }
    return result;
}

Result<void> PlayerState::store_alert(const StoredAlert& alert) {
    auto statement = m_database.prepare(
        "INSERT INTO alerts (id, envelope) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET envelope = "
        "excluded.envelope");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, alert.id).bind(2, alert.envelope);
    return statement->run();
}

Result<std::vector<std::string>> PlayerState::cancelled_alerts() {
    auto statement = m_database.prepare("SELECT id FROM cancelled_alerts ORDER BY id");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<std::string> result;
    while (true) {
        auto step = statement->step();
        if (!step)
            return std::unexpected(step.error());
        if (*step == sqlite::Step::Done)
            break;
        result.push_back(statement->column_text(0));
    }
    return result;
}

Result<void> PlayerState::cancel_alert(const std::string& id) {
    auto transaction = sqlite::Transaction::begin(m_database, sqlite::TransactionMode::Immediate);
    if (!transaction)
        return std::unexpected(transaction.error());
    auto erase = m_database.prepare("DELETE FROM alerts WHERE id = ?1");
    if (!erase)
        return std::unexpected(erase.error());
    erase->bind(1, id);
    if (auto ran = erase->run(); !ran)
        return ran;
    auto insert = m_database.prepare("INSERT OR IGNORE INTO cancelled_alerts (id) VALUES (?1)");
    if (!insert)
        return std::unexpected(insert.error());
    insert->bind(1, id);
    if (auto ran = insert->run(); !ran)
        return ran;
    return transaction->commit();
}

}  // namespace bantin::player
