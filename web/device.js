// One device's page (#/devices/<id>, opened from the fleet and the device list): its name,
// zone, kind and state, what it plays now, its latest screenshot, its online/offline spans
// (the uptime report's changes), the hours of today it should have played in but sent no proof
// for, its commands and its settings. Quiet hours follow the two-person rule: one operator
// proposes, another confirms (PUT /devices/{id}/settings answers 202 with the pending change).

import * as api from './api.js';
import { h, clear, badge, field, formatAgo, formatTime, messageArea, table } from './dom.js';
import { t, formatNumber, formatDateTime, formatTime as clockTime } from './i18n.js';
import { kindLabel } from './words.js';
import { isBehind, loadNames, needsAttention, statusCell } from './fleet.js';

const refreshMilliseconds = 5000;
const historyDays = 7;

// The device id of the page's hash (#/devices/<id>), or null for the device list.
export function deviceIdFromHash(hash = window.location.hash) {
  const parts = hash.replace(/^#\/?/, '').split('?')[0].split('/');
  return parts[0] === 'devices' && parts[1] ? decodeURIComponent(parts[1]) : null;
}

const windowsText = (windows) => (windows && windows.length ? windows.join(', ') : '');
const stepsText = (steps) => (steps || []).map((step) => step.window + '=' + step.volume).join(', ');

function parseWindows(text) {
  return text.split(/[,;\s]+/).map((part) => part.trim()).filter(Boolean);
}

// "12:00-13:00=20, 22:00-05:00=10" -> [{window, volume}]; null when a step is not WINDOW=NUMBER.
function parseSteps(text) {
  const steps = [];
  for (const part of text.split(/[,;]+/).map((item) => item.trim()).filter(Boolean)) {
    const match = /^(.+?)\s*=\s*(-?\d+)$/.exec(part);
    if (!match) return null;
    steps.push({ window: match[1].trim(), volume: Number(match[2]) });
  }
  return steps;
}

// A settings change as words: "Giờ yên lặng: 22:00-05:00; Âm lượng mặc định: 40".
function changeText(settings) {
  const parts = [];
  if ('on_hours' in settings) parts.push(t('Giờ hoạt động: ', 'On-hours: ') + (windowsText(settings.on_hours) || t('cả ngày', 'all day')));
  if ('quiet_hours' in settings) parts.push(t('Giờ yên lặng: ', 'Quiet hours: ') + (windowsText(settings.quiet_hours) || t('không có', 'none')));
  if ('default_volume' in settings) parts.push(t('Âm lượng mặc định: ', 'Default volume: ') + settings.default_volume);
  if ('volume_schedule' in settings) parts.push(t('Lịch âm lượng: ', 'Volume schedule: ') + (stepsText(settings.volume_schedule) || t('không có', 'none')));
  return parts.join('; ');
}

const changeStates = {
  pending: () => badge(t('chờ xác nhận', 'awaiting confirmation'), 'warn'),
  confirmed: () => badge(t('đã xác nhận', 'confirmed'), 'ok'),
  cancelled: () => badge(t('đã rút lại', 'withdrawn'), 'neutral'),
};

// Online/offline spans over the last days, newest first, from the uptime report's changes.
function spans(item, now) {
  if (!item || !item.changes || !item.changes.length) return [];
  const list = [];
  for (let index = 0; index < item.changes.length; index += 1) {
    const change = item.changes[index];
    const next = item.changes[index + 1];
    list.push({ from: change.at, to: next ? next.at : null, online: change.online, ms: (next ? Date.parse(next.at) : now) - Date.parse(change.at) });
  }
  return list.reverse();
}

function spanLength(ms) {
  const minutes = Math.max(0, Math.round(ms / 60000));
  if (minutes < 60) return t(minutes + ' phút', minutes + ' min');
  const hours = Math.floor(minutes / 60);
  return t(hours + ' giờ ' + (minutes % 60) + ' phút', hours + ' h ' + (minutes % 60) + ' min');
}

export async function render(container, context, id) {
  const manage = context.can('manageDevices');
  const message = messageArea();
  const header = h('div', { class: 'panel device-head', id: 'device-head' });
  const shot = h('div', { class: 'panel', id: 'device-shot' });
  const settingsPanel = h('div', { class: 'panel', id: 'device-settings' });
  const changesPanel = h('div', { id: 'device-changes' });
  const history = h('div', { class: 'panel', id: 'device-history' });
  const gaps = h('div', { class: 'panel', id: 'device-gaps' });
  const commands = h('div', { class: 'panel', id: 'device-commands' });
  container.append(
    h('p', {}, h('a', { href: '#/fleet', text: t('← Về danh sách thiết bị đang chạy', '← Back to the fleet') })),
    message.element, header, h('div', { class: 'columns' }, shot, commands), settingsPanel, h('div', { class: 'columns' }, history, gaps));

  const names = await loadNames();
  let device = null;
  let shownShot = null;
  let waitingShot = null;

  async function refresh() {
    try {
      const [view, status] = await Promise.all([api.get('/devices/' + encodeURIComponent(id)), api.get('/fleet/status')]);
      device = { ...view, ...(status.devices.find((entry) => entry.id === id) || {}) };
      message.clear();
      showHeader();
      showShot();
    } catch (error) {
      message.error(error);
    }
  }

  function showHeader() {
    const title = device.name || device.id;
    document.title = title + ' — Bantin';
    const playing = device.now_playing;
    const flags = [];
    if (isBehind(device)) flags.push(badge(t('chậm lịch phát', 'behind on its schedule'), 'warn'));
    if (needsAttention(device)) flags.push(badge(t('cần chú ý', 'needs attention'), 'bad'));
    clear(header,
      h('h3', { id: 'device-title', text: title }), h('div', { class: 'muted mono', text: device.id }),
      h('dl', { class: 'facts' },
        h('dt', { text: t('Khu vực', 'Zone') }), h('dd', { text: names.zones.get(device.zone) || device.zone }),
        h('dt', { text: t('Loại', 'Kind') }), h('dd', { text: kindLabel(device.kind) }),
        h('dt', { text: t('Trạng thái', 'State') }), h('dd', { id: 'device-state' }, statusCell(device), ' ', flags,
          h('span', { class: 'muted', title: formatTime(device.last_seen, device.time_zone), text: ' ' + t('liên lạc lần cuối ', 'last seen ') + formatAgo(device.last_seen) })),
        h('dt', { text: t('Đang phát', 'Now playing') }), h('dd', { id: 'device-playing' },
          playing ? [names.sources.get(playing.source) || playing.source || '—',
            playing.media ? h('div', { class: 'muted', text: names.media.get(playing.media) || t('nội dung không rõ tên', 'unnamed media') }) : null]
            : h('span', { class: 'muted', text: t('không phát gì', 'nothing') })),
        h('dt', { text: t('Lỗi gần nhất', 'Last error') }), h('dd', {}, device.last_error ? h('span', { class: 'server-text', text: device.last_error }) : h('span', { class: 'muted', text: t('không có', 'none') }))));
  }

  function showShot() {
    const when = device.screenshot_received;
    if (waitingShot && when && when !== waitingShot.before) {
      message.success(t('Đã nhận ảnh màn hình mới.', 'A new screenshot arrived.'));
      waitingShot = null;
    }
    if (shownShot === (when || '') && shot.childElementCount) return;
    shownShot = when || '';
    const title = device.name || device.id;
    clear(shot, h('h3', { text: t('Ảnh màn hình gần nhất', 'Latest screenshot') }),
      device.kind !== 'screen' ? h('p', { class: 'muted', text: t('Loa không có màn hình.', 'A loudspeaker has no screen.') })
        : !when ? h('p', { class: 'muted', id: 'device-no-shot', text: t('Thiết bị chưa gửi ảnh màn hình nào.', 'The device has sent no screenshot yet.') })
          : !manage ? h('p', { class: 'muted', text: t('Nhận lúc ', 'Received ') + formatTime(when, device.time_zone) + t('; chỉ người vận hành xem được ảnh.', '; operators see screenshots.') })
            : [h('img', { class: 'device-shot', id: 'device-shot-image', alt: t('Ảnh màn hình của ', 'Screenshot of ') + title,
              src: '/api/v1/devices/' + encodeURIComponent(device.id) + '/screenshot?at=' + encodeURIComponent(when) }),
            h('p', { class: 'muted', id: 'device-shot-time', text: t('Nhận lúc ', 'Received ') + formatTime(when, device.time_zone) })]);
  }

  async function command(body, done) {
    try {
      await api.post('/devices/' + encodeURIComponent(id) + '/commands', body);
      message.success(done);
    } catch (error) {
      message.error(error);
    }
  }

  function showCommands() {
    if (!manage) {
      clear(commands, h('h3', { text: t('Lệnh', 'Commands') }), h('p', { class: 'muted', text: t('Chỉ người vận hành hoặc quản trị gửi được lệnh.', 'Sending commands needs the operator or admin role.') }));
      return;
    }
    const volume = h('input', { type: 'number', min: 0, max: 100, value: '50', id: 'command-volume' });
    clear(commands, h('h3', { text: t('Lệnh', 'Commands') }),
      h('div', { class: 'actions' },
        h('button', { type: 'button', id: 'command-screenshot', text: t('Chụp màn hình ngay', 'Take a screenshot now'),
          onclick: async () => {
            waitingShot = { before: device ? device.screenshot_received : null };
            await command({ kind: 'screenshot' }, t('Đã gửi lệnh chụp màn hình; ảnh hiện ở đây khi thiết bị gửi lên.', 'Screenshot asked for; it shows here when the device sends it.'));
          } }),
        h('button', { type: 'button', class: 'secondary', id: 'command-ping', text: t('Kiểm tra kết nối', 'Ping'),
          onclick: () => command({ kind: 'ping' }, t('Đã gửi lệnh kiểm tra kết nối.', 'Ping sent.')) }),
        h('button', { type: 'button', class: 'secondary', id: 'command-reload', text: t('Nạp lại lịch phát', 'Reload the schedule'),
          onclick: () => command({ kind: 'reload' }, t('Đã gửi lệnh nạp lại.', 'Reload sent.')) })),
      h('div', { class: 'inline' }, field(t('Âm lượng tạm thời (0–100)', 'Volume for now (0–100)'), volume),
        h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', id: 'command-set-volume', text: t('Đặt âm lượng', 'Set volume'),
          onclick: () => command({ kind: 'set-volume', volume: Number(volume.value) }, t('Đã gửi lệnh đặt âm lượng.', 'Volume sent.')) }))),
      h('p', { class: 'muted', text: t('Âm lượng tạm thời giữ đến khi thiết bị nhận lịch phát mới, và không cao hơn âm lượng đã duyệt trong thiết lập.', 'The volume for now holds until the device gets a new schedule, and goes no higher than the approved volume in its settings.') }));
  }

  async function showSettings() {
    let view;
    let changes;
    try {
      [view, changes] = await Promise.all([api.get('/devices/' + encodeURIComponent(id)), api.get('/devices/' + encodeURIComponent(id) + '/settings/changes')]);
    } catch (error) {
      message.error(error);
      return;
    }
    const onHours = h('input', { id: 'settings-on-hours', value: windowsText(view.on_hours), placeholder: '05:00-21:00', disabled: !manage });
    const quietHours = h('input', { id: 'settings-quiet-hours', value: windowsText(view.quiet_hours), placeholder: '22:00-05:00', disabled: !manage });
    const volume = h('input', { id: 'settings-volume', type: 'number', min: 0, max: 100, value: String(view.default_volume), disabled: !manage });
    const steps = h('input', { id: 'settings-volume-schedule', value: stepsText(view.volume_schedule), placeholder: '12:00-13:30=30', disabled: !manage });
    const form = h('form', { id: 'settings-form' },
      h('div', { class: 'inline' },
        field(t('Giờ hoạt động', 'On-hours'), onHours, t('Khung giờ HH:MM-HH:MM, cách nhau bằng dấu phẩy; để trống: cả ngày.', 'HH:MM-HH:MM windows, comma-separated; empty: all day.')),
        field(t('Giờ yên lặng', 'Quiet hours'), quietHours, t('Chỉ cảnh báo khẩn cấp được phát. Đổi giờ này cần người vận hành thứ hai xác nhận.', 'Only emergency alerts sound. Changing them needs a second operator to confirm.'))),
      h('div', { class: 'inline' },
        field(t('Âm lượng mặc định (0–100)', 'Default volume (0–100)'), volume, t('Đổi âm lượng cần người vận hành thứ hai xác nhận.', 'Changing a volume needs a second operator to confirm.')),
        field(t('Lịch âm lượng', 'Volume schedule'), steps, t('Khung giờ=âm lượng, ví dụ 12:00-13:30=30. Đổi lịch này cần người vận hành thứ hai xác nhận.', 'Window=volume, e.g. 12:00-13:30=30. Changing it needs a second operator to confirm.'))),
      manage ? h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'settings-save', text: t('Lưu thiết lập', 'Save settings') })) : null);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = {};
      const wantedOn = parseWindows(onHours.value);
      const wantedQuiet = parseWindows(quietHours.value);
      const wantedSteps = parseSteps(steps.value);
      if (wantedSteps === null) {
        message.error({ code: 'invalid-input', detail: t('Lịch âm lượng: mỗi mục phải là khung giờ=số, ví dụ 12:00-13:30=30', 'Volume schedule: each step is window=number, e.g. 12:00-13:30=30') });
        return;
      }
      if (wantedOn.join() !== (view.on_hours || []).join()) body.on_hours = wantedOn;
      if (wantedQuiet.join() !== (view.quiet_hours || []).join()) body.quiet_hours = wantedQuiet;
      if (Number(volume.value) !== view.default_volume) body.default_volume = Number(volume.value);
      if (stepsText(wantedSteps) !== stepsText(view.volume_schedule)) body.volume_schedule = wantedSteps;
      if (!Object.keys(body).length) {
        message.success(t('Không có gì thay đổi.', 'Nothing changed.'));
        return;
      }
      try {
        const answer = await api.put('/devices/' + encodeURIComponent(id) + '/settings', body);
        if (answer.change) message.success(t('Đã đề xuất: ' + changeText(answer.change.settings) + '. Cần người vận hành thứ hai xác nhận trước khi gửi đến thiết bị.',
          'Proposed: ' + changeText(answer.change.settings) + '. A second operator must confirm it before it reaches the device.'));
        else message.success(t('Đã lưu và gửi đến thiết bị.', 'Saved and sent to the device.'));
      } catch (error) {
        message.error(error);
      }
      await showSettings();
    });
    clear(settingsPanel, h('h3', { text: t('Thiết lập', 'Settings') }), form, changesPanel);
    showChanges(changes.items || []);
  }

  function showChanges(items) {
    const me = context.user ? context.user.id : null;
    const rows = items.map((change) => h('tr', { dataset: { change: change.id, state: change.state } },
      h('td', {}, h('span', { class: 'server-text', text: changeText(change.settings) })),
      h('td', {}, changeStates[change.state] ? changeStates[change.state]() : change.state),
      h('td', {}, h('span', { class: 'server-text', text: change.proposed_by_name || '—' }), h('div', { class: 'muted', text: formatTime(change.proposed_at) })),
      h('td', {}, change.decided_by_name ? h('span', { class: 'server-text', text: change.decided_by_name }) : '—'),
      h('td', {}, change.state === 'pending' && manage ? h('div', { class: 'actions' },
        change.proposed_by === me
          ? h('span', { class: 'muted', text: t('chờ người vận hành khác xác nhận', 'awaiting another operator') })
          : h('button', { type: 'button', class: 'small confirm-change', text: t('Xác nhận và gửi', 'Confirm and send'), onclick: () => decide(change, 'confirm') }),
        h('button', { type: 'button', class: 'small secondary cancel-change', text: change.proposed_by === me ? t('Rút lại', 'Withdraw') : t('Từ chối', 'Refuse'),
          onclick: () => decide(change, 'cancel') })) : null)));
    clear(changesPanel, h('h4', { text: t('Đề xuất thay đổi', 'Proposed changes') }),
      table(t('Đề xuất thay đổi thiết lập', 'Proposed setting changes'),
        [t('Thay đổi', 'Change'), t('Tình trạng', 'State'), t('Người đề xuất', 'Proposed by'), t('Người quyết định', 'Decided by'), t('Thao tác', 'Actions')],
        rows, t('Chưa có đề xuất nào.', 'No proposals yet.')));
  }

  async function decide(change, step) {
    try {
      await api.post('/devices/' + encodeURIComponent(id) + '/settings/changes/' + encodeURIComponent(change.id) + '/' + step);
      message.success(step === 'confirm' ? t('Đã xác nhận; thiết lập mới đã gửi đến thiết bị.', 'Confirmed; the new settings went to the device.')
        : t('Đã rút lại đề xuất.', 'The proposal was withdrawn.'));
    } catch (error) {
      message.error(error);
    }
    await showSettings();
  }

  async function showHistory() {
    const now = Date.now();
    try {
      const answer = await api.get('/reports/uptime', { from: new Date(now - historyDays * 86400000).toISOString(), to: new Date(now).toISOString() });
      const item = (answer.items || []).find((entry) => entry.device === id);
      const list = spans(item, now);
      clear(history, h('h3', { text: t('Lịch sử trực tuyến (' + historyDays + ' ngày)', 'Online history (' + historyDays + ' days)') }),
        item ? h('p', {}, t('Tỉ lệ hoạt động: ', 'Uptime: ') + formatNumber((item.uptime || 0) * 100, 1) + ' %') : null,
        table(t('Các khoảng trực tuyến và ngoại tuyến', 'Online and offline spans'),
          [t('Từ', 'From'), t('Đến', 'To'), t('Trạng thái', 'State'), t('Thời lượng', 'Length')],
          list.map((span) => [formatTime(span.from, device && device.time_zone), span.to ? formatTime(span.to, device && device.time_zone) : t('bây giờ', 'now'),
            span.online ? badge(t('trực tuyến', 'online'), 'ok') : badge(t('ngoại tuyến', 'offline'), 'bad'), spanLength(span.ms)]),
          t('Chưa có thay đổi trạng thái nào trong ' + historyDays + ' ngày qua.', 'No change of state in the last ' + historyDays + ' days.')));
    } catch (error) {
      clear(history, h('h3', { text: t('Lịch sử trực tuyến', 'Online history') }), h('p', { class: 'muted', text: t('Không tải được: ', 'Could not load: ') + (error.detail || error.message) }));
    }
  }

  // Hours of today (the device's day) that passed with something planned and no proof at all.
  async function showGaps() {
    try {
      const timeline = await api.get('/devices/' + encodeURIComponent(id) + '/timeline', { drafts: 0 });
      const plays = await api.get('/devices/' + encodeURIComponent(id) + '/plays', { from: timeline.from, to: timeline.to });
      const now = Date.now();
      const rows = [];
      for (const hour of plays.hours) {
        const start = Date.parse(hour.start);
        const end = start + 3600000;
        if (start >= now) break;
        const planned = (timeline.entries || []).filter((entry) => {
          const at = Date.parse(entry.start);
          return at >= start && at < Math.min(end, now);
        }).length;
        if (planned > 0 && hour.plays === 0) rows.push([clockTime(start, timeline.time_zone) + '–' + clockTime(end, timeline.time_zone), formatNumber(planned), formatNumber(hour.plays)]);
      }
      clear(gaps, h('h3', { text: t('Giờ thiếu báo đã phát (hôm nay)', 'Hours with no proof (today)') }),
        table(t('Giờ có lịch phát mà không có báo đã phát', 'Hours planned to play with no proof'),
          [t('Giờ', 'Hour'), t('Lần phát theo kế hoạch', 'Planned plays'), t('Lần đã báo', 'Reported plays')], rows,
          t('Không có giờ nào thiếu báo đã phát hôm nay.', 'No hour without proof today.')),
        h('p', { class: 'muted', text: t('Ngày ' + formatDateTime(Date.parse(timeline.from), timeline.time_zone).split(' ')[0] + ', theo giờ của thiết bị.', 'Day ' + formatDateTime(Date.parse(timeline.from), timeline.time_zone).split(' ')[0] + ', in the device\'s time.') }));
    } catch (error) {
      clear(gaps, h('h3', { text: t('Giờ thiếu báo đã phát', 'Hours with no proof') }), h('p', { class: 'muted', text: t('Không tải được: ', 'Could not load: ') + (error.detail || error.message) }));
    }
  }

  await refresh();
  if (!device) return null;
  showCommands();
  await Promise.all([showSettings(), showHistory(), showGaps()]);
  const timer = setInterval(refresh, refreshMilliseconds);
  return () => clearInterval(timer);
}
