// Browser test of the web console (docs/web.md): starts a real bantin-controller (its own
// Mosquitto, a temporary data directory, free 127.0.0.1 ports, the first admin made with the
// CLI), then drives Debian's Chromium through playwright-core like the office would.
//
//   node console.test.mjs --controller BIN --web-root DIR --chromium /usr/bin/chromium --output DIR
//
// Exit 77 (ctest: skipped) when Chromium or node_modules is missing; 0 when every step passed.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));

function option(name, fallback) {
  const index = process.argv.indexOf('--' + name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const controllerBinary = option('controller', process.env.BANTIN_CONTROLLER);
const webRoot = path.resolve(option('web-root', path.join(here, '..', '..', 'web')));
const chromiumBinary = option('chromium', '/usr/bin/chromium');
const outputDirectory = path.resolve(option('output', os.tmpdir()));

function skip(reason) {
  console.log('web.console skipped: ' + reason);
  process.exit(77);
}

if (!fs.existsSync(chromiumBinary)) skip(chromiumBinary + ' is missing (scripts/install-deps.sh installs Debian\'s chromium)');
let chromium;
try {
  chromium = createRequire(path.join(here, 'package.json'))('playwright-core').chromium;
} catch {
  skip('tests/web/node_modules is missing (run `npm ci` in tests/web; scripts/install-deps.sh does)');
}
if (!controllerBinary || !fs.existsSync(controllerBinary)) {
  console.error('no bantin-controller binary: pass --controller PATH');
  process.exit(2);
}

function freePort() {
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

function portAccepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// A raw GET (no URL normalisation, so `/%2e%2e/` reaches the server as sent).
function rawGet(port, requestPath) {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, path: requestPath, method: 'GET' }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

const adminPassword = 'admin-web-password-1';
const people = {
  editor: { name: 'bien', display: 'Trần Văn Biên', role: 'editor', password: 'editor-web-password' },
  approver: { name: 'duyen', display: 'Lê Thị Duyên', role: 'approver', password: 'approver-web-password' },
  operator: { name: 'khoa', display: 'Phạm Đăng Khoa', role: 'operator', password: 'operator-web-password' },
};

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bantin-web-'));
const dataDirectory = path.join(root, 'controller');
const configFile = path.join(root, 'controller.toml');
const logFile = path.join(root, 'controller.log');
let controller = null;
let context = null;
let page = null;
let httpPort = 0;
let baseUrl = '';
const started = Date.now();

function controllerLog() {
  try {
    return fs.readFileSync(logFile, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

function runController(extra, input) {
  const result = spawnSync(controllerBinary, ['--config', configFile, ...extra], { input, encoding: 'utf8', timeout: 30000 });
  assert.equal(result.status, 0, 'bantin-controller ' + extra.join(' ') + ': ' + result.stdout + result.stderr);
}

before(async () => {
  httpPort = await freePort();
  let brokerPort = await freePort();
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
  while (!(await portAccepts(httpPort))) {
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
    viewport: { width: 1366, height: 900 },
    acceptDownloads: true,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  context.setDefaultTimeout(15000);
  page = context.pages()[0] || (await context.newPage());
  page.on('pageerror', (error) => console.error('page error:', error.message));
});

after(async () => {
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
  console.log('web.console ran in ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
});

async function signIn(name, password) {
  await page.goto(baseUrl + '/');
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#signed-in-user').waitFor();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

async function openSection(title) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
}

function successMessage() {
  return page.locator('.message.success');
}

// Waits for a success message containing `text`; an error message instead fails with its text.
async function expectSuccess(text, timeout) {
  const error = page.locator('.message.error');
  await successMessage().getByText(text).or(error).first().waitFor({ timeout });
  if (await error.count()) assert.fail('expected "' + text + '", the console says: ' + (await error.first().textContent()));
}

test('the console is served on the API port with its security headers, and nothing outside the web root', async () => {
  const index = await rawGet(httpPort, '/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'], /^text\/html; charset=utf-8/);
  assert.match(index.headers['content-security-policy'], /script-src 'self'/);
  assert.match(index.headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.doesNotMatch(index.headers['content-security-policy'], /unsafe-inline/);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  const script = await rawGet(httpPort, '/app.js');
  assert.equal(script.status, 200);
  assert.match(script.headers['content-type'], /^text\/javascript/);
  for (const attempt of ['/%2e%2e/%2e%2e/etc/passwd', '/../../etc/passwd', '/..%2fcontroller.toml', '/.hidden.js', '/web/../app.js']) {
    const answer = await rawGet(httpPort, attempt);
    // The nginx front refuses a path that climbs above the root with 400 before the API server
    // sees it; the API server answers what reaches it with 404. Either way nothing is served.
    assert.ok(answer.status === 404 || answer.status === 400, attempt + ' answered ' + answer.status);
    assert.doesNotMatch(answer.body, /root:/);
  }
  const api = await rawGet(httpPort, '/api/v1/no-such-route');
  assert.equal(api.status, 404);
  assert.equal(JSON.parse(api.body).error, 'not-found');
});

test('a wrong password shows the API error on the sign-in form', async () => {
  await page.goto(baseUrl + '/');
  await page.getByLabel('User name').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const message = page.locator('#login-message');
  await message.getByText('wrong user name or password').waitFor();
  assert.match(await message.textContent(), /401 unauthenticated/);
  assert.equal(await page.locator('#nav').isVisible(), false);
});

test('the admin signs in and creates an editor, an approver and an operator with Vietnamese names', async () => {
  await signIn('admin', adminPassword);
  await openSection('Users');
  for (const person of Object.values(people)) {
    await page.locator('#user-name').fill(person.name);
    await page.locator('#user-display-name').fill(person.display);
    await page.locator('#user-role').selectOption(person.role);
    await page.locator('#user-password').fill(person.password);
    await page.getByRole('button', { name: 'Create user' }).click();
    await expectSuccess(person.display);
  }
  const list = page.locator('#user-list');
  for (const person of Object.values(people)) await list.getByText(person.display, { exact: true }).waitFor();
});

test('the admin adds a zone and registers a device; its provisioning file is offered once', async () => {
  await openSection('Devices');
  await page.locator('#zone-id').fill('phuong-1');
  await page.locator('#zone-name').fill('Phường 1');
  await page.getByRole('button', { name: 'Add zone' }).click();
  await page.locator('#zone-list').getByText('Phường 1', { exact: true }).waitFor();

  await page.locator('#device-id').fill('screen-1');
  await page.locator('#device-name').fill('Cổng chợ');
  await page.locator('#device-zone').selectOption('phuong-1');
  await page.getByRole('button', { name: 'Register device' }).click();
  const provisioning = page.getByRole('region', { name: 'Provisioning file' });
  await provisioning.waitFor();
  const downloadPromise = page.waitForEvent('download');
  await provisioning.getByRole('button', { name: /Download screen-1\.provisioning\.json/ }).click();
  const download = await downloadPromise;
  assert.equal(download.suggestedFilename(), 'screen-1.provisioning.json');
  const saved = path.join(root, 'provisioning.json');
  await download.saveAs(saved);
  const file = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.equal(file.device, 'screen-1');
  assert.equal(file.zone, 'phuong-1');
  assert.ok(file.mqtt, 'the provisioning file carries the MQTT account');
});

test('the fleet page lists the registered device as offline', async () => {
  await openSection('Fleet');
  const row = page.locator('#fleet-table tr[data-device="screen-1"]');
  await row.waitFor();
  assert.match(await row.textContent(), /Cổng chợ/);
  assert.match(await row.textContent(), /offline/);
  assert.equal(await row.locator('td.proof').textContent(), 'no proof yet');
  await page.locator('#fleet-table th', { hasText: 'Proof' }).waitFor();
  await page.locator('#fleet-updated').getByText('refreshes every 5 s').waitFor();
  await signOut();
});

test('the editor makes a notice and a playlist, creates a campaign and submits it', async () => {
  await signIn(people.editor.name, people.editor.password);
  await openSection('Media');
  await page.locator('#notice-text').fill('Thông báo: sáng mai cắt điện từ 7 giờ đến 9 giờ.');
  await page.locator('#notice-name').fill('cắt điện');
  await page.getByRole('button', { name: 'Create notice' }).click();
  await expectSuccess('cắt điện', 30000);
  await page.locator('#media-list').getByText('Thông báo: sáng mai cắt điện từ 7 giờ đến 9 giờ.').first().waitFor();

  // An upload: a picture made with ffmpeg is stored; a text file is refused with ffprobe's reason.
  const picture = path.join(root, 'chợ-đêm.png');
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=blue:s=64x48', '-frames:v', '1', '-y', picture]);
  assert.equal(made.status, 0, 'ffmpeg: ' + made.stderr);
  await page.locator('#media-file').setInputFiles(picture);
  await page.getByRole('button', { name: 'Upload' }).click();
  await expectSuccess('Stored "chợ-đêm.png": image');
  await page.locator('#media-list').getByText('chợ-đêm.png', { exact: true }).waitFor();
  const notMedia = path.join(root, 'ghi-chú.mp4');
  fs.writeFileSync(notMedia, 'this is not a video\n');
  await page.locator('#media-file').setInputFiles(notMedia);
  await page.getByRole('button', { name: 'Upload' }).click();
  await page.locator('.message.error').getByText('415 unsupported-media').waitFor();

  await openSection('Playlists');
  await page.locator('#playlist-id').fill('morning');
  await page.locator('#playlist-name').fill('Buổi sáng');
  const item = page.getByLabel('Media of item 1');
  const speech = await item.locator('option', { hasText: 'cắt điện (speech)' }).getAttribute('value');
  await item.selectOption(speech);
  await page.getByRole('button', { name: 'Create playlist' }).click();
  await expectSuccess('Buổi sáng');

  await openSection('Campaigns');
  await page.locator('#campaign-id').fill('c-news');
  await page.locator('#campaign-name').fill('Tin sáng phường 1');
  await page.locator('#campaign-playlist').selectOption('morning');
  await page.getByRole('checkbox', { name: 'Phường 1 (phuong-1)' }).check();
  await page.locator('#campaign-windows').fill('06:00-08:00');
  await page.getByRole('button', { name: 'Create draft' }).click();
  const row = page.locator('#campaign-list tr[data-campaign="c-news"]');
  await row.getByText('draft', { exact: true }).waitFor();
  await row.getByRole('button', { name: 'Submit Tin sáng phường 1' }).click();
  await row.getByText('submitted', { exact: true }).waitFor();
  await signOut();
});

test('the approver sees the conflicts and approves the campaign', async () => {
  await signIn(people.approver.name, people.approver.password);
  await openSection('Campaigns');
  const row = page.locator('#campaign-list tr[data-campaign="c-news"]');
  await row.getByRole('button', { name: 'Conflicts of Tin sáng phường 1' }).click();
  await page.locator('#conflicts').waitFor();
  await page.locator('#preview-device').selectOption('screen-1');
  await page.getByRole('button', { name: 'Show timeline' }).click();
  await page.locator('#preview-output').getByText(/plays on \d{4}-\d\d-\d\d/).waitFor();
  await row.getByRole('button', { name: 'Approve Tin sáng phường 1' }).click();
  await row.getByText('approved', { exact: true }).waitFor();

  await openSection('Reports');
  await page.locator('#report-output').getByRole('caption').first().waitFor();
  const delivery = page.locator('#report-output tr[data-campaign="c-news"]');
  await delivery.waitFor();
  const csvHref = await page.locator('#report-output a.csv-link').first().getAttribute('href');
  const csv = await page.evaluate(async (href) => {
    const response = await fetch(href);
    return { type: response.headers.get('Content-Type'), text: await response.text() };
  }, csvHref);
  assert.match(csv.type, /text\/csv/);
  assert.match(csv.text, /campaign/);
  await signOut();
});

test('a resident reads the approved notice on the commune\'s public board, on a phone and a desktop, signed in nowhere', async () => {
  // A browser of its own: no cookie of the office's people.
  const browser = await chromium.launch({
    executablePath: chromiumBinary,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    for (const viewport of [{ width: 390, height: 844 }, { width: 1366, height: 768 }]) {
      const resident = await browser.newContext({ viewport, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', javaScriptEnabled: false });
      const board = await resident.newPage();
      const response = await board.goto(baseUrl + '/cong-khai/phuong-1');
      assert.equal(response.status(), 200);
      assert.equal(response.headers()['set-cookie'], undefined);
      assert.equal(await board.locator('html').getAttribute('lang'), 'vi');
      await board.getByRole('heading', { level: 1, name: 'Phường 1' }).waitFor();
      await board.getByText('Thông báo: sáng mai cắt điện từ 7 giờ đến 9 giờ.').first().waitFor();
      assert.match(await board.locator('audio').first().getAttribute('src'), /^\/cong-khai\/am-thanh\/[0-9a-f]{64}\.ogg$/);
      const widths = await board.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
      assert.ok(widths.page <= widths.view, `the board is ${widths.page} px wide in a ${widths.view} px window`);
      const speech = await resident.request.get(baseUrl + (await board.locator('audio').first().getAttribute('src')));
      assert.equal(speech.status(), 200);
      assert.equal(speech.headers()['content-type'], 'audio/ogg');
      const feed = await resident.request.get(baseUrl + '/cong-khai/phuong-1/atom.xml');
      assert.equal(feed.status(), 200);
      assert.match(await feed.text(), /sáng mai cắt điện/);
      const file = path.join(outputDirectory, `public-board-${viewport.width}.png`);
      await board.screenshot({ path: file, fullPage: true });
      console.log('screenshot: ' + file);
      assert.deepEqual(await resident.cookies(), []);
      await resident.close();
    }
  } finally {
    await browser.close();
  }
});

test('an operator raises an exercise alert, sees it marked as an exercise, and cancels it in one click', async () => {
  await signIn(people.operator.name, people.operator.password);
  await openSection('Alerts');
  assert.equal(await page.locator('#alert-status-exercise').isChecked(), true);
  await page.getByRole('checkbox', { name: 'Phường 1 (phuong-1)' }).check();
  await page.locator('#alert-headline').fill('Lũ quét — di chuyển lên vùng cao');
  await page.locator('#alert-text').fill('Đây là bài diễn tập.');
  await page.getByRole('button', { name: 'Start exercise' }).click();
  await expectSuccess('Exercise started');
  const banner = page.locator('#alert-banner .alert-item.exercise');
  await banner.waitFor();
  assert.match(await banner.textContent(), /EXERCISE — DIỄN TẬP/);
  assert.match(await banner.textContent(), /DIỄN TẬP/);
  await page.screenshot({ path: path.join(outputDirectory, 'web-console-alert.png'), fullPage: true });
  // The list says what the alert's devices are doing: Phường 1's one device is offline.
  const devices = page.locator('#active-alerts tr', { hasText: 'Lũ quét — di chuyển lên vùng cao' }).locator('td.alert-devices');
  await devices.filter({ hasText: 'ngoại tuyến 1' }).waitFor();
  assert.match(await devices.textContent(), /đang phát 0\/1 \/ playing 0 of 1/);
  await openSection('Fleet');
  // The banner and its Cancel button stay on every page while the alert is active.
  await banner.getByRole('button', { name: /Cancel alert/ }).click();
  await page.locator('#alert-banner').waitFor({ state: 'hidden' });
});

test('a LIVE alert reads and looks different, waits for a second operator, and its author can only cancel it', async () => {
  await openSection('Alerts');
  await page.locator('#alert-status-live').check();
  await page.getByRole('button', { name: 'Raise LIVE alert' }).waitFor();
  await page.locator('#alert-all-zones').check();
  await page.locator('#alert-headline').fill('Bão số 9 — ở trong nhà');
  await page.locator('#alert-text').fill('Mọi người ở trong nhà, tránh xa cửa sổ.');
  await page.locator('#alert-severity, select[name="severity"]').first().selectOption('extreme');
  await page.getByRole('button', { name: 'Raise LIVE alert' }).click();
  await expectSuccess('LIVE alert raised');
  const banner = page.locator('#alert-banner .alert-item.live');
  await banner.waitFor();
  const text = await banner.textContent();
  assert.match(text, /LIVE ALERT/);
  assert.match(text, /awaiting confirmation by a second operator/);
  assert.doesNotMatch(text, /EXERCISE/);
  const colours = await page.evaluate(() => {
    const live = document.querySelector('#alert-banner .alert-item.live');
    return getComputedStyle(live).backgroundColor;
  });
  assert.equal(colours, 'rgb(176, 0, 32)');
  assert.equal(await banner.getByRole('button', { name: 'Confirm and send' }).count(), 0);
  await banner.getByRole('button', { name: /Cancel alert/ }).click();
  await page.locator('#alert-banner').waitFor({ state: 'hidden' });
});

test('a screenshot of the console is written as a PNG', async () => {
  await openSection('Fleet');
  const file = path.join(outputDirectory, 'web-console.png');
  await page.screenshot({ path: file, fullPage: true });
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  console.log('screenshot: ' + file);
  await signOut();
});
