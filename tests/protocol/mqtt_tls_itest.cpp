// The optional TLS listener: certificates made here with the openssl command line, the
// device authenticated by its certificate's CN (use_identity_as_username).

#include "mqtt_itest_support.hpp"

using namespace std::chrono_literals;
using bantin::Errc;
using bantin::protocol::MqttClient;
using bantin::protocol::MqttDisconnected;
using bantin::protocol::MqttPublishCompleted;
using bantin::test::EventWaiter;
using bantin::test::MosquittoBroker;
using bantin::test::MosquittoBrokerOptions;
using bantin::test::TestDevice;

namespace {

// A throw-away PKI in `directory`: <name>.pem / <name>.key for a CA, the broker (SAN
// 127.0.0.1) and clients, each signed by `ca`.
class TestPki {
public:
    explicit TestPki(std::filesystem::path directory) : m_directory(std::move(directory)) {
        std::filesystem::create_directories(m_directory);
        std::ofstream(m_directory / "server.ext") << "subjectAltName=IP:127.0.0.1\n";
        std::ofstream(m_directory / "client.ext") << "extendedKeyUsage=clientAuth\n";
    }

    void make_ca(const std::string& name) {
        run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key(name), "-out", pem(name), "-days", "2", "-subj", "/CN=" + name});
    }

    void make_signed(const std::string& name, const std::string& common_name, const std::string& ca,
                     const std::string& extensions) {
        const std::string csr = (m_directory / (name + ".csr")).string();
        run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", key(name), "-out", csr, "-subj", "/CN=" + common_name});
        run({"openssl", "x509", "-req", "-in", csr, "-CA", pem(ca), "-CAkey", key(ca), "-CAcreateserial",
             "-out", pem(name), "-days", "2", "-extfile", (m_directory / extensions).string()});
    }

    std::string pem(const std::string& name) const { return (m_directory / (name + ".pem")).string(); }
    std::string key(const std::string& name) const { return (m_directory / (name + ".key")).string(); }

private:
    void run(const std::vector<std::string>& arguments) {
        auto result = bantin::test::run_command(arguments, m_directory / "openssl.log", 30s);
        INFO(result.output);
        REQUIRE(result.exit_code == 0);
    }

    std::filesystem::path m_directory;
};

struct TlsSetup {
    std::filesystem::path pki_directory;
    TestPki pki;
    MosquittoBroker broker;

    static MosquittoBrokerOptions options(const TestPki& pki) {
        MosquittoBrokerOptions options;
        options.devices = {TestDevice{"dev-a", "password-a", {}}, TestDevice{"dev-b", "password-b", {}}};
        options.tls = bantin::protocol::BrokerTlsListener{
            "127.0.0.1",       0,
            pki.pem("ca"),     pki.pem("server"),
            pki.key("server"), bantin::protocol::ClientCertificate::Required};
        return options;
    }

    explicit TlsSetup(std::filesystem::path directory)
        : pki_directory(directory), pki(make_pki(directory)), broker(options(pki)) {}

    ~TlsSetup() {
        std::error_code ignored;
        std::filesystem::remove_all(pki_directory, ignored);
    }

    static TestPki make_pki(const std::filesystem::path& directory) {
        TestPki pki(directory);
        pki.make_ca("ca");
        pki.make_ca("rogue-ca");
        pki.make_signed("server", "127.0.0.1", "ca", "server.ext");
        pki.make_signed("dev-a", "dev-a", "ca", "client.ext");
        pki.make_signed("rogue-dev-b", "dev-b", "rogue-ca", "client.ext");
        return pki;
    }

    bantin::protocol::MqttClientOptions client(const std::string& ca, const std::string& certificate) const {
        bantin::protocol::MqttClientOptions options;
        options.host = "127.0.0.1";
        options.port = broker.tls_port();
        options.client_id = certificate;
        options.tls = bantin::protocol::MqttTls{pki.pem(ca), pki.pem(certificate), pki.key(certificate)};
        options.reconnect_min = 200ms;
        options.reconnect_max = 1000ms;
        return options;
    }
};

std::filesystem::path pki_directory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "bantin-pki-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    return pattern;
}

}  // namespace

TEST_CASE("over TLS a device is known by its certificate's CN and kept to its own topics", "[mqtt][tls]") {
    TlsSetup setup(pki_directory());
    REQUIRE(setup.broker.start());
    INFO(setup.broker.log());
    auto device = MqttClient::create(setup.client("ca", "dev-a"));
    REQUIRE(device);
    EventWaiter events(*device);
    events.connect_and_subscribe({});

    std::vector<int> reasons;
    auto record = [&](const MqttPublishCompleted& done) { reasons.push_back(done.reason_code); };
    REQUIRE(device->publish("bantin/v1/dev/dev-a/status", "online", {}, record));
    REQUIRE(device->publish("bantin/v1/dev/dev-b/status", "forged", {}, record));
    REQUIRE(events.wait_for<MqttPublishCompleted>(5s));
    REQUIRE(events.wait_for<MqttPublishCompleted>(5s));
    // Own status accepted (16: no subscriber yet); another device's refused (135).
    CHECK(reasons == std::vector<int>{16, 135});
    CHECK_THAT(setup.broker.log(), Catch::Contains("u'dev-a'"));
}

TEST_CASE("a broker certificate from an unknown CA is a Crypto error", "[mqtt][tls][errors]") {
    TlsSetup setup(pki_directory());
    REQUIRE(setup.broker.start());
    INFO(setup.broker.log());
    auto device = MqttClient::create(setup.client("rogue-ca", "dev-a"));
    REQUIRE(device);
    EventWaiter events(*device);
    REQUIRE(device->start());
    auto failed = events.wait_for<MqttDisconnected>(5s);
    REQUIRE(failed);
    INFO(failed->error.message());
    CHECK(failed->error.code == Errc::Crypto);
    CHECK_THAT(failed->error.detail, Catch::Contains("TLS"));
}

TEST_CASE("a client certificate from an unknown CA is refused", "[mqtt][tls][errors]") {
    TlsSetup setup(pki_directory());
    REQUIRE(setup.broker.start());
    INFO(setup.broker.log());
    auto device = MqttClient::create(setup.client("ca", "rogue-dev-b"));
    REQUIRE(device);
    EventWaiter events(*device);
    REQUIRE(device->start());
    auto failed = events.wait_for<MqttDisconnected>(5s);
    REQUIRE(failed);
    INFO(failed->error.message());
    CHECK(failed->error.code == Errc::Crypto);
    CHECK_FALSE(device->connected());
}
