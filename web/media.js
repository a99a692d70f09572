// Media: the list, uploads (the file's bytes as the body, its name in ?name=), streams added by
// URL (probed once by the controller) and text notices spoken by the controller's text-to-speech.

import * as api from './api.js';
import { h, clear, field, formatBytes, formatDuration, formatTime, messageArea, table } from './dom.js';

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'media-list' });

  const fillers = fillerChoice();

  async function refresh() {
    try {
      const items = await api.listAll('/media');
      const rows = items.map((item) =>
        h('tr', { dataset: { media: item.sha256 } },
          h('td', {}, h('strong', { text: item.name || '(no name)' }), item.text ? h('div', { class: 'muted', text: item.text }) : null),
          h('td', { text: item.type }),
          h('td', { text: formatDuration(item.duration_ms) }),
          h('td', { text: formatBytes(item.size) }),
          h('td', { class: 'mono', title: item.sha256, text: item.sha256.slice(0, 12) + '…' }),
          h('td', { text: formatTime(item.created) }),
          h('td', {}, item.type === 'stream'
            ? h('span', { class: 'mono', title: item.url, text: item.url })
            : h('a', { href: item.content_url, target: '_blank', rel: 'noopener', text: 'open' }))));
      fillers.update(items.filter((item) => item.type === 'audio' || item.type === 'video'));
      clear(listing, table('Media', ['Name', 'Type', 'Length', 'Size', 'SHA-256', 'Uploaded', 'Content'], rows, 'No media yet.'));
    } catch (error) {
      message.error(error);
    }
  }

  container.append(message.element);
  if (context.can('editContent')) container.append(h('div', { class: 'columns' }, uploadForm(message, refresh), noticeForm(message, refresh), streamForm(message, refresh, fillers)));
  container.append(h('div', { class: 'panel' }, listing));
  await refresh();
}

function uploadForm(message, refresh) {
  const file = h('input', { type: 'file', name: 'file', required: true, id: 'media-file', accept: 'video/*,audio/*,image/*' });
  const name = h('input', { name: 'name', id: 'media-name' });
  const submit = h('button', { type: 'submit', text: 'Upload' });
  const progress = h('p', { class: 'muted', 'aria-live': 'polite' });
  const form = h('form', { id: 'upload-form' }, field('File', file), field('Name', name, 'Empty: the file name.'), h('div', { class: 'actions' }, submit), progress);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    submit.disabled = true;
    progress.textContent = 'Uploading ' + chosen.name + ' (' + formatBytes(chosen.size) + '); the controller checks it with ffprobe…';
    try {
      const stored = await api.request('POST', '/media', {
        query: { name: name.value.trim() || chosen.name },
        body: chosen,
        contentType: chosen.type || 'application/octet-stream',
      });
      message.success('Stored "' + stored.name + '": ' + stored.type + ', ' + formatDuration(stored.duration_ms) + '.');
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
      progress.textContent = '';
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: 'Upload media' }), form);
}

function noticeForm(message, refresh) {
  const text = h('textarea', { name: 'text', required: true, id: 'notice-text', rows: 4 });
  const name = h('input', { name: 'name', id: 'notice-name' });
  const voice = h('input', { name: 'voice', id: 'notice-voice', placeholder: 'vi-vn-x-south' });
  const submit = h('button', { type: 'submit', text: 'Create notice' });
  const form = h('form', { id: 'notice-form' },
    field('Text', text, 'Vietnamese text, e.g. "Thông báo: sáng mai cắt điện từ 7 giờ."'),
    h('div', { class: 'inline' }, field('Name', name), field('Voice', voice, 'Empty: the controller default.')),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { text: text.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    if (voice.value.trim()) body.voice = voice.value.trim();
    submit.disabled = true;
    try {
      const notice = await api.post('/notices', body);
      message.success('Notice "' + (notice.name || notice.sha256.slice(0, 12)) + '" stored, spoken in ' + formatDuration(notice.duration_ms) + '.');
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: 'Text notice' }), form);
}

// The audio and video media a stream may fall back to, refreshed with the list.
function fillerChoice() {
  const select = h('select', { name: 'filler', id: 'stream-filler' });
  return {
    select,
    update(items) {
      const chosen = select.value;
      clear(select, h('option', { value: '', text: '(none)' }),
        ...items.map((item) => h('option', { value: item.sha256, text: (item.name || item.sha256.slice(0, 12)) + ' (' + item.type + ')' })));
      select.value = items.some((item) => item.sha256 === chosen) ? chosen : '';
    },
  };
}

function streamForm(message, refresh, fillers) {
  const name = h('input', { name: 'name', required: true, id: 'stream-name', placeholder: 'Tiếp sóng VOV1' });
  const url = h('input', { name: 'url', type: 'url', required: true, id: 'stream-url', placeholder: 'https://…/vov1.mp3' });
  const submit = h('button', { type: 'submit', text: 'Add stream' });
  const progress = h('p', { class: 'muted', 'aria-live': 'polite' });
  const form = h('form', { id: 'stream-form' },
    field('Name', name),
    field('URL', url, 'http:// or https://: an Icecast mount (MP3, AAC, Opus) or an HLS playlist.'),
    field('Filler', fillers.select, 'Played while the source is down.'),
    h('div', { class: 'actions' }, submit), progress);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), url: url.value.trim() };
    if (fillers.select.value) body.filler = fillers.select.value;
    submit.disabled = true;
    progress.textContent = 'The controller reads the stream once (at most 10 s)…';
    try {
      const stream = await api.post('/media/streams', body);
      if (!stream.probe) message.success('Stream "' + stream.name + '" was added before.');
      else if (stream.probe.ok) message.success('Stream "' + stream.name + '" stored: ' + stream.probe.codec + (stream.has_video ? ', with pictures.' : ', sound only.'));
      else message.success('Stream "' + stream.name + '" stored, but it could not be read now: ' + stream.probe.error);
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
      progress.textContent = '';
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: 'Stream (relay)' }), form);
}
