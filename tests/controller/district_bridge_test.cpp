// The controller's bridges file and a district broker's generated files (no broker;
// district_bridge_itest.cpp runs them on three real brokers).

#include "bantin/controller/district_bridge.hpp"
#include "support/temporary_directory.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

using namespace bantin;
using namespace bantin::controller;

namespace {

std::string district_file_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<protocol::DeviceAccount> district_test_devices() {
    const std::string hash = *protocol::hash_broker_password("device-secret");
    return {{"n-1", hash, {"zone-n"}}, {"n-2", hash, {"zone-n2"}}, {"s-1", hash, {"zone-s"}}};
}

DistrictBrokerRequest north_request(const std::filesystem::path& directory) {
    DistrictBrokerRequest request;
    request.district = "north";
    request.zones = {"zone-n", "zone-n2"};
    request.directory = directory;
    request.province_port = 18840;
    request.listen_address = "127.0.0.1";
    request.listen_port = 18841;
    return request;
}

}  // namespace

TEST_CASE("a district broker gets its own devices, and the province's bridge account names them",
          "[bridge][unit]") {
    testing::TemporaryDirectory directory;
    const auto bridges = directory.path() / "keys" / "bridges";
    const auto devices = district_test_devices();
    auto written =
        write_district_broker(bridges, north_request(directory.path() / "north"), devices, {"controller"});
    REQUIRE(written);
    CHECK(written->new_password);
    CHECK(written->devices == std::vector<std::string>{"n-1", "n-2"});
    const std::string passwd = district_file_text(written->files.password_file);
    CHECK(passwd.find("n-1:") != std::string::npos);
    CHECK(passwd.find("s-1") == std::string::npos);
    CHECK(passwd.find("controller") == std::string::npos);

    auto records = load_bridges(bridges);
    REQUIRE(records);
    REQUIRE(records->size() == 1);
    CHECK(records->front().district == "north");
    CHECK(records->front().zones == std::vector<std::string>{"zone-n", "zone-n2"});
    const auto accounts = bridge_accounts(*records, devices);
    REQUIRE(accounts.size() == 1);
    CHECK(accounts.front().username == "bridge-north");
    CHECK(accounts.front().devices == std::vector<std::string>{"n-1", "n-2"});

    // Again into the same directory: the same password, the bridge is not cut.
    const std::string conf = district_file_text(written->files.config_file);
    auto again =
        write_district_broker(bridges, north_request(directory.path() / "north"), devices, {"controller"});
    REQUIRE(again);
    CHECK_FALSE(again->new_password);
    CHECK(district_file_text(again->files.config_file) == conf);
    // Into a new directory: a new password, recorded for the province.
    auto elsewhere =
        write_district_broker(bridges, north_request(directory.path() / "north-2"), devices, {"controller"});
    REQUIRE(elsewhere);
    CHECK(elsewhere->new_password);
    auto rotated = load_bridges(bridges);
    REQUIRE(rotated);
    CHECK(rotated->front().password_hash != records->front().password_hash);
}

TEST_CASE("a district broker is refused a zone of another district, a taken name, and bad names",
          "[bridge][unit][hostile]") {
    testing::TemporaryDirectory directory;
    const auto bridges = directory.path() / "bridges";
    const auto devices = district_test_devices();
    REQUIRE(
        write_district_broker(bridges, north_request(directory.path() / "north"), devices, {"controller"}));
    const std::string before = district_file_text(bridges);

    auto south = north_request(directory.path() / "south");
    south.district = "south";
    south.zones = {"zone-s", "zone-n2"};
    auto overlap = write_district_broker(bridges, south, devices, {"controller"});
    REQUIRE_FALSE(overlap);
    CHECK(overlap.error().code == Errc::InvalidInput);
    CHECK(overlap.error().detail.starts_with("khu vực \"zone-n2\" đã thuộc quận/huyện \"north\""));
    CHECK_FALSE(std::filesystem::exists(directory.path() / "south"));

    south.zones = {"zone-s"};
    auto taken = write_district_broker(bridges, south, devices, {"controller", "bridge-south"});
    REQUIRE_FALSE(taken);
    CHECK(taken.error().code == Errc::AlreadyExists);

    for (const char* name : {"", "a/b", "x+", "#", "with space", "a\nconnection evil"}) {
        auto bad = south;
        bad.district = name;
        CHECK_FALSE(write_district_broker(bridges, bad, devices, {"controller"}));
    }
    for (const std::vector<std::string>& zones : std::vector<std::vector<std::string>>{
             {}, {"zone/#"}, {"zone-s", "zone-s"}, {"zone-s\ntopic # both 2"}}) {
        auto bad = south;
        bad.zones = zones;
        CHECK_FALSE(write_district_broker(bridges, bad, devices, {"controller"}));
    }
    auto no_port = south;
    no_port.listen_port = 0;
    CHECK_FALSE(write_district_broker(bridges, no_port, devices, {"controller"}));
    auto bad_host = south;
    bad_host.province_host = "evil\ntopic # both 2";
    CHECK_FALSE(write_district_broker(bridges, bad_host, devices, {"controller"}));
    // Nothing refused changed what the province knows.
    CHECK(district_file_text(bridges) == before);
}

TEST_CASE("a malformed bridges file is refused with its line", "[bridge][unit][hostile]") {
    testing::TemporaryDirectory directory;
    const auto file = directory.path() / "bridges";
    for (const char* text :
         {"north\n", "north:$7$x\n", "north:plain:zone-n\n", "no/rth:$7$x:zone-n\n", "north:$7$x:zone/#\n"}) {
        std::ofstream(file, std::ios::trunc) << "# comment\n" << text;
        auto loaded = load_bridges(file);
        INFO(text);
        REQUIRE_FALSE(loaded);
        CHECK(loaded.error().code == Errc::InvalidInput);
        CHECK(loaded.error().detail.find(":2:") != std::string::npos);
    }
    std::ofstream(file, std::ios::trunc) << "north:$7$x:zone-n,zone-m\n\n";
    auto loaded = load_bridges(file);
    REQUIRE(loaded);
    CHECK(loaded->front().zones == std::vector<std::string>{"zone-n", "zone-m"});
    CHECK(load_bridges(directory.path() / "missing")->empty());
}
