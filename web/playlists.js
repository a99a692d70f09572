// Playlists: the list, each shown as its pictures in play order with lengths; a new playlist
// from stored media, an existing one edited (PUT with the version read) or copied. Items are
// reordered by dragging their rows or with the up/down buttons (keyboard); each item has a
// length for images and streams and a weight = plays per cycle ("Tỉ trọng").

import * as api from './api.js';
import { h, clear, field, formatDuration, idFromNameField, messageArea, scrollBox, select, table } from './dom.js';
import { t } from './i18n.js';
import { isAlertItem, mediaTypeLabel, nameText } from './words.js';
import { mediaPicture, playlistStrip } from './preview.js';

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'playlist-list' });
  const media = await api.listAll('/media');
  const mediaBySha = new Map(media.map((item) => [item.sha256, item]));
  const form = context.can('editContent') ? playlistForm(media, mediaBySha, message, () => refresh()) : null;

  async function refresh() {
    try {
      const items = await api.listAll('/playlists');
      const rows = items.map((playlist) => h('tr', { dataset: { playlist: playlist.id } },
        h('td', {}, h('strong', { text: nameText(playlist.name) || playlist.id }), h('div', { class: 'muted mono', text: playlist.id })),
        h('td', {}, playlistStrip(playlist, mediaBySha)),
        h('td', { text: String(playlist.version) }),
        h('td', {}, form && !isAlertItem(playlist.name) ? h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'small', text: t('Sửa', 'Edit'), 'aria-label': t('Sửa ', 'Edit ') + (playlist.name || playlist.id), onclick: () => form.edit(playlist) }),
          h('button', { type: 'button', class: 'small secondary', text: t('Sao chép', 'Copy'), 'aria-label': t('Sao chép ', 'Copy ') + (playlist.name || playlist.id), onclick: () => form.copy(playlist) })) : null)));
      clear(listing, table(t('Danh sách phát', 'Playlists'), [t('Danh sách phát', 'Playlist'), t('Các mục, theo thứ tự phát', 'Items, in play order'), t('Phiên bản', 'Version'), t('Thao tác', 'Actions')], rows,
        t('Chưa có danh sách phát nào.', 'No playlists yet.')));
    } catch (error) {
      message.error(error);
    }
  }

  container.append(message.element);
  if (form) container.append(form.element);
  container.append(h('div', { class: 'panel' }, listing));
  await refresh();
}

function playlistForm(media, mediaBySha, message, refresh) {
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', maxlength: 64, id: 'playlist-id' });
  const name = h('input', { name: 'name', id: 'playlist-name', required: true });
  const itemsBody = h('tbody', { id: 'playlist-items' });
  const choices = media.filter((item) => !isAlertItem(item.name));
  const options = choices.map((item) => [item.sha256, (item.name || t('(không tên)', '(no name)')) + ' — ' + mediaTypeLabel(item.type).toLowerCase()
    + (item.duration_ms ? ' ' + formatDuration(item.duration_ms) : '')]);
  const heading = h('h3', { text: t('Danh sách phát mới', 'New playlist') });
  const note = h('p', { class: 'muted', hidden: true });
  const idLine = idFromNameField(name, id);
  let editing = null;  // the playlist being edited, or null for a new one

  // Numbers and labels follow the rows' order after every move.
  function renumber() {
    [...itemsBody.children].forEach((row, index) => {
      const number = index + 1;
      row.dataset.position = String(number);
      row.querySelector('.item-number').textContent = String(number);
      row.querySelector('select').setAttribute('aria-label', t('Nội dung của mục ', 'Media of item ') + number);
      row.querySelector('[name="duration_s"]').setAttribute('aria-label', t('Số giây của mục ', 'Seconds for item ') + number);
      row.querySelector('[name="weight"]').setAttribute('aria-label', t('Tỉ trọng của mục ', 'Weight of item ') + number);
      row.querySelector('.move-up').setAttribute('aria-label', t('Đưa mục ' + number + ' lên', 'Move item ' + number + ' up'));
      row.querySelector('.move-down').setAttribute('aria-label', t('Đưa mục ' + number + ' xuống', 'Move item ' + number + ' down'));
      row.querySelector('.remove-item').setAttribute('aria-label', t('Bỏ mục ', 'Remove item ') + number);
      row.querySelector('.move-up').disabled = index === 0;
      row.querySelector('.move-down').disabled = index === itemsBody.children.length - 1;
    });
  }

  function move(row, step) {
    const target = step < 0 ? row.previousElementSibling : row.nextElementSibling;
    if (!target) return;
    if (step < 0) target.before(row);
    else target.after(row);
    renumber();
    row.querySelector(step < 0 ? '.move-up' : '.move-down').focus();
    if (document.activeElement && document.activeElement.disabled) row.querySelector('select').focus();
  }

  let dragged = null;
  function addItem(item) {
    const mediaSelect = select('media', options, item ? item.media : undefined);
    const picture = h('div', { class: 'row-picture' });
    const showPicture = () => clear(picture, mediaPicture(mediaBySha.get(mediaSelect.value)));
    mediaSelect.addEventListener('change', showPicture);
    const duration = h('input', { type: 'number', min: 1, name: 'duration_s', placeholder: t('theo nội dung', 'media length'),
      value: item && item.duration_ms ? String(item.duration_ms / 1000) : undefined });
    const weight = h('input', { type: 'number', min: 1, max: 100, value: String(item && item.weight ? item.weight : 1), name: 'weight' });
    const row = h('tr', { draggable: 'true', class: 'item-row' },
      h('td', {}, h('span', { class: 'drag-handle', 'aria-hidden': 'true', title: t('Kéo để đổi thứ tự', 'Drag to reorder'), text: '⠿' }), h('span', { class: 'item-number' })),
      h('td', {}, h('div', { class: 'media-cell' }, picture, mediaSelect)), h('td', {}, duration), h('td', {}, weight),
      h('td', {}, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'small secondary move-up', text: '↑', onclick: () => move(row, -1) }),
        h('button', { type: 'button', class: 'small secondary move-down', text: '↓', onclick: () => move(row, 1) }),
        h('button', { type: 'button', class: 'small secondary remove-item', text: t('Bỏ', 'Remove'), onclick: () => { row.remove(); renumber(); } }))));
    row.addEventListener('dragstart', (event) => {
      dragged = row;
      row.classList.add('dragging');
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', row.dataset.position || '');
    });
    row.addEventListener('dragend', () => {
      row.classList.remove('dragging');
      dragged = null;
      renumber();
    });
    row.addEventListener('dragover', (event) => {
      if (!dragged || dragged === row) return;
      event.preventDefault();
      const box = row.getBoundingClientRect();
      if (event.clientY < box.top + box.height / 2) row.before(dragged);
      else row.after(dragged);
    });
    row.addEventListener('drop', (event) => {
      event.preventDefault();
      renumber();
    });
    itemsBody.append(row);
    showPicture();
    renumber();
  }

  function reset() {
    editing = null;
    form.reset();
    clear(itemsBody);
    id.disabled = false;
    idLine.hidden = false;
    heading.textContent = t('Danh sách phát mới', 'New playlist');
    submit.textContent = t('Tạo danh sách phát', 'Create playlist');
    note.hidden = true;
    cancel.hidden = true;
    if (options.length) addItem();
  }

  function fill(playlist, asCopy) {
    form.reset();
    clear(itemsBody);
    name.value = asCopy ? (playlist.name || playlist.id) + t(' (bản sao)', ' (copy)') : playlist.name || '';
    name.dispatchEvent(new Event('input'));
    for (const item of playlist.items) addItem(item);
    cancel.hidden = false;
    form.scrollIntoView({ block: 'start' });
    name.focus();
  }

  const submit = h('button', { type: 'submit', text: t('Tạo danh sách phát', 'Create playlist'), id: 'playlist-create' });
  const cancel = h('button', { type: 'button', class: 'secondary', text: t('Thôi sửa', 'Stop editing'), hidden: true, onclick: () => reset() });
  const headers = ['#', t('Nội dung', 'Media'), t('Số giây (hình ảnh, tiếp sóng)', 'Seconds (images, streams)'),
    t('Tỉ trọng (số lần mỗi vòng)', 'Weight (plays per round)'), t('Thứ tự', 'Order')];
  const form = h('form', { id: 'playlist-form' },
    note,
    field(t('Tên danh sách phát', 'Playlist name'), name, t('Ví dụ: "Buổi sáng"', 'e.g. "Buổi sáng"')),
    idLine,
    options.length
      ? scrollBox(h('table', {}, h('caption', { text: t('Các mục, phát theo thứ tự (kéo hàng hoặc dùng ↑ ↓ để đổi thứ tự)', 'Items, played in order (drag a row or use ↑ ↓ to reorder)') }),
        h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col', text })))), itemsBody))
      : h('p', { class: 'muted', text: t('Hãy tải nội dung lên trước.', 'Upload media first.') }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', text: t('Thêm mục', 'Add item'), onclick: () => addItem(), disabled: !options.length }), submit, cancel));

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
      if (editing) {
        const saved = await api.put('/playlists/' + encodeURIComponent(editing.id), { version: editing.version, name: name.value.trim(), items });
        message.success(t('Đã lưu danh sách phát "' + (saved.name || saved.id) + '" (phiên bản ' + saved.version + ').',
          'Playlist "' + (saved.name || saved.id) + '" saved (version ' + saved.version + ').'));
      } else {
        const created = await api.post('/playlists', { id: id.value.trim(), name: name.value.trim(), items });
        message.success(t('Đã tạo danh sách phát "' + (created.name || created.id) + '".', 'Playlist "' + (created.name || created.id) + '" created.'));
      }
      reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  reset();

  return {
    element: h('div', { class: 'panel', id: 'playlist-editor' }, heading, form),
    edit(playlist) {
      reset();
      fill(playlist, false);
      editing = { id: playlist.id, version: playlist.version };
      id.value = playlist.id;
      id.disabled = true;
      idLine.hidden = true;
      heading.textContent = t('Sửa danh sách phát "' + (playlist.name || playlist.id) + '"', 'Edit playlist "' + (playlist.name || playlist.id) + '"');
      submit.textContent = t('Lưu thay đổi', 'Save changes');
      note.hidden = false;
      note.textContent = t('Danh sách phát đang được một chiến dịch chờ duyệt hoặc đã duyệt dùng thì không sửa được: hãy sao chép nó, sửa bản sao và sửa chiến dịch để dùng bản sao (cần duyệt lại).',
        'A playlist a submitted or approved campaign plays cannot be changed: copy it, edit the copy and edit the campaign to use it (approved again).');
    },
    copy(playlist) {
      reset();
      fill(playlist, true);
      heading.textContent = t('Danh sách phát mới (bản sao)', 'New playlist (copy)');
    },
  };
}
