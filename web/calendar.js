// Calendar: what plays when, per device, zone or campaign, over a week or a month, from the
// server's summary (GET /calendar: per local day, already summed per campaign): fixed-time
// bulletins as events at their times, loops and share of voice as bands over their windows,
// alerts as red spans. Also dayLane(): a device's day as a zoomable lane (used by the campaigns
// section's "preview a device's day"), which draws only what is in view.

import * as api from './api.js';
import { h, clear, badge, dayInput, dayToIso, field, messageArea, scrollBox, select } from './dom.js';
import { t, formatNumber, formatTime as clockOf } from './i18n.js';
import { levelLabel, modeLabel, nameText, reasonLabel, severityLabel, sourceKindLabel, endingLabel } from './words.js';

const weekdayNames = () => [t('T2', 'Mon'), t('T3', 'Tue'), t('T4', 'Wed'), t('T5', 'Thu'), t('T6', 'Fri'), t('T7', 'Sat'), t('CN', 'Sun')];

// yyyy-mm-dd arithmetic in UTC (days only).

// "1 thiết bị", "1 device", "3 devices".
const deviceCount = (count) => t(formatNumber(count) + ' thiết bị', formatNumber(count) + (count === 1 ? ' device' : ' devices'));
function isoDay(date) {
  return date.toISOString().slice(0, 10);
}
function parseIso(day) {
  const [year, month, date] = day.split('-').map(Number);
  return new Date(Date.UTC(year, month - 1, date));
}
function addDays(day, count) {
  const date = parseIso(day);
  date.setUTCDate(date.getUTCDate() + count);
  return isoDay(date);
}
function weekdayIndex(day) {
  return (parseIso(day).getUTCDay() + 6) % 7;  // Monday 0
}
function dayLabel(day) {
  const [year, month, date] = day.split('-');
  return weekdayNames()[weekdayIndex(day)] + ' ' + date + '/' + month + (year ? '' : '');
}
function todayIso() {
  const now = new Date();
  return isoDay(new Date(now.getTime() - now.getTimezoneOffset() * 60000));
}

// A campaign's colour class: one of eight, the same for the same id everywhere.
function hueClass(id) {
  let hash = 0;
  for (const char of String(id)) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return 'hue-' + (hash % 8);
}

function minutesOf(clock) {
  const [hours, minutes] = clock.split(':').map(Number);
  return hours * 60 + minutes;
}

function itemText(item) {
  // An exercise's headline already begins with "DIỄN TẬP".
  if (item.kind === 'alert') return t('Cảnh báo', 'Alert') + ': ' + item.name;
  return item.name;
}

function bandTitle(item, band) {
  const plays = t(formatNumber(band.plays) + ' lần phát', formatNumber(band.plays) + ' plays');
  return item.name + ' · ' + modeLabel(item.kind) + ' · ' + band.from + '–' + band.to + ' · ' + plays;
}

function eventTitle(item, event) {
  const media = event.media.map((name) => nameText(name) || t('(không tên)', '(no name)')).join(', ');
  return event.at + ' · ' + item.name + ' · ' + media + ' · ' + deviceCount(event.devices);
}

function alertTitle(item, span) {
  return span.from + '–' + span.to + ' · ' + itemText(item) + ' · ' + severityLabel(item.severity);
}

// Week: seven day columns over 24 hours (1 px a minute / 2), blocks placed by their local times.
function weekView(answer) {
  const hourHeight = 24;
  const hours = h('div', { class: 'cal-hours', 'aria-hidden': 'true' },
    Array.from({ length: 24 }, (_, hour) => h('div', { class: 'cal-hour', text: String(hour).padStart(2, '0') + ':00' })));
  const columns = answer.days.map((day) => {
    const lane = h('div', { class: 'cal-lane' });
    lane.style.height = 24 * hourHeight + 'px';
    const place = (element, from, to) => {
      const start = minutesOf(from);
      const end = Math.max(minutesOf(to), start + 12);
      element.style.top = (start / 60) * hourHeight + 'px';
      element.style.height = Math.max(((end - start) / 60) * hourHeight, 14) + 'px';
      lane.append(element);
    };
    const list = [];
    for (const item of day.items) {
      for (const band of item.bands || []) {
        place(h('div', { class: 'cal-band ' + hueClass(item.campaign), title: bandTitle(item, band), dataset: { campaign: item.campaign } },
          h('span', { text: item.name + ' (' + formatNumber(band.plays) + ')' })), band.from, band.to);
        list.push(band.from + '–' + band.to + ' ' + item.name + ' · ' + t(formatNumber(band.plays) + ' lần', formatNumber(band.plays) + ' plays'));
      }
      for (const event of item.events || []) {
        place(h('div', { class: 'cal-event ' + hueClass(item.campaign), title: eventTitle(item, event), dataset: { campaign: item.campaign } },
          h('strong', { text: event.at }), ' ', item.name), event.at, clockOf(Date.parse(event.end), answer.time_zone));
        list.push(event.at + ' ' + item.name);
      }
      for (const span of item.spans || []) {
        place(h('div', { class: 'cal-alert', title: alertTitle(item, span), dataset: { alert: item.alert } }, h('span', { text: itemText(item) })), span.from, span.to);
        list.push(span.from + '–' + span.to + ' ' + itemText(item));
      }
    }
    return h('div', { class: 'cal-day', dataset: { day: day.day } },
      h('h4', { text: dayLabel(day.day) }),
      lane,
      h('ul', { class: 'visually-hidden' }, list.map((text) => h('li', { text }))));
  });
  return scrollBox(h('div', { class: 'cal-week' }, hours, columns), t('Lịch tuần', 'Week calendar'));
}

// Month: a grid of days, each listing its bulletins (with times), bands and alerts.
function monthView(answer) {
  const first = answer.days[0].day;
  const cells = [];
  for (let index = 0; index < weekdayIndex(first); index += 1) cells.push(h('div', { class: 'cal-cell empty', 'aria-hidden': 'true' }));
  for (const day of answer.days) {
    const lines = [];
    for (const item of day.items) {
      if (item.kind === 'alert') {
        for (const span of item.spans) lines.push(h('li', { class: 'cal-alert-line', title: alertTitle(item, span), text: span.from + '–' + span.to + ' ' + itemText(item) }));
      }
      for (const event of item.events || []) lines.push(h('li', { class: 'cal-event-line ' + hueClass(item.campaign), title: eventTitle(item, event) }, h('strong', { text: event.at }), ' ' + item.name));
      for (const band of item.bands || []) {
        lines.push(h('li', { class: 'cal-band-line ' + hueClass(item.campaign), title: bandTitle(item, band),
          text: band.from + '–' + band.to + ' ' + item.name + ' (' + formatNumber(band.plays) + ')' }));
      }
    }
    cells.push(h('div', { class: 'cal-cell', dataset: { day: day.day } },
      h('div', { class: 'cal-date', text: dayLabel(day.day) }),
      lines.length ? h('ul', {}, lines) : h('p', { class: 'muted', text: t('Không phát gì', 'Nothing plays') })));
  }
  return scrollBox(h('div', { class: 'cal-month' },
    weekdayNames().map((name) => h('div', { class: 'cal-weekday', 'aria-hidden': 'true', text: name })), cells), t('Lịch tháng', 'Month calendar'));
}

// A short list of what the range holds, per campaign (for reading without the grid).
function summary(answer) {
  const totals = new Map();
  for (const day of answer.days) {
    for (const item of day.items) {
      const key = item.kind === 'alert' ? 'alert:' + item.alert : item.campaign;
      const entry = totals.get(key) || { item, plays: 0, days: 0 };
      entry.plays += item.plays || 0;
      entry.days += 1;
      totals.set(key, entry);
    }
  }
  if (!totals.size) return h('p', { class: 'muted', text: t('Không có gì phát trong khoảng này.', 'Nothing plays in this range.') });
  return h('ul', { class: 'cal-legend' }, [...totals.values()].map(({ item, plays, days }) =>
    h('li', { class: item.kind === 'alert' ? 'cal-alert-line' : hueClass(item.campaign) },
      h('strong', { text: itemText(item) }), ' — ',
      item.kind === 'alert' ? severityLabel(item.severity) : modeLabel(item.kind) + (item.level && item.level !== 'normal' ? ', ' + levelLabel(item.level) : ''),
      ' · ', item.kind === 'alert' ? t(days + ' ngày', days + ' days') : t(formatNumber(plays) + ' lần phát trong ' + days + ' ngày', formatNumber(plays) + ' plays over ' + days + ' days'))));
}

export async function render(container) {
  const message = messageArea();
  const [devices, zones, campaigns] = await Promise.all([
    api.listAll('/devices').catch(() => []), api.listAll('/zones').catch(() => []), api.listAll('/campaigns').catch(() => []),
  ]);
  const choices = {
    device: devices.filter((device) => !device.revoked).map((device) => [device.id, device.name || device.id]),
    zone: zones.map((zone) => [zone.id, zone.name || zone.id]),
    campaign: campaigns.filter((campaign) => campaign.approval !== 'archived').map((campaign) => [campaign.id, campaign.name || campaign.id]),
  };
  const scope = select('scope', [['device', t('Thiết bị', 'Device')], ['zone', t('Khu vực', 'Zone')], ['campaign', t('Chiến dịch', 'Campaign')]], 'device');
  scope.id = 'calendar-scope';
  const target = select('target', choices.device);
  target.id = 'calendar-target';
  const view = select('view', [['week', t('Tuần', 'Week')], ['month', t('Tháng', 'Month')]], 'week');
  view.id = 'calendar-view';
  const day = dayInput({ name: 'day', id: 'calendar-day', required: true }, todayIso());
  const output = h('div', { id: 'calendar-output', 'aria-live': 'polite' });
  scope.addEventListener('change', () => {
    clear(target, choices[scope.value].map(([value, label]) => h('option', { value, text: label })));
  });

  function range() {
    const chosen = dayToIso(day.value) || todayIso();
    if (view.value === 'month') {
      const first = chosen.slice(0, 8) + '01';
      const next = parseIso(first);
      next.setUTCMonth(next.getUTCMonth() + 1);
      return [first, addDays(isoDay(next), -1)];
    }
    const monday = addDays(chosen, -weekdayIndex(chosen));
    return [monday, addDays(monday, 6)];
  }

  async function show() {
    message.clear();
    if (!target.value) {
      message.error({ code: 'invalid-input', detail: t('hãy chọn thiết bị, khu vực hoặc chiến dịch', 'choose a device, a zone or a campaign') });
      return;
    }
    const [from, to] = range();
    try {
      const answer = await api.get('/calendar', { [scope.value]: target.value, from, to });
      // A ticker campaign scrolls along the bottom band of screens: say so wherever it is named.
      for (const day of answer.days) {
        for (const item of day.items) {
          if (item.region === 'ticker') item.name += ' (' + t('chữ chạy', 'ticker') + ')';
        }
      }
      const title = answer.scope.name + ' · ' + from.split('-').reverse().join('/') + ' – ' + to.split('-').reverse().join('/');
      clear(output,
        h('h3', { id: 'calendar-title', text: title }),
        h('p', { class: 'muted', text: t(formatNumber(answer.devices) + ' thiết bị; giờ ' + answer.time_zone + '.', formatNumber(answer.devices) + (answer.devices === 1 ? ' device; ' : ' devices; ') + answer.time_zone + ' time.') }),
        h('div', { class: 'cal-key' }, badge(t('Phát theo giờ cố định', 'At fixed times'), 'info'), ' ', badge(t('Phát lặp / N lần mỗi giờ', 'Loop / N times an hour'), 'neutral'), ' ', badge(t('Cảnh báo', 'Alert'), 'bad')),
        view.value === 'month' ? monthView(answer) : weekView(answer),
        summary(answer));
    } catch (error) {
      clear(output);
      message.error(error);
    }
  }

  function shift(direction) {
    const [from] = range();
    let next;
    if (view.value === 'month') {
      const date = parseIso(from);
      date.setUTCMonth(date.getUTCMonth() + direction);
      next = isoDay(date);
    } else {
      next = addDays(from, 7 * direction);
    }
    day.value = next.split('-').reverse().join('/');
    show();
  }

  const form = h('form', { id: 'calendar-form', class: 'inline' },
    field(t('Xem theo', 'By'), scope), field(t('Tên', 'Name'), target), field(t('Kiểu xem', 'View'), view), field(t('Ngày', 'Day'), day),
    h('div', { class: 'field' }, h('button', { type: 'submit', id: 'calendar-show', text: t('Xem lịch', 'Show calendar') })),
    h('div', { class: 'field actions' },
      h('button', { type: 'button', class: 'secondary', id: 'calendar-previous', text: t('‹ Trước', '‹ Previous'), onclick: () => shift(-1) }),
      h('button', { type: 'button', class: 'secondary', id: 'calendar-next', text: t('Sau ›', 'Next ›'), onclick: () => shift(1) })));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  view.addEventListener('change', show);
  container.append(h('div', { class: 'panel' }, form), message.element, h('div', { class: 'panel' }, output));
  if (target.value) await show();
}

// ---- a device's day as a lane ----

const zooms = [
  { hours: 24, label: () => t('Cả ngày', 'Whole day') },
  { hours: 6, label: () => t('6 giờ', '6 hours') },
  { hours: 1, label: () => t('1 giờ', '1 hour') },
];

// The lane of a timeline answer (GET /devices/{id}/timeline). `names` maps campaigns and media
// to their names. Only the entries in view are drawn; entries narrower than 3 px merge with
// their neighbours of the same source into one block ("N lần phát").
export function dayLane(answer, names) {
  const zone = answer.time_zone;
  const dayStart = Date.parse(answer.from);
  const dayEnd = Date.parse(answer.to);
  const length = dayEnd - dayStart;
  const entries = answer.entries.map((entry) => ({ entry, start: Date.parse(entry.start), end: Date.parse(entry.end) }));
  let zoom = 0;
  // One formatter each for the lane (Intl.DateTimeFormat is costly to make, cheap to use).
  const clockFormat = (seconds) => new Intl.DateTimeFormat('en-GB', {
    timeZone: zone, hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined, hourCycle: 'h23',
  });
  const withSeconds = clockFormat(true);
  const withoutSeconds = clockFormat(false);
  const clock = (ms, seconds = false) => (seconds ? withSeconds : withoutSeconds).format(new Date(ms));

  const track = h('div', { class: 'lane-track' });
  const ruler = h('div', { class: 'lane-ruler', 'aria-hidden': 'true' });
  const inner = h('div', { class: 'lane-inner' }, ruler, track);
  const viewport = h('div', { class: 'lane-viewport', tabindex: '0', role: 'region', 'aria-label': t('Lịch phát theo giờ', 'Timeline by hour') }, inner);
  const visible = h('p', { class: 'muted lane-status', 'aria-live': 'polite' });

  const sourceName = (entry) => (entry.source_kind === 'campaign' ? names.campaigns.get(entry.source) || entry.source : sourceKindLabel(entry.source_kind) + ' ' + entry.source);
  const mediaName = (entry) => names.media.get(entry.media) || t('(nội dung không tên)', '(unnamed media)');

  function width() {
    return viewport.clientWidth * (24 / zooms[zoom].hours);
  }

  // First entry ending after `time` (entries are in time order).
  function firstAfter(time) {
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (entries[middle].end <= time) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  let frame = 0;
  function draw() {
    frame = 0;
    const total = width();
    inner.style.width = total + 'px';
    const perMs = total / length;
    const from = dayStart + viewport.scrollLeft / perMs;
    const to = from + viewport.clientWidth / perMs;
    const blocks = [];
    let shown = 0;
    let index = firstAfter(from);
    while (index < entries.length && entries[index].start < to) {
      const first = entries[index];
      let last = first;
      let count = 1;
      // Merge narrow neighbours of the same source.
      while ((last.end - first.start) * perMs < 3 && index + 1 < entries.length && entries[index + 1].entry.source === first.entry.source && entries[index + 1].start < to) {
        index += 1;
        last = entries[index];
        count += 1;
      }
      index += 1;
      shown += count;
      const left = (first.start - dayStart) * perMs;
      const span = Math.max((last.end - first.start) * perMs, 1);
      const entry = first.entry;
      const times = clock(first.start, true) + '–' + clock(last.end, true);
      const label = count > 1
        ? sourceName(entry) + ' · ' + t(formatNumber(count) + ' lần phát', formatNumber(count) + ' plays')
        : mediaName(entry) + ' · ' + sourceName(entry);
      const title = times + ' · ' + label + (count > 1 ? '' : ' · ' + reasonLabel(entry.reason) + ' · ' + endingLabel(entry.ending));
      const block = h('div', {
        class: 'lane-block ' + (entry.source_kind === 'alert' ? 'lane-alert' : hueClass(entry.source)) + (entry.reason === 'fixed_time' ? ' lane-fixed' : ''),
        title, dataset: { source: entry.source, start: entry.start },
      }, span > 40 ? h('span', { text: label }) : null);
      block.style.left = left + 'px';
      block.style.width = span + 'px';
      blocks.push(block);
    }
    track.replaceChildren(...blocks);
    const marks = [];
    const step = zooms[zoom].hours === 1 ? 10 : zooms[zoom].hours === 6 ? 60 : 120;
    for (let minute = 0; minute < 24 * 60; minute += step) {
      const at = dayStart + minute * 60000;
      if (at < from - 3600000 || at > to) continue;
      const mark = h('span', { class: 'lane-mark', text: clock(at) });
      mark.style.left = (at - dayStart) * perMs + 'px';
      marks.push(mark);
    }
    ruler.replaceChildren(...marks);
    visible.textContent = t(
      clock(from) + '–' + clock(Math.min(to, dayEnd)) + ': ' + formatNumber(shown) + ' lần phát trong khung nhìn (' + formatNumber(entries.length) + ' cả ngày).',
      clock(from) + '–' + clock(Math.min(to, dayEnd)) + ': ' + formatNumber(shown) + ' plays in view (' + formatNumber(entries.length) + ' in the day).');
  }
  const redraw = () => {
    if (!frame) frame = requestAnimationFrame(draw);
  };
  viewport.addEventListener('scroll', redraw);

  function setZoom(next, keepTime) {
    const centre = keepTime ?? dayStart + ((viewport.scrollLeft + viewport.clientWidth / 2) / width()) * length;
    zoom = next;
    for (const [index, button] of zoomButtons.entries()) button.setAttribute('aria-pressed', String(index === zoom));
    inner.style.width = width() + 'px';
    viewport.scrollLeft = Math.max(0, ((centre - dayStart) / length) * width() - viewport.clientWidth / 2);
    draw();
  }
  const zoomButtons = zooms.map((entry, index) => h('button', {
    type: 'button', class: 'small secondary lane-zoom', 'aria-pressed': String(index === 0), text: entry.label(), onclick: () => setZoom(index),
  }));
  const hour = select('hour', Array.from({ length: 24 }, (_, value) => [String(value), String(value).padStart(2, '0') + ':00']), '6');
  hour.id = 'lane-hour';
  const jump = h('button', {
    type: 'button', class: 'small', id: 'lane-jump', text: t('Đến giờ này', 'Go to this hour'),
    onclick: () => {
      // The hour's local start: the day's start plus the hours (a day without a DST change).
      const at = dayStart + Number(hour.value) * 3600000;
      if (zoom === 0) zoom = 2;
      for (const [index, button] of zoomButtons.entries()) button.setAttribute('aria-pressed', String(index === zoom));
      inner.style.width = width() + 'px';
      viewport.scrollLeft = ((at - dayStart) / length) * width();
      draw();
    },
  });
  const controls = h('div', { class: 'inline lane-controls' },
    h('div', { class: 'field' }, h('span', { class: 'label-text', text: t('Thu phóng', 'Zoom') }), h('div', { class: 'actions', role: 'group', 'aria-label': t('Thu phóng', 'Zoom') }, zoomButtons)),
    field(t('Nhảy tới giờ', 'Jump to hour'), hour), h('div', { class: 'field' }, jump));
  const element = h('div', { class: 'lane', id: 'day-lane' }, controls, viewport, visible);
  // Drawn once it is in the page and has a width.
  requestAnimationFrame(() => setZoom(0, dayStart));
  return element;
}
