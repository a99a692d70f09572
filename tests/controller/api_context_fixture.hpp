#pragma once
// What the API's handlers are given, without an HTTP server: the store of StoreFixture, a
// real media store in the temporary directory, Auth and ApprovalService on simulated time, and
// the ApiContext that joins them. Handler tests build a Call on it (call()) and run the handler
// directly; ApiFixture (api_fixture.hpp) serves the same context over HTTP.

#include "bantin/config/controller_config.hpp"
#include "bantin/controller/approval.hpp"
#include "bantin/controller/auth.hpp"
#include "bantin/controller/http_server.hpp"
#include "bantin/controller/sqlite_store.hpp"
#include "bantin/media/store.hpp"
#include "store_fixture.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bantin::testing {

class ApiContextFixture : public StoreFixture {
public:
    ApiContextFixture() {
        config.storage.data_dir = directory.path();
        config.storage.max_upload_mb = 1;
        auto media_store = media::ContentStore::open(directory.path() / "media");
        if (!media_store)
            FAIL(media_store.error().message());
        content.emplace(std::move(*media_store));
        auth = std::make_unique<controller::Auth>(*store, clock, cheap_auth_policy());
        approval = std::make_unique<controller::ApprovalService>(*store, clock);
        context = std::make_unique<controller::ApiContext>(controller::ApiContext{
            *store, *auth, *approval, clock, config, *content, [this](std::vector<std::string> ids) {
                for (auto& id : ids) changed_campaigns.push_back(std::move(id));
            }});
    }

    // The signed-in user a handler is given, for a user added with add_user().
    static controller::RequestUser as(const controller::User& user) {
        controller::RequestUser request_user;
        request_user.user = user;
        return request_user;
    }

    config::ControllerConfig config;
    std::optional<media::ContentStore> content;
    std::unique_ptr<controller::Auth> auth;
    std::unique_ptr<controller::ApprovalService> approval;
    std::unique_ptr<controller::ApiContext> context;
    std::vector<std::string> changed_campaigns;
};

}  // namespace bantin::testing
