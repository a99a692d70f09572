#include "bantin/cli/http_commands.hpp"

#include "http_support.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace bantin::cli {

namespace fs = std::filesystem;

std::string resolve_server(const GlobalOptions& options) {
    if (!options.server.empty())
        return options.server;
    if (const char* env = std::getenv("BANTIN_SERVER"); env != nullptr && *env != '\0')
        return env;
    return "http://127.0.0.1:8080";
}

std::string resolve_token_file(const GlobalOptions& options) {
    if (!options.token_file.empty())
        return options.token_file;
    std::string home;
    if (const char* env = std::getenv("HOME"); env != nullptr && *env != '\0')
        home = env;
    else if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr)
        home = entry->pw_dir;
    return (fs::path{home} / ".config" / "bantin" / "token").string();
}

int parse_failure_status(CLI::App& app, const CLI::ParseError& error) {
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
        return app.exit(error);  // --help, --help-all: printed on stdout, status 0
    // Name the deepest command that was recognised, so the line says where the mistake is.
    std::string path = "bantin";
    const CLI::App* current = &app;
    for (;;) {
        const auto parsed = current->get_subcommands();
        if (parsed.empty())
            break;
        current = parsed.front();
        path += " " + current->get_name();
    }
    std::string message = error.what();
    for (char& c : message)
        if (c == '\n')
            c = ' ';
    std::cerr << path << ": " << message << " (see " << path << " --help)\n";
    return static_cast<int>(ExitStatus::Usage);
}

void add_http_commands(CLI::App& app, int& status) {
    auto globals = std::make_shared<GlobalOptions>();
    app.add_option("--server", globals->server,
                   "Controller URL (default: $BANTIN_SERVER, else http://127.0.0.1:8080)");
    app.add_option("--token-file", globals->token_file,
                   "Session token file (default: ~/.config/bantin/token; $BANTIN_TOKEN overrides)");
    app.add_flag("--json", globals->json, "Print the server's JSON instead of a table");
    detail::Registrar registrar{app, globals, status};
    detail::register_session_commands(registrar);
    detail::register_content_commands(registrar);
    detail::register_fleet_commands(registrar);
    detail::register_live_commands(registrar);
}

namespace detail {

// --- context ----------------------------------------------------------------------------------

Outcome<ApiClient*> Context::anonymous() {
    if (!m_client) {
        auto client = ApiClient::create(resolve_server(m_options));
        if (!client)
            return std::unexpected(client.error());
        m_client.emplace(std::move(*client));
    }
    return &*m_client;
}

Outcome<ApiClient*> Context::signed_in() {
    auto client = anonymous();
    if (!client || m_has_token)
        return client;
    std::string token;
    if (const char* env = std::getenv("BANTIN_TOKEN"); env != nullptr && *env != '\0') {
        token = env;
    } else {
        const std::string path = resolve_token_file(m_options);
        std::ifstream input{path};
        if (!input)
            return refuse(ExitStatus::Unreachable,
                          "not signed in: no token in " + path + " (run `bantin login --user NAME`)");
        std::getline(input, token);
        while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
        if (token.empty())
            return refuse(ExitStatus::Unreachable,
                          "not signed in: " + path + " is empty (run `bantin login`)");
    }
    (*client)->set_token(std::move(token));
    m_has_token = true;
    return client;
}

Outcome<nlohmann::json> Context::get(const std::string& path, const Query& query) {
    auto client = signed_in();
    if (!client)
        return std::unexpected(client.error());
    auto reply = (*client)->get(path, query);
    if (!reply)
        return std::unexpected(reply.error());
    return expect_success(*reply);
}

Outcome<nlohmann::json> Context::post(const std::string& path, const nlohmann::json& body) {
    auto client = signed_in();
    if (!client)
        return std::unexpected(client.error());
    auto reply = (*client)->post(path, body);
    if (!reply)
        return std::unexpected(reply.error());
    return expect_success(*reply);
}

Outcome<nlohmann::json> Context::put(const std::string& path, const nlohmann::json& body) {
    auto client = signed_in();
    if (!client)
        return std::unexpected(client.error());
    auto reply = (*client)->put(path, body);
    if (!reply)
        return std::unexpected(reply.error());
    return expect_success(*reply);
}

bool Context::print_json(const nlohmann::json& body) {
    if (!m_options.json)
        return false;
    m_out << body.dump(2) << "\n";
    return true;
}

// --- registration -----------------------------------------------------------------------------

namespace {

std::string command_path(const CLI::App& command) {
    std::vector<std::string> names;
    for (const CLI::App* at = &command; at != nullptr; at = at->get_parent())
        names.push_back(at->get_parent() == nullptr ? "bantin" : at->get_name());
    std::string path;
    for (auto it = names.rbegin(); it != names.rend(); ++it) path += (path.empty() ? "" : " ") + *it;
    return path;
}

}  // namespace

CLI::App* Registrar::group(CLI::App& parent, const std::string& name, const std::string& description) {
    CLI::App* command = parent.add_subcommand(name, description);
    command->require_subcommand(1);
    return command;
}

CLI::App* Registrar::command(CLI::App& parent, const std::string& name, const std::string& description,
                             Action action) {
    CLI::App* command = parent.add_subcommand(name, description);
    command->add_option("--server", globals->server, "Controller URL (default: $BANTIN_SERVER)");
    command->add_option("--token-file", globals->token_file, "Session token file");
    command->add_flag("--json", globals->json, "Print the server's JSON");
    const std::string path = command_path(*command);
    auto options = globals;
    int* result = &status;
    command->callback([path, options, action = std::move(action), result] {
        *result = run_action(path, *options, action, std::cout, std::cerr);
    });
    return command;
}

int run_action(const std::string& path, const GlobalOptions& options, const Action& action, std::ostream& out,
               std::ostream& err) {
    Context context{options, out};
    auto done = action(context);
    out.flush();
    if (done)
        return static_cast<int>(ExitStatus::Done);
    err << path << ": " << done.error().line << "\n";
    return static_cast<int>(done.error().status);
}

// --- printing ---------------------------------------------------------------------------------

std::string cell(const nlohmann::json& value) {
    if (value.is_null())
        return "-";
    if (value.is_string())
        return value.get<std::string>();
    if (value.is_boolean())
        return value.get<bool>() ? "yes" : "no";
    if (value.is_array()) {
        std::string joined;
        for (const auto& item : value) joined += (joined.empty() ? "" : ",") + cell(item);
        return joined.empty() ? "-" : joined;
    }
    return value.dump();
}

std::string cell(const nlohmann::json& object, const std::string& key) {
    if (!object.is_object() || !object.contains(key))
        return "-";
    return cell(object.at(key));
}

namespace {

// Width in characters, not bytes: names are Vietnamese UTF-8.
std::size_t characters(const std::string& text) {
    std::size_t count = 0;
    for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return count;
}

}  // namespace

void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& header : headers) widths.push_back(characters(header));
    for (const auto& row : rows)
        for (std::size_t column = 0; column < row.size() && column < widths.size(); ++column)
            widths[column] = std::max(widths[column], characters(row[column]));
    auto print_row = [&](const std::vector<std::string>& row) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column];
            if (column + 1 < row.size())
                line.append(widths[column] - characters(row[column]) + 2, ' ');
        }
        out << line << "\n";
    };
    print_row(headers);
    for (const auto& row : rows) print_row(row);
}

void add_page_options(CLI::App* command, PageOptions& options) {
    command->add_option("--limit", options.limit, "Rows per page (1..500)")->capture_default_str();
    command->add_option("--cursor", options.cursor, "Continue from this cursor (printed after a full page)");
}

Query page_query(const PageOptions& options) {
    Query query{{"limit", std::to_string(options.limit)}};
    if (!options.cursor.empty())
        query.emplace("cursor", options.cursor);
    return query;
}

void print_more(std::ostream& out, const nlohmann::json& page) {
    if (page.contains("next_cursor") && page["next_cursor"].is_string())
        out << "(more: --cursor " << page["next_cursor"].get<std::string>() << ")\n";
}

// --- files ------------------------------------------------------------------------------------

Outcome<void> write_private_file(const std::string& path, const std::string& bytes) {
    const fs::path target{path};
    if (target.has_parent_path() && !fs::exists(target.parent_path())) {
        std::error_code error;
        fs::create_directories(target.parent_path(), error);
        if (error)
            return refuse(ExitStatus::Refused,
                          target.parent_path().string() + ": cannot create: " + error.message());
        fs::permissions(target.parent_path(), fs::perms::owner_all, error);
    }
    const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    const int descriptor = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (descriptor < 0)
        return refuse(ExitStatus::Refused, temporary + ": cannot write: " + std::strerror(errno));
    ::fchmod(descriptor, 0600);  // an older file of that name keeps its mode otherwise
    std::size_t written = 0;
    while (written < bytes.size()) {
        const auto count = ::write(descriptor, bytes.data() + written, bytes.size() - written);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0) {
            const std::string reason = std::strerror(errno);
            ::close(descriptor);
            ::unlink(temporary.c_str());
            return refuse(ExitStatus::Refused, path + ": cannot write: " + reason);
        }
        written += static_cast<std::size_t>(count);
    }
    if (::fsync(descriptor) != 0 || ::close(descriptor) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(temporary.c_str());
        return refuse(ExitStatus::Refused, path + ": cannot write: " + reason);
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(temporary.c_str());
        return refuse(ExitStatus::Refused, path + ": cannot write: " + reason);
    }
    return {};
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream input{text};
    while (std::getline(input, part, separator))
        if (!part.empty())
            parts.push_back(part);
    return parts;
}

// --- login, logout, whoami, user -------------------------------------------------------------

namespace {

// Terminal echo off for the life of the object; restored on every path out.
class EchoOff {
public:
    explicit EchoOff(int descriptor) : m_descriptor(descriptor) {
        m_active = ::tcgetattr(descriptor, &m_saved) == 0;
        if (m_active) {
            termios quiet = m_saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(descriptor, TCSAFLUSH, &quiet);
        }
    }
    ~EchoOff() {
        if (m_active)
            ::tcsetattr(m_descriptor, TCSAFLUSH, &m_saved);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    int m_descriptor;
    termios m_saved{};
    bool m_active = false;
};

enum class PasswordSource { Terminal, StandardInput };

Outcome<std::string> read_password(PasswordSource source, const std::string& prompt) {
    std::string password;
    if (source == PasswordSource::StandardInput || !::isatty(STDIN_FILENO)) {
        if (!std::getline(std::cin, password))
            return refuse(ExitStatus::Usage, "no password on standard input");
    } else {
        std::fstream terminal{"/dev/tty", std::ios::in | std::ios::out};
        if (!terminal)
            return refuse(ExitStatus::Usage, "no terminal to ask the password on; use --password-stdin");
        terminal << prompt << std::flush;
        {
            EchoOff quiet{STDIN_FILENO};
            std::getline(std::cin, password);
        }
        terminal << "\n" << std::flush;
    }
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) password.pop_back();
    if (password.empty())
        return refuse(ExitStatus::Usage, "empty password");
    return password;
}

struct LoginOptions {
    std::string user;
    bool password_stdin = false;
};

Outcome<void> login(Context& context, const LoginOptions& options) {
    auto password =
        read_password(options.password_stdin ? PasswordSource::StandardInput : PasswordSource::Terminal,
                      "Password for " + options.user + ": ");
    if (!password)
        return std::unexpected(password.error());
    auto client = context.anonymous();
    if (!client)
        return std::unexpected(client.error());
    auto reply = (*client)->post("/auth/login", {{"name", options.user}, {"password", *password}});
    if (!reply)
        return std::unexpected(reply.error());
    auto body = expect_success(*reply);
    if (!body)
        return std::unexpected(body.error());
    if (!body->contains("token") || !(*body)["token"].is_string())
        return refuse(ExitStatus::Refused, "the server's login answer has no token");
    const std::string path = resolve_token_file(context.options());
    auto written = write_private_file(path, (*body)["token"].get<std::string>() + "\n");
    if (!written)
        return written;
    if (context.json()) {
        auto shown = *body;
        shown.erase("token");  // the secret stays in the file
        shown.erase("csrf_token");
        shown["token_file"] = path;
        context.print_json(shown);
        return {};
    }
    const auto& user = (*body)["user"];
    context.out() << "signed in to " << (*client)->server_url() << " as " << cell(user, "name") << " ("
                  << cell(user, "role") << ") until " << cell(*body, "expires") << "; token in " << path
                  << "\n";
    return {};
}

Outcome<void> logout(Context& context) {
    if (auto client = context.signed_in(); !client)
        return std::unexpected(client.error());
    auto ended = context.post("/auth/logout");
    // A token the server no longer knows (401) is as good as signed out.
    if (!ended && ended.error().line.rfind("401 ", 0) != 0)
        return std::unexpected(ended.error());
    const std::string path = resolve_token_file(context.options());
    std::error_code ignored;
    const bool removed = std::getenv("BANTIN_TOKEN") == nullptr && fs::remove(path, ignored);
    context.out() << "signed out" << (removed ? "; removed " + path : std::string{}) << "\n";
    return {};
}

Outcome<void> whoami(Context& context) {
    auto body = context.get("/auth/me");
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    const auto& user = (*body)["user"];
    context.out() << cell(user, "name") << " (" << cell(user, "display_name") << "), " << cell(user, "role")
                  << ", user " << cell(user, "id") << ", session until " << cell(*body, "expires") << "\n";
    return {};
}

struct UserCreateOptions {
    std::string name;
    std::string display_name;
    std::string role;
    bool password_stdin = false;
};

Outcome<void> user_create(Context& context, const UserCreateOptions& options) {
    const auto source = options.password_stdin ? PasswordSource::StandardInput : PasswordSource::Terminal;
    auto password = read_password(source, "New password for " + options.name + ": ");
    if (!password)
        return std::unexpected(password.error());
    if (source == PasswordSource::Terminal && ::isatty(STDIN_FILENO)) {
        auto again = read_password(source, "Again: ");
        if (!again)
            return std::unexpected(again.error());
        if (*again != *password)
            return refuse(ExitStatus::Usage, "the two passwords differ");
    }
    nlohmann::json request{{"name", options.name}, {"role", options.role}, {"password", *password}};
    if (!options.display_name.empty())
        request["display_name"] = options.display_name;
    auto body = context.post("/users", request);
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    context.out() << "created user " << cell(*body, "id") << " " << cell(*body, "name") << " ("
                  << cell(*body, "role") << ")\n";
    return {};
}

Outcome<void> user_list(Context& context, const PageOptions& page_options) {
    auto page = context.get("/users", page_query(page_options));
    if (!page)
        return std::unexpected(page.error());
    if (context.print_json(*page))
        return {};
    std::vector<std::vector<std::string>> rows;
    for (const auto& user : (*page)["items"])
        rows.push_back({cell(user, "id"), cell(user, "name"), cell(user, "display_name"), cell(user, "role"),
                        cell(user, "disabled"), cell(user, "created")});
    print_table(context.out(), {"ID", "NAME", "DISPLAY NAME", "ROLE", "DISABLED", "CREATED"}, rows);
    print_more(context.out(), *page);
    return {};
}

// A user named by id or by name: a name is looked up in the user list.
Outcome<std::string> user_id(Context& context, const std::string& who) {
    if (!who.empty() && who.find_first_not_of("0123456789") == std::string::npos)
        return who;
    std::string cursor;
    for (;;) {
        Query query{{"limit", "500"}};
        if (!cursor.empty())
            query.emplace("cursor", cursor);
        auto page = context.get("/users", query);
        if (!page)
            return std::unexpected(page.error());
        for (const auto& user : (*page)["items"])
            if (user.value("name", "") == who)
                return cell(user, "id");
        if (!(*page)["next_cursor"].is_string())
            return refuse(ExitStatus::Refused, "no user named \"" + who + "\"");
        cursor = (*page)["next_cursor"].get<std::string>();
    }
}

Outcome<void> user_set_disabled(Context& context, const std::string& who, bool disabled) {
    auto id = user_id(context, who);
    if (!id)
        return std::unexpected(id.error());
    auto body = context.put("/users/" + *id, {{"disabled", disabled}});
    if (!body)
        return std::unexpected(body.error());
    if (context.print_json(*body))
        return {};
    context.out() << "user " << cell(*body, "name") << (disabled ? " disabled" : " enabled") << "\n";
    return {};
}

}  // namespace

void register_session_commands(Registrar& registrar) {
    auto login_options = std::make_shared<LoginOptions>();
    CLI::App* login_command = registrar.command(
        registrar.root, "login", "Sign in and keep the session token in the token file (mode 0600)",
        [login_options](Context& context) { return login(context, *login_options); });
    login_command->add_option("-u,--user", login_options->user, "User name")->required();
    login_command->add_flag("--password-stdin", login_options->password_stdin,
                            "Read the password from standard input (the default when it is not a terminal)");

    registrar.command(registrar.root, "logout", "End the session and remove the token file", logout);
    registrar.command(registrar.root, "whoami", "Show who the session belongs to", whoami);

    CLI::App* user = registrar.group(registrar.root, "user", "Manage users (admin)");
    auto create_options = std::make_shared<UserCreateOptions>();
    CLI::App* create = registrar.command(
        *user, "create", "Create a user; asks the password",
        [create_options](Context& context) { return user_create(context, *create_options); });
    create->add_option("name", create_options->name, "User name")->required();
    create->add_option("--role", create_options->role, "editor, approver, operator or admin")
        ->required()
        ->check(CLI::IsMember({"editor", "approver", "operator", "admin"}));
    create->add_option("--display-name", create_options->display_name, "Name shown to people");
    create->add_flag("--password-stdin", create_options->password_stdin,
                     "Read the password from standard input");

    auto page_options = std::make_shared<PageOptions>();
    CLI::App* list = registrar.command(*user, "list", "List users", [page_options](Context& context) {
        return user_list(context, *page_options);
    });
    add_page_options(list, *page_options);

    for (const bool disabled : {true, false}) {
        auto who = std::make_shared<std::string>();
        CLI::App* command = registrar.command(
            *user, disabled ? "disable" : "enable",
            disabled ? "Disable a user (their sessions end at once)" : "Enable a disabled user",
            [who, disabled](Context& context) { return user_set_disabled(context, *who, disabled); });
        command->add_option("user", *who, "User id or name")->required();
    }
}

}  // namespace detail
}  // namespace bantin::cli
