// Alerts: raise one for some zones or all, live (CAP "Actual") or exercise, confirm a live one
// as a second operator, cancel with one click. The banner (renderAlertBanner) sits above every
// page while an alert is active, with its Cancel button.

import * as api from './api.js';
import { h, clear, badge, checkboxGroup, field, formatTime, messageArea, parseDayTime, select, table, describeError } from './dom.js';
import { t } from './i18n.js';
import { severityLabel, severityValues } from './words.js';
import { noticePreviewControls } from './preview.js';

function isLive(alert) {
  return alert.live || alert.status === 'actual';
}

function kindLabel(alert) {
  return isLive(alert) ? t('CẢNH BÁO KHẨN CẤP', 'LIVE ALERT') : t('DIỄN TẬP — KHÔNG PHẢI CẢNH BÁO THẬT', 'EXERCISE — DIỄN TẬP');
}

function stateText(alert) {
  if (alert.state === 'awaiting-confirmation') return t('chờ người vận hành thứ hai xác nhận', 'awaiting confirmation by a second operator');
  if (alert.state === 'sent') return t('đã gửi tới thiết bị', 'sent to devices');
  if (alert.state === 'cancelled') return t('đã huỷ', 'cancelled');
  if (alert.state === 'expired') return t('đã hết hạn', 'expired');
  return alert.state;
}

// Zone names, known once the alerts section or banner has loaded the zones.
const zoneNames = new Map();

async function loadZoneNames() {
  try {
    for (const zone of await api.listAll('/zones')) zoneNames.set(zone.id, zone.name || zone.id);
  } catch {
    // ids are shown instead
  }
}

function zonesText(alert) {
  return alert.all_zones ? t('mọi khu vực', 'all zones') : (alert.zones || []).map((zone) => zoneNames.get(zone) || zone).join(', ');
}

// What the alert's devices are doing, from the fleet view: how many of them play it now, how many
// play something else and how many are offline.
export function deviceSummary(alert, devices) {
  const covered = devices.filter((device) => alert.all_zones || (alert.zones || []).includes(device.zone));
  const playing = covered.filter((device) => device.online && device.now_playing && device.now_playing.source === alert.id).length;
  const offline = covered.filter((device) => !device.online).length;
  const other = covered.length - playing - offline;
  const parts = [t('đang phát ' + playing + '/' + covered.length, 'playing ' + playing + ' of ' + covered.length)];
  if (other > 0) parts.push(t('chưa phát ' + other, 'not playing it ' + other));
  if (offline > 0) parts.push(t('ngoại tuyến ' + offline, 'offline ' + offline));
  return { playing, other, offline, total: covered.length, text: parts.join(' · ') };
}

async function act(alert, verb, context, report) {
  try {
    await api.post('/alerts/' + encodeURIComponent(alert.id) + '/' + verb);
    if (report) {
      report.success(verb === 'cancel'
        ? t('Đã huỷ cảnh báo "' + alert.headline + '".', 'Alert "' + alert.headline + '" cancelled.')
        : t('Đã xác nhận và gửi cảnh báo "' + alert.headline + '".', 'Alert "' + alert.headline + '" confirmed and sent.'));
    }
  } catch (error) {
    if (report) report.error(error);
    else window.alert(describeError(error));
  }
  await context.refreshAlerts();
}

function alertButtons(alert, context, report) {
  if (!context.can('manageAlerts')) return [];
  const buttons = [];
  if (alert.state === 'awaiting-confirmation' && alert.created_by !== context.user.id) {
    buttons.push(h('button', { type: 'button', class: 'confirm-alert', text: t('Xác nhận và gửi', 'Confirm and send'), onclick: () => act(alert, 'confirm', context, report) }));
  }
  buttons.push(
    h('button', {
      type: 'button',
      class: 'cancel-alert',
      'aria-label': t('Huỷ cảnh báo ', 'Cancel alert ') + alert.headline,
      text: t('Huỷ cảnh báo', 'Cancel alert'),
      onclick: () => act(alert, 'cancel', context, report),
    }),
  );
  return buttons;
}

export async function renderAlertBanner(banner, alerts, context) {
  const active = alerts.filter((alert) => !alert.cancelled);
  if (active.some((alert) => !alert.all_zones && (alert.zones || []).some((zone) => !zoneNames.has(zone)))) await loadZoneNames();
  banner.hidden = active.length === 0;
  clear(
    banner,
    active.map((alert) =>
      h(
        'div',
        { class: 'alert-item ' + (isLive(alert) ? 'live' : 'exercise'), role: 'region', 'aria-label': kindLabel(alert), dataset: { alert: alert.id } },
        h('span', { class: 'kind', text: kindLabel(alert) }),
        h('span', {}, h('strong', { text: alert.headline }), ' — ', zonesText(alert), ' — ', severityLabel(alert.severity), ' — ', stateText(alert)),
        h('span', { class: 'actions' }, alertButtons(alert, context)),
      ),
    ),
  );
}

function outcomeText(alert) {
  if (alert.outcome === 'active') return t('đang hiệu lực', 'active');
  if (alert.outcome === 'awaiting-confirmation') return stateText({ state: 'awaiting-confirmation' });
  return stateText({ state: alert.outcome });
}

const outcomeKinds = { active: 'live', 'awaiting-confirmation': 'warn', cancelled: 'neutral', expired: 'neutral' };

function deviceStateText(state) {
  const words = {
    playing: ['đang phát', 'playing'],
    received: ['đã nhận và phát', 'received and played'],
    ended: ['đã phát, nay đã kết thúc', 'played, now ended'],
    'no-report': ['chưa báo đã phát', 'no report of playing it'],
  };
  return words[state] ? t(words[state][0], words[state][1]) : state;
}

function personAt(name, at) {
  return h('div', {}, h('span', { class: 'server-text', text: name || t('(không rõ)', '(unknown)') }), h('div', { class: 'muted', text: formatTime(at) }));
}

// Every alert of the last 30 days, active and ended, with who acted and when; a row's
// "Thiết bị" shows what each device did with it (GET /alerts/{id}/devices).
function alertHistory(message) {
  const list = h('div', { id: 'alert-history' });
  const devicesPanel = h('div', { id: 'alert-history-devices', 'aria-live': 'polite' });

  async function showDevices(alert) {
    try {
      const answer = await api.get('/alerts/' + encodeURIComponent(alert.id) + '/devices');
      const rows = answer.devices.map((device) => h('tr', { dataset: { device: device.device } },
        h('td', {}, h('strong', { text: device.name }), h('div', { class: 'muted mono', text: device.device })),
        h('td', { text: zoneNames.get(device.zone) || device.zone }),
        h('td', {}, badge(deviceStateText(device.state), device.state === 'playing' ? 'live' : device.state === 'no-report' ? 'warn' : 'ok')),
        h('td', { text: t(device.completed + ' trọn vẹn, ' + device.interrupted + ' bị ngắt, ' + device.failed + ' lỗi', device.completed + ' completed, ' + device.interrupted + ' interrupted, ' + device.failed + ' failed') }),
        h('td', { text: device.first_played ? formatTime(device.first_played) + ' – ' + formatTime(device.last_played) : '—' })));
      clear(devicesPanel, h('h4', { text: t('Thiết bị của cảnh báo "', 'Devices of alert "') + alert.headline + '"' }),
        table(t('Thiết bị của cảnh báo', 'Devices of the alert'), [t('Thiết bị', 'Device'), t('Khu vực', 'Zone'), t('Trạng thái', 'State'), t('Số lần phát', 'Plays'), t('Phát lúc', 'Played')],
          rows, t('Không có thiết bị nào trong các khu vực này.', 'No device in these zones.')));
    } catch (error) {
      message.error(error);
    }
  }

  let shown = '';
  async function refresh() {
    try {
      const answer = await api.get('/alert-history', { limit: 50 });
      // Drawn again only when it changed (it is asked every 5 s with the active alerts).
      const text = JSON.stringify(answer.items);
      if (text === shown) return;
      shown = text;
      if (answer.items.some((alert) => (alert.zones || []).some((zone) => !zoneNames.has(zone)))) await loadZoneNames();
      const rows = answer.items.map((alert) => h('tr', { dataset: { alert: alert.id, outcome: alert.outcome } },
        h('td', {}, badge(isLive(alert) ? t('THẬT', 'LIVE') : t('DIỄN TẬP', 'EXERCISE'), isLive(alert) ? 'live' : 'exercise')),
        h('td', {}, h('strong', { text: alert.headline }), h('div', { class: 'muted', text: severityLabel(alert.severity) + ' — ' + zonesText(alert) })),
        h('td', {}, badge(outcomeText(alert), outcomeKinds[alert.outcome] || 'neutral')),
        h('td', { class: 'alert-raised' }, personAt(alert.created_by_name, alert.created)),
        h('td', { class: 'alert-confirmed' }, alert.confirmations.length ? alert.confirmations.map((entry) => personAt(entry.user_name, entry.at)) : '—'),
        h('td', { class: 'alert-cancelled' }, alert.cancelled ? personAt(alert.cancelled_by_name, alert.cancelled) : '—'),
        h('td', { text: alert.ended ? formatTime(alert.ended) : t('chưa', 'not yet') }),
        h('td', {}, h('button', { type: 'button', class: 'small secondary', 'aria-label': t('Thiết bị của ', 'Devices of ') + alert.headline, text: t('Thiết bị', 'Devices'), onclick: () => showDevices(alert) }))));
      clear(list, table(t('Lịch sử cảnh báo (30 ngày)', 'Alert history (30 days)'),
        [t('Loại', 'Kind'), t('Cảnh báo', 'Alert'), t('Kết cục', 'Outcome'), t('Người phát', 'Raised by'), t('Người xác nhận', 'Confirmed by'), t('Người huỷ', 'Cancelled by'), t('Kết thúc lúc', 'Ended'), t('Thao tác', 'Actions')],
        rows, t('Chưa có cảnh báo nào trong 30 ngày qua.', 'No alert in the last 30 days.')));
    } catch (error) {
      message.error(error);
    }
  }
  return { element: h('div', { class: 'panel' }, h('h3', { text: t('Lịch sử cảnh báo', 'Alert history') }), list, devicesPanel), refresh };
}

export async function render(container, context) {
  const message = messageArea();
  const activeList = h('div', { id: 'active-alerts' });
  const history = alertHistory(message);

  async function refreshList() {
    try {
      const answer = await api.get('/alerts');
      if (answer.items.some((alert) => (alert.zones || []).some((zone) => !zoneNames.has(zone)))) await loadZoneNames();
      let devices = [];
      try {
        devices = (await api.get('/fleet/status')).devices || [];
      } catch (error) {
        devices = [];  // the list still shows; the column then says 0 of 0
      }
      const rows = answer.items.map((alert) =>
        h(
          'tr',
          { dataset: { alert: alert.id } },
          h('td', {}, badge(isLive(alert) ? t('THẬT', 'LIVE') : t('DIỄN TẬP', 'EXERCISE'), isLive(alert) ? 'live' : 'exercise')),
          h('td', {}, h('strong', { text: alert.headline }), alert.text ? h('div', { text: alert.text }) : null),
          h('td', { text: zonesText(alert) }),
          h('td', { text: severityLabel(alert.severity) }),
          h('td', { text: stateText(alert) }),
          h('td', { class: 'alert-devices', text: alert.state === 'sent' ? deviceSummary(alert, devices).text : '—' }),
          h('td', { text: formatTime(alert.issued) }),
          h('td', { text: formatTime(alert.expires) }),
          h('td', {}, h('div', { class: 'actions' }, alertButtons(alert, context, message))),
        ),
      );
      clear(activeList, table(t('Cảnh báo đang hiệu lực', 'Active alerts'),
        [t('Loại', 'Kind'), t('Cảnh báo', 'Alert'), t('Khu vực', 'Zones'), t('Mức độ', 'Severity'), t('Trạng thái', 'State'), t('Thiết bị', 'Devices'),
          t('Phát lúc', 'Issued'), t('Hết hạn lúc', 'Expires'), t('Thao tác', 'Actions')],
        rows, t('Không có cảnh báo nào đang hiệu lực.', 'No active alert.')));
    } catch (error) {
      message.error(error);
    }
    await history.refresh();
  }

  const panels = [];
  if (context.can('manageAlerts')) panels.push(await alertForm(context, message, refreshList));
  else panels.push(h('p', { class: 'muted', text: t('Chỉ người vận hành hoặc quản trị mới phát và huỷ được cảnh báo.', 'Raising and cancelling alerts needs the operator or admin role.') }));

  container.append(h('div', { class: 'panel' }, h('h3', { text: t('Cảnh báo đang hiệu lực', 'Active alerts') }), activeList), message.element, ...panels, history.element);
  await refreshList();
  const timer = setInterval(refreshList, 5000);
  return () => clearInterval(timer);
}

async function alertForm(context, message, refreshList) {
  const zones = await api.listAll('/zones');
  for (const zone of zones) zoneNames.set(zone.id, zone.name || zone.id);
  const exercise = h('input', { type: 'radio', name: 'status', value: 'exercise', checked: true, id: 'alert-status-exercise' });
  const live = h('input', { type: 'radio', name: 'status', value: 'actual', id: 'alert-status-live' });
  const allZones = h('input', { type: 'checkbox', name: 'all_zones', id: 'alert-all-zones' });
  const zoneBoxes = checkboxGroup(t('Khu vực', 'Zones'), 'zones', zones.map((zone) => [zone.id, zone.name || zone.id]));
  const severity = select('severity', severityValues.map((value) => [value, severityLabel(value)]), 'severe');
  severity.id = 'alert-severity';
  const headline = h('input', { name: 'headline', required: true, maxlength: 200, id: 'alert-headline' });
  const text = h('textarea', { name: 'text', id: 'alert-text', rows: 3, required: true });
  const expires = h('input', { type: 'text', name: 'expires', id: 'alert-expires', placeholder: 'dd/mm/yyyy HH:MM', autocomplete: 'off', inputmode: 'numeric' });
  expires.addEventListener('input', () => {
    expires.setCustomValidity(parseDayTime(expires.value) === null
      ? t('Ghi dạng dd/mm/yyyy HH:MM (24 giờ), ví dụ 05/12/2026 18:30.', 'Write dd/mm/yyyy HH:MM (24 h), e.g. 05/12/2026 18:30.') : '');
  });
  const repeat = h('input', { type: 'number', name: 'repeat_count', min: 0, max: 100, value: '0', id: 'alert-repeat' });
  const tone = select('tone', [
    ['', t('Tự động (còi cho cảnh báo thật cực kỳ nghiêm trọng)', 'Automatic (siren for a live extreme alert)')],
    ['siren', t('Còi báo động', 'Siren')], ['chime', t('Chuông', 'Chime')], ['none', t('Không', 'None')]], '');
  tone.id = 'alert-tone';
  const submit = h('button', { type: 'submit', id: 'alert-submit' });
  const explanation = h('p', { id: 'alert-explanation' });

  const form = h(
    'form',
    { class: 'alert-form exercise', id: 'alert-form' },
    h(
      'fieldset',
      { class: 'status-choice' },
      h('legend', { text: t('Loại cảnh báo', 'Kind of alert') }),
      h('label', { class: 'exercise', for: 'alert-status-exercise' }, exercise, h('strong', { text: t('Diễn tập', 'Exercise (diễn tập)') }),
        t('Tập dượt: gửi đi ngay, tiêu đề bắt đầu bằng "DIỄN TẬP".', 'A drill: goes out at once, headline starts with "DIỄN TẬP".')),
      h('label', { class: 'live', for: 'alert-status-live' }, live, h('strong', { text: t('Cảnh báo thật', 'LIVE alert') }),
        t('Tình huống khẩn cấp thật: cần người vận hành thứ hai xác nhận.', 'A real emergency: a second operator must confirm it.')),
    ),
    h('div', { class: 'field' }, h('label', { class: 'check' }, allZones, ' ', t('Mọi khu vực', 'All zones'))),
    zoneBoxes.element,
    field(t('Mức độ', 'Severity'), severity),
    field(t('Tiêu đề', 'Headline'), headline, t('Ví dụ: "Lũ quét — di chuyển lên vùng cao".', 'e.g. "Lũ quét — di chuyển lên vùng cao".')),
    field(t('Nội dung', 'Text'), text, t('Được đọc bằng giọng máy và hiện trên thiết bị.', 'Spoken (text-to-speech) and shown on devices.')),
    h('div', { class: 'inline' },
      field(t('Hết hạn lúc (giờ địa phương)', 'Expires (local time)'), expires, t('dd/mm/yyyy HH:MM; để trống: thời hạn mặc định.', 'dd/mm/yyyy HH:MM; empty: the default expiry.')),
      field(t('Số lần phát', 'Repeat count'), repeat, t('0: phát đến khi hết hạn hoặc bị huỷ.', '0: until it expires or is cancelled.'))),
    field(t('Âm báo trước', 'Tone first'), tone),
    noticePreviewControls('alert', () => ({
      text: (headline.value.trim() ? headline.value.trim() + '\n\n' : '') + text.value.trim(),
      look: live.checked ? 'alert' : 'exercise',
      severity: severity.value,
      zone: allZones.checked ? undefined : zoneBoxes.values()[0],
    }), message),
    explanation,
    h('div', { class: 'actions' }, submit),
  );

  function updateKind() {
    const isLiveAlert = live.checked;
    form.className = 'alert-form ' + (isLiveAlert ? 'live' : 'exercise');
    submit.textContent = isLiveAlert ? t('Phát cảnh báo thật', 'Raise LIVE alert') : t('Bắt đầu diễn tập', 'Start exercise');
    explanation.textContent = isLiveAlert
      ? t('CẢNH BÁO THẬT: ngắt mọi thiết bị trong các khu vực đã chọn khi người vận hành thứ hai xác nhận.',
        'LIVE: this alert interrupts every device in the chosen zones once a second operator confirms it.')
      : t('DIỄN TẬP: thiết bị phát như một buổi tập, có ghi DIỄN TẬP.', 'EXERCISE: devices play it as a drill, marked DIỄN TẬP.');
    zoneBoxes.element.disabled = allZones.checked;
  }
  for (const input of [exercise, live, allZones]) input.addEventListener('change', updateKind);
  updateKind();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      status: live.checked ? 'actual' : 'exercise',
      severity: severity.value,
      headline: headline.value.trim(),
      all_zones: allZones.checked,
      zones: allZones.checked ? [] : zoneBoxes.values(),
      repeat_count: Number(repeat.value || 0),
    };
    if (tone.value) body.tone = tone.value;
    if (text.value.trim()) body.text = text.value.trim();
    if (parseDayTime(expires.value)) body.expires = parseDayTime(expires.value).toISOString();
    submit.disabled = true;
    try {
      const alert = await api.post('/alerts', body);
      message.success(
        (isLive(alert) ? t('Đã phát cảnh báo thật: ', 'LIVE alert raised: ') : t('Đã bắt đầu diễn tập: ', 'Exercise started: ')) + alert.headline + ' — ' + stateText(alert) + '.',
      );
      form.reset();
      updateKind();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
    await refreshList();
    await context.refreshAlerts();
  });

  return h('div', { class: 'panel' }, h('h3', { text: t('Phát cảnh báo', 'Raise an alert') }), form);
}
