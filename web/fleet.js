// Fleet view: every device by name, online or not, when last seen, what it plays, which bundle
// it should have and which it applied, and its last error; filters by zone, kind and state; a
// grid of the screens' latest screenshots (each opens the device's page, device.js).
// Refreshes every 5 seconds.

import * as api from './api.js';
import { h, clear, badge, field, formatAgo, formatTime, messageArea, select, table } from './dom.js';
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
  const behind = isBehind(device);
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

export function statusCell(device) {
  if (device.revoked) return badge(t('đã thu hồi', 'revoked'), 'bad');
  if (!device.online && !device.last_seen) return badge(t('ngoại tuyến, chưa kết nối lần nào', 'offline, never connected'), 'neutral');
  return device.online ? badge(t('trực tuyến', 'online'), 'ok') : badge(t('ngoại tuyến', 'offline'), 'bad');
}

export const isBehind = (device) => device.desired_version != null && device.applied_version !== device.desired_version;
export const needsAttention = (device) => Boolean(device.last_error || device.proof_stalled_since);

// The states the fleet can be filtered by.
const states = {
  online: [() => t('Trực tuyến', 'Online'), (device) => device.online],
  offline: [() => t('Ngoại tuyến', 'Offline'), (device) => !device.online && Boolean(device.last_seen)],
  never: [() => t('Chưa kết nối lần nào', 'Never connected'), (device) => !device.online && !device.last_seen],
  behind: [() => t('Chậm lịch phát', 'Behind on its schedule'), isBehind],
  alert: [() => t('Cần chú ý (lỗi, ngừng báo đã phát)', 'Needs attention (error, proof stalled)'), needsAttention],
};

export const devicePath = (id) => '#/devices/' + encodeURIComponent(id);

// Pictures already loaded, by device and time received: the grid is redrawn every 5 s, the
// picture is fetched again only when a new one arrived.
const pictures = new Map();

// The latest screenshot of a screen, small: a link to its device page.
function screenshotTile(device, names, canSee) {
  const title = device.name || device.id;
  const when = device.screenshot_received;
  let picture;
  const key = device.id + ' ' + when;
  if (when && canSee && pictures.has(key)) {
    picture = pictures.get(key);
  } else if (when && canSee) {
    pictures.set(key, picture = h('img', {
      src: '/api/v1/devices/' + encodeURIComponent(device.id) + '/screenshot?at=' + encodeURIComponent(when),
      alt: t('Ảnh màn hình của ', 'Screenshot of ') + title, loading: 'lazy', width: 320, height: 180,
    }));
  } else {
    picture = h('div', { class: 'shot-empty', text: when ? t('Chỉ người vận hành xem được ảnh', 'Operators see screenshots') : t('Chưa có ảnh màn hình', 'No screenshot yet') });
  }
  return h('li', { class: 'shot', dataset: { device: device.id } },
    h('a', { href: devicePath(device.id) },
      picture,
      h('span', { class: 'shot-name', text: title }),
      h('span', { class: 'muted', text: (names.zones.get(device.zone) || device.zone) + ' · ' + (when ? t('ảnh lúc ', 'taken ') + formatTime(when, device.time_zone) : t('chưa có ảnh', 'none yet')) })),
    ' ', statusCell(device));
}

// Names the fleet view shows instead of ids: zones, campaigns and alerts, media.
export async function loadNames() {
  const names = { zones: new Map(), sources: new Map(), media: new Map() };
  const lists = await Promise.allSettled([api.listAll('/zones'), api.listAll('/campaigns'), api.get('/alerts'), api.listAll('/media')]);
  if (lists[0].status === 'fulfilled') for (const zone of lists[0].value) names.zones.set(zone.id, zone.name || zone.id);
  if (lists[1].status === 'fulfilled') for (const campaign of lists[1].value) names.sources.set(campaign.id, campaign.name || campaign.id);
  if (lists[2].status === 'fulfilled') for (const alert of lists[2].value.items || []) names.sources.set(alert.id, alert.headline);
  if (lists[3].status === 'fulfilled') for (const item of lists[3].value) if (item.name) names.media.set(item.sha256, nameText(item.name));
  return names;
}

// The filter chosen stays while the console is open.
const chosen = { zone: '', kind: '', state: '' };

export async function render(container, context) {
  const summary = h('div', { class: 'summary', 'aria-live': 'polite' });
  const updated = h('p', { class: 'muted', id: 'fleet-updated' });
  const listing = h('div', { id: 'fleet-table' });
  const grid = h('ul', { class: 'shots', id: 'fleet-shots' });
  const message = messageArea();
  const zoneFilter = select('zone', [['', t('Mọi khu vực', 'Every zone')]], chosen.zone);
  const kindFilter = select('kind', [['', t('Mọi loại', 'Every kind')], ['screen', kindLabel('screen')], ['speaker', kindLabel('speaker')]], chosen.kind);
  const stateFilter = select('state', [['', t('Mọi trạng thái', 'Every state')], ...Object.entries(states).map(([key, [label]]) => [key, label()])], chosen.state);
  zoneFilter.id = 'fleet-zone';
  kindFilter.id = 'fleet-kind';
  stateFilter.id = 'fleet-state';
  const filters = h('form', { class: 'inline filters', id: 'fleet-filters', role: 'search', 'aria-label': t('Lọc thiết bị', 'Filter devices') },
    field(t('Khu vực', 'Zone'), zoneFilter), field(t('Loại', 'Kind'), kindFilter), field(t('Trạng thái', 'State'), stateFilter));
  filters.addEventListener('submit', (event) => event.preventDefault());
  const canSee = Boolean(context && context.can && context.can('manageDevices'));
  container.append(summary, filters, message.element,
    h('section', { class: 'panel', 'aria-labelledby': 'fleet-shots-title' },
      h('h3', { id: 'fleet-shots-title', text: t('Màn hình đang hiển thị gì', 'What the screens show now') }), grid),
    listing, updated);

  let names = await loadNames();
  let rounds = 0;
  let last = null;
  clear(zoneFilter, h('option', { value: '', text: t('Mọi khu vực', 'Every zone') }),
    [...names.zones].map(([id, name]) => h('option', { value: id, text: name, selected: id === chosen.zone })));
  for (const control of [zoneFilter, kindFilter, stateFilter]) {
    control.addEventListener('change', () => {
      chosen.zone = zoneFilter.value;
      chosen.kind = kindFilter.value;
      chosen.state = stateFilter.value;
      if (last) show(last);
    });
  }

  function matches(device) {
    if (chosen.zone && device.zone !== chosen.zone) return false;
    if (chosen.kind && device.kind !== chosen.kind) return false;
    if (chosen.state && !states[chosen.state][1](device)) return false;
    return true;
  }

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
      last = status;
      show(status);
      updated.textContent = t('Cập nhật lúc ' + formatTime(new Date().toISOString()) + '; tự làm mới mỗi 5 giây.',
        'Updated ' + formatTime(new Date().toISOString()) + '; refreshes every 5 s.');
    } catch (error) {
      message.error(error);
    }
  }

  function show(status) {
      const shown = status.devices.filter(matches);
      const screens = shown.filter((device) => device.kind === 'screen');
      clear(grid, screens.length ? screens.map((device) => screenshotTile(device, names, canSee))
        : h('li', { class: 'muted', text: t('Không có màn hình nào khớp bộ lọc.', 'No screen matches the filter.') }));
      const rows = shown.map((device) =>
        h(
          'tr',
          { dataset: { device: device.id }, class: device.last_error || device.proof_stalled_since ? 'flagged' : undefined },
          h('td', {}, h('a', { href: devicePath(device.id) }, h('strong', { text: device.name || device.id })), h('div', { class: 'muted mono', text: device.id })),
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
          rows, status.devices.length
            ? t('Không có thiết bị nào khớp bộ lọc.', 'No device matches the filter.')
            : t('Chưa đăng ký thiết bị nào. Hãy đăng ký ở mục "Thiết bị và khu vực".', 'No devices registered yet. Register one under Devices.')),
      );
  }

  await refresh();
  const timer = setInterval(refresh, refreshMilliseconds);
  return () => clearInterval(timer);
}
