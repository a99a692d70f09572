// Broker configuration text, password hashes and how the files are written (no broker;
// broker_acl_itest.cpp runs them).

#include "bantin/protocol/broker_config.hpp"
#include "bantin/protocol/envelope.hpp"
#include "support/temporary_directory.hpp"

// The internal writer under write_broker_files, tested here with forced temporary names.
#include "../../protocol/src/private_file.hpp"

#include <catch2/catch.hpp>

#include <limits>

#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using bantin::Errc;
using namespace bantin::protocol;

namespace {

// A line `mosquitto_passwd -b passwd dev-a secret` wrote (Mosquitto 2.0.11).
constexpr const char* kMosquittoPasswdHash =
    "$7$101$M1Q8OvxByDGpJE5E$ZTZgBDxPXE7/U+cgk0mnn8tqw70t8uXyT/"
    "mC0ot8fXqrREHusVpgndDLPuP9B9dktNO7VuSWE9PJOsolPxkGJQ==";

BrokerAccounts sample_accounts() {
    BrokerAccounts accounts;
    accounts.controller.password_hash = kMosquittoPasswdHash;
    accounts.devices = {DeviceAccount{"dev-a", kMosquittoPasswdHash, {"zone-north", "zone-east"}},
                        DeviceAccount{"dev-b", kMosquittoPasswdHash, {}}};
    return accounts;
}

namespace fs = std::filesystem;

// A fresh directory, removed with its content at the end of the test.
using bantin::testing::TemporaryDirectory;

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

std::set<std::string> names_in(const fs::path& directory) {
    std::set<std::string> names;
    for (const auto& entry : fs::directory_iterator(directory)) {
        names.insert(entry.path().filename().string());
    }
    return names;
}

struct stat status_of(const fs::path& path) {
    struct stat info {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    return info;
}

// A config in `directory` whose files stay with the test's own user, root or not.
BrokerConfig config_in(const fs::path& directory) {
    BrokerConfig config;
    config.directory = directory;
    config.run_as_user = ::geteuid() == 0 ? "root" : "";
    return config;
}

const std::set<std::string> kBrokerFileNames = {"mosquitto.conf", "passwd", "acl", "persistence"};

}  // namespace

TEST_CASE("hash_broker_password reproduces a mosquitto_passwd hash from its salt", "[broker][password]") {
    const std::array<unsigned char, 12> salt = {0x33, 0x54, 0x3c, 0x3a, 0xfc, 0x41,
                                                0xc8, 0x31, 0xa9, 0x24, 0x4e, 0x44};
    CHECK(hash_broker_password("secret", salt, 101) == kMosquittoPasswdHash);
}

TEST_CASE("verify_broker_password accepts the right password and refuses others", "[broker][password]") {
    auto right = verify_broker_password(kMosquittoPasswdHash, "secret");
    REQUIRE(right);
    CHECK(*right);
    auto wrong = verify_broker_password(kMosquittoPasswdHash, "Secret");
    REQUIRE(wrong);
    CHECK_FALSE(*wrong);
}

TEST_CASE("a fresh hash uses a random salt, 101 iterations and verifies", "[broker][password]") {
    auto first = hash_broker_password("correct horse");
    auto second = hash_broker_password("correct horse");
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->starts_with("$7$101$"));
    CHECK(*first != *second);
    auto verified = verify_broker_password(*first, "correct horse");
    REQUIRE(verified);
    CHECK(*verified);
}

TEST_CASE("verify_broker_password rejects hashes that are not $7$", "[broker][password]") {
    for (const char* bad :
         {"plain", "$6$abc$def", "$7$101$onlysalt", "$7$x$AAAA$BBBB", "$7$101$AAAA$c2hvcnQ="}) {
        auto result = verify_broker_password(bad, "secret");
        INFO(bad);
        REQUIRE_FALSE(result);
        CHECK(result.error().code == Errc::InvalidInput);
    }
}

TEST_CASE("the ACL grants devices their own topics by pattern and zones per user", "[broker][acl]") {
    auto acl = render_acl_file(sample_accounts());
    REQUIRE(acl);
    for (const char* line :
         {"pattern read bantin/v1/dev/%u/bundle\n", "pattern read bantin/v1/dev/%u/cmd\n",
          "pattern read bantin/v1/dev/%u/ack\n", "pattern write bantin/v1/dev/%u/status\n",
          "pattern write bantin/v1/dev/%u/pop\n", "user controller\ntopic readwrite bantin/#\n",
          "user dev-a\ntopic read bantin/v1/alert/all\n"
          "topic read bantin/v1/alert/zone/zone-north\n"
          "topic read bantin/v1/live/zone/zone-north\n"
          "topic read bantin/v1/alert/zone/zone-east\n"
          "topic read bantin/v1/live/zone/zone-east\n",
          "user dev-b\ntopic read bantin/v1/alert/all\n"}) {
        INFO(line);
        CHECK_THAT(*acl, Catch::Contains(line));
    }
    CHECK_THAT(*acl, !Catch::Contains("readwrite bantin/v1/dev/%u"));
}

TEST_CASE("the password file has one line per account with a hash", "[broker][password]") {
    auto accounts = sample_accounts();
    accounts.devices.push_back(DeviceAccount{"dev-tls", "", {}});  // certificate-only
    auto text = render_password_file(accounts);
    REQUIRE(text);
    CHECK(*text == std::string("controller:") + kMosquittoPasswdHash + "\ndev-a:" + kMosquittoPasswdHash +
                       "\ndev-b:" + kMosquittoPasswdHash + "\n");
}

TEST_CASE("ids and zones that cannot be one topic level are refused, all at once", "[broker][validation]") {
    auto accounts = sample_accounts();
    accounts.devices.push_back(DeviceAccount{"dev/evil", kMosquittoPasswdHash, {"zone+"}});
    accounts.devices.push_back(DeviceAccount{"dev-a", kMosquittoPasswdHash, {}});
    accounts.devices.push_back(DeviceAccount{"controller", kMosquittoPasswdHash, {}});
    auto result = validate_accounts(accounts);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::InvalidInput);
    CHECK_THAT(result.error().detail, Catch::Contains("devices[2].device_id: 'dev/evil'"));
    CHECK_THAT(result.error().detail, Catch::Contains("devices[2].zones[0]: 'zone+'"));
    CHECK_THAT(result.error().detail, Catch::Contains("devices[3].device_id: 'dev-a' is used twice"));
    CHECK_THAT(result.error().detail, Catch::Contains("devices[4].device_id: 'controller' is used twice"));
    CHECK_FALSE(render_acl_file(accounts));
}

TEST_CASE("mosquitto.conf locks the broker down and enables the TLS listener when asked",
          "[broker][config]") {
    BrokerConfig config;
    config.directory = "/var/lib/bantin/broker";
    config.port = 1884;
    std::string text = render_mosquitto_conf(config);
    for (const char* line :
         {"listener 1884 127.0.0.1\n", "allow_anonymous false\n", "persistence true\n",
          "persistence_location /var/lib/bantin/broker/persistence/\n",
          "password_file /var/lib/bantin/broker/passwd\n", "acl_file /var/lib/bantin/broker/acl\n",
          "use_username_as_clientid true\n", "per_listener_settings false\n", "max_queued_messages 1000\n",
          "message_size_limit 16777216\n"}) {
        INFO(line);
        CHECK_THAT(text, Catch::Contains(line));
    }
    CHECK_THAT(text, !Catch::Contains("cafile"));
    // The broker refuses oversized PUBLISHes, but never a legitimate signed bundle.
    CHECK(envelope_limit(MessageType::Bundle) < config.message_size_limit);

    config.tls = BrokerTlsListener{"0.0.0.0",
                                   8883,
                                   "/etc/bantin/ca.pem",
                                   "/etc/bantin/broker.pem",
                                   "/etc/bantin/broker.key",
                                   ClientCertificate::Required};
    text = render_mosquitto_conf(config);
    for (const char* line : {"listener 8883 0.0.0.0\n", "cafile /etc/bantin/ca.pem\n",
                             "certfile /etc/bantin/broker.pem\n", "keyfile /etc/bantin/broker.key\n",
                             "require_certificate true\n", "use_identity_as_username true\n"}) {
        INFO(line);
        CHECK_THAT(text, Catch::Contains(line));
    }
}

TEST_CASE("passwd and acl are written 0600, mosquitto.conf 0644, and no temporary file is left",
          "[broker][files]") {
    TemporaryDirectory directory;
    const mode_t old_umask = ::umask(0);  // the modes must not depend on the caller's umask
    auto files = write_broker_files(config_in(directory.path()), sample_accounts());
    ::umask(old_umask);
    REQUIRE(files);
    CHECK((status_of(files->password_file).st_mode & 07777) == 0600);
    CHECK((status_of(files->acl_file).st_mode & 07777) == 0600);
    CHECK((status_of(files->config_file).st_mode & 07777) == 0644);
    CHECK(S_ISREG(status_of(files->password_file).st_mode));
    CHECK(read_text(files->password_file) == *render_password_file(sample_accounts()));
    CHECK(read_text(files->acl_file) == *render_acl_file(sample_accounts()));
    CHECK(names_in(directory.path()) == kBrokerFileNames);

    // Writing again replaces the content and still leaves nothing else behind.
    BrokerAccounts fewer = sample_accounts();
    fewer.devices.pop_back();
    REQUIRE(write_broker_files(config_in(directory.path()), fewer));
    CHECK(read_text(files->password_file) == *render_password_file(fewer));
    CHECK((status_of(files->password_file).st_mode & 07777) == 0600);
    CHECK(names_in(directory.path()) == kBrokerFileNames);
}

TEST_CASE("the broker queues at least three messages per device for each client, whatever is configured",
          "[broker][files]") {
    BrokerConfig config;
    config.max_queued_messages = 10000;
    CHECK(effective_max_queued_messages(config, 100) == 10000);
    CHECK(effective_max_queued_messages(config, 3333) == 10000);
    CHECK(effective_max_queued_messages(config, 10000) == 30000);
    config.max_queued_messages = 50000;
    CHECK(effective_max_queued_messages(config, 10000) == 50000);
    config.max_queued_messages = 0;  // no configured floor: the devices' own
    CHECK(effective_max_queued_messages(config, 1) == 3);
    // Never past what mosquitto.conf's unsigned field holds.
    CHECK(effective_max_queued_messages(config, std::size_t{1} << 40) ==
          std::numeric_limits<std::uint32_t>::max());

    // What write_broker_files writes: the effective value.
    TemporaryDirectory directory;
    BrokerConfig small = config_in(directory.path());
    small.max_queued_messages = 2;
    auto files = write_broker_files(small, sample_accounts());
    REQUIRE(files);
    const auto devices = sample_accounts().devices.size();
    CHECK_THAT(read_text(files->config_file),
               Catch::Contains("max_queued_messages " +
                               std::to_string(std::max<std::size_t>(2, 3 * devices)) + "\n"));
}

TEST_CASE("regression: a symlink at the old fixed name passwd.tmp is not followed", "[broker][files]") {
    // The writer used to open `<path>.tmp` with O_TRUNC and follow a symlink there, so a local
    // user could make it overwrite any file the controller can write, or read the hashes.
    TemporaryDirectory directory;
    const fs::path victim = directory.path() / "victim";
    write_text(victim, "untouched\n");
    ::chmod(victim.c_str(), 0644);
    for (const char* name : {"passwd.tmp", "acl.tmp", "mosquitto.conf.tmp", ".passwd.tmp", ".acl.tmp"}) {
        fs::create_symlink(victim, directory.path() / name);
    }
    auto files = write_broker_files(config_in(directory.path()), sample_accounts());
    REQUIRE(files);
    CHECK(read_text(victim) == "untouched\n");
    CHECK((status_of(victim).st_mode & 07777) == 0644);
    CHECK(fs::is_symlink(directory.path() / "passwd.tmp"));
    CHECK(S_ISREG(status_of(files->password_file).st_mode));
    CHECK(read_text(files->password_file) == *render_password_file(sample_accounts()));
}

TEST_CASE("replace_file skips temporary names taken by a symlink or a file and writes through neither",
          "[broker][files]") {
    TemporaryDirectory directory;
    const fs::path victim = directory.path() / "victim";
    write_text(victim, "untouched\n");
    fs::create_symlink(victim, directory.path() / "first.tmp");
    fs::create_symlink(directory.path() / "nowhere", directory.path() / "second.tmp");  // dangling
    write_text(directory.path() / "third.tmp", "someone else's\n");
    const std::array<std::string, 4> names = {"first.tmp", "second.tmp", "third.tmp", "fourth.tmp"};
    const fs::path target = directory.path() / "passwd";

    auto replaced = bantin::protocol::detail::replace_file(
        target, "secret\n", bantin::protocol::detail::FileAccess::OwnerOnly, std::nullopt,
        [&](unsigned attempt) { return names.at(attempt); });
    REQUIRE(replaced);
    CHECK(read_text(target) == "secret\n");
    CHECK((status_of(target).st_mode & 07777) == 0600);
    CHECK(read_text(victim) == "untouched\n");
    CHECK_FALSE(fs::exists(directory.path() / "nowhere"));  // the dangling link was not created through
    CHECK(read_text(directory.path() / "third.tmp") == "someone else's\n");
    CHECK(fs::is_symlink(directory.path() / "first.tmp"));
    CHECK_FALSE(fs::exists(directory.path() / "fourth.tmp"));  // renamed into place
}

TEST_CASE("replace_file gives up when every temporary name is taken and leaves the target alone",
          "[broker][files]") {
    TemporaryDirectory directory;
    const fs::path target = directory.path() / "passwd";
    write_text(target, "old\n");
    fs::create_symlink(directory.path() / "victim", directory.path() / "taken.tmp");
    auto replaced = bantin::protocol::detail::replace_file(
        target, "new\n", bantin::protocol::detail::FileAccess::OwnerOnly, std::nullopt,
        [](unsigned) { return std::string("taken.tmp"); });
    REQUIRE_FALSE(replaced);
    CHECK(replaced.error().code == Errc::Io);
    CHECK_THAT(replaced.error().detail, Catch::Contains("no free temporary name"));
    CHECK(read_text(target) == "old\n");
    CHECK_FALSE(fs::exists(directory.path() / "victim"));
}

TEST_CASE("a write that fails part-way leaves the old passwd intact and no temporary file",
          "[broker][files]") {
    TemporaryDirectory directory;
    auto files = write_broker_files(config_in(directory.path()), sample_accounts());
    REQUIRE(files);
    const std::string old_passwords = read_text(files->password_file);

    // A file size limit below the new passwd makes write() fail with EFBIG, even for root.
    BrokerAccounts more = sample_accounts();
    more.devices.push_back(DeviceAccount{"dev-c", kMosquittoPasswdHash, {}});
    rlimit old_limit{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old_limit) == 0);
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old_limit;
    small.rlim_cur = 64;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    auto result = write_broker_files(config_in(directory.path()), more);
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    ::signal(SIGXFSZ, old_handler);

    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::Io);
    CHECK_THAT(result.error().detail, Catch::Contains("cannot write"));
    CHECK(read_text(files->password_file) == old_passwords);
    CHECK((status_of(files->password_file).st_mode & 07777) == 0600);
    CHECK(names_in(directory.path()) == kBrokerFileNames);
}

TEST_CASE("a rename that fails leaves no temporary file behind", "[broker][files]") {
    TemporaryDirectory directory;
    // A non-empty directory where passwd should go: rename(2) refuses to replace it.
    fs::create_directories(directory.path() / "passwd" / "in-the-way");
    auto result = write_broker_files(config_in(directory.path()), sample_accounts());
    REQUIRE_FALSE(result);
    CHECK(result.error().code == Errc::Io);
    CHECK_THAT(result.error().detail, Catch::Contains("cannot replace"));
    CHECK(names_in(directory.path()) == std::set<std::string>{"passwd", "persistence"});
}

TEST_CASE("run as root, passwd, acl and persistence/ go to the account Mosquitto drops to",
          "[broker][files][root]") {
    if (::geteuid() != 0) {
        WARN("not root: Mosquitto runs as the invoking user and the files stay theirs; nothing to hand over");
        return;
    }
    const passwd* broker_account = ::getpwnam("mosquitto");
    if (broker_account == nullptr) {
        WARN("no 'mosquitto' account on this machine");
        return;
    }
    const uid_t broker_user = broker_account->pw_uid;
    TemporaryDirectory directory;
    BrokerConfig config = config_in(directory.path());
    config.run_as_user = "";  // Mosquitto's default: "mosquitto"
    auto files = write_broker_files(config, sample_accounts());
    REQUIRE(files);
    for (const fs::path& path : {files->password_file, files->acl_file, files->persistence_directory}) {
        INFO(path);
        CHECK(status_of(path).st_uid == broker_user);
    }
    CHECK((status_of(files->password_file).st_mode & 07777) == 0600);
    CHECK((status_of(files->acl_file).st_mode & 07777) == 0600);
    CHECK(status_of(files->config_file).st_uid == 0);
    CHECK(files->pid_file.parent_path() == files->persistence_directory);  // writable after the drop

    config.run_as_user = "no-such-account-bantin";
    auto refused = write_broker_files(config, sample_accounts());
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == Errc::InvalidInput);
    CHECK_THAT(refused.error().detail, Catch::Contains("no-such-account-bantin"));
}

TEST_CASE("the cluster's other controllers get accounts of their own with the controller's rights",
          "[broker][cluster]") {
    auto accounts = sample_accounts();
    accounts.peer_controllers.push_back(ControllerAccount{"controller-2", kMosquittoPasswdHash});
    auto passwd = render_password_file(accounts);
    REQUIRE(passwd);
    CHECK_THAT(*passwd, Catch::Contains(std::string("\ncontroller-2:") + kMosquittoPasswdHash + "\n"));
    auto acl = render_acl_file(accounts);
    REQUIRE(acl);
    CHECK_THAT(*acl, Catch::Contains("user controller-2\ntopic readwrite bantin/#\n"));

    // A peer may not share a name with the controller, another peer or a device, nor carry
    // anything but a $7$ hash, nor a name that is not one topic level.
    accounts.peer_controllers.push_back(ControllerAccount{"controller", kMosquittoPasswdHash});
    accounts.peer_controllers.push_back(ControllerAccount{"controller-3", "plain-text"});
    accounts.peer_controllers.push_back(ControllerAccount{"controller/#", kMosquittoPasswdHash});
    accounts.devices.push_back(DeviceAccount{"controller-2", kMosquittoPasswdHash, {}});
    auto result = validate_accounts(accounts);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error().detail,
               Catch::Contains("peer_controllers[1].username: 'controller' is used twice"));
    CHECK_THAT(result.error().detail, Catch::Contains("peer_controllers[2].password_hash: not a $7$ hash"));
    CHECK_THAT(result.error().detail, Catch::Contains("peer_controllers[3].username: 'controller/#'"));
    CHECK_THAT(result.error().detail, Catch::Contains("'controller-2' is used twice"));
    CHECK_FALSE(render_password_file(accounts));
}
