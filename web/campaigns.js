// Campaigns: the list with approval states, create one from an existing playlist, submit,
// approve or reject (a second person), archive; a campaign's conflicts; a device's day.

import * as api from './api.js';
import {
  h, clear, badge, askText, checkboxGroup, field, formatTime, messageArea, select, splitList, table,
} from './dom.js';

const approvalKinds = { draft: 'neutral', submitted: 'info', approved: 'ok', rejected: 'bad', archived: 'neutral' };
const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

export async function render(container, context) {
  const message = messageArea();
  const filter = select('approval', [['', 'all (not archived)'], ['draft', 'draft'], ['submitted', 'submitted'], ['approved', 'approved'], ['rejected', 'rejected'], ['archived', 'archived']], '');
  filter.id = 'campaign-filter';
  const listing = h('div', { id: 'campaign-list' });
  const details = h('div', { id: 'campaign-details', 'aria-live': 'polite' });
  const [playlists, zones, devices] = await Promise.all([api.listAll('/playlists'), api.listAll('/zones'), api.listAll('/devices')]);

  async function step(campaign, verb, extra = {}) {
    try {
      const updated = await api.post('/campaigns/' + encodeURIComponent(campaign.id) + '/' + verb, { version: campaign.version, ...extra });
      message.success('Campaign "' + updated.name + '" is now ' + updated.approval + '.');
    } catch (error) {
      message.error(error);
    }
    await refresh();
  }

  function actions(campaign) {
    const buttons = [];
    const label = (text) => text + ' ' + (campaign.name || campaign.id);
    if (context.can('editContent') && (campaign.approval === 'draft' || campaign.approval === 'rejected'))
      buttons.push(h('button', { type: 'button', class: 'small', 'aria-label': label('Submit'), text: 'Submit', onclick: () => step(campaign, 'submit') }));
    if (context.can('decideContent') && campaign.approval === 'submitted') {
      buttons.push(h('button', {
        type: 'button', class: 'small', 'aria-label': label('Approve'), text: 'Approve',
        onclick: () => step(campaign, 'approve', { note: '' }),
      }));
      buttons.push(h('button', {
        type: 'button', class: 'small danger', 'aria-label': label('Reject'), text: 'Reject',
        onclick: async () => {
          const reason = await askText('Reject "' + (campaign.name || campaign.id) + '"', 'Reason (the editor sees it)', { confirmLabel: 'Reject' });
          if (reason) await step(campaign, 'reject', { reason });
        },
      }));
    }
    if (context.can('archiveContent') && campaign.approval !== 'archived')
      buttons.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': label('Archive'), text: 'Archive', onclick: () => step(campaign, 'archive') }));
    buttons.push(h('button', { type: 'button', class: 'small secondary', 'aria-label': label('Conflicts of'), text: 'Conflicts', onclick: () => showConflicts(campaign) }));
    return h('div', { class: 'actions' }, buttons);
  }

  async function showConflicts(campaign) {
    clear(details, h('p', { class: 'muted', text: 'Checking conflicts of ' + campaign.id + '…' }));
    try {
      const answer = await api.get('/campaigns/' + encodeURIComponent(campaign.id) + '/conflicts', { days: 14 });
      const rows = answer.conflicts.map((conflict) => [
        badge(conflict.severity, conflict.severity === 'error' ? 'bad' : 'warn'),
        conflict.kind,
        conflict.other_campaign || '—',
        conflict.device || '—',
        conflict.at ? formatTime(conflict.at) : '—',
        conflict.message,
      ]);
      clear(
        details,
        h('div', { class: 'panel', id: 'conflicts' },
          h('h3', { text: 'Conflicts of "' + (campaign.name || campaign.id) + '", ' + answer.days + ' days from ' + answer.first_day }),
          table('Conflicts', ['Severity', 'Kind', 'Other campaign', 'Device', 'At', 'Message'], rows, 'No conflicts found.')),
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
      if (!filter.value) items = items.filter((campaign) => campaign.approval !== 'archived');
      const rows = items.map((campaign) =>
        h('tr', { dataset: { campaign: campaign.id } },
          h('td', {}, h('strong', { text: campaign.name || campaign.id }), h('div', { class: 'muted mono', text: campaign.id })),
          h('td', { text: campaign.playlist }),
          h('td', { text: campaign.mode + (campaign.windows && campaign.windows.length ? ' ' + campaign.windows.join(', ') : '') }),
          h('td', { text: targetsText(campaign.targets) }),
          h('td', {}, badge(campaign.approval, approvalKinds[campaign.approval] || 'neutral'),
            campaign.decision_note ? h('div', { class: 'muted', text: campaign.decision_note }) : null),
          h('td', { text: String(campaign.version) }),
          h('td', {}, actions(campaign))));
      clear(listing, table('Campaigns', ['Campaign', 'Playlist', 'Mode', 'Targets', 'Approval', 'Version', 'Actions'], rows, 'No campaigns.'));
    } catch (error) {
      message.error(error);
    }
  }
  filter.addEventListener('change', refresh);

  container.append(
    h('div', { class: 'panel' }, h('div', { class: 'inline' }, field('Show', filter)), listing),
    message.element,
    details,
  );
  if (context.can('editContent')) container.append(createForm(playlists, zones, message, refresh));
  container.append(previewPanel(devices));
  await refresh();
}

function targetsText(targets) {
  if (!targets) return 'every device';
  const parts = [];
  if (targets.zones && targets.zones.length) parts.push('zones ' + targets.zones.join(', '));
  if (targets.kinds && targets.kinds.length) parts.push(targets.kinds.join(', '));
  if (targets.tags && targets.tags.length) parts.push('tags ' + targets.tags.join(', '));
  if (targets.device_ids && targets.device_ids.length) parts.push('devices ' + targets.device_ids.join(', '));
  return parts.length ? parts.join('; ') : 'every device';
}

function createForm(playlists, zones, message, refresh) {
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', id: 'campaign-id' });
  const name = h('input', { name: 'name', id: 'campaign-name' });
  const playlist = select('playlist', playlists.map((entry) => [entry.id, (entry.name || entry.id) + ' (' + entry.id + ')']));
  playlist.id = 'campaign-playlist';
  playlist.required = true;
  const zoneBoxes = checkboxGroup('Zones (none: every zone)', 'zones', zones.map((zone) => [zone.id, zone.name + ' (' + zone.id + ')']));
  const kindBoxes = checkboxGroup('Device kinds (none: both)', 'kinds', [['screen', 'screens'], ['speaker', 'loudspeakers']]);
  const tags = h('input', { name: 'tags', id: 'campaign-tags' });
  const mode = select('mode', [['loop', 'loop'], ['fixed_time', 'fixed times'], ['share_of_voice', 'share of voice']], 'loop');
  mode.id = 'campaign-mode';
  const windows = h('input', { name: 'windows', id: 'campaign-windows', placeholder: '06:00-08:00, 17:00-19:00' });
  const fixedTimes = h('input', { name: 'fixed_times', id: 'campaign-fixed-times', placeholder: '06:30, 18:00' });
  const playsPerHour = h('input', { type: 'number', min: 1, max: 3600, name: 'plays_per_hour', id: 'campaign-plays-per-hour' });
  const level = select('level', [['normal', 'normal'], ['priority', 'priority'], ['emergency', 'emergency']], 'normal');
  const rank = h('input', { type: 'number', min: -1000, max: 1000, value: '0', name: 'rank' });
  const validFrom = h('input', { type: 'date', name: 'valid_from', id: 'campaign-valid-from' });
  const validTo = h('input', { type: 'date', name: 'valid_to', id: 'campaign-valid-to' });
  const days = checkboxGroup('Weekdays (none: every day)', 'weekdays', weekdays.map((day) => [day, day]));
  const submit = h('button', { type: 'submit', text: 'Create draft', id: 'campaign-create' });

  const form = h('form', { id: 'campaign-form' },
    h('div', { class: 'inline' }, field('Id', id, 'Letters, digits, . _ -'), field('Name', name, 'Vietnamese welcome: "Tin sáng phường 1"')),
    field('Playlist', playlist, playlists.length ? null : 'Create a playlist first.'),
    zoneBoxes.element,
    kindBoxes.element,
    field('Tags', tags, 'Comma-separated device tags.'),
    h('div', { class: 'inline' }, field('Mode', mode), field('Level', level), field('Rank', rank)),
    field('Windows', windows, 'HH:MM-HH:MM, comma-separated; empty: all day (loop, share of voice).'),
    h('div', { class: 'inline' }, field('Fixed times', fixedTimes, 'For fixed times: HH:MM, comma-separated.'), field('Plays per hour', playsPerHour, 'For share of voice.')),
    h('div', { class: 'inline' }, field('Valid from', validFrom), field('Valid to', validTo)),
    days.element,
    h('div', { class: 'actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { id: id.value.trim(), name: name.value.trim(), playlist: playlist.value, mode: mode.value, level: level.value, rank: Number(rank.value || 0) };
    const targets = {};
    if (zoneBoxes.values().length) targets.zones = zoneBoxes.values();
    if (kindBoxes.values().length) targets.kinds = kindBoxes.values();
    if (splitList(tags.value).length) targets.tags = splitList(tags.value);
    body.targets = targets;
    if (splitList(windows.value).length) body.windows = splitList(windows.value);
    if (mode.value === 'fixed_time') body.fixed_times = splitList(fixedTimes.value);
    if (mode.value === 'share_of_voice') body.plays_per_hour = Number(playsPerHour.value);
    if (validFrom.value) body.valid_from = validFrom.value;
    if (validTo.value) body.valid_to = validTo.value;
    if (days.values().length) body.weekdays = days.values();
    submit.disabled = true;
    try {
      const created = await api.post('/campaigns', body);
      message.success('Draft "' + (created.name || created.id) + '" created; submit it for approval.');
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: 'New campaign' }), form);
}

function previewPanel(devices) {
  const device = select('device', devices.map((entry) => [entry.id, (entry.name || entry.id) + ' (' + entry.id + ')']));
  device.id = 'preview-device';
  const day = h('input', { type: 'date', name: 'day', value: today(), id: 'preview-day' });
  const drafts = h('input', { type: 'checkbox', name: 'drafts', checked: true });
  const output = h('div', { id: 'preview-output', 'aria-live': 'polite' });
  const message = messageArea();
  const form = h('form', { id: 'preview-form', class: 'inline' },
    field('Device', device), field('Day', day),
    h('div', { class: 'field' }, h('label', { class: 'check' }, drafts, ' include drafts and submitted')),
    h('div', { class: 'field' }, h('button', { type: 'submit', text: 'Show timeline' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.clear();
    if (!device.value) {
      message.error({ code: 'invalid-input', detail: 'register a device first' });
      return;
    }
    try {
      const answer = await api.get('/devices/' + encodeURIComponent(device.value) + '/timeline', { day: day.value, drafts: drafts.checked ? undefined : 0 });
      const shown = answer.entries.slice(0, 500);
      const rows = shown.map((entry) => [
        formatTime(entry.start), formatTime(entry.end), entry.source_kind + ' ' + entry.source,
        h('span', { class: 'mono', text: (entry.media || '').slice(0, 12) }), entry.reason, entry.ending || '—',
      ]);
      clear(output,
        h('p', { text: answer.entries.length + ' plays on ' + answer.day + ' (' + answer.time_zone + ')' + (answer.entries.length > shown.length ? '; the first ' + shown.length + ' shown' : '') + '.' }),
        table('Timeline of ' + answer.device, ['Start', 'End', 'Source', 'Media', 'Reason', 'Ending'], rows, 'Nothing plays on this day.'));
    } catch (error) {
      clear(output);
      message.error(error);
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: "Preview a device's day" }), form, message.element, output);
}
