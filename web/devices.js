// Devices (operator, admin): register one (its provisioning file is shown once, to download),
// new credentials, revoke; zones, which devices and campaigns refer to. #/devices/<id> is one
// device's page (device.js).

import * as api from './api.js';
import {
  h, clear, badge, confirmAction, downloadBlob, field, formatAgo, formatTime, idFromNameField, messageArea, select, splitList, table,
} from './dom.js';
import { t } from './i18n.js';
import { kindLabel } from './words.js';
import * as devicePage from './device.js';

export async function render(container, context) {
  const shown = devicePage.deviceIdFromHash();
  if (shown) return devicePage.render(container, context, shown);
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
      h('div', { class: 'once panel', role: 'region', 'aria-label': t('Tệp cài đặt thiết bị', 'Provisioning file') },
        h('h3', { text: t('Tệp cài đặt cho thiết bị "', 'Provisioning file for "') + (answer.device.name || answer.device.id) + '"' }),
        h('p', {}, h('strong', { text: t('Chỉ hiện lần này. ', 'Shown only now. ') }),
          t('Tệp chứa mật khẩu của thiết bị: hãy tải về và chép vào thiết bị (quyền 0600). Rời trang này là tệp mất.',
            'It holds the device password: download it and copy it to the device (mode 0600). Leaving this page discards it.')),
        h('div', { class: 'actions' },
          h('button', { type: 'button', id: 'download-provisioning', text: t('Tải về ', 'Download ') + fileName,
            onclick: () => downloadBlob(fileName, new Blob([text], { type: 'application/json' })) }),
          h('button', { type: 'button', class: 'secondary', text: t('Ẩn', 'Hide'), onclick: () => clear(provisioning) })),
        h('pre', { class: 'provisioning', text })));
    provisioning.scrollIntoView({ block: 'nearest' });
  }

  async function refresh() {
    try {
      const [devices, zoneItems] = await Promise.all([api.listAll('/devices'), api.listAll('/zones')]);
      zones = zoneItems;
      const zoneNames = new Map(zones.map((zone) => [zone.id, zone.name || zone.id]));
      const rows = devices.map((device) => {
        const title = device.name || device.id;
        return h('tr', { dataset: { device: device.id } },
          h('td', {}, h('a', { href: '#/devices/' + encodeURIComponent(device.id) }, h('strong', { text: title })), h('div', { class: 'muted mono', text: device.id })),
          h('td', { text: kindLabel(device.kind) }), h('td', { text: zoneNames.get(device.zone) || device.zone }), h('td', { text: (device.tags || []).join(', ') }),
          h('td', {}, device.revoked ? badge(t('đã thu hồi', 'revoked'), 'bad') : device.online ? badge(t('trực tuyến', 'online'), 'ok') : badge(t('ngoại tuyến', 'offline'), 'neutral')),
          h('td', { title: formatTime(device.last_seen, device.time_zone), text: formatAgo(device.last_seen) }),
          h('td', {}, manage && !device.revoked ? h('div', { class: 'actions' },
            h('button', { type: 'button', class: 'small secondary', 'aria-label': t('Cấp lại mật khẩu cho ', 'New credentials for ') + title, text: t('Cấp lại mật khẩu', 'New credentials'),
              onclick: async () => {
                if (!(await confirmAction(t('Cấp lại mật khẩu cho "', 'New credentials for "') + title + '"',
                  t('Thiết bị chỉ chạy tiếp sau khi cài tệp cài đặt mới.', 'The device keeps working only after its new provisioning file is installed.'),
                  t('Cấp lại mật khẩu', 'Make new credentials')))) return;
                try {
                  showProvisioning(await api.post('/devices/' + encodeURIComponent(device.id) + '/credentials'));
                } catch (error) {
                  message.error(error);
                }
              } }),
            h('button', { type: 'button', class: 'small danger', 'aria-label': t('Thu hồi ', 'Revoke ') + title, text: t('Thu hồi', 'Revoke'),
              onclick: async () => {
                if (!(await confirmAction(t('Thu hồi "', 'Revoke "') + title + '"?',
                  t('Thiết bị bị ngắt ngay và không tải được nội dung nữa.', 'The broker drops the device at once and it can no longer download media.'),
                  t('Thu hồi', 'Revoke')))) return;
                try {
                  await api.post('/devices/' + encodeURIComponent(device.id) + '/revoke');
                  message.success(t('Đã thu hồi thiết bị "' + title + '".', 'Device "' + title + '" revoked.'));
                } catch (error) {
                  message.error(error);
                }
                await refresh();
              } })) : null));
      });
      clear(listing, table(t('Thiết bị', 'Devices'),
        [t('Thiết bị', 'Device'), t('Loại', 'Kind'), t('Khu vực', 'Zone'), t('Nhãn', 'Tags'), t('Trạng thái', 'Status'), t('Liên lạc lần cuối', 'Last seen'), t('Thao tác', 'Actions')],
        rows, t('Chưa đăng ký thiết bị nào.', 'No devices registered yet.')));
      clear(zoneListing, table(t('Khu vực', 'Zones'), [t('Tên', 'Name'), t('Mã', 'Id')], zones.map((zone) => [zone.name, h('span', { class: 'mono', text: zone.id })]),
        t('Chưa có khu vực nào: hãy thêm khu vực trước khi đăng ký thiết bị.', 'No zones yet: add one before registering devices.')));
      if (zoneSelect) clear(zoneSelect, zones.map((zone) => h('option', { value: zone.id, text: zone.name || zone.id })));
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
    container.append(h('p', { class: 'muted', text: t('Chỉ người vận hành hoặc quản trị mới đăng ký và thu hồi được thiết bị.', 'Registering and revoking devices needs the operator or admin role.') }),
      h('div', { class: 'panel' }, h('h3', { text: t('Khu vực', 'Zones') }), zoneListing));
  }
  await refresh();
}

function registerForm(zoneSelect, message, showProvisioning, refresh) {
  zoneSelect.id = 'device-zone';
  zoneSelect.required = true;
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', maxlength: 64, id: 'device-id' });
  const name = h('input', { name: 'name', id: 'device-name', required: true });
  const kind = select('kind', [['screen', kindLabel('screen')], ['speaker', kindLabel('speaker')]], 'screen');
  kind.id = 'device-kind';
  const tags = h('input', { name: 'tags', id: 'device-tags' });
  const timeZone = h('input', { name: 'time_zone', value: 'Asia/Ho_Chi_Minh', id: 'device-time-zone' });
  const hasSpeaker = h('input', { type: 'checkbox', name: 'has_speaker', checked: true });
  const volume = h('input', { type: 'number', min: 0, max: 100, value: '80', name: 'default_volume', id: 'device-volume' });
  const submit = h('button', { type: 'submit', text: t('Đăng ký thiết bị', 'Register device'), id: 'device-register' });
  const form = h('form', { id: 'device-form' },
    field(t('Tên thiết bị', 'Device name'), name, t('Ví dụ: "Cổng chợ"', 'e.g. "Cổng chợ"')),
    idFromNameField(name, id),
    h('div', { class: 'inline' }, field(t('Loại', 'Kind'), kind), field(t('Khu vực', 'Zone'), zoneSelect)),
    field(t('Nhãn', 'Tags'), tags, t('Cách nhau bằng dấu phẩy.', 'Comma-separated.')),
    h('div', { class: 'inline' }, field(t('Múi giờ', 'Time zone'), timeZone), field(t('Âm lượng mặc định (0–100)', 'Default volume (0–100)'), volume)),
    h('div', { class: 'field' }, h('label', { class: 'check' }, hasSpeaker, ' ', t('có loa', 'has a speaker'))),
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
      message.success(t('Đã đăng ký thiết bị "' + (answer.device.name || answer.device.id) + '".', 'Device "' + (answer.device.name || answer.device.id) + '" registered.'));
      form.reset();
      showProvisioning(answer);
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: t('Đăng ký thiết bị', 'Register a device') }), form);
}

function zoneForm(message, refresh, zoneListing) {
  const id = h('input', { name: 'id', required: true, id: 'zone-id', pattern: '[A-Za-z0-9._\\-]{1,64}', maxlength: 64 });
  const name = h('input', { name: 'name', required: true, id: 'zone-name' });
  const form = h('form', { id: 'zone-form' },
    field(t('Tên khu vực', 'Zone name'), name, t('Ví dụ: "Phường 1"', 'e.g. "Phường 1"')),
    idFromNameField(name, id),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: t('Thêm khu vực', 'Add zone'), id: 'zone-add' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const zone = await api.post('/zones', { id: id.value.trim(), name: name.value.trim() });
      message.success(t('Đã thêm khu vực "' + zone.name + '".', 'Zone "' + zone.name + '" added.'));
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: t('Khu vực', 'Zones') }), zoneListing, form);
}
