// Fleet view: every device, online or not, when last seen, what it plays, which bundle it
// should have and which it applied, and its last error. Refreshes every 5 seconds.

import * as api from './api.js';
import { h, clear, badge, formatAgo, formatTime, messageArea, table } from './dom.js';
import { t, formatNumber } from './i18n.js';
import { deliveryLabel, kindLabel, nameText } from './words.js';

const refreshMilliseconds = 5000;

function deliveryBadge(device) {
  const kinds = { applied: 'ok', pending: 'warn', downloading: 'info', failed: 'bad', none: 'neutral' };
  return badge(deliveryLabel(device.delivery), kinds[device.delivery] || 'neutral');
}

function bundleCell(device) {
  const desired = device.desired_version ?? '—';
  const applied = device.applied_version ?? '—';
  const behind = device.desired_version != null && device.applied_version !== device.desired_version;
  return h(
    'span',
    {},
    h('span', { text: t('cần ' + desired + ' / đã áp dụng ' + applied, 'desired ' + desired + ' / applied ' + applied) }),
    behind ? [' ', badge(t('chậm', 'behind'), 'warn')] : null,
  );
}

// The campaign or alert playing, by name when the console knows it, and its media by name.
function nowPlaying(device, names) {
  if (!device.now_playing) return h('span', { class: 'muted', text: t('không phát gì', 'nothing') });
  const source = device.now_playing.source;
  const media = device.now_playing.media;
  return h(
    'span',
    {},
    names.sources.get(source) || source || '—',
    media && names.media.has(media) ? h('div', { class: 'muted', text: names.media.get(media) }) : null,
  );
}

// Proof of play as the controller holds it: a stall alarm (online and playing, no proof
// committed for ingest.stall_alarm_s) first, then missing rows, then how many arrived in order.
function proofCell(device) {
  if (device.proof_stalled_since) {
    return h('span', { title: formatTime(device.proof_stalled_since, device.time_zone) },
      badge(t('ngừng báo đã phát từ ' + formatAgo(device.proof_stalled_since), 'proof stalled since ' + formatAgo(device.proof_stalled_since)), 'bad'));
  }
  const proof = device.proof || {};
  const gaps = (proof.gaps || []).length;
  if (gaps > 0) return badge(t('thiếu ' + gaps + ' đoạn báo đã phát', gaps + (gaps === 1 ? ' gap' : ' gaps') + ' in proof'), 'warn');
  if (!proof.highest) return h('span', { class: 'muted', text: t('chưa có báo đã phát', 'no proof yet') });
  return h('span', { text: t(formatNumber(proof.contiguous) + ' lần phát đủ, theo thứ tự', formatNumber(proof.contiguous) + ' rows in order') });
}

function statusCell(device) {
  if (device.revoked) return badge(t('đã thu hồi', 'revoked'), 'bad');
  return device.online ? badge(t('trực tuyến', 'online'), 'ok') : badge(t('ngoại tuyến', 'offline'), 'bad');
}

// Names the fleet view shows instead of ids: zones, campaigns and alerts, media.
async function loadNames() {
  const names = { zones: new Map(), sources: new Map(), media: new Map() };
  const lists = await Promise.allSettled([api.listAll('/zones'), api.listAll('/campaigns'), api.get('/alerts'), api.listAll('/media')]);
  if (lists[0].status === 'fulfilled') for (const zone of lists[0].value) names.zones.set(zone.id, zone.name || zone.id);
  if (lists[1].status === 'fulfilled') for (const campaign of lists[1].value) names.sources.set(campaign.id, campaign.name || campaign.id);
  if (lists[2].status === 'fulfilled') for (const alert of lists[2].value.items || []) names.sources.set(alert.id, alert.headline);
  if (lists[3].status === 'fulfilled') for (const item of lists[3].value) if (item.name) names.media.set(item.sha256, nameText(item.name));
  return names;
}

export async function render(container) {
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const updated = h('p', { class: 'muted', id: 'fleet-updated' });
  const listing = h('div', { id: 'fleet-table' });
  const message = messageArea();
  container.append(summary, message.element, listing, updated);

  let names = await loadNames();
  let rounds = 0;

  async function refresh() {
    try {
      const status = await api.get('/fleet/status');
      rounds += 1;
      if (rounds % 12 === 0) names = await loadNames();
      message.clear();
      const delivery = Object.entries(status.delivery || {}).map(([key, count]) => deliveryLabel(key) + ' ' + formatNumber(count)).join(', ');
      clear(
        summary,
        h('div', {}, h('strong', { text: formatNumber(status.online) }), t('trực tuyến', 'online')),
        h('div', {}, h('strong', { text: formatNumber(status.offline) }), t('ngoại tuyến', 'offline')),
        h('div', {}, h('strong', { text: formatNumber(status.revoked) }), t('đã thu hồi', 'revoked')),
        h('div', {}, h('strong', { text: formatNumber(status.devices.length) }), t('thiết bị', 'devices'), delivery ? h('div', { class: 'muted', text: delivery }) : null),
      );
      const rows = status.devices.map((device) =>
        h(
          'tr',
          { dataset: { device: device.id }, class: device.last_error || device.proof_stalled_since ? 'flagged' : undefined },
          h('td', {}, h('strong', { text: device.name || device.id }), h('div', { class: 'muted mono', text: device.id })),
          h('td', { text: kindLabel(device.kind) }),
          h('td', { text: names.zones.get(device.zone) || device.zone }),
          h('td', {}, statusCell(device)),
          h('td', { title: formatTime(device.last_seen, device.time_zone), text: formatAgo(device.last_seen) }),
          h('td', {}, nowPlaying(device, names)),
          h('td', {}, bundleCell(device), ' ', deliveryBadge(device)),
          h('td', { class: 'proof' }, proofCell(device)),
          h('td', {}, device.last_error ? h('span', { class: 'badge badge-bad last-error', text: device.last_error }) : h('span', { class: 'muted', text: t('không có', 'none') })),
        ),
      );
      clear(
        listing,
        table(t('Thiết bị', 'Devices'),
          [t('Thiết bị', 'Device'), t('Loại', 'Kind'), t('Khu vực', 'Zone'), t('Trạng thái', 'Status'), t('Liên lạc lần cuối', 'Last seen'),
            t('Đang phát', 'Now playing'), t('Phiên bản gói lịch phát', 'Schedule package version'), t('Báo đã phát', 'Proof of play'), t('Lỗi gần nhất', 'Last error')],
          rows, t('Chưa đăng ký thiết bị nào. Hãy đăng ký ở mục "Thiết bị và khu vực".', 'No devices registered yet. Register one under Devices.')),
      );
      updated.textContent = t('Cập nhật lúc ' + formatTime(new Date().toISOString()) + '; tự làm mới mỗi 5 giây.',
        'Updated ' + formatTime(new Date().toISOString()) + '; refreshes every 5 s.');
    } catch (error) {
      message.error(error);
    }
  }

  await refresh();
  const timer = setInterval(refresh, refreshMilliseconds);
  return () => clearInterval(timer);
}
