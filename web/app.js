// The Bantin web console: sign-in, the section router, and the alert banner that stays on
// every page while an alert is active. Each section is a module exporting
// render(container, context) that may return a cleanup function (stops its timers).

import * as api from './api.js';
import { h, clear, describeError } from './dom.js';
import { renderAlertBanner } from './alerts.js';
import * as fleet from './fleet.js';
import * as campaigns from './campaigns.js';
import * as alerts from './alerts.js';
import * as media from './media.js';
import * as playlists from './playlists.js';
import * as reports from './reports.js';
import * as devices from './devices.js';
import * as users from './users.js';

const roles = {
  editContent: ['editor', 'admin'],
  decideContent: ['approver', 'admin'],
  archiveContent: ['editor', 'approver', 'admin'],
  manageDevices: ['operator', 'admin'],
  manageAlerts: ['operator', 'admin'],
  manageUsers: ['admin'],
};

const sections = [
  { id: 'fleet', title: 'Fleet', module: fleet },
  { id: 'campaigns', title: 'Campaigns', module: campaigns },
  { id: 'alerts', title: 'Alerts', module: alerts },
  { id: 'media', title: 'Media', module: media },
  { id: 'playlists', title: 'Playlists', module: playlists },
  { id: 'reports', title: 'Reports', module: reports },
  { id: 'devices', title: 'Devices', module: devices },
  { id: 'users', title: 'Users', module: users, needs: 'manageUsers' },
];

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
  const id = window.location.hash.replace(/^#\/?/, '').split('?')[0];
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
    elements.loginMessage.append(h('strong', { text: 'Error: ' }), message);
  }
  document.title = 'Sign in — Bantin console';
  document.getElementById('login-name').focus();
}

function signedIn(user, csrfToken) {
  state.user = user;
  api.setCsrfToken(csrfToken);
  elements.login.hidden = true;
  elements.nav.hidden = false;
  elements.session.hidden = false;
  clear(
    elements.session,
    h('span', { id: 'signed-in-user' }, user.display_name || user.name, ' ', h('span', { class: 'badge badge-neutral', text: user.role })),
    h('button', { type: 'button', id: 'logout', text: 'Sign out', onclick: logout }),
  );
  clear(
    elements.nav,
    visibleSections().map((section) => h('a', { href: '#/' + section.id, dataset: { section: section.id }, text: section.title })),
  );
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
  document.title = section.title + ' — Bantin console';
  const container = h('section', { class: 'section', 'aria-labelledby': 'section-title' });
  clear(elements.view, h('h2', { id: 'section-title', text: section.title }), container);
  try {
    state.cleanup = (await section.module.render(container, context)) || null;
  } catch (error) {
    container.append(h('div', { class: 'message error', role: 'alert' }, h('strong', { text: 'Error: ' }), describeError(error)));
  }
}

async function refreshBanner() {
  if (!state.user) return;
  try {
    const answer = await api.get('/alerts');
    renderAlertBanner(elements.banner, answer.items, context);
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
    showLogin(describeError(error));
  } finally {
    button.disabled = false;
  }
});

api.setUnauthenticatedHandler((error) => {
  if (state.user) showLogin('Your session ended: ' + describeError(error) + '. Sign in again.');
});

window.addEventListener('hashchange', route);

// A session cookie from an earlier visit still counts: /auth/me answers with its CSRF token.
(async () => {
  try {
    const me = await api.request('GET', '/auth/me', { noSessionCheck: true });
    signedIn(me.user, me.csrf_token);
  } catch (error) {
    showLogin(error.status === 401 ? '' : describeError(error));
  }
})();
