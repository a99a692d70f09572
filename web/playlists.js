// Playlists: the list, and a new playlist from stored media (each item: media, length for
// images and streams, weight = plays per cycle, shown to officers as "Tỉ trọng").

import * as api from './api.js';
import { h, clear, field, formatDuration, idFromNameField, messageArea, scrollBox, select, table } from './dom.js';
import { t } from './i18n.js';
import { isAlertItem, mediaTypeLabel, nameText } from './words.js';

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'playlist-list' });
  const media = await api.listAll('/media');
  const mediaNames = new Map(media.map((item) => [item.sha256, nameText(item.name) || t('(không tên)', '(no name)')]));

  async function refresh() {
    try {
      const items = await api.listAll('/playlists');
      const rows = items.map((playlist) => [
        h('span', {}, h('strong', { text: nameText(playlist.name) || playlist.id }), h('div', { class: 'muted mono', text: playlist.id })),
        h('ol', {}, playlist.items.map((item) => h('li', {
          text: (mediaNames.get(item.media) || t('(nội dung đã xoá)', '(media removed)')) + (item.duration_ms ? ', ' + formatDuration(item.duration_ms) : '')
            + ((item.weight ?? 1) !== 1 ? t(', tỉ trọng ' + item.weight, ', weight ' + item.weight) : ''),
        }))),
        String(playlist.version),
      ]);
      clear(listing, table(t('Danh sách phát', 'Playlists'), [t('Danh sách phát', 'Playlist'), t('Các mục', 'Items'), t('Phiên bản', 'Version')], rows,
        t('Chưa có danh sách phát nào.', 'No playlists yet.')));
    } catch (error) {
      message.error(error);
    }
  }

  container.append(message.element);
  if (context.can('editContent')) container.append(createForm(media, message, refresh));
  container.append(h('div', { class: 'panel' }, listing));
  await refresh();
}

function createForm(media, message, refresh) {
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', maxlength: 64, id: 'playlist-id' });
  const name = h('input', { name: 'name', id: 'playlist-name', required: true });
  const itemsBody = h('tbody');
  const options = media.filter((item) => !isAlertItem(item.name)).map((item) => [item.sha256, (item.name || t('(không tên)', '(no name)')) + ' — ' + mediaTypeLabel(item.type).toLowerCase()
    + (item.duration_ms ? ' ' + formatDuration(item.duration_ms) : '')]);

  function addItem() {
    const number = itemsBody.children.length + 1;
    const mediaSelect = select('media', options);
    mediaSelect.setAttribute('aria-label', t('Nội dung của mục ', 'Media of item ') + number);
    const duration = h('input', { type: 'number', min: 1, name: 'duration_s', 'aria-label': t('Số giây của mục ', 'Seconds for item ') + number,
      placeholder: t('theo nội dung', 'media length') });
    const weight = h('input', { type: 'number', min: 1, max: 100, value: '1', name: 'weight', 'aria-label': t('Tỉ trọng của mục ', 'Weight of item ') + number });
    const row = h('tr', {}, h('td', {}, mediaSelect), h('td', {}, duration), h('td', {}, weight),
      h('td', {}, h('button', { type: 'button', class: 'small secondary', text: t('Bỏ', 'Remove'), 'aria-label': t('Bỏ mục ', 'Remove item ') + number, onclick: () => row.remove() })));
    itemsBody.append(row);
  }
  if (options.length) addItem();

  const submit = h('button', { type: 'submit', text: t('Tạo danh sách phát', 'Create playlist'), id: 'playlist-create' });
  const headers = [t('Nội dung', 'Media'), t('Số giây (hình ảnh, tiếp sóng)', 'Seconds (images, streams)'),
    t('Tỉ trọng (số lần mỗi vòng)', 'Weight (plays per round)'), ''];
  const form = h('form', { id: 'playlist-form' },
    field(t('Tên danh sách phát', 'Playlist name'), name, t('Ví dụ: "Buổi sáng"', 'e.g. "Buổi sáng"')),
    idFromNameField(name, id),
    options.length
      ? scrollBox(h('table', {}, h('caption', { text: t('Các mục, phát theo thứ tự', 'Items, played in order') }),
        h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col', text })))), itemsBody))
      : h('p', { class: 'muted', text: t('Hãy tải nội dung lên trước.', 'Upload media first.') }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', text: t('Thêm mục', 'Add item'), onclick: addItem, disabled: !options.length }), submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const items = [...itemsBody.children].map((row) => {
      const item = { media: row.querySelector('select').value };
      const seconds = Number(row.querySelector('[name="duration_s"]').value);
      if (seconds > 0) item.duration_ms = Math.round(seconds * 1000);
      item.weight = Number(row.querySelector('[name="weight"]').value || 1);
      return item;
    });
    submit.disabled = true;
    try {
      const created = await api.post('/playlists', { id: id.value.trim(), name: name.value.trim(), items });
      message.success(t('Đã tạo danh sách phát "' + (created.name || created.id) + '".', 'Playlist "' + (created.name || created.id) + '" created.'));
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: t('Danh sách phát mới', 'New playlist') }), form);
}
