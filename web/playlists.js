// Playlists: the list, and a new playlist from stored media (each item: media, length for
// images and streams, weight = plays per cycle).

import * as api from './api.js';
import { h, clear, field, formatDuration, messageArea, select, table } from './dom.js';

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'playlist-list' });
  const media = await api.listAll('/media');
  const mediaNames = new Map(media.map((item) => [item.sha256, item.name || item.sha256.slice(0, 12)]));

  async function refresh() {
    try {
      const items = await api.listAll('/playlists');
      const rows = items.map((playlist) => [
        h('span', {}, h('strong', { text: playlist.name || playlist.id }), h('div', { class: 'muted mono', text: playlist.id })),
        h('ol', {}, playlist.items.map((item) => h('li', {
          text: (mediaNames.get(item.media) || item.media.slice(0, 12)) + (item.duration_ms ? ', ' + formatDuration(item.duration_ms) : '') + ((item.weight ?? 1) !== 1 ? ', weight ' + item.weight : ''),
        }))),
        String(playlist.version),
      ]);
      clear(listing, table('Playlists', ['Playlist', 'Items', 'Version'], rows, 'No playlists yet.'));
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
  const id = h('input', { name: 'id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', id: 'playlist-id' });
  const name = h('input', { name: 'name', id: 'playlist-name' });
  const itemsBody = h('tbody');
  const options = media.map((item) => [item.sha256, (item.name || item.sha256.slice(0, 12)) + ' — ' + item.type + (item.duration_ms ? ' ' + formatDuration(item.duration_ms) : '')]);

  function addItem() {
    const number = itemsBody.children.length + 1;
    const mediaSelect = select('media', options);
    mediaSelect.setAttribute('aria-label', 'Media of item ' + number);
    const duration = h('input', { type: 'number', min: 1, name: 'duration_s', 'aria-label': 'Seconds for item ' + number, placeholder: 'media length' });
    const weight = h('input', { type: 'number', min: 1, max: 100, value: '1', name: 'weight', 'aria-label': 'Weight of item ' + number });
    const row = h('tr', {}, h('td', {}, mediaSelect), h('td', {}, duration), h('td', {}, weight),
      h('td', {}, h('button', { type: 'button', class: 'small secondary', text: 'Remove', 'aria-label': 'Remove item ' + number, onclick: () => row.remove() })));
    itemsBody.append(row);
  }
  if (media.length) addItem();

  const submit = h('button', { type: 'submit', text: 'Create playlist', id: 'playlist-create' });
  const form = h('form', { id: 'playlist-form' },
    h('div', { class: 'inline' }, field('Id', id, 'Letters, digits, . _ -'), field('Name', name)),
    media.length
      ? h('table', {}, h('caption', { text: 'Items, played in order' }),
        h('thead', {}, h('tr', {}, ['Media', 'Seconds (images, streams)', 'Weight', ''].map((text) => h('th', { scope: 'col', text })))), itemsBody)
      : h('p', { class: 'muted', text: 'Upload media first.' }),
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', text: 'Add item', onclick: addItem, disabled: !media.length }), submit));

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
      message.success('Playlist "' + (created.name || created.id) + '" created.');
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: 'New playlist' }), form);
}
