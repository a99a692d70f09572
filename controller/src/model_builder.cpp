#include "bantin/controller/model_builder.hpp"

#include "store_pages.hpp"

#include <utility>

namespace bantin::controller {

namespace {

bool selected(CampaignSelection selection, scheduler::ApprovalState state) {
    switch (selection) {
        case CampaignSelection::Approved: return state == scheduler::ApprovalState::Approved;
        case CampaignSelection::NotArchived: return state != scheduler::ApprovalState::Archived;
    }
    return false;
}

}  // namespace

Result<scheduler::Model> build_model(Store& store, const ModelOptions& options, ModelInstants* instants) {
    return store.read_value<scheduler::Model>([&](StoreTransaction& transaction) -> Result<scheduler::Model> {
        scheduler::Model model;

        auto devices =
            read_all_pages<DeviceRecord>([&](Page page) { return transaction.list_devices(page); });
        if (!devices)
            return std::unexpected(devices.error());
        for (auto& record : *devices) {
            if (record.revoked && options.revoked == RevokedDevices::Exclude)
                continue;
            if (instants)
                instants->device_registered[record.device.id] = record.created;
            model.devices.push_back(std::move(record.device));
        }

        auto media = read_all_pages<MediaRecord>([&](Page page) { return transaction.list_media(page); });
        if (!media)
            return std::unexpected(media.error());
        for (auto& record : *media) model.media.push_back(std::move(record.media));

        auto playlists =
            read_all_pages<PlaylistRecord>([&](Page page) { return transaction.list_playlists(page); });
        if (!playlists)
            return std::unexpected(playlists.error());
        for (auto& record : *playlists) model.playlists.push_back(std::move(record.playlist));

        CampaignFilter filter;
        if (options.campaigns == CampaignSelection::Approved)
            filter.approval = scheduler::ApprovalState::Approved;
        auto campaigns = read_all_pages<CampaignRecord>(
            [&](Page page) { return transaction.list_campaigns(filter, page); });
        if (!campaigns)
            return std::unexpected(campaigns.error());
        for (auto& record : *campaigns) {
            if (!selected(options.campaigns, record.campaign.approval))
                continue;
            if (instants && record.campaign.approval == scheduler::ApprovalState::Approved)
                instants->campaign_approved[record.campaign.id] = record.decided.value_or(record.updated);
            model.campaigns.push_back(std::move(record.campaign));
        }

        if (options.active_alerts_at) {
            auto alerts = transaction.list_active_alerts(*options.active_alerts_at);
            if (!alerts)
                return std::unexpected(alerts.error());
            for (auto& record : *alerts) {
                if (record.state == AlertState::Sent)
                    model.alerts.push_back(std::move(record.alert));
            }
        }
        return model;
    });
}

}  // namespace bantin::controller
