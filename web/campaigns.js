// Campaigns: the list with approval states, create one from an existing playlist, edit one (an
// approved campaign's edit is a new version approved again; the approved one plays meanwhile),
// submit, view what is to be approved (the playlist's pictures, its sound, what changed since
// the last approved version), approve or reject (a second person), archive; a campaign's
// conflicts; a device's day.

import * as api from './api.js';
import {
  h, clear, badge, askText, checkboxGroup, dayInput, dayToIso, field, formatTime, idFromNameField, isoToDay, messageArea, select, splitList, table,
} from './dom.js';
import { t, formatNumber } from './i18n.js';
import { dayLane } from './calendar.js';
import {
  approvalLabel, approvalValues, conflictKindLabel, conflictSeverityLabel, endingLabel, kindLabel, levelLabel, levelValues,
  isAlertItem, modeLabel, modeValues, nameText, reasonLabel, sourceKindLabel, weekdayLabel, weekdayValues,
} from './words.js';
import { campaignChanges, playlistStrip } from './preview.js';

const approvalKinds = { draft: 'neutral', submitted: 'info', approved: 'ok', rejected: 'bad', archived: 'neutral' };

function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

export async function render(container, context) {
  const message = messageArea();
  const filter = select('approval', [['', t('Tất cả (trừ lưu trữ)', 'All (not archived)')], ...approvalValues.map((value) => [value, approvalLabel(value)])], '');
  filter.id = 'campaign-filter';
  const listing = h('div', { id: 'campaign-list' });
  const details = h('div', { id: 'campaign-details', 'aria-live': 'polite' });
  const [playlists, zones, devices, media] = await Promise.all([
    api.listAll('/playlists'), api.listAll('/zones'), api.listAll('/devices'), api.listAll('/media').catch(() => []),
  ]);
  const names = {
    zones: new Map(zones.map((zone) => [zone.id, zone.name || zone.id])),
    playlists: new Map(playlists.map((playlist) => [playlist.id, nameText(playlist.name) || playlist.id])),
    devices: new Map(devices.map((device) => [device.id, device.name || device.id])),
    media: new Map(media.map((item) => [item.sha256, nameText(item.name) || t('(không tên)', '(no name)')])),
    campaigns: new Map(),
  };
  const mediaBySha = new Map(media.map((item) => [item.sha256, item]));
  const form = context.can('editContent') ? campaignForm(playlists.filter((entry) => !isAlertItem(entry.name)), zones, message, () => refresh()) : null;

  // What an approver reads before deciding: the campaign, its playlist as pictures in order
  // with its sound, and what changed since the last approved version.
  async function showCampaign(campaign) {
    const title = campaign.name || campaign.id;
    try {
      const ids = [...new Set([campaign.playlist, campaign.approved ? campaign.approved.playlist : null].filter(Boolean))];
      const fetched = await Promise.all(ids.map((id) => api.get('/playlists/' + encodeURIComponent(id)).catch(() => null)));
      const byId = new Map(fetched.filter(Boolean).map((playlist) => [playlist.id, playlist]));
      const parts = [
        h('h3', { text: t('Chiến dịch "' + title + '", phiên bản ' + campaign.version + ': ', 'Campaign "' + title + '", version ' + campaign.version + ': ') + approvalLabel(campaign.approval) }),
        h('div', { class: 'columns' },
          h('div', {}, h('h4', { text: t('Cách phát', 'How it plays') }), scheduleText(campaign)),
          h('div', {}, h('h4', { text: t('Nơi phát', 'Where') }), h('p', { text: targetsText(campaign.targets, names) }))),
        h('h4', { text: t('Danh sách phát "', 'Playlist "') + (names.playlists.get(campaign.playlist) || campaign.playlist) + '"' }),
        playlistStrip(byId.get(campaign.playlist), mediaBySha, { players: true }),
      ];
      if (campaign.approved) {
        const lines = campaignChanges(campaign.approved, campaign, names, byId, mediaBySha);
        parts.push(h('h4', { text: t('Thay đổi so với phiên bản đã duyệt ' + campaign.approved.version + ' (đang phát)', 'Changes since approved version ' + campaign.approved.version + ' (playing now)') }),
          lines.length ? h('ul', { class: 'changes', id: 'campaign-changes' }, lines.map((line) => h('li', { text: line })))
            : h('p', { class: 'muted', id: 'campaign-changes', text: t('Không có thay đổi nào.', 'Nothing changed.') }));
      } else if (campaign.approval !== 'approved' && campaign.approval !== 'archived') {
        parts.push(h('p', { class: 'muted', id: 'campaign-changes', text: t('Chưa có phiên bản nào được duyệt: đây là lần duyệt đầu tiên.', 'No version was approved yet: this is the first approval.') }));
      }
      parts.push(h('div', { class: 'actions' }, decisionButtons(campaign),
        h('button', { type: 'button', class: 'small secondary', text: t('Đóng', 'Close'), onclick: () => clear(details) })));
      clear(details, h('div', { class: 'panel campaign-view', id: 'campaign-view' }, parts));
      details.scrollIntoView({ block: 'start' });
    } catch (error) {
      message.error(error);
    }
  }

  function decisionButtons(campaign) {
    const buttons = [];
    const label = (text) => text + ' ' + (campaign.name || campaign.id);
    if (context.can('decideContent') && campaign.approval === 'submitted') {
      buttons.push(h('button', {
        type: 'button', class: 'small', 'aria-label': label(t('Duyệt', 'Approve')), text: t('Duyệt', 'Approve'),
        onclick: () => step(campaign, 'approve', { note: '' }),
      }));
      buttons.push(h('button', {
        type: 'button', class: 'small danger', 'aria-label': label(t('Từ chối', 'Reject')), text: t('Từ chối', 'Reject'),
        onclick: async () => {
          const reason = await askText(t('Từ chối "', 'Reject "') + (campaign.name || campaign.id) + '"',
            t('Lý do (người soạn sẽ thấy)', 'Reason (the editor sees it)'), { confirmLabel: t('Từ chối', 'Reject') });
          if (reason) await step(campaign, 'reject', { reason });
        },
      }));
    }
    return buttons;
  }

  async function step(campaign, verb, extra = {}) {
    try {
      const updated = await api.post('/campaigns/' + encodeURIComponent(campaign.id) + '/' + verb, { version: campaign.version, ...extra });
      message.success(t('Chiến dịch "' + (updated.name || updated.id) + '" nay ở trạng thái: ' + approvalLabel(updated.approval) + '.',
        'Campaign "' + (updated.name || updated.id) + '" is now: ' + approvalLabel(updated.approval) + '.'));
      if (details.querySelector('#campaign-view')) clear(details);
    } catch (error) {
      message.error(error);
    }
    await refresh();
  }

  function actions(campaign) {
    const buttons = [];
    const label = (text) => text + ' ' + (campaign.name || campaign.id);
    if (context.can('editContent') && (campaign.approval === 'draft' || campaign.approval === 'rejected'))
      buttons.push(h('button', { type: 'button', class: 'small', 'aria-label': label(t('Gửi duyệt', 'Submit')), text: t('Gửi duyệt', 'Submit'), onclick: () => step(campaign, 'submit') }));
    // An approver decides in the campaign's view, after seeing its pictures and changes.
    if (context.can('decideContent') && campaign.approval === 'submitted')
      buttons.push(h('button', { type: 'button', class: 'small', 'aria-label': label(t('Xem và duyệt', 'View and decide')), text: t('Xem và duyệt', 'View and decide'), onclick: () => showCampaign(campaign) }));
    else
      buttons.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': label(t('Xem', 'View')), text: t('Xem', 'View'), onclick: () => showCampaign(campaign) }));
    if (form && ['draft', 'rejected', 'approved'].includes(campaign.approval))
      buttons.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': label(t('Sửa', 'Edit')), text: t('Sửa', 'Edit'), onclick: () => form.edit(campaign) }));
    if (context.can('archiveContent') && campaign.approval !== 'archived')
      buttons.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': label(t('Lưu trữ', 'Archive')), text: t('Lưu trữ', 'Archive'), onclick: () => step(campaign, 'archive') }));
    buttons.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': label(t('Xung đột của', 'Conflicts of')), text: t('Xung đột', 'Conflicts'), onclick: () => showConflicts(campaign) }));
    return h('div', { class: 'actions' }, buttons);
  }

  async function showConflicts(campaign) {
    const title = campaign.name || campaign.id;
    clear(details, h('p', { class: 'muted', text: t('Đang kiểm tra xung đột của "' + title + '"…', 'Checking conflicts of "' + title + '"…') }));
    try {
      const answer = await api.get('/campaigns/' + encodeURIComponent(campaign.id) + '/conflicts', { days: 14 });
      const rows = answer.conflicts.map((conflict) => [
        badge(conflictSeverityLabel(conflict.severity), conflict.severity === 'error' ? 'bad' : 'warn'),
        conflictKindLabel(conflict.kind),
        conflict.other_campaign ? names.campaigns.get(conflict.other_campaign) || conflict.other_campaign : '—',
        conflict.device ? names.devices.get(conflict.device) || conflict.device : '—',
        conflict.at ? formatTime(conflict.at) : '—',
        h('span', { class: 'server-text', text: conflict.message }),
      ]);
      const from = dayText(answer.first_day);
      clear(
        details,
        h('div', { class: 'panel', id: 'conflicts' },
          h('h3', { text: t('Xung đột của "' + title + '", ' + answer.days + ' ngày từ ' + from, 'Conflicts of "' + title + '", ' + answer.days + ' days from ' + from) }),
          table(t('Xung đột', 'Conflicts'), [t('Mức', 'Severity'), t('Loại', 'Kind'), t('Chiến dịch khác', 'Other campaign'), t('Thiết bị', 'Device'), t('Lúc', 'At'), t('Chi tiết (từ máy chủ)', 'Detail (from the server)')],
            rows, t('Không có xung đột.', 'No conflicts found.'))),
      );
    } catch (error) {
      clear(details);
      message.error(error);
    }
    details.scrollIntoView({ block: 'nearest' });
  }

  async function refresh() {
    try {
      const query = filter.value ? { approval: filter.value } : {};
      let items = await api.listAll('/campaigns', query);
      for (const campaign of items) names.campaigns.set(campaign.id, campaign.name || campaign.id);
      if (!filter.value) items = items.filter((campaign) => campaign.approval !== 'archived');
      const rows = items.map((campaign) =>
        h('tr', { dataset: { campaign: campaign.id } },
          h('td', {}, h('strong', { text: campaign.name || campaign.id }), h('div', { class: 'muted mono', text: campaign.id })),
          h('td', { text: names.playlists.get(campaign.playlist) || campaign.playlist }),
          h('td', {}, scheduleText(campaign)),
          h('td', { text: targetsText(campaign.targets, names) }),
          h('td', {}, badge(approvalLabel(campaign.approval), approvalKinds[campaign.approval] || 'neutral'),
            campaign.decision_note ? h('div', { class: 'muted', text: campaign.decision_note }) : null,
            campaign.approved ? h('div', { class: 'muted approved-playing', text: t('Phiên bản đã duyệt ' + campaign.approved.version + ' vẫn đang phát', 'Approved version ' + campaign.approved.version + ' still plays') }) : null),
          h('td', { text: String(campaign.version) }),
          h('td', {}, actions(campaign))));
      clear(listing, table(t('Chiến dịch', 'Campaigns'),
        [t('Chiến dịch', 'Campaign'), t('Danh sách phát', 'Playlist'), t('Cách phát', 'How it plays'), t('Nơi phát', 'Where'), t('Duyệt', 'Approval'), t('Phiên bản', 'Version'), t('Thao tác', 'Actions')],
        rows, t('Không có chiến dịch nào.', 'No campaigns.')));
    } catch (error) {
      message.error(error);
    }
  }
  filter.addEventListener('change', refresh);

  container.append(
    h('div', { class: 'panel' }, h('div', { class: 'inline' }, field(t('Hiển thị', 'Show'), filter)), listing),
    message.element,
    details,
  );
  if (form) container.append(form.element);
  container.append(previewPanel(devices, names));
  await refresh();
}

// yyyy-mm-dd (an API day) as dd/mm/yyyy.
function dayText(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return match ? match[3] + '/' + match[2] + '/' + match[1] : day || '—';
}

// How a campaign plays, in the officer's words: the mode, its times (fixed times), its plays per
// hour (share of voice), its windows, level and dates.
function scheduleText(campaign) {
  const lines = [];
  let first = modeLabel(campaign.mode);
  if (campaign.mode === 'fixed_time' && campaign.fixed_times && campaign.fixed_times.length) first += ': ' + campaign.fixed_times.join(', ');
  if (campaign.mode === 'share_of_voice' && campaign.plays_per_hour)
    first = t(formatNumber(campaign.plays_per_hour) + ' lần mỗi giờ', formatNumber(campaign.plays_per_hour) + ' times an hour');
  lines.push(h('div', { class: 'schedule-mode', text: first }));
  if (campaign.windows && campaign.windows.length) lines.push(h('div', { class: 'muted', text: t('Khung giờ ', 'Windows ') + campaign.windows.join(', ') }));
  if (campaign.level && campaign.level !== 'normal') lines.push(h('div', {}, badge(levelLabel(campaign.level), campaign.level === 'emergency' ? 'bad' : 'warn')));
  if (campaign.valid_from || campaign.valid_to)
    lines.push(h('div', { class: 'muted', text: (campaign.valid_from ? dayText(campaign.valid_from) : '…') + ' – ' + (campaign.valid_to ? dayText(campaign.valid_to) : '…') }));
  if (campaign.weekdays && campaign.weekdays.length && campaign.weekdays.length < 7) lines.push(h('div', { class: 'muted', text: campaign.weekdays.map(weekdayLabel).join(', ') }));
  return lines;
}

function targetsText(targets, names) {
  const everyDevice = t('mọi thiết bị', 'every device');
  if (!targets) return everyDevice;
  const parts = [];
  if (targets.zones && targets.zones.length) parts.push(t('khu vực ', 'zones ') + targets.zones.map((zone) => names.zones.get(zone) || zone).join(', '));
  if (targets.kinds && targets.kinds.length) parts.push(targets.kinds.map(kindLabel).join(', '));
  if (targets.tags && targets.tags.length) parts.push(t('nhãn ', 'tags ') + targets.tags.join(', '));
  if (targets.device_ids && targets.device_ids.length) parts.push(t('thiết bị ', 'devices ') + targets.device_ids.map((id) => names.devices.get(id) || id).join(', '));
  return parts.length ? parts.join('; ') : everyDevice;
}

// Ticks exactly the boxes of `values` in a checkbox group.
function setChecks(group, values) {
  for (const box of group.element.querySelectorAll('input[type="checkbox"]')) box.checked = (values || []).includes(box.value);
}

function campaignForm(playlists, zones, message, refresh) {
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', maxlength: 64, id: 'campaign-id' });
  const name = h('input', { name: 'name', id: 'campaign-name', required: true });
  const playlist = select('playlist', playlists.map((entry) => [entry.id, entry.name || entry.id]));
  playlist.id = 'campaign-playlist';
  playlist.required = true;
  const zoneBoxes = checkboxGroup(t('Khu vực (không chọn: mọi khu vực)', 'Zones (none: every zone)'), 'zones', zones.map((zone) => [zone.id, zone.name || zone.id]));
  const kindBoxes = checkboxGroup(t('Loại thiết bị (không chọn: cả hai)', 'Device kinds (none: both)'), 'kinds', [['screen', kindLabel('screen')], ['speaker', kindLabel('speaker')]]);
  const tags = h('input', { name: 'tags', id: 'campaign-tags' });
  const mode = select('mode', modeValues.map((value) => [value, modeLabel(value)]), 'loop');
  mode.id = 'campaign-mode';
  const windows = h('input', { name: 'windows', id: 'campaign-windows', placeholder: '06:00-08:00, 17:00-19:00' });
  const fixedTimes = h('input', { name: 'fixed_times', id: 'campaign-fixed-times', placeholder: '06:30, 18:00' });
  const playsPerHour = h('input', { type: 'number', min: 1, max: 3600, name: 'plays_per_hour', id: 'campaign-plays-per-hour' });
  const level = select('level', levelValues.map((value) => [value, levelLabel(value)]), 'normal');
  level.id = 'campaign-level';
  const rank = h('input', { type: 'number', min: -1000, max: 1000, value: '0', name: 'rank', id: 'campaign-rank' });
  const validFrom = dayInput({ name: 'valid_from', id: 'campaign-valid-from' });
  const validTo = dayInput({ name: 'valid_to', id: 'campaign-valid-to' });
  const days = checkboxGroup(t('Ngày trong tuần (không chọn: mọi ngày)', 'Weekdays (none: every day)'), 'weekdays', weekdayValues.map((day) => [day, weekdayLabel(day)]));
  const submit = h('button', { type: 'submit', text: t('Tạo bản nháp', 'Create draft'), id: 'campaign-create' });
  const cancel = h('button', { type: 'button', class: 'secondary', text: t('Thôi sửa', 'Stop editing'), hidden: true, onclick: () => stopEditing() });
  const heading = h('h3', { text: t('Chiến dịch mới', 'New campaign') });
  const note = h('p', { class: 'muted', id: 'campaign-edit-note', hidden: true });
  const idLine = idFromNameField(name, id);
  let editing = null;  // { id, version } of the campaign being edited
  const fixedField = field(t('Giờ phát', 'Times'), fixedTimes, t('GG:PP, cách nhau bằng dấu phẩy, ví dụ 06:00, 17:30.', 'HH:MM, comma-separated, e.g. 06:00, 17:30.'));
  const perHourField = field(t('Số lần mỗi giờ', 'Plays per hour'), playsPerHour);
  const windowsField = field(t('Khung giờ', 'Windows'), windows, t('GG:PP-GG:PP, cách nhau bằng dấu phẩy; để trống: cả ngày.', 'HH:MM-HH:MM, comma-separated; empty: all day.'));

  // Only the fields of the chosen mode show.
  function updateMode() {
    fixedField.hidden = mode.value !== 'fixed_time';
    perHourField.hidden = mode.value !== 'share_of_voice';
    windowsField.hidden = mode.value === 'fixed_time';
    fixedTimes.required = mode.value === 'fixed_time';
    playsPerHour.required = mode.value === 'share_of_voice';
  }
  mode.addEventListener('change', updateMode);
  updateMode();

  const form = h('form', { id: 'campaign-form' },
    field(t('Tên chiến dịch', 'Campaign name'), name, t('Ví dụ: "Bản tin sáng Uyên Hưng"', 'e.g. "Bản tin sáng Uyên Hưng"')),
    idLine,
    field(t('Danh sách phát', 'Playlist'), playlist, playlists.length ? null : t('Hãy tạo danh sách phát trước.', 'Create a playlist first.')),
    zoneBoxes.element,
    kindBoxes.element,
    field(t('Nhãn thiết bị', 'Device tags'), tags, t('Cách nhau bằng dấu phẩy.', 'Comma-separated.')),
    h('div', { class: 'inline' }, field(t('Cách phát', 'How it plays'), mode), field(t('Mức độ', 'Level'), level),
      field(t('Thứ tự ưu tiên', 'Priority order'), rank, t('Số lớn hơn được phát trước (−1000 đến 1000).', 'Higher plays first (−1000 to 1000).'))),
    h('div', { class: 'inline' }, fixedField, perHourField),
    windowsField,
    h('div', { class: 'inline' }, field(t('Từ ngày', 'Valid from'), validFrom), field(t('Đến ngày', 'Valid to'), validTo)),
    days.element,
    h('div', { class: 'actions' }, submit, cancel));
  form.addEventListener('reset', () => setTimeout(updateMode, 0));

  function stopEditing() {
    editing = null;
    form.reset();
    id.disabled = false;
    idLine.hidden = false;
    heading.textContent = t('Chiến dịch mới', 'New campaign');
    submit.textContent = t('Tạo bản nháp', 'Create draft');
    note.hidden = true;
    cancel.hidden = true;
  }

  // The form filled with `campaign`, to be saved with PUT and the version read.
  function edit(campaign) {
    form.reset();
    // Fields the form does not show are kept as they are.
    editing = {
      id: campaign.id, version: campaign.version, weight: campaign.weight, region: campaign.region,
      deviceIds: (campaign.targets || {}).device_ids, excludeIds: (campaign.targets || {}).exclude_device_ids,
    };
    name.value = campaign.name || '';
    id.value = campaign.id;
    id.disabled = true;
    idLine.hidden = true;
    if (![...playlist.options].some((option) => option.value === campaign.playlist))
      playlist.append(h('option', { value: campaign.playlist, text: campaign.playlist }));
    playlist.value = campaign.playlist;
    const targets = campaign.targets || {};
    setChecks(zoneBoxes, targets.zones);
    setChecks(kindBoxes, targets.kinds);
    tags.value = (targets.tags || []).join(', ');
    mode.value = campaign.mode;
    windows.value = (campaign.windows || []).join(', ');
    fixedTimes.value = (campaign.fixed_times || []).join(', ');
    playsPerHour.value = campaign.plays_per_hour ? String(campaign.plays_per_hour) : '';
    level.value = campaign.level || 'normal';
    rank.value = String(campaign.rank || 0);
    validFrom.value = campaign.valid_from ? isoToDay(campaign.valid_from) : '';
    validTo.value = campaign.valid_to ? isoToDay(campaign.valid_to) : '';
    setChecks(days, campaign.weekdays && campaign.weekdays.length < 7 ? campaign.weekdays : []);
    updateMode();
    const title = campaign.name || campaign.id;
    heading.textContent = t('Sửa chiến dịch "' + title + '"', 'Edit campaign "' + title + '"');
    const approved = campaign.approval === 'approved';
    submit.textContent = approved ? t('Lưu phiên bản mới (cần duyệt lại)', 'Save a new version (approved again)') : t('Lưu bản nháp', 'Save draft');
    note.hidden = false;
    note.textContent = approved || campaign.approved
      ? t('Phiên bản đã duyệt vẫn phát cho đến khi phiên bản mới được gửi duyệt và được duyệt.', 'The approved version keeps playing until the new version is submitted and approved.')
      : t('Bản sửa là bản nháp: hãy gửi duyệt sau khi lưu.', 'The edit is a draft: submit it after saving.');
    cancel.hidden = false;
    element.scrollIntoView({ block: 'start' });
    name.focus();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { id: id.value.trim(), name: name.value.trim(), playlist: playlist.value, mode: mode.value, level: level.value, rank: Number(rank.value || 0) };
    const targets = {};
    if (zoneBoxes.values().length) targets.zones = zoneBoxes.values();
    if (kindBoxes.values().length) targets.kinds = kindBoxes.values();
    if (splitList(tags.value).length) targets.tags = splitList(tags.value);
    body.targets = targets;
    if (mode.value !== 'fixed_time' && splitList(windows.value).length) body.windows = splitList(windows.value);
    if (mode.value === 'fixed_time') body.fixed_times = splitList(fixedTimes.value);
    if (mode.value === 'share_of_voice') body.plays_per_hour = Number(playsPerHour.value);
    if (dayToIso(validFrom.value)) body.valid_from = dayToIso(validFrom.value);
    if (dayToIso(validTo.value)) body.valid_to = dayToIso(validTo.value);
    if (days.values().length) body.weekdays = days.values();
    submit.disabled = true;
    try {
      if (editing) {
        if (editing.weight !== undefined) body.weight = editing.weight;
        if (editing.deviceIds && editing.deviceIds.length) body.targets.device_ids = editing.deviceIds;
        if (editing.excludeIds && editing.excludeIds.length) body.targets.exclude_device_ids = editing.excludeIds;
        if (editing.region) body.region = editing.region;
        const saved = await api.put('/campaigns/' + encodeURIComponent(editing.id), { ...body, id: editing.id, version: editing.version });
        const title = saved.name || saved.id;
        message.success(t('Đã lưu "' + title + '" thành phiên bản ' + saved.version + ' (bản nháp); hãy gửi duyệt.', '"' + title + '" saved as version ' + saved.version + ' (a draft); submit it for approval.'));
        stopEditing();
      } else {
        const created = await api.post('/campaigns', body);
        const title = created.name || created.id;
        message.success(t('Đã tạo bản nháp "' + title + '"; hãy gửi duyệt.', 'Draft "' + title + '" created; submit it for approval.'));
        form.reset();
      }
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  const element = h('div', { class: 'panel', id: 'campaign-editor' }, heading, note, form);
  return { element, edit };
}

function previewPanel(devices, names) {
  const device = select('device', devices.map((entry) => [entry.id, entry.name || entry.id]));
  device.id = 'preview-device';
  const day = dayInput({ name: 'day', id: 'preview-day', required: true }, today());
  const drafts = h('input', { type: 'checkbox', name: 'drafts', checked: true });
  const output = h('div', { id: 'preview-output', 'aria-live': 'polite' });
  const message = messageArea();
  const form = h('form', { id: 'preview-form', class: 'inline' },
    field(t('Thiết bị', 'Device'), device), field(t('Ngày', 'Day'), day),
    h('div', { class: 'field' }, h('label', { class: 'check' }, drafts, ' ', t('gồm cả bản nháp và chờ duyệt', 'include drafts and submitted'))),
    h('div', { class: 'field' }, h('button', { type: 'submit', text: t('Xem lịch phát', 'Show timeline') })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.clear();
    if (!device.value) {
      message.error({ code: 'invalid-input', detail: t('hãy đăng ký một thiết bị trước', 'register a device first') });
      return;
    }
    try {
      const started = performance.now();
      const answer = await api.get('/devices/' + encodeURIComponent(device.value) + '/timeline', { day: dayToIso(day.value), drafts: drafts.checked ? undefined : 0 });
      const answered = performance.now();
      const count = formatNumber(answer.entries.length);
      const dayShown = dayText(answer.day);
      const title = t('Lịch phát của ', 'Timeline of ') + (names.devices.get(answer.device) || answer.device);
      clear(output,
        h('h4', { text: title }),
        h('p', { text: t(count + ' lần phát ngày ' + dayShown + ' (giờ ' + answer.time_zone + ').', count + ' plays on ' + dayShown + ' (' + answer.time_zone + ' time).') }),
        answer.entries.length ? dayLane(answer, names) : h('p', { class: 'muted', text: t('Ngày này không phát gì.', 'Nothing plays on this day.') }));
      // The time from the request to the lane in the page (the browser test prints it).
      requestAnimationFrame(() => requestAnimationFrame(() => {
        output.dataset.answeredMs = String(Math.round(answered - started));
        output.dataset.openedMs = String(Math.round(performance.now() - started));
      }));
    } catch (error) {
      clear(output);
      message.error(error);
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: t('Xem trước lịch phát một ngày của thiết bị', "Preview a device's day") }), form, message.element, output);
}
