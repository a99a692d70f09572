// Media: the list with thumbnails, a preview that plays audio and video in the page, deleting
// unused media, uploads (the file's bytes as the body, its name in ?name=), streams added by URL
// (probed once by the controller) and text notices spoken by the controller's text-to-speech.

import * as api from './api.js';
import { h, clear, confirmAction, field, formatBytes, formatDuration, formatTime, messageArea, table } from './dom.js';
import { t } from './i18n.js';
import { isAlertItem, mediaTypeLabel, nameText } from './words.js';
import { mediaPicture, mediaPlayer } from './preview.js';

export async function render(container, context) {
  const message = messageArea();
  const listing = h('div', { id: 'media-list' });

  const fillers = fillerChoice();

  const preview = h('div', { id: 'media-preview', 'aria-live': 'polite' });

  function showPreview(item, items) {
    const name = nameText(item.name) || t('(không tên)', '(no name)');
    const speech = item.tts_media ? items.find((other) => other.sha256 === item.tts_media) : null;
    clear(preview, h('div', { class: 'panel' },
      h('h3', { text: t('Xem trước "' + name + '"', 'Preview of "' + name + '"') }),
      h('p', { class: 'muted', text: mediaTypeLabel(item.type) + ', ' + formatDuration(item.duration_ms) }),
      mediaPlayer(item, { speech }),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'small secondary', text: t('Đóng', 'Close'), onclick: () => clear(preview) }))));
    preview.scrollIntoView({ block: 'nearest' });
  }

  async function remove(item) {
    const name = nameText(item.name) || t('(không tên)', '(no name)');
    const sure = await confirmAction(t('Xoá "' + name + '"?', 'Delete "' + name + '"?'),
      t('Nội dung không còn được dùng sẽ bị xoá hẳn khỏi máy chủ.', 'Media no playlist uses is removed from the controller for good.'), t('Xoá', 'Delete'));
    if (!sure) return;
    try {
      await api.del('/media/' + encodeURIComponent(item.sha256));
      message.success(t('Đã xoá "' + name + '".', '"' + name + '" deleted.'));
      clear(preview);
    } catch (error) {
      message.error(error);
    }
    await refresh();
  }

  async function refresh() {
    try {
      const items = await api.listAll('/media');
      const rows = items.map((item) =>
        h('tr', { dataset: { media: item.sha256 } },
          h('td', { class: 'row-picture' }, mediaPicture(item)),
          h('td', {}, h('strong', { text: nameText(item.name) || t('(không tên)', '(no name)') }), item.text ? h('div', { class: 'muted', text: item.text }) : null),
          h('td', { text: mediaTypeLabel(item.type) }),
          h('td', { text: formatDuration(item.duration_ms) }),
          h('td', { text: formatBytes(item.size) }),
          h('td', { text: formatTime(item.created) }),
          h('td', {}, item.type === 'stream'
            ? h('span', { class: 'mono stream-url', title: item.url, text: item.url })
            : h('a', { href: item.content_url, target: '_blank', rel: 'noopener', text: t('mở', 'open'),
              'aria-label': t('Mở ', 'Open ') + (nameText(item.name) || t('nội dung', 'media')) })),
          h('td', {}, h('div', { class: 'actions' },
            item.type !== 'stream' ? h('button', { type: 'button', class: 'small secondary', text: t('Xem trước', 'Preview'),
              'aria-label': t('Xem trước ', 'Preview ') + (nameText(item.name) || t('nội dung', 'media')), onclick: () => showPreview(item, items) }) : null,
            context.can('editContent') && !isAlertItem(item.name) ? h('button', { type: 'button', class: 'small danger', text: t('Xoá', 'Delete'),
              'aria-label': t('Xoá ', 'Delete ') + (nameText(item.name) || t('nội dung', 'media')), onclick: () => remove(item) }) : null))));
      fillers.update(items.filter((item) => (item.type === 'audio' || item.type === 'video') && !isAlertItem(item.name)));
      clear(listing, table(t('Nội dung', 'Media'),
        [t('Hình', 'Picture'), t('Tên', 'Name'), t('Loại', 'Type'), t('Thời lượng', 'Length'), t('Dung lượng', 'Size'), t('Tải lên lúc', 'Uploaded'), t('Xem', 'Content'), t('Thao tác', 'Actions')],
        rows, t('Chưa có nội dung nào.', 'No media yet.')));
    } catch (error) {
      message.error(error);
    }
  }

  container.append(message.element);
  if (context.can('editContent')) container.append(h('div', { class: 'columns' }, uploadForm(message, refresh), noticeForm(message, refresh), streamForm(message, refresh, fillers)));
  container.append(preview, h('div', { class: 'panel' }, listing));
  await refresh();
}

function uploadForm(message, refresh) {
  const file = h('input', { type: 'file', name: 'file', required: true, id: 'media-file', accept: 'video/*,audio/*,image/*' });
  const name = h('input', { name: 'name', id: 'media-name' });
  const submit = h('button', { type: 'submit', text: t('Tải lên', 'Upload'), id: 'media-upload' });
  const progress = h('p', { class: 'muted', 'aria-live': 'polite' });
  // The browser draws its own file button in the browser's language: the input stays (focusable,
  // visually hidden) and a button of the console's words opens it.
  file.className = 'visually-hidden';
  const chosenName = h('span', { class: 'muted', id: 'media-file-chosen', text: t('Chưa chọn tệp', 'No file chosen') });
  file.addEventListener('change', () => {
    chosenName.textContent = file.files[0] ? file.files[0].name : t('Chưa chọn tệp', 'No file chosen');
  });
  const picker = h('div', { class: 'field' },
    h('label', { for: 'media-file', text: t('Tệp', 'File') }),
    h('div', { class: 'file-picker' }, file,
      h('button', { type: 'button', class: 'secondary small', text: t('Chọn tệp…', 'Choose a file…'), 'aria-hidden': 'true', tabindex: '-1', onclick: () => file.click() }),
      chosenName));
  file.setAttribute('aria-describedby', 'media-file-chosen');
  const form = h('form', { id: 'upload-form' }, picker, field(t('Tên', 'Name'), name, t('Để trống: dùng tên tệp.', 'Empty: the file name.')),
    h('div', { class: 'actions' }, submit), progress);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    submit.disabled = true;
    progress.textContent = t('Đang tải lên ' + chosen.name + ' (' + formatBytes(chosen.size) + '); máy chủ đang kiểm tra tệp…',
      'Uploading ' + chosen.name + ' (' + formatBytes(chosen.size) + '); the controller checks it…');
    try {
      const stored = await api.request('POST', '/media', {
        query: { name: name.value.trim() || chosen.name },
        body: chosen,
        contentType: chosen.type || 'application/octet-stream',
      });
      message.success(t('Đã lưu "' + stored.name + '": ', 'Stored "' + stored.name + '": ') + mediaTypeLabel(stored.type).toLowerCase() + ', ' + formatDuration(stored.duration_ms) + '.');
      form.reset();
      chosenName.textContent = t('Chưa chọn tệp', 'No file chosen');
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
      progress.textContent = '';
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: t('Tải nội dung lên', 'Upload media') }), form);
}

function noticeForm(message, refresh) {
  const text = h('textarea', { name: 'text', required: true, id: 'notice-text', rows: 4 });
  const name = h('input', { name: 'name', id: 'notice-name' });
  const voice = h('input', { name: 'voice', id: 'notice-voice', placeholder: 'vi-vn-x-south' });
  const submit = h('button', { type: 'submit', text: t('Tạo thông báo', 'Create notice'), id: 'notice-create' });
  const form = h('form', { id: 'notice-form' },
    field(t('Nội dung', 'Text'), text, t('Ví dụ: "Thông báo: sáng mai cắt điện từ 7 giờ."', 'Vietnamese text, e.g. "Thông báo: sáng mai cắt điện từ 7 giờ."')),
    h('div', { class: 'inline' }, field(t('Tên', 'Name'), name), field(t('Giọng đọc', 'Voice'), voice, t('Để trống: giọng mặc định.', 'Empty: the controller default.'))),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { text: text.value.trim() };
    if (name.value.trim()) body.name = name.value.trim();
    if (voice.value.trim()) body.voice = voice.value.trim();
    submit.disabled = true;
    try {
      const notice = await api.post('/notices', body);
      const title = notice.name || notice.text.slice(0, 40);
      message.success(t('Đã lưu thông báo "' + title + '", đọc trong ' + formatDuration(notice.duration_ms) + '.',
        'Notice "' + title + '" stored, spoken in ' + formatDuration(notice.duration_ms) + '.'));
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: t('Thông báo bằng văn bản', 'Text notice') }), form);
}

// The audio and video media a stream may fall back to, refreshed with the list.
function fillerChoice() {
  const select = h('select', { name: 'filler', id: 'stream-filler' });
  return {
    select,
    update(items) {
      const chosen = select.value;
      clear(select, h('option', { value: '', text: t('(không có)', '(none)') }),
        ...items.map((item) => h('option', { value: item.sha256, text: (item.name || t('(không tên)', '(no name)')) + ' (' + mediaTypeLabel(item.type).toLowerCase() + ')' })));
      select.value = items.some((item) => item.sha256 === chosen) ? chosen : '';
    },
  };
}

function streamForm(message, refresh, fillers) {
  const name = h('input', { name: 'name', required: true, id: 'stream-name', placeholder: t('Tiếp sóng VOV1', 'VOV1 relay') });
  const url = h('input', { name: 'url', type: 'url', required: true, id: 'stream-url', placeholder: 'https://…/vov1.mp3' });
  const submit = h('button', { type: 'submit', text: t('Thêm nguồn tiếp sóng', 'Add stream'), id: 'stream-add' });
  const progress = h('p', { class: 'muted', 'aria-live': 'polite' });
  const form = h('form', { id: 'stream-form' },
    field(t('Tên', 'Name'), name),
    field(t('Địa chỉ (URL)', 'Address (URL)'), url, t('http:// hoặc https://: một kênh Icecast (MP3, AAC, Opus) hoặc danh sách HLS.', 'http:// or https://: an Icecast mount (MP3, AAC, Opus) or an HLS playlist.')),
    field(t('Nội dung thay thế', 'Filler'), fillers.select, t('Phát khi nguồn bị mất.', 'Played while the source is down.')),
    h('div', { class: 'actions' }, submit), progress);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { name: name.value.trim(), url: url.value.trim() };
    if (fillers.select.value) body.filler = fillers.select.value;
    submit.disabled = true;
    progress.textContent = t('Máy chủ đang thử đọc nguồn (tối đa 10 giây)…', 'The controller reads the stream once (at most 10 s)…');
    try {
      const stream = await api.post('/media/streams', body);
      const title = '"' + stream.name + '"';
      if (!stream.probe) message.success(t('Nguồn ' + title + ' đã được thêm từ trước.', 'Stream ' + title + ' was added before.'));
      else if (stream.probe.ok) {
        message.success(t('Đã lưu nguồn ' + title + ': ' + stream.probe.codec + (stream.has_video ? ', có hình.' : ', chỉ có tiếng.'),
          'Stream ' + title + ' stored: ' + stream.probe.codec + (stream.has_video ? ', with pictures.' : ', sound only.')));
      } else {
        message.success(t('Đã lưu nguồn ' + title + ', nhưng lúc này chưa đọc được: ', 'Stream ' + title + ' stored, but it could not be read now: ') + stream.probe.error);
      }
      form.reset();
      await refresh();
    } catch (error) {
      message.error(error);
    } finally {
      submit.disabled = false;
      progress.textContent = '';
    }
  });
  return h('div', { class: 'panel' }, h('h3', { text: t('Tiếp sóng', 'Stream (relay)') }), form);
}
