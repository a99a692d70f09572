// Pictures and players of content, for editors choosing it and approvers reading what they
// approve: a media item's thumbnail (or a slide for a text notice, a sound box for audio), a
// player for it, a playlist as its pictures in order, and what changed in a campaign since its
// last approved version, in plain words.

import { post } from './api.js';
import { h, clear, field, formatDuration, select } from './dom.js';
import { t, formatNumber } from './i18n.js';
import { kindLabel, levelLabel, mediaTypeLabel, modeLabel, nameText, weekdayLabel } from './words.js';

function mediaUrl(sha256, what) {
  return '/api/v1/media/' + encodeURIComponent(sha256) + '/' + what;
}

// A notice's slides as the player draws them (POST /notices/preview: the player's own renderer,
// fonts and pages), asked once per text and look in this page.
const drawnNotices = new Map();
export function drawNotice(text, { zone, device, look, severity, size } = {}) {
  const body = { text };
  if (zone) body.zone = zone;
  if (device) body.device = device;
  if (look) body.look = look;
  if (severity) body.severity = severity;
  if (size) body.size = size;
  const key = JSON.stringify(body);
  if (!drawnNotices.has(key)) {
    const asked = post('/notices/preview', body);
    asked.catch(() => drawnNotices.delete(key));
    drawnNotices.set(key, asked);
  }
  return drawnNotices.get(key);
}

// The text of a notice as a screen draws it: at once a slide-like box of its text, replaced by
// the player's own slide (every page when `full`) when the controller has drawn it. The text
// stays in the box for screen readers; when the controller cannot draw it, the box stays.
export function slide(text, { full = false, ...notice } = {}) {
  const shown = full || text.length <= 140 ? text : text.slice(0, 137) + '…';
  const words = h('span', { class: 'slide-text', text: shown });
  const box = h('div', { class: 'slide' + (full ? ' full' : ''), role: 'img', 'aria-label': t('Trang chữ: ', 'Text slide: ') + shown }, words);
  drawNotice(text, notice).then((answer) => {
    const pages = full ? answer.images : answer.images.slice(0, 1);
    box.classList.add('drawn');
    words.classList.add('visually-hidden');
    box.dataset.pages = String(answer.pages);
    for (const [index, src] of pages.entries())
      box.append(h('img', { class: 'notice-page', src, alt: '', loading: 'lazy', width: String(answer.width), height: String(answer.height), dataset: { page: String(index + 1) } }));
    if (!full && answer.pages > 1) box.append(h('span', { class: 'notice-pages', text: answer.pages + t(' trang', ' pages') }));
  }).catch(() => {});
  return box;
}

// A form's "see it on a screen": a frame size to pick, a button, and the notice's pages as the
// player draws them. `notice()` gives {text, zone, look, severity} from the form; a refusal
// (characters the screen font lacks, a text too long) shows in `message`.
export function noticePreviewControls(idPrefix, notice, message) {
  const size = select('size', [
    ['landscape', t('Màn hình ngang 1920×1080', 'Landscape screen 1920×1080')],
    ['portrait', t('Màn hình dọc 1080×1920', 'Portrait screen 1080×1920')],
    ['strip', t('Dải LED 1920×240', 'LED strip 1920×240')]], 'landscape');
  size.id = idPrefix + '-preview-size';
  const output = h('div', { class: 'notice-preview-output', id: idPrefix + '-preview', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'secondary', id: idPrefix + '-preview-button', text: t('Xem trên màn hình', 'See it on a screen') });
  button.addEventListener('click', async () => {
    const asked = { ...notice(), size: size.value };
    if (!asked.text || !asked.text.trim()) return;
    button.disabled = true;
    try {
      const answer = await drawNotice(asked.text, asked);
      clear(output, slide(asked.text, { full: true, ...asked }),
        h('p', { class: 'muted', text: t('Vẽ bằng chính mã của đầu phát: ', 'Drawn by the player\'s own code: ') + answer.pages + t(' trang', answer.pages === 1 ? ' page' : ' pages') }));
    } catch (error) {
      clear(output);
      message.error(error);
    } finally {
      button.disabled = false;
    }
  });
  return h('div', { class: 'notice-preview-controls' }, h('div', { class: 'inline' }, field(t('Cỡ màn hình', 'Screen size'), size), h('div', { class: 'actions' }, button)), output);
}

// A small picture of `item` (a media record): its thumbnail, a slide, or a box naming its type.
// A thumbnail that cannot be made shows a box saying so.
export function mediaPicture(item) {
  const name = item ? nameText(item.name) || t('(không tên)', '(no name)') : t('(nội dung đã xoá)', '(media removed)');
  if (!item) return h('div', { class: 'picture-box', text: name });
  if (item.type === 'text' && item.text) return slide(item.text);
  if (item.thumbnail_url) {
    const image = h('img', { class: 'thumb', src: item.thumbnail_url, alt: name, loading: 'lazy', width: '160' });
    image.addEventListener('error', () => {
      image.replaceWith(h('div', { class: 'picture-box', text: t('Không có hình thu nhỏ', 'No thumbnail') }));
    }, { once: true });
    return image;
  }
  const sign = item.type === 'audio' ? '♪ ' : '';
  return h('div', { class: 'picture-box', text: sign + mediaTypeLabel(item.type) });
}

// A player for `item`: video and audio play in the page, an image shows whole, a notice shows
// its text with its speech, a stream shows where it is relayed from.
export function mediaPlayer(item, { speech } = {}) {
  const name = nameText(item.name) || t('(không tên)', '(no name)');
  if (item.type === 'video')
    return h('video', { class: 'player', controls: true, preload: 'metadata', src: item.content_url, poster: item.thumbnail_url || undefined, 'aria-label': t('Phát ', 'Play ') + name });
  if (item.type === 'audio') return h('audio', { class: 'player', controls: true, preload: 'none', src: item.content_url, 'aria-label': t('Nghe ', 'Listen to ') + name });
  if (item.type === 'image') return h('img', { class: 'player', src: item.content_url, alt: name });
  if (item.type === 'text') {
    const parts = [slide(item.text || '', { full: true })];
    const audio = speech || (item.tts_media ? { content_url: mediaUrl(item.tts_media, 'content') } : null);
    if (audio)
      parts.push(h('audio', { class: 'player', controls: true, preload: 'none', src: audio.content_url, 'aria-label': t('Nghe lời đọc của ', 'Listen to the speech of ') + name }));
    return h('div', { class: 'notice-preview' }, parts);
  }
  return h('p', { class: 'mono stream-url', text: item.url || '' });
}

// One playlist item's length in words: the item's own seconds, else the media's length.
export function itemLength(item, media) {
  if (item.duration_ms) return formatDuration(item.duration_ms);
  return media && media.duration_ms ? formatDuration(media.duration_ms) : '—';
}

// A playlist as its pictures in play order, each with its name, length and weight; with
// `players`, audio, video and notices' speech play in the page.
export function playlistStrip(playlist, mediaBySha, { players = false } = {}) {
  const items = (playlist && playlist.items) || [];
  if (!items.length) return h('p', { class: 'muted', text: t('Danh sách phát trống.', 'The playlist is empty.') });
  return h('ol', { class: 'strip', 'aria-label': t('Các mục theo thứ tự phát', 'Items in play order') },
    items.map((item, index) => {
      const media = mediaBySha.get(item.media);
      const name = media ? nameText(media.name) || t('(không tên)', '(no name)') : t('(nội dung đã xoá)', '(media removed)');
      const details = [t('Mục ', 'Item ') + (index + 1), itemLength(item, media)];
      if ((item.weight ?? 1) !== 1) details.push(t('tỉ trọng ', 'weight ') + item.weight);
      const player = players && media && (media.type === 'audio' || media.type === 'text' || media.type === 'video') ? mediaPlayer(media) : null;
      return h('li', { class: 'strip-item', dataset: { media: item.media } },
        player && media.type !== 'audio' ? player : mediaPicture(media),
        player && media.type === 'audio' ? player : null,
        h('strong', { text: name }),
        h('span', { class: 'muted', text: details.join(' · ') }));
    }));
}

// ---- what changed since the last approved version ----

function listText(values, label = (value) => value) {
  return values && values.length ? values.map(label).join(', ') : t('(không có)', '(none)');
}

function dayText(day) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return match ? match[3] + '/' + match[2] + '/' + match[1] : t('(không có)', '(none)');
}

// The changes from `before` (the approved version) to `after` (the one to approve), as lines of
// plain words: fields first, then the playlist's items position by position.
export function campaignChanges(before, after, names, playlists, mediaBySha) {
  const lines = [];
  const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  const change = (label, a, b, show) => {
    if (!same(a, b)) lines.push(label + ': ' + show(a) + ' → ' + show(b));
  };
  const quoted = (value) => '"' + (value || '') + '"';
  change(t('Tên', 'Name'), before.name, after.name, quoted);
  change(t('Danh sách phát', 'Playlist'), before.playlist, after.playlist, (id) => quoted(names.playlists.get(id) || id));
  const targets = (campaign) => campaign.targets || {};
  change(t('Khu vực', 'Zones'), targets(before).zones, targets(after).zones, (zones) => listText(zones, (zone) => names.zones.get(zone) || zone));
  change(t('Loại thiết bị', 'Device kinds'), targets(before).kinds, targets(after).kinds, (kinds) => listText(kinds, kindLabel));
  change(t('Nhãn thiết bị', 'Device tags'), targets(before).tags, targets(after).tags, (tags) => listText(tags));
  change(t('Thiết bị', 'Devices'), targets(before).device_ids, targets(after).device_ids, (ids) => listText(ids, (id) => names.devices.get(id) || id));
  change(t('Cách phát', 'How it plays'), before.mode, after.mode, modeLabel);
  change(t('Khung giờ', 'Windows'), before.windows, after.windows, (windows) => listText(windows));
  change(t('Giờ phát', 'Times'), before.fixed_times, after.fixed_times, (times) => listText(times));
  change(t('Số lần mỗi giờ', 'Plays per hour'), before.plays_per_hour, after.plays_per_hour, (value) => formatNumber(value || 0));
  change(t('Mức độ', 'Level'), before.level, after.level, levelLabel);
  change(t('Thứ tự ưu tiên', 'Priority order'), before.rank, after.rank, (value) => formatNumber(value || 0));
  change(t('Tỉ trọng', 'Weight'), before.weight, after.weight, (value) => formatNumber(value || 1));
  change(t('Từ ngày', 'Valid from'), before.valid_from, after.valid_from, dayText);
  change(t('Đến ngày', 'Valid to'), before.valid_to, after.valid_to, dayText);
  change(t('Ngày trong tuần', 'Weekdays'), before.weekdays, after.weekdays, (days) => (days && days.length ? listText(days, weekdayLabel) : t('mọi ngày', 'every day')));

  const oldItems = (playlists.get(before.playlist) || {}).items || [];
  const newItems = (playlists.get(after.playlist) || {}).items || [];
  const itemText = (item) => {
    const media = mediaBySha.get(item.media);
    const name = media ? nameText(media.name) || t('(không tên)', '(no name)') : t('(nội dung đã xoá)', '(media removed)');
    return quoted(name) + ' ' + itemLength(item, media) + ((item.weight ?? 1) !== 1 ? t(', tỉ trọng ', ', weight ') + item.weight : '');
  };
  for (let index = 0; index < Math.max(oldItems.length, newItems.length); index += 1) {
    const a = oldItems[index];
    const b = newItems[index];
    const label = t('Mục ', 'Item ') + (index + 1);
    if (a && !b) lines.push(label + ': ' + t('bỏ ', 'removed ') + itemText(a));
    else if (!a && b) lines.push(label + ': ' + t('thêm ', 'added ') + itemText(b));
    else if (!same(a, b)) lines.push(label + ': ' + itemText(a) + ' → ' + itemText(b));
  }
  return lines;
}
