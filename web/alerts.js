// Alerts: raise one for some zones or all, live (CAP "Actual") or exercise, confirm a live one
// as a second operator, cancel with one click. The banner (renderAlertBanner) sits above every
// page while an alert is active, with its Cancel button.

import * as api from './api.js';
import { h, clear, badge, checkboxGroup, field, formatTime, messageArea, select, table, describeError } from './dom.js';

function isLive(alert) {
  return alert.live || alert.status === 'actual';
}

function kindLabel(alert) {
  return isLive(alert) ? 'LIVE ALERT' : 'EXERCISE — DIỄN TẬP';
}

function stateText(alert) {
  if (alert.state === 'awaiting-confirmation') return 'awaiting confirmation by a second operator';
  if (alert.state === 'sent') return 'sent to devices';
  return alert.state;
}

function zonesText(alert) {
  return alert.all_zones ? 'all zones' : (alert.zones || []).join(', ');
}

// What the alert's devices are doing, from the fleet view: how many of them play it now, how many
// play something else and how many are offline.
export function deviceSummary(alert, devices) {
  const covered = devices.filter((device) => alert.all_zones || (alert.zones || []).includes(device.zone));
  const playing = covered.filter((device) => device.online && device.now_playing && device.now_playing.source === alert.id).length;
  const offline = covered.filter((device) => !device.online).length;
  const other = covered.length - playing - offline;
  const parts = ['đang phát ' + playing + '/' + covered.length + ' / playing ' + playing + ' of ' + covered.length];
  if (other > 0) parts.push('chưa phát ' + other + ' / not playing it ' + other);
  if (offline > 0) parts.push('ngoại tuyến ' + offline + ' / offline ' + offline);
  return { playing, other, offline, total: covered.length, text: parts.join(' · ') };
}

async function act(alert, verb, context, report) {
  try {
    await api.post('/alerts/' + encodeURIComponent(alert.id) + '/' + verb);
    if (report) report.success(verb === 'cancel' ? 'Alert "' + alert.headline + '" cancelled.' : 'Alert "' + alert.headline + '" confirmed and sent.');
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
    buttons.push(h('button', { type: 'button', class: 'confirm-alert', text: 'Confirm and send', onclick: () => act(alert, 'confirm', context, report) }));
  }
  buttons.push(
    h('button', {
      type: 'button',
      class: 'cancel-alert',
      'aria-label': 'Cancel alert ' + alert.headline,
      text: 'Cancel alert',
      onclick: () => act(alert, 'cancel', context, report),
    }),
  );
  return buttons;
}

export function renderAlertBanner(banner, alerts, context) {
  const active = alerts.filter((alert) => !alert.cancelled);
  banner.hidden = active.length === 0;
  clear(
    banner,
    active.map((alert) =>
      h(
        'div',
        { class: 'alert-item ' + (isLive(alert) ? 'live' : 'exercise'), role: 'region', 'aria-label': kindLabel(alert), dataset: { alert: alert.id } },
        h('span', { class: 'kind', text: kindLabel(alert) }),
        h('span', {}, h('strong', { text: alert.headline }), ' — ', zonesText(alert), ' — ', alert.severity, ' — ', stateText(alert)),
        h('span', { class: 'actions' }, alertButtons(alert, context)),
      ),
    ),
  );
}

export async function render(container, context) {
  const message = messageArea();
  const activeList = h('div', { id: 'active-alerts' });

  async function refreshList() {
    try {
      const answer = await api.get('/alerts');
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
          h('td', {}, badge(isLive(alert) ? 'LIVE' : 'EXERCISE', isLive(alert) ? 'live' : 'exercise')),
          h('td', {}, h('strong', { text: alert.headline }), alert.text ? h('div', { text: alert.text }) : null),
          h('td', { text: zonesText(alert) }),
          h('td', { text: alert.severity }),
          h('td', { text: stateText(alert) }),
          h('td', { class: 'alert-devices', text: alert.state === 'sent' ? deviceSummary(alert, devices).text : '—' }),
          h('td', { text: formatTime(alert.issued) }),
          h('td', { text: formatTime(alert.expires) }),
          h('td', {}, h('div', { class: 'actions' }, alertButtons(alert, context, message))),
        ),
      );
      clear(activeList, table('Active alerts', ['Kind', 'Alert', 'Zones', 'Severity', 'State', 'Thiết bị / Devices', 'Issued', 'Expires', 'Actions'], rows, 'No active alert.'));
    } catch (error) {
      message.error(error);
    }
  }

  const panels = [];
  if (context.can('manageAlerts')) panels.push(await alertForm(context, message, refreshList));
  else panels.push(h('p', { class: 'muted', text: 'Raising and cancelling alerts needs the operator or admin role.' }));

  container.append(h('div', { class: 'panel' }, h('h3', { text: 'Active alerts' }), activeList), message.element, ...panels);
  await refreshList();
  const timer = setInterval(refreshList, 5000);
  return () => clearInterval(timer);
}

async function alertForm(context, message, refreshList) {
  const zones = await api.listAll('/zones');
  const exercise = h('input', { type: 'radio', name: 'status', value: 'exercise', checked: true, id: 'alert-status-exercise' });
  const live = h('input', { type: 'radio', name: 'status', value: 'actual', id: 'alert-status-live' });
  const allZones = h('input', { type: 'checkbox', name: 'all_zones', id: 'alert-all-zones' });
  const zoneBoxes = checkboxGroup('Zones', 'zones', zones.map((zone) => [zone.id, zone.name + ' (' + zone.id + ')']));
  const severity = select('severity', [['minor', 'minor'], ['moderate', 'moderate'], ['severe', 'severe'], ['extreme', 'extreme']], 'severe');
  const headline = h('input', { name: 'headline', required: true, maxlength: 200, id: 'alert-headline' });
  const text = h('textarea', { name: 'text', id: 'alert-text', rows: 3, required: true });
  const expires = h('input', { type: 'datetime-local', name: 'expires', id: 'alert-expires' });
  const repeat = h('input', { type: 'number', name: 'repeat_count', min: 0, max: 100, value: '0', id: 'alert-repeat' });
  const tone = select('tone', [['', 'Tự động / automatic (còi cho cảnh báo khẩn cấp thật / siren for a live extreme alert)'], ['siren', 'Còi báo động / siren'], ['chime', 'Chuông / chime'], ['none', 'Không / none']], '');
  const submit = h('button', { type: 'submit', id: 'alert-submit' });
  const explanation = h('p', { id: 'alert-explanation' });

  const form = h(
    'form',
    { class: 'alert-form exercise', id: 'alert-form' },
    h(
      'fieldset',
      { class: 'status-choice' },
      h('legend', { text: 'Kind of alert' }),
      h('label', { class: 'exercise', for: 'alert-status-exercise' }, exercise, h('strong', { text: 'Exercise (diễn tập)' }), 'A drill: goes out at once, headline starts with "DIỄN TẬP".'),
      h('label', { class: 'live', for: 'alert-status-live' }, live, h('strong', { text: 'LIVE alert' }), 'A real emergency: a second operator must confirm it.'),
    ),
    h('div', { class: 'field' }, h('label', { class: 'check' }, allZones, ' All zones')),
    zoneBoxes.element,
    field('Severity', severity),
    field('Headline', headline, 'Vietnamese is fine: "Lũ quét — di chuyển lên vùng cao".'),
    field('Text', text, 'Spoken (text-to-speech) and shown on devices.'),
    h('div', { class: 'inline' }, field('Expires (local time)', expires, 'Empty: the default expiry.'), field('Repeat count', repeat, 'Số lần phát; 0 = đến khi hết hạn hoặc bị huỷ / 0: until it expires or is cancelled.')),
    field('Âm báo trước / tone first', tone),
    explanation,
    h('div', { class: 'actions' }, submit),
  );

  function updateKind() {
    const isLiveAlert = live.checked;
    form.className = 'alert-form ' + (isLiveAlert ? 'live' : 'exercise');
    submit.textContent = isLiveAlert ? 'Raise LIVE alert' : 'Start exercise';
    explanation.textContent = isLiveAlert
      ? 'LIVE: this alert interrupts every device in the chosen zones once a second operator confirms it.'
      : 'EXERCISE: devices play it as a drill, marked DIỄN TẬP.';
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
    if (expires.value) body.expires = new Date(expires.value).toISOString();
    submit.disabled = true;
    try {
      const alert = await api.post('/alerts', body);
      message.success(
        (isLive(alert) ? 'LIVE alert raised: ' : 'Exercise started: ') + alert.headline + ' — ' + stateText(alert) + '.',
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

  return h('div', { class: 'panel' }, h('h3', { text: 'Raise an alert' }), form);
}
