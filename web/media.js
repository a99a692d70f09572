// Media: the list, uploads (the file's bytes as the body, its name in ?name=) and text notices
// spoken by the controller's text-to-speech.

import * as api from './api.js';
import { h, clear, field, formatBytes, formatDuration, formatTime, messageArea, table } from './dom.js';

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'media-list' });

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
          h('td', {}, h('a', { href: item.content_url, target: '_blank', rel: 'noopener', text: 'open' }))));
      clear(listing, table('Media', ['Name', 'Type', 'Length', 'Size', 'SHA-256', 'Uploaded', 'Content'], rows, 'No media yet.'));
    } catch (error) {
      message.error(error);
    }
  }

  container.append(message.element);
  if (context.can('editContent')) container.append(h('div', { class: 'columns' }, uploadForm(message, refresh), noticeForm(message, refresh)));
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
