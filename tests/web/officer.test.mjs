// Browser test of an officer's whole task (docs/web.md "The officer's whole task"): a real
// bantin-controller (its own Mosquitto, a temporary data directory, free 127.0.0.1 ports) and a
// real bantin-player daemon (headless: no window, no sound) on one screen registered in Phường 1.
// Only what an office sets up once goes through the API (the people, the zone, the device and
// its provisioning file); every step of the task is driven through the console in Debian's
// Chromium by the Vietnamese labels, roles and buttons an officer reads:
//   an editor writes a text notice, uploads a picture, builds a playlist of both, makes a
//   campaign for the device's zone and submits it; an approver (another person) signs in, sees
//   the playlist's pictures and approves it; the player plays it; an operator opens the device's
//   page, asks for a screenshot and sees it arrive, then a second one replace it; the plays show
//   in the reports' table and charts.
// Then every page, in Vietnamese and in English, at 1366×768 and 390×844: nothing wider than the
// window, no English left in Vietnamese mode, no Vietnamese console text left in English mode,
// the diacritics of what the office typed intact; a screenshot of each as
// <page>-<vi|en>-<width>x<height>.png in --screenshots (listed at the end).
//
//   node officer.test.mjs --controller BIN --player BIN --web-root DIR --chromium /usr/bin/chromium \
//     --output DIR --screenshots DIR
//
// Exit 77 (ctest: skipped) when Chromium or node_modules is missing; 2 without a player binary.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  useController, option, outputDirectory, sectionTitles, root, page, baseUrl, controllerLog, call, login,
  signIn, signOut, expectSuccess, overflowInPage, untranslatedInPage, englishLeftoversInPage,
} from './harness.mjs';

const adminPassword = 'admin-officer-password-1';
useController({ name: 'officer', adminPassword, viewport: { width: 1366, height: 768 }, beforeStop: () => stopPlayer() });

const playerBinary = option('player', process.env.BANTIN_PLAYER);
if (!playerBinary || !fs.existsSync(playerBinary)) {
  console.error('no bantin-player binary: pass --player PATH');
  process.exit(2);
}
const screenshotDirectory = path.resolve(option('screenshots', path.join(outputDirectory, 'web-screenshots')));

const people = {
  editor: { name: 'bien', display: 'Trần Văn Biên', role: 'editor', password: 'password-of-bien' },
  approver: { name: 'duyen', display: 'Lê Thị Duyên', role: 'approver', password: 'password-of-duyen' },
  operator: { name: 'khoa', display: 'Phạm Đăng Khoa', role: 'operator', password: 'password-of-khoa' },
};
const device = { id: 'man-hinh-cho', name: 'Màn hình cổng chợ', zone: 'phuong-1', zoneName: 'Phường 1' };
const noticeText = 'Thông báo: chiều nay phun thuốc diệt muỗi ở khu phố Ấp Đông; đề nghị bà con đóng kín cửa, giữ trẻ ở trong nhà.';
const noticeName = 'Phun thuốc diệt muỗi';
const pictureName = 'Ảnh chợ đêm.png';
const playlistName = 'Bảng tin chợ';
const campaignName = 'Tin phường 1 tuần này';
const campaignId = 'tin-phuong-1-tuan-nay'; // made from its name
// What the office typed shows as typed in either language; so do the examples of such names in
// the forms' hints, the controller's own alert chime, and the words devices show and speak in
// Vietnamese whatever the console's language ("DIỄN TẬP" before an exercise's headline).
const content = [noticeText, noticeName, pictureName, playlistName, campaignName, device.name, device.zoneName, 'Xã Đông',
  ...Object.values(people).map((person) => person.display), 'Diễn tập báo cháy chợ', 'Đây là bài diễn tập.',
  'Bản tin sáng Uyên Hưng', 'Buổi sáng', 'Cổng chợ', 'Nguyễn Thị Bình', 'Lũ quét — di chuyển lên vùng cao',
  'Thông báo: sáng mai cắt điện từ 7 giờ.', 'Chuông báo', 'DIỄN TẬP', 'diễn tập'];

const state = { player: null, tokens: {} };

// The player is stopped (SIGTERM, SIGKILL after 10 s) before the controller and its directory go.
function stopPlayer() {
  const player = state.player;
  if (!player || player.exitCode !== null || player.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      player.kill('SIGKILL');
      resolve();
    }, 10000);
    player.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    player.kill('SIGTERM');
  });
}

async function waitFor(what, probe, timeout = 30000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    assert.ok(Date.now() < deadline, what + '\n' + controllerLog() + '\n--- player ---\n' + playerLog());
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function playerLog() {
  try {
    return fs.readFileSync(path.join(root, 'player.log'), 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no player log)';
  }
}

// The console's menu, by the section's Vietnamese title.
async function openSection(title) {
  await page.locator('#nav').getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
}

// The form that holds the button `buttonName`.
function formOf(buttonName) {
  return page.locator('form').filter({ has: page.getByRole('button', { name: buttonName, exact: true }) });
}

test('the office has its people, a zone and a screen whose player runs headless', async () => {
  const admin = await login('admin', adminPassword);
  for (const person of Object.values(people))
    await call(admin, 'POST', '/users', { name: person.name, display_name: person.display, role: person.role, password: person.password });
  state.tokens.operator = await login(people.operator.name, people.operator.password);
  state.tokens.admin = admin;
  await call(admin, 'POST', '/zones', { id: device.zone, name: device.zoneName });
  await call(admin, 'POST', '/zones', { id: 'xa-dong', name: 'Xã Đông' });
  const registered = await call(admin, 'POST', '/devices', { id: device.id, kind: 'screen', zone: device.zone, name: device.name });

  const directory = path.join(root, 'player');
  fs.mkdirSync(directory, { recursive: true });
  const provisioning = path.join(directory, 'provisioning.json');
  fs.writeFileSync(provisioning, JSON.stringify(registered.provisioning), { mode: 0o600 });
  const config = path.join(directory, 'player.toml');
  fs.writeFileSync(config, [
    'provisioning_file = ' + JSON.stringify(provisioning),
    '[state]', 'dir = ' + JSON.stringify(path.join(directory, 'state')),
    '[playback]', 'mode = "headless"',
    '[status]', 'interval_s = 5',
    '[screenshots]', 'interval_s = 0',
    '[fetch]', 'retry_min_ms = 200', 'retry_max_ms = 2000',
    '[mqtt]', 'reconnect_min_ms = 200', 'reconnect_max_ms = 1000',
    '[proof]', 'flush_interval_s = 1',
    '',
  ].join('\n'));
  const checked = spawnSync(playerBinary, ['--check-config', config], { encoding: 'utf8', timeout: 30000 });
  assert.equal(checked.status, 0, 'bantin-player --check-config: ' + checked.stdout + checked.stderr);
  const log = fs.openSync(path.join(root, 'player.log'), 'a');
  state.player = spawn(playerBinary, ['--config', config], { stdio: ['ignore', log, log] });
  await waitFor('the player did not come online', async () => {
    assert.equal(state.player.exitCode, null, 'the player exited:\n' + playerLog());
    const fleet = await call(state.tokens.operator, 'GET', '/fleet/status');
    return fleet.devices.find((entry) => entry.id === device.id).online;
  });
});

test('the editor writes a notice, uploads a picture, builds a playlist of both and submits a campaign for the device\'s zone', async () => {
  await signIn(people.editor.name, people.editor.password);
  await openSection(sectionTitles.media);

  const notice = formOf('Tạo thông báo');
  await notice.getByLabel('Nội dung').fill(noticeText);
  await notice.getByLabel('Tên', { exact: true }).fill(noticeName);
  await notice.getByRole('button', { name: 'Tạo thông báo' }).click();
  await expectSuccess('Đã lưu thông báo "' + noticeName + '"', 30000);
  const shownNotice = page.getByRole('table', { name: 'Nội dung' }).getByText(noticeText, { exact: true }).first();
  await shownNotice.waitFor();
  assert.equal(await shownNotice.textContent(), noticeText, 'the notice keeps its diacritics');

  const picture = path.join(root, pictureName);
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=orange:s=320x180', '-frames:v', '1', '-y', picture]);
  assert.equal(made.status, 0, 'ffmpeg: ' + made.stderr);
  const upload = formOf('Tải lên');
  const chooser = page.waitForEvent('filechooser');
  await upload.getByText('Chọn tệp…').click();
  await (await chooser).setFiles(picture);
  await upload.getByText(pictureName).waitFor();
  await upload.getByRole('button', { name: 'Tải lên' }).click();
  await expectSuccess('Đã lưu "' + pictureName + '": hình ảnh');
  await page.getByRole('table', { name: 'Nội dung' }).getByText(pictureName, { exact: true }).waitFor();

  await openSection(sectionTitles.playlists);
  await page.getByLabel('Tên danh sách phát').fill(playlistName);
  const chooseItem = async (number, text, seconds) => {
    const choice = page.getByLabel('Nội dung của mục ' + number);
    const value = await choice.locator('option', { hasText: text }).first().getAttribute('value');
    await choice.selectOption(value);
    await page.getByLabel('Số giây của mục ' + number).fill(String(seconds));
  };
  await chooseItem(1, noticeName + ' — văn bản', 4);
  await page.getByRole('button', { name: 'Thêm mục' }).click();
  await chooseItem(2, pictureName + ' — hình ảnh', 4);
  await page.getByRole('button', { name: 'Tạo danh sách phát' }).click();
  await expectSuccess('Đã tạo danh sách phát "' + playlistName + '"');
  const strip = page.getByRole('row', { name: new RegExp(playlistName) }).getByRole('list', { name: 'Các mục theo thứ tự phát' });
  assert.equal(await strip.getByRole('listitem').count(), 2);

  await openSection(sectionTitles.campaigns);
  await page.getByLabel('Tên chiến dịch').fill(campaignName);
  await formOf('Tạo bản nháp').getByText(campaignId, { exact: true }).waitFor();
  await page.getByLabel('Danh sách phát', { exact: true }).selectOption({ label: playlistName });
  await page.getByRole('group', { name: /^Khu vực/ }).getByRole('checkbox', { name: device.zoneName, exact: true }).check();
  assert.equal(await page.getByLabel('Cách phát').locator('option:checked').textContent(), 'Phát lặp');
  await page.getByRole('button', { name: 'Tạo bản nháp' }).click();
  await expectSuccess('Đã tạo bản nháp "' + campaignName + '"');
  await page.getByRole('button', { name: 'Gửi duyệt ' + campaignName }).click();
  await expectSuccess('nay ở trạng thái: Chờ duyệt');
  await page.getByRole('row', { name: new RegExp(campaignName) }).getByText('Chờ duyệt', { exact: true }).waitFor();
  await signOut();
});

test('the approver, another person, sees the playlist\'s pictures and approves; the device plays it', async () => {
  await signIn(people.approver.name, people.approver.password);
  await openSection(sectionTitles.campaigns);
  await page.getByRole('button', { name: 'Xem và duyệt ' + campaignName }).click();
  const view = page.locator('#campaign-view');
  await view.getByRole('heading', { name: new RegExp(campaignName) }).waitFor();
  await view.getByText('khu vực ' + device.zoneName).waitFor();
  // The previews: the notice as a slide with its words, the picture as a loaded image.
  const slide = view.getByRole('img', { name: new RegExp('^Trang chữ: ') }).first();
  await slide.waitFor();
  assert.match(await slide.getAttribute('aria-label'), /phun thuốc diệt muỗi/);
  const image = view.getByRole('img', { name: pictureName }).first();
  await image.waitFor();
  await page.waitForFunction((element) => element.complete && element.naturalWidth > 0, await image.elementHandle());
  await view.getByRole('button', { name: 'Duyệt ' + campaignName }).click();
  await expectSuccess('nay ở trạng thái: Đã duyệt');
  await page.getByRole('row', { name: new RegExp(campaignName) }).getByText('Đã duyệt', { exact: true }).waitFor();
  await signOut();
});

test('an operator opens the device\'s page, sees it play the campaign, asks for a screenshot and sees it arrive, then change', async () => {
  await signIn(people.operator.name, people.operator.password);
  await openSection(sectionTitles.fleet);
  await page.getByRole('table', { name: /Thiết bị/ }).getByRole('link', { name: device.name }).click();
  await page.getByRole('heading', { level: 3, name: device.name }).waitFor();
  // The page refreshes every 5 s; the player reports what it plays when it changes.
  await page.locator('#device-playing').getByText(campaignName).waitFor({ timeout: 40000 });
  await page.getByText('Thiết bị chưa gửi ảnh màn hình nào.').waitFor();

  const screenshot = page.getByRole('img', { name: 'Ảnh màn hình của ' + device.name });
  await page.getByRole('button', { name: 'Chụp màn hình ngay' }).click();
  // The device may answer before the page shows "sent": either message will do here; the
  // picture itself is the real check.
  await expectSuccess(/Đã gửi lệnh chụp màn hình|Đã nhận ảnh màn hình mới/);
  await expectSuccess('Đã nhận ảnh màn hình mới', 30000);
  await screenshot.waitFor();
  await page.waitForFunction(() => {
    const image = document.querySelector('#device-shot img');
    return image && image.complete && image.naturalWidth > 0;
  });
  const first = await screenshot.getAttribute('src');

  await page.getByRole('button', { name: 'Chụp màn hình ngay' }).click();
  // The device may answer before the page shows "sent": either message will do here; the
  // picture itself is the real check.
  await expectSuccess(/Đã gửi lệnh chụp màn hình|Đã nhận ảnh màn hình mới/);
  await expectSuccess('Đã nhận ảnh màn hình mới', 30000);
  await page.waitForFunction((old) => {
    const image = document.querySelector('#device-shot img');
    return image && image.getAttribute('src') !== old && image.complete && image.naturalWidth > 0;
  }, first);
  await page.getByText(/^Nhận lúc \d\d\/\d\d\/\d{4} \d\d:\d\d/).waitFor();
});

test('the plays show in the reports: the campaign\'s row and bars, and today\'s plays', async () => {
  await openSection(sectionTitles.reports);
  const row = page.getByRole('table', { name: /^Kế hoạch và thực phát/ }).getByRole('row', { name: new RegExp('^' + campaignName + ' ') });
  const delivered = async () => {
    if (!(await row.count())) return 0;
    return Number((await row.getByRole('cell').nth(2).textContent()).replace(/\D/g, '')) || 0;
  };
  // The player flushes its proof every second; the officer asks again until it is in.
  await waitFor('no plays in the reports', async () => {
    if ((await delivered()) > 0) return true;
    await page.getByRole('button', { name: 'Xem báo cáo' }).click();
    await page.getByRole('heading', { level: 3, name: 'Kế hoạch và thực phát' }).waitFor();
    await page.waitForTimeout(300);
    return (await delivered()) > 0;
  }, 30000);
  // The table and the charts are read together, again until they agree: a report asked for
  // just before may still be drawing over what was read.
  let plays = 0;
  let bars = [];
  let perDay = [];
  await waitFor('the chart draws the delivered count and today\'s bar holds the plays', async () => {
    plays = await delivered();
    bars = await page.locator('#report-output svg[data-chart="delivery"] rect[data-value]').evaluateAll((rects) => rects.map((rect) => ({
      label: rect.dataset.label, series: rect.dataset.series, value: Number(rect.dataset.value),
    })));
    perDay = await page.locator('#report-output svg[data-chart="plays-per-day"] rect[data-value]').evaluateAll((rects) => rects.map((rect) => Number(rect.dataset.value)));
    return plays > 0 && (await delivered()) === plays &&
      bars.some((bar) => bar.label === campaignName && bar.series === 'Đã phát' && bar.value === plays) &&
      perDay.some((value) => value >= plays);
  }, 15000).catch((error) => {
    assert.fail(error.message + ': table ' + plays + ', delivery bars ' + JSON.stringify(bars) + ', per day ' + JSON.stringify(perDay));
  });
  console.log(`officer: the device played the campaign ${plays} times, shown in the reports`);
  await signOut();
});

// Every page, by how it is reached and what shows once it is ready.
const pages = [
  { id: 'fleet', hash: '#/fleet', ready: '#fleet-shots img' },
  { id: 'device', hash: '#/devices/' + device.id, ready: ['#device-shot img', '#device-history h3', '#device-gaps h3', '#device-changes h4'] },
  { id: 'campaigns', hash: '#/campaigns', ready: '#campaign-list tr[data-campaign]' },
  { id: 'calendar', hash: '#/calendar', ready: '.cal-week', show: async () => {
    await page.locator('#calendar-target').selectOption(device.id);
    await page.locator('#calendar-show').click();
  } },
  { id: 'alerts', hash: '#/alerts', ready: '#alert-history tr[data-alert]' },
  { id: 'media', hash: '#/media', ready: '#media-list tr[data-media]' },
  { id: 'playlists', hash: '#/playlists', ready: '#playlist-list tr[data-playlist]' },
  { id: 'reports', hash: '#/reports', ready: 'svg[data-chart="delivery"]' },
  { id: 'devices', hash: '#/devices', ready: '#zone-list' },
  { id: 'users', hash: '#/users', ready: '#user-list tr' },
  { id: 'audit', hash: '#/audit', ready: '#audit-list tbody tr' },
];
const viewports = [{ width: 1366, height: 768 }, { width: 390, height: 844 }];
const saved = [];

async function checkShown(name, language, viewport, problems) {
  const where = `${name} (${language}) at ${viewport.width}×${viewport.height}`;
  for (const found of await page.evaluate(overflowInPage)) problems.push(`${where}: ${found}`);
  const leftovers = language === 'vi' ? await page.evaluate(untranslatedInPage, '') : await page.evaluate(englishLeftoversInPage, { content });
  for (const found of leftovers) problems.push(`${where}: ${language === 'vi' ? 'English' : 'Vietnamese'} left: ${found}`);
  const file = path.join(screenshotDirectory, `${name}-${language}-${viewport.width}x${viewport.height}.png`);
  await page.screenshot({ path: file, fullPage: true });
  saved.push(file);
}

test('every page fits 1366×768 and 390×844 in Vietnamese and in English, in the chosen language only; screenshots of each', async () => {
  fs.mkdirSync(screenshotDirectory, { recursive: true });
  // An exercise alert (in a zone with no device): its banner is on every page and it is in the
  // alert history; cancelled at the end.
  const alert = await call(state.tokens.operator, 'POST', '/alerts', {
    headline: 'Diễn tập báo cháy chợ', text: 'Đây là bài diễn tập.', severity: 'minor', status: 'exercise', zones: ['xa-dong'],
  });
  const problems = [];
  for (const language of ['vi', 'en']) {
    await signIn('admin', adminPassword);
    await page.locator('#session').getByRole('button', { name: language === 'vi' ? 'Tiếng Việt' : 'English' }).click();
    await page.locator('html[lang="' + language + '"]').waitFor();
    for (const viewport of viewports) {
      await page.setViewportSize(viewport);
      for (const entry of pages) {
        await page.goto(baseUrl + '/' + entry.hash);
        await page.locator('#section-title').waitFor();
        await page.locator('#alert-banner .alert-item.exercise').waitFor();
        if (entry.show) await entry.show();
        for (const selector of [entry.ready].flat()) await page.locator(selector).first().waitFor();
        await page.waitForTimeout(200); // the section's other lists settle (no assertion depends on it)
        await checkShown(entry.id, language, viewport, problems);
      }
    }
    await page.setViewportSize(viewports[0]);
    await signOut();
    for (const viewport of viewports) {
      await page.setViewportSize(viewport);
      await page.locator('#login-title').waitFor();
      await checkShown('login', language, viewport, problems);
    }
    await page.setViewportSize(viewports[0]);
  }
  await call(state.tokens.operator, 'POST', '/alerts/' + alert.id + '/cancel', {});
  // The next sign-in page is Vietnamese again.
  await page.locator('#login-lang').getByRole('button', { name: 'Tiếng Việt' }).click();
  console.log('screenshots (' + saved.length + '):\n' + saved.map((file) => '  ' + file).join('\n'));
  assert.deepEqual([...new Set(problems)], []);
});
