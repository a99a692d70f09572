// The console's words and formats: Vietnamese first, English as a choice each user keeps.
//
// Every word a person reads goes through t(vi, en): the call site carries both texts, so no
// string can be "missing a translation" and a check can find any text that did not pass here
// (tests/web). The chosen language is kept in localStorage under the signed-in user's name;
// the default is Vietnamese. Dates are dd/mm/yyyy and times 24 h in the time zone given
// (the device's, else Asia/Ho_Chi_Minh); numbers use Vietnamese grouping (1.234,5).

const storageKey = (user) => 'bantin.lang.' + (user || '');
const defaultTimeZone = 'Asia/Ho_Chi_Minh';

let current = 'vi';
let currentUser = '';

export function lang() {
  return current;
}

// The language kept for `user` (or 'vi'); makes it current.
export function loadLang(user) {
  currentUser = user || '';
  let kept = null;
  try {
    kept = window.localStorage.getItem(storageKey(currentUser));
  } catch {
    kept = null; // storage off (private mode): the default stays
  }
  current = kept === 'en' ? 'en' : 'vi';
  document.documentElement.lang = current;
  return current;
}

// Makes `value` ('vi' or 'en') current and keeps it for the signed-in user; the sign-in page
// shows the language last chosen in this browser.
export function setLang(value) {
  current = value === 'en' ? 'en' : 'vi';
  document.documentElement.lang = current;
  try {
    window.localStorage.setItem(storageKey(currentUser), current);
    window.localStorage.setItem(storageKey(''), current);
  } catch {
    // not kept; still applies to this page
  }
}

// Every English text t() was given, so the browser test can find a Vietnamese page that still
// shows one of them (a text that bypassed t()).
const englishTexts = new Set();
// And every Vietnamese text that has an English one, so it can find an English page that still
// shows one of them.
const vietnameseTexts = new Set();

// The text in the current language.
export function t(vi, en) {
  if (en && en !== vi) {
    englishTexts.add(en);
    vietnameseTexts.add(vi);
  }
  return current === 'en' && en ? en : vi;
}

// The English texts t() has been asked for so far (tests/web).
export function knownEnglish() {
  return [...englishTexts];
}

// The Vietnamese texts t() has been asked for that have an English one (tests/web).
export function knownVietnamese() {
  return [...vietnameseTexts];
}

function partsOf(ms, timeZone, options) {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: timeZone || defaultTimeZone, ...options });
  const parts = {};
  for (const part of format.formatToParts(new Date(ms))) parts[part.type] = part.value;
  return parts;
}

// dd/mm/yyyy in `timeZone`.
export function formatDate(ms, timeZone) {
  const p = partsOf(ms, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' });
  return `${p.day}/${p.month}/${p.year}`;
}

// HH:MM (24 h) in `timeZone`; with seconds when asked.
export function formatTime(ms, timeZone, withSeconds = false) {
  const p = partsOf(ms, timeZone, {
    hour: '2-digit', minute: '2-digit', second: withSeconds ? '2-digit' : undefined, hourCycle: 'h23',
  });
  return withSeconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
}

// dd/mm/yyyy HH:MM in `timeZone`.
export function formatDateTime(ms, timeZone) {
  return `${formatDate(ms, timeZone)} ${formatTime(ms, timeZone)}`;
}

// Vietnamese grouping in both languages' pages: 1.234.567 and 12,5 (vi), 1,234,567 and 12.5 (en).
export function formatNumber(value, fractionDigits = 0) {
  return new Intl.NumberFormat(current === 'en' ? 'en-GB' : 'vi-VN', {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  }).format(value);
}

// Local minutes after midnight as HH:MM.
export function formatMinutes(minutes) {
  const hours = Math.floor(minutes / 60);
  return `${String(hours).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

// An id the API accepts ([A-Za-z0-9._-], 1..64) made from a name: diacritics folded (đ → d),
// lower case, anything else a single '-': "Bản tin sáng Uyên Hưng" → "ban-tin-sang-uyen-hung".
export function idFromName(name) {
  return String(name || '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}
