// Reports: plays per campaign, planned vs delivered (under-delivery flagged) and device
// uptime over a range of days, each also as a CSV download.

import * as api from './api.js';
import { h, clear, badge, field, formatAgo, messageArea, table } from './dom.js';

function localDate(offsetDays) {
  const date = new Date(Date.now() + offsetDays * 86400000);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

// A local date's midnight as UTC.
function startOfDay(day) {
  return new Date(day + 'T00:00:00').toISOString();
}

function percent(ratio) {
  return ratio === null || ratio === undefined ? '—' : Math.round(ratio * 1000) / 10 + ' %';
}

export async function render(container) {
  const from = h('input', { type: 'date', id: 'report-from', value: localDate(-7), required: true });
  const to = h('input', { type: 'date', id: 'report-to', value: localDate(0), required: true });
  const message = messageArea();
  const output = h('div', { id: 'report-output' });
  const form = h('form', { class: 'inline', id: 'report-form' },
    field('From (local day)', from), field('To (local day, inclusive)', to),
    h('div', { class: 'field' }, h('button', { type: 'submit', text: 'Show reports' })));

  async function show() {
    message.clear();
    const range = { from: startOfDay(from.value), to: new Date(new Date(startOfDay(to.value)).getTime() + 86400000).toISOString() };
    const csv = (name) => h('a', { href: api.apiUrl('/reports/' + name, { ...range, format: 'csv' }), download: name + '-' + from.value + '-' + to.value + '.csv', class: 'csv-link', text: 'Download CSV' });
    try {
      const [plays, delivery, uptime] = await Promise.all([
        api.get('/reports/plays', range), api.get('/reports/delivery', range), api.get('/reports/uptime', range),
      ]);
      const deliveryRows = delivery.items.map((item) =>
        h('tr', { class: item.under_delivered ? 'flagged' : undefined, dataset: { campaign: item.campaign } },
          h('td', { text: item.campaign }), h('td', { text: String(item.planned) }), h('td', { text: String(item.delivered) }),
          h('td', { text: percent(item.ratio) }),
          h('td', {}, item.under_delivered ? badge('under-delivered', 'warn') : badge('ok', 'ok'))));
      const playRows = plays.items.map((item) => [item.campaign, item.day, item.zone, String(item.completed), String(item.cut_short ?? 0),
        String(item.interrupted), String(item.failed), ((item.played_ms ?? 0) / 1000).toFixed(1), String(item.muted ?? 0),
        ((item.relayed_ms ?? 0) / 1000).toFixed(1), String(item.source_losses ?? 0)]);
      const uptimeRows = uptime.items.map((item) => [item.device, item.zone, item.online ? badge('online', 'ok') : badge('offline', 'bad'), formatAgo(item.last_seen), percent(item.uptime)]);
      clear(output,
        h('div', { class: 'panel' }, h('h3', { text: 'Planned vs delivered' }), csv('delivery'),
          table('Planned vs delivered per campaign', ['Campaign', 'Planned', 'Delivered', 'Ratio', ''], deliveryRows, 'No campaign was planned in this range.')),
        h('div', { class: 'panel' }, h('h3', { text: 'Plays per campaign' }), csv('plays'),
          table('Plays per campaign, day and zone', ['Campaign', 'Day', 'Zone', 'Completed', 'Cut short', 'Interrupted', 'Failed', 'Played (s)', 'Muted', 'Relayed (s)', 'Source losses'], playRows, 'No plays reported in this range.')),
        h('div', { class: 'panel' }, h('h3', { text: 'Device uptime' }), csv('uptime'),
          table('Uptime per device', ['Device', 'Zone', 'Now', 'Last seen', 'Uptime'], uptimeRows, 'No devices.')));
    } catch (error) {
      clear(output);
      message.error(error);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  container.append(h('div', { class: 'panel' }, form), message.element, output);
  await show();
}
