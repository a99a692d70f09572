// What the browser tests (console, reports, calendar, content, fleet .test.mjs) share
// (docs/web.md "The browser test"): their options and skip rules, a real bantin-controller
// started for them (its own Mosquitto, a temporary data directory, free 127.0.0.1 ports, the
// first admin made with the CLI) with Debian's Chromium through playwright-core, the API with a
// bearer token, signing in and out of the console, and the checks run in the page.
//
// A test calls `useController({ name, adminPassword, ... })` once at its top level (before its
// tests): it parses the options, skips (exit 77) or stops (exit 2) as the test would, and
// registers the before/after hooks. The exported `let`s (page, baseUrl, root, …) are live
// bindings: they hold their values once the before hook has run.

import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));

export function option(name, fallback) {
  const index = process.argv.indexOf('--' + name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

export const controllerBinary = option('controller', process.env.BANTIN_CONTROLLER);
export const webRoot = path.resolve(option('web-root', path.join(here, '..', '..', 'web')));
export const chromiumBinary = option('chromium', '/usr/bin/chromium');
export const outputDirectory = path.resolve(option('output', os.tmpdir()));
export const mosquittoPub = '/usr/bin/mosquitto_pub';
export const timeZone = 'Asia/Ho_Chi_Minh'; // the devices' default, and the browser's

// Every section of the console (app.js) by its Vietnamese title.
export const sectionTitles = {
  fleet: 'Thiết bị đang chạy',
  campaigns: 'Chiến dịch',
  alerts: 'Cảnh báo',
  media: 'Nội dung',
  playlists: 'Danh sách phát',
  reports: 'Báo cáo',
  devices: 'Thiết bị và khu vực',
  users: 'Người dùng',
};

export let chromium = null;
export let root = '';
export let controller = null;
export let context = null;
export let page = null;
export let httpPort = 0;
export let brokerPort = 0;
export let baseUrl = '';
let logFile = '';

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function portAccepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// The last 40 lines of the controller's log, for a failure's message.
export function controllerLog() {
  try {
    return fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

// Skips the test (exit 77, "web.<name> skipped: …") when Chromium, node_modules or (with
// `mosquittoClients`) mosquitto_pub is missing; stops it (exit 2) without a controller binary.
// Then, in before(): the controller on free ports, waited for on both its HTTP and broker ports,
// and a fresh Chromium profile in vi-VN and Asia/Ho_Chi_Minh with `viewport`; in after(): both
// stopped (after `beforeStop`, e.g. a player the test started), the data removed unless
// BANTIN_KEEP_WEB_DIR is set, and the time the test ran.
export function useController({ name, adminPassword, viewport = { width: 1366, height: 768 }, acceptDownloads = false, mosquittoClients = false, beforeStop = null }) {
  const started = Date.now();
  const skip = (reason) => {
    console.log('web.' + name + ' skipped: ' + reason);
    process.exit(77);
  };
  if (!fs.existsSync(chromiumBinary)) skip(chromiumBinary + ' is missing (scripts/install-deps.sh installs Debian\'s chromium)');
  if (mosquittoClients && !fs.existsSync(mosquittoPub)) skip(mosquittoPub + ' is missing (Debian\'s mosquitto-clients)');
  try {
    chromium = createRequire(path.join(here, 'package.json'))('playwright-core').chromium;
  } catch {
    skip('tests/web/node_modules is missing (run `npm ci` in tests/web; scripts/install-deps.sh does)');
  }
  if (!controllerBinary || !fs.existsSync(controllerBinary)) {
    console.error('no bantin-controller binary: pass --controller PATH');
    process.exit(2);
  }

  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bantin-web-' + name + '-'));
  const dataDirectory = path.join(root, 'controller');
  const configFile = path.join(root, 'controller.toml');
  logFile = path.join(root, 'controller.log');

  const runController = (extra, input) => {
    const result = spawnSync(controllerBinary, ['--config', configFile, ...extra], { input, encoding: 'utf8', timeout: 30000 });
    assert.equal(result.status, 0, 'bantin-controller ' + extra.join(' ') + ': ' + result.stdout + result.stderr);
  };

  before(async () => {
    httpPort = await freePort();
    brokerPort = await freePort();
    while (brokerPort === httpPort) brokerPort = await freePort();
    baseUrl = 'http://127.0.0.1:' + httpPort;
    fs.mkdirSync(dataDirectory, { recursive: true });
    const tomlString = (text) => JSON.stringify(text);
    fs.writeFileSync(
      configFile,
      [
        '[http]', 'listen_address = "127.0.0.1"', 'port = ' + httpPort, 'web_root = ' + tomlString(webRoot),
        '[storage]', 'data_dir = ' + tomlString(dataDirectory),
        '[mqtt]', 'port = ' + brokerPort, 'reconnect_min_ms = 100', 'reconnect_max_ms = 1000',
        '[broker]', 'port = ' + brokerPort, process.getuid && process.getuid() === 0 ? 'run_as_user = "root"' : '',
        '',
      ].join('\n'),
    );
    runController(['--init-keys']);
    runController(['--create-admin', 'admin'], adminPassword + '\n');
    const log = fs.openSync(logFile, 'a');
    controller = spawn(controllerBinary, ['--config', configFile], { stdio: ['ignore', log, log] });
    const deadline = Date.now() + 20000;
    while (!(await portAccepts(httpPort)) || !(await portAccepts(brokerPort))) {
      if (controller.exitCode !== null || Date.now() > deadline) throw new Error('bantin-controller did not start:\n' + controllerLog());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const userDataDirectory = fs.mkdtempSync(path.join(root, 'chromium-'));
    context = await chromium.launchPersistentContext(userDataDirectory, {
      executablePath: chromiumBinary,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
      viewport,
      ...(acceptDownloads ? { acceptDownloads: true } : {}),
      locale: 'vi-VN',
      timezoneId: timeZone,
    });
    context.setDefaultTimeout(15000);
    page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (error) => console.error('page error:', error.message));
  });

  after(async () => {
    if (beforeStop) await beforeStop().catch((error) => console.error('before the stop: ' + error.message));
    if (context) await context.close().catch(() => {});
    if (controller && controller.exitCode === null) {
      controller.kill('SIGTERM');
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          controller.kill('SIGKILL');
          resolve();
        }, 10000);
        controller.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (process.env.BANTIN_KEEP_WEB_DIR) console.log('data kept in ' + root);
    else fs.rmSync(root, { recursive: true, force: true });
    console.log('web.' + name + ' ran in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
  });
}

// The API with a bearer token; answers the parsed body, failing on an unexpected status.
export async function call(token, method, route, body, expected = [200, 201]) {
  const response = await fetch(baseUrl + '/api/v1' + route, {
    method,
    headers: { Authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(expected.includes(response.status), `${method} ${route}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// A bearer token for `name` (POST /api/v1/auth/login).
export async function login(name, password) {
  const response = await fetch(baseUrl + '/api/v1/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name, password }),
  });
  assert.equal(response.status, 200, 'login ' + name);
  return (await response.json()).token;
}

// YYYY-MM-DD of `ms` in the devices' time zone, and the same as the page shows it.
export function localDay(ms) {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}
export function shownDay(day) {
  const [year, month, date] = day.split('-');
  return `${date}/${month}/${year}`;
}

// The console's sign-in form, then the signed-in user's name.
export async function signIn(name, password) {
  await page.goto(baseUrl + '/');
  await page.locator('#login-name').fill(name);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
  await page.locator('#signed-in-user').waitFor();
}

export async function signOut() {
  await page.locator('#logout').click();
  await page.locator('#login-title').waitFor();
}

export function successMessage() {
  return page.locator('.message.success');
}

// Waits for a success message containing `text`; an error message instead fails with its text.
export async function expectSuccess(text, timeout) {
  const error = page.locator('.message.error');
  await successMessage().getByText(text).or(error).first().waitFor({ timeout });
  if (await error.count()) assert.fail('expected "' + text + '", the console says: ' + (await error.first().textContent()));
}

// In the page (page.evaluate(overflowInPage)): what sticks out of the window on the right
// (outside a box that scrolls sideways).
export function overflowInPage() {
  const width = window.innerWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  const clipped = (element) => {
    for (let parent = element.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
      const overflow = getComputedStyle(parent).overflowX;
      if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return true;
    }
    return false;
  };
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 0.5 || clipped(element)) continue;
    const name = element.tagName.toLowerCase() + (element.id ? '#' + element.id : '') + (element.className && typeof element.className === 'string' ? '.' + element.className.split(' ').join('.') : '');
    found.push(`${name} reaches ${Math.round(box.right)} px: "${(element.textContent || '').trim().slice(0, 60)}"`);
  }
  return found.slice(0, 10);
}

// In the page (page.evaluate(untranslatedInPage, skip)): visible texts (and placeholder,
// aria-label, title) in Vietnamese mode that are an English text the console's t() knows, or hold
// common English words. Ids and digests (.mono), texts the server wrote (.server-text), parts
// marked lang="en" and `skip` are not console words. Self-contained: it runs in the browser.
export async function untranslatedInPage(skip) {
  const { knownEnglish } = await import('/i18n.js');
  const english = new Set(knownEnglish().map((text) => text.trim()).filter((text) => /[a-z]{3}/i.test(text)));
  const words = new Set(('the and of with device devices campaign campaigns playlist playlists media alert alerts sign create upload submit '
    + 'approve reject archive save cancel none never status zone zones name user users role password error loop draft approved '
    + 'submitted rejected archived online offline revoked weight rank bundle share voice fixed time times report reports show add '
    + 'new remove edit kind level priority emergency normal minor moderate severe extreme exercise live sent awaiting confirm every '
    + 'days from for nothing yet empty first select file stream notice text headline severity expires repeat tone speaker screen '
    + 'register credentials tags version actions proof seen last updated refreshes desired applied behind items seconds length size '
    + 'uploaded content open fleet sha filler issued state created disabled enable disable welcome comma separated letters digits').split(' '));
  const found = [];
  const ignored = (element) => !element || element.closest('.mono, .server-text, [lang="en"], script, style, noscript, pre' + (skip ? ', ' + skip : ''));
  const visible = (element) => {
    const target = element.tagName === 'OPTION' ? element.closest('select') : element;
    const box = target.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(target).visibility !== 'hidden';
  };
  // The API's own words never reach an officer; ids with digits (alert-e0611ce2, phuong-1) are names.
  const apiWords = /fixed_time|share_of_voice|sha-?256|\bbundle\b/i;
  const check = (text, where) => {
    const trimmed = text.trim();
    if (!trimmed) return;
    const tokens = trimmed.replace(/\S*\d\S*/g, ' ').toLowerCase().match(/[a-z]+/g) || [];
    const hit = english.has(trimmed) ? 'an English text of t()' : (trimmed.match(apiWords) || [])[0] || tokens.find((word) => words.has(word));
    if (hit) found.push(`${where}: "${trimmed.slice(0, 80)}" (${hit})`);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (ignored(element) || !visible(element)) continue;
    check(node.nodeValue, element.tagName.toLowerCase() + (element.id ? '#' + element.id : ''));
  }
  for (const element of document.body.querySelectorAll('[placeholder], [aria-label], [title]')) {
    if (ignored(element) || !visible(element)) continue;
    for (const attribute of ['placeholder', 'aria-label', 'title']) {
      if (element.hasAttribute(attribute)) check(element.getAttribute(attribute), element.tagName.toLowerCase() + '[' + attribute + ']');
    }
  }
  check(document.title, 'title');
  return found.slice(0, 15);
}

// In the page (page.evaluate(englishLeftoversInPage, { skip, content })): visible texts (and
// placeholder, aria-label, title) in English mode that are a Vietnamese text the console's t()
// knows an English one for, or that still hold Vietnamese letters once the names and texts the
// office typed (`content`: zone, device, campaign names, a notice's text …) are taken out. Ids and
// digests (.mono), texts the server wrote (.server-text, "vi; en"), parts marked lang="vi" (the
// "Tiếng Việt" choice) and `skip` are not console words. Self-contained: it runs in the browser.
export async function englishLeftoversInPage({ skip = '', content = [] } = {}) {
  const { knownVietnamese } = await import('/i18n.js');
  const vietnamese = new Set(knownVietnamese().map((text) => text.trim()).filter((text) => /\p{L}{2}/u.test(text)));
  const names = [...content].filter(Boolean).sort((a, b) => b.length - a.length);
  const letters = /[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]/i;
  const found = [];
  const ignored = (element) => !element || element.closest('.mono, .server-text, [lang="vi"], script, style, noscript, pre' + (skip ? ', ' + skip : ''));
  const visible = (element) => {
    const target = element.tagName === 'OPTION' ? element.closest('select') : element;
    const box = target.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(target).visibility !== 'hidden';
  };
  const check = (text, where) => {
    const trimmed = text.trim();
    if (!trimmed || names.includes(trimmed)) return;
    let rest = trimmed;
    for (const name of names) rest = rest.split(name).join(' ');
    const hit = vietnamese.has(trimmed) ? 'a Vietnamese text of t()' : (rest.match(letters) || [])[0];
    if (hit) found.push(`${where}: "${trimmed.slice(0, 80)}" (${hit})`);
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (ignored(element) || !visible(element)) continue;
    check(node.nodeValue, element.tagName.toLowerCase() + (element.id ? '#' + element.id : ''));
  }
  for (const element of document.body.querySelectorAll('[placeholder], [aria-label], [title]')) {
    if (ignored(element) || !visible(element)) continue;
    for (const attribute of ['placeholder', 'aria-label', 'title']) {
      if (element.hasAttribute(attribute)) check(element.getAttribute(attribute), element.tagName.toLowerCase() + '[' + attribute + ']');
    }
  }
  check(document.title, 'title');
  return found.slice(0, 15);
}
