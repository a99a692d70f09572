// Reports: planned vs delivered (by campaign, zone or local day; under-delivery flagged),
// plays per day, alert plays and device uptime over a range of days. Each as a chart drawn by
// chart.js and as a table with the same numbers (tables scroll inside their panel on a
// phone), each also as a CSV download (Vietnamese headers first, docs/api.md "Reports").

import * as api from './api.js';
import { h, clear, badge, dayInput, dayToIso, field, messageArea, table } from './dom.js';
import { t, formatDateTime, formatNumber } from './i18n.js';
import { barChart, pairedBarChart } from './chart.js';

const plannedColour = '#9fb3c8';
const deliveredColour = '#0b5cad';
const uptimeColour = '#1d6b34';

function localDate(offsetDays) {
  const date = new Date(Date.now() + offsetDays * 86400000);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

// A local date's midnight as UTC.
function startOfDay(day) {
  return new Date(day + 'T00:00:00').toISOString();
}

// YYYY-MM-DD (a device's local day, as the API names it) as dd/mm/yyyy.
function dayText(day) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return parts ? `${parts[3]}/${parts[2]}/${parts[1]}` : day || '—';
}

// Every YYYY-MM-DD from `first` to `last` inclusive (at most 92).
function daysBetween(first, last) {
  const days = [];
  for (let at = new Date(first + 'T12:00:00Z'); days.length < 93; at = new Date(at.getTime() + 86400000)) {
    const day = at.toISOString().slice(0, 10);
    if (day > last) break;
    days.push(day);
  }
  return days;
}

function percent(ratio) {
  return ratio === null || ratio === undefined ? '—' : formatNumber(Math.round(ratio * 1000) / 10, 1) + ' %';
}

function seconds(milliseconds) {
  return formatNumber((milliseconds ?? 0) / 1000, 1);
}

function count(value) {
  return formatNumber(value ?? 0);
}

// A table inside a container that scrolls sideways on a narrow screen.
function scrolling(element) {
  return h('div', { class: 'table-scroll' }, element);
}

const groupings = [
  ['campaign', () => t('Theo chiến dịch', 'By campaign')],
  ['zone', () => t('Theo khu vực', 'By zone')],
  ['day', () => t('Theo ngày', 'By day')],
  ['campaign,zone,day', () => t('Chiến dịch × khu vực × ngày', 'Campaign × zone × day')],
];

// Campaigns, zones and devices by the names the office gave them (an id the lists do not hold,
// e.g. of a deleted zone, shows as itself).
const names = { campaigns: new Map(), zones: new Map(), devices: new Map() };
const named = (kind, id) => names[kind].get(id) || id;

async function loadNames() {
  const lists = await Promise.all(['campaigns', 'zones', 'devices'].map((kind) => api.listAll('/' + kind).catch(() => [])));
  ['campaigns', 'zones', 'devices'].forEach((kind, index) => {
    names[kind] = new Map(lists[index].map((entry) => [entry.id, entry.name || entry.id]));
  });
}

function deliveryLabel(item, group) {
  const parts = [];
  if (group.includes('campaign')) parts.push(named('campaigns', item.campaign));
  if (group.includes('zone')) parts.push(item.zone ? named('zones', item.zone) : t('(không có khu vực)', '(no zone)'));
  if (group.includes('day')) parts.push(dayText(item.day));
  return parts.join(' · ');
}

function severityText(severity) {
  return {
    minor: t('nhẹ', 'minor'),
    moderate: t('trung bình', 'moderate'),
    severe: t('nghiêm trọng', 'severe'),
    extreme: t('cực kỳ nghiêm trọng', 'extreme'),
  }[severity] || severity || '—';
}

function statusBadge(status) {
  if (status === 'actual') return badge(t('thật', 'actual'), 'live');
  if (status === 'exercise') return badge(t('diễn tập', 'exercise'), 'exercise');
  return badge(t('đã xóa', 'gone'), 'neutral');
}

export async function render(container) {
  // Days typed dd/mm/yyyy as everywhere in the console (a date input would follow the
  // browser's language, mm/dd/yyyy in an English browser).
  const from = dayInput({ id: 'report-from', required: true }, localDate(-7));
  const to = dayInput({ id: 'report-to', required: true }, localDate(0));
  const group = h('select', { id: 'report-group' },
    groupings.map(([value, label]) => h('option', { value, text: label() })));
  const message = messageArea();
  const output = h('div', { id: 'report-output' });
  const form = h('form', { class: 'inline', id: 'report-form' },
    field(t('Từ ngày', 'From (local day)'), from), field(t('Đến ngày (tính cả ngày này)', 'To (local day, inclusive)'), to),
    field(t('Kế hoạch và thực phát', 'Planned vs delivered'), group),
    h('div', { class: 'field' }, h('button', { type: 'submit', text: t('Xem báo cáo', 'Show reports') })));

  async function show() {
    message.clear();
    const [first, last] = [dayToIso(from.value), dayToIso(to.value)];
    if (!first || !last || first > last) {
      message.error({ code: 'invalid-input', detail: t('Từ ngày và đến ngày có dạng dd/mm/yyyy, ngày đầu không sau ngày cuối', 'From and to are dd/mm/yyyy days, the first not after the last') });
      return;
    }
    const range = { from: startOfDay(first), to: new Date(new Date(startOfDay(last)).getTime() + 86400000).toISOString() };
    const grouping = group.value;
    const csv = (name, extra = {}) => h('a', {
      href: api.apiUrl('/reports/' + name, { ...range, ...extra, format: 'csv' }),
      download: name + '-' + first + '-' + last + '.csv',
      class: 'csv-link',
      text: t('Tải CSV', 'Download CSV'),
    });
    try {
      const [plays, delivery, alerts, uptime] = await Promise.all([
        api.get('/reports/plays', range), api.get('/reports/delivery', { ...range, group: grouping }),
        api.get('/reports/alerts', range), api.get('/reports/uptime', range),
      ]);
      clear(output,
        deliveryPanel(delivery.items, grouping, csv('delivery', grouping === 'campaign' ? {} : { group: grouping })),
        playsPanel(plays.items, daysBetween(first, last), csv('plays')),
        alertsPanel(alerts.items, csv('alerts')),
        uptimePanel(uptime.items, csv('uptime')));
    } catch (error) {
      clear(output);
      message.error(error);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  group.addEventListener('change', () => show());
  container.append(h('div', { class: 'panel' }, form), message.element, output);
  await loadNames();
  await show();
}

function deliveryPanel(items, grouping, csvLink) {
  const title = t('Kế hoạch và thực phát', 'Planned vs delivered');
  const labels = items.map((item) => deliveryLabel(item, grouping));
  const rows = items.map((item, index) =>
    h('tr', { class: item.under_delivered ? 'flagged' : undefined, dataset: { campaign: item.campaign, zone: item.zone, day: item.day } },
      h('td', { text: labels[index] }), h('td', { class: 'number', text: count(item.planned) }),
      h('td', { class: 'number', text: count(item.delivered) }), h('td', { class: 'number', text: percent(item.ratio) }),
      h('td', {}, item.under_delivered ? badge(t('phát thiếu', 'under-delivered'), 'warn') : badge(t('đạt', 'ok'), 'ok'))));
  const key = { campaign: t('Chiến dịch', 'Campaign'), zone: t('Khu vực', 'Zone'), day: t('Ngày', 'Day') };
  const keyHeader = grouping.split(',').map((part) => key[part]).join(' · ');
  return h('div', { class: 'panel' }, h('h3', { text: title }),
    h('p', { class: 'hint', text: t(
      'Kế hoạch chỉ tính thời gian đã qua, khi chiến dịch đã được duyệt và thiết bị đã đăng ký và trong giờ bật. Dưới 90 % kế hoạch bị đánh dấu.',
      'Planned counts only time that has passed while the campaign was approved and the device registered and within its on-hours. Under 90 % of plan is flagged.') }),
    csvLink,
    items.length ? pairedBarChart({
      name: 'delivery', title: title + ' — ' + keyHeader,
      description: t('Số lượt theo kế hoạch và đã phát; các số cũng có trong bảng dưới.', 'Plays planned and delivered; the numbers are also in the table below.'),
      labels,
      series: [
        { name: t('Kế hoạch', 'Planned'), values: items.map((item) => item.planned), colour: plannedColour },
        { name: t('Đã phát', 'Delivered'), values: items.map((item) => item.delivered), colour: deliveredColour },
      ],
      format: count, flagged: (index) => items[index].under_delivered,
    }) : null,
    scrolling(table(title + ' — ' + keyHeader,
      [keyHeader, t('Kế hoạch', 'Planned'), t('Đã phát', 'Delivered'), t('Tỉ lệ', 'Ratio'), ''], rows,
      t('Không có chiến dịch nào được lên kế hoạch trong khoảng này.', 'No campaign was planned in this range.'))));
}

function playsPanel(items, rangeDays, csvLink) {
  const title = t('Số lượt phát theo ngày', 'Plays per day');
  const perDay = new Map(rangeDays.map((day) => [day, 0]));
  for (const item of items) perDay.set(item.day, (perDay.get(item.day) ?? 0) + (item.completed ?? 0));
  const days = [...perDay.keys()].sort();
  const rows = items.map((item) => [named('campaigns', item.campaign), dayText(item.day), named('zones', item.zone), count(item.completed), count(item.cut_short),
    count(item.interrupted), count(item.failed), seconds(item.played_ms), count(item.muted), seconds(item.relayed_ms),
    count(item.source_losses)]);
  return h('div', { class: 'panel' }, h('h3', { text: title }), csvLink,
    barChart({
      name: 'plays-per-day', title: t('Lượt phát trọn mỗi ngày (mọi chiến dịch)', 'Completed plays per day (all campaigns)'),
      description: t('Theo ngày địa phương của thiết bị; chi tiết trong bảng dưới.', 'By the devices\' local day; the details are in the table below.'),
      labels: days.map(dayText), values: days.map((day) => perDay.get(day)), format: count, colour: deliveredColour,
    }),
    scrolling(table(t('Lượt phát theo chiến dịch, ngày và khu vực', 'Plays per campaign, day and zone'),
      [t('Chiến dịch', 'Campaign'), t('Ngày', 'Day'), t('Khu vực', 'Zone'), t('Phát trọn', 'Completed'), t('Phát thiếu', 'Cut short'),
        t('Bị ngắt', 'Interrupted'), t('Không phát được', 'Failed'), t('Đã phát (giây)', 'Played (s)'), t('Không có tiếng', 'Muted'),
        t('Tiếp sóng (giây)', 'Relayed (s)'), t('Lần mất nguồn', 'Source losses')], rows,
      t('Không có lượt phát nào trong khoảng này.', 'No plays reported in this range.'))));
}

function alertsPanel(items, csvLink) {
  const title = t('Cảnh báo đã phát', 'Alerts played');
  const rows = items.map((item) => h('tr', { dataset: { alert: item.alert } },
    h('td', { text: item.headline || item.alert }), h('td', { text: severityText(item.severity) }), h('td', {}, statusBadge(item.status)),
    h('td', { class: 'number', text: count(item.devices) }), h('td', { class: 'number', text: count(item.completed) }),
    h('td', { class: 'number', text: count(item.interrupted) }), h('td', { class: 'number', text: count(item.failed) }),
    h('td', { text: formatDateTime(new Date(item.first_played).getTime()) })));
  return h('div', { class: 'panel' }, h('h3', { text: title }), csvLink,
    scrolling(table(t('Lượt phát của từng cảnh báo', 'Plays of each alert'),
      [t('Cảnh báo', 'Alert'), t('Mức độ', 'Severity'), t('Loại', 'Status'), t('Số thiết bị', 'Devices'),
        t('Phát trọn', 'Completed'), t('Bị ngắt', 'Interrupted'), t('Không phát được', 'Failed'), t('Phát lần đầu', 'First played')],
      rows, t('Không có cảnh báo nào được phát trong khoảng này.', 'No alert was played in this range.'))));
}

function uptimePanel(items, csvLink) {
  const title = t('Thời gian hoạt động của thiết bị', 'Device uptime');
  const rows = items.map((item) => h('tr', { dataset: { device: item.device } },
    h('td', { text: named('devices', item.device) }), h('td', { text: named('zones', item.zone) }),
    h('td', {}, item.online ? badge(t('trực tuyến', 'online'), 'ok') : badge(t('ngoại tuyến', 'offline'), 'bad')),
    h('td', { text: item.last_seen ? formatDateTime(new Date(item.last_seen).getTime()) : t('chưa bao giờ', 'never') }),
    h('td', { class: 'number', text: percent(item.uptime) })));
  return h('div', { class: 'panel' }, h('h3', { text: title }), csvLink,
    items.length ? barChart({
      name: 'uptime', title: t('Tỉ lệ thời gian trực tuyến của mỗi thiết bị', 'Share of time each device was online'),
      description: t('Từ lịch sử kết nối trong khoảng; các số cũng có trong bảng dưới.', 'From the presence history in the range; the numbers are also in the table below.'),
      labels: items.map((item) => named('devices', item.device)), values: items.map((item) => item.uptime ?? 0), max: 1, format: percent,
      colour: uptimeColour,
    }) : null,
    scrolling(table(t('Thời gian hoạt động theo thiết bị', 'Uptime per device'),
      [t('Thiết bị', 'Device'), t('Khu vực', 'Zone'), t('Hiện tại', 'Now'), t('Lần cuối liên lạc', 'Last seen'), t('Tỉ lệ hoạt động', 'Uptime')],
      rows, t('Chưa có thiết bị nào.', 'No devices.'))));
}
