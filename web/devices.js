// Devices (operator, admin): register one (its provisioning file is shown once, to download),
// new credentials, revoke; zones, which devices and campaigns refer to.

import * as api from './api.js';
import {
  h, clear, badge, confirmAction, downloadBlob, field, formatAgo, messageArea, select, splitList, table,
} from './dom.js';

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'device-list' });
  const provisioning = h('div', { id: 'provisioning', 'aria-live': 'polite' });
  const zoneListing = h('div', { id: 'zone-list' });
  const manage = context.can('manageDevices');
  let zones = [];

  function showProvisioning(answer) {
    const text = JSON.stringify(answer.provisioning, null, 2) + '\n';
    const fileName = answer.device.id + '.provisioning.json';
    clear(provisioning,
      h('div', { class: 'once panel', role: 'region', 'aria-label': 'Provisioning file' },
        h('h3', { text: 'Provisioning file for ' + answer.device.id }),
        h('p', {}, h('strong', { text: 'Shown only now. ' }),
          'It holds the device password: download it and copy it to the device (mode 0600). Leaving this page discards it.'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', id: 'download-provisioning', text: 'Download ' + fileName,
            onclick: () => downloadBlob(fileName, new Blob([text], { type: 'application/json' })) }),
          h('button', { type: 'button', class: 'secondary', text: 'Hide', onclick: () => clear(provisioning) })),
        h('pre', { class: 'provisioning', text })));
    provisioning.scrollIntoView({ block: 'nearest' });
  }

  async function refresh() {
    try {
      const [devices, zoneItems] = await Promise.all([api.listAll('/devices'), api.listAll('/zones')]);
      zones = zoneItems;
      const rows = devices.map((device) =>
        h('tr', { dataset: { device: device.id } },
          h('td', {}, h('strong', { text: device.name || device.id }), h('div', { class: 'muted mono', text: device.id })),
          h('td', { text: device.kind }), h('td', { text: device.zone }), h('td', { text: (device.tags || []).join(', ') }),
          h('td', {}, device.revoked ? badge('revoked', 'bad') : device.online ? badge('online', 'ok') : badge('offline', 'neutral')),
          h('td', { text: formatAgo(device.last_seen) }),
          h('td', {}, manage && !device.revoked ? h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'small secondary', 'aria-label': 'New credentials for ' + device.id, text: 'New credentials',
              onclick: async () => {
                if (!(await confirmAction('New credentials for ' + device.id, 'The device keeps working only after its new provisioning file is installed.', 'Make new credentials'))) return;
                try {
                  showProvisioning(await api.post('/devices/' + encodeURIComponent(device.id) + '/credentials'));
                } catch (error) {
                  message.error(error);
                }
              } }),
            h('button', { type: 'button', class: 'small danger', 'aria-label': 'Revoke ' + device.id, text: 'Revoke',
              onclick: async () => {
                if (!(await confirmAction('Revoke ' + device.id + '?', 'The broker drops the device at once and it can no longer download media.', 'Revoke'))) return;
                try {
                  await api.post('/devices/' + encodeURIComponent(device.id) + '/revoke');
                  message.success('Device ' + device.id + ' revoked.');
                } catch (error) {
                  message.error(error);
                }
                await refresh();
              } })) : null)));
      clear(listing, table('Devices', ['Device', 'Kind', 'Zone', 'Tags', 'Status', 'Last seen', 'Actions'], rows, 'No devices registered yet.'));
      clear(zoneListing, table('Zones', ['Id', 'Name'], zones.map((zone) => [h('span', { class: 'mono', text: zone.id }), zone.name]), 'No zones yet: add one before registering devices.'));
      if (zoneSelect) clear(zoneSelect, zones.map((zone) => h('option', { value: zone.id, text: zone.name + ' (' + zone.id + ')' })));
    } catch (error) {
      message.error(error);
    }
  }

  let zoneSelect = null;
  container.append(message.element, provisioning, h('div', { class: 'panel' }, listing));
  if (manage) {
    zoneSelect = select('zone', []);
    container.append(h('div', { class: 'columns' }, registerForm(zoneSelect, message, showProvisioning, refresh), zoneForm(message, refresh, zoneListing)));
  } else {
    container.append(h('p', { class: 'muted', text: 'Registering and revoking devices needs the operator or admin role.' }), h('div', { class: 'panel' }, zoneListing));
  }
  await refresh();
}

function registerForm(zoneSelect, message, showProvisioning, refresh) {
  zoneSelect.id = 'device-zone';
  zoneSelect.required = true;
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', id: 'device-id' });
  const name = h('input', { name: 'name', id: 'device-name' });
  const kind = select('kind', [['screen', 'screen'], ['speaker', 'loudspeaker']], 'screen');
  kind.id = 'device-kind';
  const tags = h('input', { name: 'tags', id: 'device-tags' });
  const timeZone = h('input', { name: 'time_zone', value: 'Asia/Ho_Chi_Minh', id: 'device-time-zone' });
  const hasSpeaker = h('input', { type: 'checkbox', name: 'has_speaker', checked: true });
  const volume = h('input', { type: 'number', min: 0, max: 100, value: '80', name: 'default_volume', id: 'device-volume' });
  const submit = h('button', { type: 'submit', text: 'Register device', id: 'device-register' });
  const form = h('form', { id: 'device-form' },
    h('div', { class: 'inline' }, field('Id', id, 'Letters, digits, . _ -'), field('Name', name, 'e.g. "Cổng chợ"')),
    h('div', { class: 'inline' }, field('Kind', kind), field('Zone', zoneSelect)),
    field('Tags', tags, 'Comma-separated.'),
    h('div', { class: 'inline' }, field('Time zone', timeZone), field('Default volume', volume)),
    h('div', { class: 'field' }, h('label', { class: 'check' }, hasSpeaker, ' has a speaker')),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      id: id.value.trim(), kind: kind.value, zone: zoneSelect.value, tags: splitList(tags.value),
      time_zone: timeZone.value.trim(), has_speaker: hasSpeaker.checked, default_volume: Number(volume.value),
    };
    if (name.value.trim()) body.name = name.value.trim();
    submit.disabled = true;
    try {
      const answer = await api.post('/devices', body);
      message.success('Device ' + answer.device.id + ' registered.');
      form.reset();
      showProvisioning(answer);
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: 'Register a device' }), form);
}

function zoneForm(message, refresh, zoneListing) {
  const id = h('input', { name: 'id', required: true, id: 'zone-id', pattern: '[A-Za-z0-9._\\-]{1,64}' });
  const name = h('input', { name: 'name', required: true, id: 'zone-name' });
  const form = h('form', { id: 'zone-form' },
    h('div', { class: 'inline' }, field('Id', id, 'e.g. phuong-1'), field('Name', name, 'e.g. "Phường 1"')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: 'Add zone' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const zone = await api.post('/zones', { id: id.value.trim(), name: name.value.trim() });
      message.success('Zone "' + zone.name + '" added.');
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: 'Zones' }), zoneListing, form);
}
