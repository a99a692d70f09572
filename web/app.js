// The Bantin web console: sign-in, the section router, and the alert banner that stays on
// every page while an alert is active. Each section is a module exporting
// render(container, context) that may return a cleanup function (stops its timers).
// Vietnamese by default; English is a choice each user keeps (i18n.js); switching re-renders.

import * as api from './api.js';
import { h, clear, describeError } from './dom.js';
import { t, lang, loadLang, setLang } from './i18n.js';
import { roleLabel } from './words.js';
import { renderAlertBanner } from './alerts.js';
import * as fleet from './fleet.js';
import * as campaigns from './campaigns.js';
import * as alerts from './alerts.js';
import * as media from './media.js';
import * as playlists from './playlists.js';
import * as reports from './reports.js';
import * as devices from './devices.js';
import * as users from './users.js';
import * as calendar from './calendar.js';
import * as audit from './audit.js';

const roles = {
  editContent: ['editor', 'admin'],
  decideContent: ['approver', 'admin'],
  archiveContent: ['editor', 'approver', 'admin'],
  manageDevices: ['operator', 'admin'],
  manageAlerts: ['operator', 'admin'],
  manageUsers: ['admin'],
  readAudit: ['admin', 'approver'],
};

const sections = [
  { id: 'fleet', title: () => t('Thiết bị đang chạy', 'Fleet'), module: fleet },
  { id: 'campaigns', title: () => t('Chiến dịch', 'Campaigns'), module: campaigns },
  { id: 'calendar', title: () => t('Lịch phát', 'Calendar'), module: calendar },
  { id: 'alerts', title: () => t('Cảnh báo', 'Alerts'), module: alerts },
  { id: 'media', title: () => t('Nội dung', 'Media'), module: media },
  { id: 'playlists', title: () => t('Danh sách phát', 'Playlists'), module: playlists },
  { id: 'reports', title: () => t('Báo cáo', 'Reports'), module: reports },
  { id: 'devices', title: () => t('Thiết bị và khu vực', 'Devices'), module: devices },
  { id: 'users', title: () => t('Người dùng', 'Users'), module: users, needs: 'manageUsers' },
  { id: 'audit', title: () => t('Nhật ký thay đổi', 'Audit log'), module: audit, needs: 'readAudit' },
];

const consoleName = () => t('Bảng điều khiển phòng truyền thông', 'communication office console');

// The page's own words (index.html holds the Vietnamese ones).
function applyStaticTexts() {
  const texts = {
    'skip-link': t('Chuyển đến nội dung chính', 'Skip to content'),
    'brand-subtitle': consoleName(),
    'login-title': t('Đăng nhập', 'Sign in'),
    'login-name-label': t('Tên đăng nhập', 'User name'),
    'login-password-label': t('Mật khẩu', 'Password'),
    'login-submit': t('Đăng nhập', 'Sign in'),
  };
  for (const [id, text] of Object.entries(texts)) document.getElementById(id).textContent = text;
  elements.nav.setAttribute('aria-label', t('Các mục', 'Sections'));
  clear(document.getElementById('login-lang'), languageSwitch());
}

// "Tiếng Việt / English": two buttons, the current one pressed.
function languageSwitch() {
  const choice = (value, text) => h('button', {
    type: 'button', class: 'small lang-choice', lang: value, 'aria-pressed': String(lang() === value), text,
    onclick: () => {
      if (lang() === value) return;
      setLang(value);
      applyStaticTexts();
      if (state.user) {
        showSession();
        refreshBanner();
        route();
      } else {
        document.title = t('Đăng nhập', 'Sign in') + ' — Bantin';
      }
    },
  });
  return h('span', { class: 'lang-switch', role: 'group', 'aria-label': t('Ngôn ngữ', 'Language') },
    choice('vi', 'Tiếng Việt'), ' / ', choice('en', 'English'));
}

const state = { user: null, cleanup: null, bannerTimer: null };

const context = {
  get user() {
    return state.user;
  },
  can(action) {
    return Boolean(state.user) && roles[action].includes(state.user.role);
  },
  refreshAlerts: () => refreshBanner(),
  navigate(id) {
    window.location.hash = '#/' + id;
  },
};

const elements = {
  nav: document.getElementById('nav'),
  session: document.getElementById('session'),
  login: document.getElementById('login'),
  loginForm: document.getElementById('login-form'),
  loginMessage: document.getElementById('login-message'),
  view: document.getElementById('view'),
  banner: document.getElementById('alert-banner'),
  main: document.getElementById('main'),
};

function visibleSections() {
  return sections.filter((section) => !section.needs || context.can(section.needs));
}

function currentSectionId() {
  const id = window.location.hash.replace(/^#\/?/, '').split('?')[0].split('/')[0];
  return visibleSections().some((section) => section.id === id) ? id : 'fleet';
}

function showLogin(message) {
  stopSection();
  clearInterval(state.bannerTimer);
  state.user = null;
  api.setCsrfToken(null);
  elements.nav.hidden = true;
  elements.session.hidden = true;
  elements.banner.hidden = true;
  clear(elements.banner);
  clear(elements.view);
  elements.login.hidden = false;
  clear(elements.loginMessage);
  elements.loginMessage.className = 'message';
  if (message) {
    elements.loginMessage.className = 'message error';
    elements.loginMessage.setAttribute('role', 'alert');
    elements.loginMessage.append(h('strong', { text: t('Lỗi: ', 'Error: ') }), message);
  }
  document.title = t('Đăng nhập', 'Sign in') + ' — Bantin';
  document.getElementById('login-name').focus();
}

function showSession() {
  const user = state.user;
  clear(
    elements.session,
    h('span', { id: 'signed-in-user' }, user.display_name || user.name, ' ', h('span', { class: 'badge badge-neutral', text: roleLabel(user.role) })),
    languageSwitch(),
    h('button', { type: 'button', id: 'logout', text: t('Đăng xuất', 'Sign out'), onclick: logout }),
  );
  clear(
    elements.nav,
    visibleSections().map((section) => h('a', { href: '#/' + section.id, dataset: { section: section.id }, text: section.title() })),
  );
}

function signedIn(user, csrfToken) {
  state.user = user;
  loadLang(user.name);
  applyStaticTexts();
  api.setCsrfToken(csrfToken);
  elements.login.hidden = true;
  elements.nav.hidden = false;
  elements.session.hidden = false;
  showSession();
  refreshBanner();
  clearInterval(state.bannerTimer);
  state.bannerTimer = setInterval(refreshBanner, 5000);
  route();
}

async function logout() {
  try {
    await api.post('/auth/logout');
  } catch (error) {
    // The session may already be over; signing out locally is what matters.
    console.warn('logout:', describeError(error));
  }
  window.location.hash = '';
  showLogin();
}

function stopSection() {
  if (typeof state.cleanup === 'function') state.cleanup();
  state.cleanup = null;
}

async function route() {
  if (!state.user) return;
  stopSection();
  const id = currentSectionId();
  const section = sections.find((entry) => entry.id === id);
  for (const link of elements.nav.querySelectorAll('a')) {
    if (link.dataset.section === id) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  document.title = section.title() + ' — Bantin';
  const container = h('section', { class: 'section', 'aria-labelledby': 'section-title' });
  clear(elements.view, h('h2', { id: 'section-title', text: section.title() }), container);
  try {
    state.cleanup = (await section.module.render(container, context)) || null;
  } catch (error) {
    container.append(h('div', { class: 'message error', role: 'alert' }, h('strong', { text: t('Lỗi: ', 'Error: ') }), describeError(error)));
  }
}

async function refreshBanner() {
  if (!state.user) return;
  try {
    const answer = await api.get('/alerts');
    await renderAlertBanner(elements.banner, answer.items, context);
  } catch (error) {
    if (error.status !== 401) console.warn('alerts:', describeError(error));
  }
}

elements.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(elements.loginForm);
  const button = elements.loginForm.querySelector('button');
  button.disabled = true;
  try {
    const answer = await api.request('POST', '/auth/login', {
      json: { name: String(data.get('name')).trim(), password: String(data.get('password')) },
      noSessionCheck: true,
    });
    elements.loginForm.reset();
    signedIn(answer.user, answer.csrf_token);
    elements.main.focus();
  } catch (error) {
    // At sign-in a 401 can only mean the name or password: say so, then the server's words.
    showLogin(error.status === 401
      ? t('Sai tên đăng nhập hoặc mật khẩu', 'Wrong user name or password') + (error.detail ? ': ' + error.detail : '') + ' (401 ' + error.code + ')'
      : describeError(error));
  } finally {
    button.disabled = false;
  }
});

api.setUnauthenticatedHandler((error) => {
  if (state.user) showLogin(t('Phiên làm việc đã kết thúc: ', 'Your session ended: ') + describeError(error) + t('. Hãy đăng nhập lại.', '. Sign in again.'));
});

window.addEventListener('hashchange', route);

// A session cookie from an earlier visit still counts: /auth/me answers with its CSRF token.
loadLang('');
applyStaticTexts();
(async () => {
  try {
    const me = await api.request('GET', '/auth/me', { noSessionCheck: true });
    signedIn(me.user, me.csrf_token);
  } catch (error) {
    showLogin(error.status === 401 ? '' : describeError(error));
  }
})();
