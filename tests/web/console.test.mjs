// Browser test of the web console (docs/web.md): starts a real bantin-controller (its own
// Mosquitto, a temporary data directory, free 127.0.0.1 ports, the first admin made with the
// CLI), then drives Debian's Chromium through playwright-core like the office would.
//
//   node console.test.mjs --controller BIN --web-root DIR --chromium /usr/bin/chromium --output DIR
//
// Exit 77 (ctest: skipped) when Chromium or node_modules is missing; 0 when every step passed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import {
  useController, chromium, chromiumBinary, outputDirectory, sectionTitles, root, page, httpPort, baseUrl,
  signIn, signOut, expectSuccess,
} from './harness.mjs';

const adminPassword = 'admin-web-password-1';
useController({ name: 'console', adminPassword, viewport: { width: 1366, height: 900 }, acceptDownloads: true });

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

// The editor's sign-in name is made from the display name (diacritics folded); the others are
// typed after "Sửa mã".
const people = {
  editor: { name: 'tran-van-bien', display: 'Trần Văn Biên', role: 'editor', password: 'editor-web-password', typed: false },
  approver: { name: 'duyen', display: 'Lê Thị Duyên', role: 'approver', password: 'approver-web-password', typed: true },
  operator: { name: 'khoa', display: 'Phạm Đăng Khoa', role: 'operator', password: 'operator-web-password', typed: true },
};

// A notice whose text holds the letters most often lost on the way (ặ ữ ỹ đ): it must come back
// exactly, from the API and on the page.
const noticeText = 'Thông báo: sáng mai cắt điện từ 7 giờ đến 9 giờ, đặc biệt những khu kỹ thuật.';

async function openSection(title) {
  await page.locator('#nav').getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 2, name: title, exact: true }).waitFor();
}

// Fills a name whose id the form makes from it; `typedId` opens "Sửa mã" and types one instead.
async function fillNamed(form, nameSelector, name, idSelector, typedId) {
  await page.locator(nameSelector).fill(name);
  if (typedId) {
    await page.locator(form).getByRole('button', { name: 'Sửa mã' }).click();
    await page.locator(idSelector).fill(typedId);
  }
}

test('the console is served on the API port with its security headers, and nothing outside the web root', async () => {
  const index = await rawGet(httpPort, '/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'], /^text\/html; charset=utf-8/);
  assert.match(index.headers['content-security-policy'], /script-src 'self'/);
  assert.match(index.headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.doesNotMatch(index.headers['content-security-policy'], /unsafe-inline/);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.match(index.body, /<html lang="vi">/);
  assert.match(index.body, /<title>Bantin — Bảng điều khiển phòng truyền thông<\/title>/);
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

test('a wrong password shows the API error in Vietnamese on the sign-in form, with the server\'s detail', async () => {
  await page.goto(baseUrl + '/');
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  await page.getByLabel('Tên đăng nhập').fill('admin');
  await page.getByLabel('Mật khẩu', { exact: true }).fill('not-the-password');
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  const message = page.locator('#login-message');
  await message.getByText('Sai tên đăng nhập hoặc mật khẩu').waitFor();
  const text = await message.textContent();
  assert.match(text, /wrong user name or password/);
  assert.match(text, /401 unauthenticated/);
  assert.equal(await page.locator('#nav').isVisible(), false);
});

test('ids are made from Vietnamese names: diacritics folded, đ as d, valid for the API', async () => {
  const made = await page.evaluate(async () => {
    const { idFromName } = await import('/i18n.js');
    return ['Bản tin sáng Uyên Hưng', 'Đường Đá Ông Địa', '  Phường 1  ', 'Ấp Tân Định — chợ (mới)!', '👍', 'x'.repeat(80)].map(idFromName);
  });
  assert.deepEqual(made.slice(0, 5), ['ban-tin-sang-uyen-hung', 'duong-da-ong-dia', 'phuong-1', 'ap-tan-dinh-cho-moi', '']);
  assert.equal(made[5].length, 64);
  for (const id of made.filter(Boolean)) assert.match(id, /^[A-Za-z0-9._-]{1,64}$/);
});

test('every error code of the API reads in Vietnamese, keeping the server\'s detail, status and code', async () => {
  const described = await page.evaluate(async () => {
    const { describeError, dayToIso, parseDayTime } = await import('/dom.js');
    const codes = ['bad-request', 'unauthenticated', 'permission-denied', 'csrf', 'not-found', 'conflict', 'already-exists', 'model-invalid',
      'length-required', 'too-large', 'uri-too-long', 'unsupported-media', 'range-not-satisfiable', 'invalid-input', 'rate-limited',
      'internal', 'unavailable'];
    return {
      codes: codes.map((code) => describeError({ status: 400, code, detail: 'server words' })),
      unknown: describeError({ status: 418, code: 'teapot', detail: 'short and stout' }),
      days: ['05/12/2026', '5/1/2026', '31/02/2026', '2026-12-05', '', '12/31/2026'].map(dayToIso),
      times: ['05/12/2026 18:30', '05/12/2026 24:00', '32/12/2026 10:00', ''].map((text) => {
        const value = parseDayTime(text);
        return value === undefined ? 'empty' : value === null ? 'invalid' : value.getHours() + ':' + value.getMinutes();
      }),
    };
  });
  described.codes.forEach((text, index) => {
    assert.match(text, /^[^:]*[ạảãáàâăấầẩẫậắằẳẵặđéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ][^:]*: server words \(400 [a-z-]+\)$/i, 'code ' + index + ': ' + text);
  });
  assert.equal(described.unknown, 'Yêu cầu thất bại: short and stout (418 teapot)');
  assert.deepEqual(described.days, ['2026-12-05', '2026-01-05', null, null, '', null]);
  assert.deepEqual(described.times, ['18:30', 'invalid', 'invalid', 'empty']);
});

test('the admin signs in and creates an editor, an approver and an operator with Vietnamese names', async () => {
  await signIn('admin', adminPassword);
  await openSection(sectionTitles.users);
  for (const person of Object.values(people)) {
    await fillNamed('#user-form', '#user-display-name', person.display, '#user-name', person.typed ? person.name : null);
    if (!person.typed) {
      assert.equal(await page.locator('#user-form .generated-id').textContent(), person.name);
      assert.equal(await page.locator('#user-name').isVisible(), false);
    }
    await page.locator('#user-role').selectOption(person.role);
    await page.locator('#user-password').fill(person.password);
    await page.getByRole('button', { name: 'Tạo người dùng' }).click();
    await expectSuccess(person.display);
  }
  const list = page.locator('#user-list');
  for (const person of Object.values(people)) {
    await list.getByText(person.display, { exact: true }).waitFor();
    await list.locator(`tr[data-user="${person.name}"]`).waitFor();
  }
});

test('the admin adds zones and registers a device; its provisioning file is offered once', async () => {
  await openSection(sectionTitles.devices);
  // The id follows the name: "Phường 1" → phuong-1.
  for (const name of ['Phường 1', 'Khu dân cư số 12 phường Uyên Hưng, thị xã Tân Uyên', 'Ấp Bình Thắng Đông']) {
    await page.locator('#zone-name').fill(name);
    await page.getByRole('button', { name: 'Thêm khu vực' }).click();
    await page.locator('#zone-list').getByText(name, { exact: true }).waitFor();
  }
  await page.locator('#zone-list').getByText('phuong-1', { exact: true }).waitFor();

  await fillNamed('#device-form', '#device-name', 'Cổng chợ', '#device-id', 'screen-1');
  await page.locator('#device-zone').selectOption('phuong-1');
  await page.getByRole('button', { name: 'Đăng ký thiết bị' }).click();
  const provisioning = page.getByRole('region', { name: 'Tệp cài đặt thiết bị' });
  await provisioning.waitFor();
  const downloadPromise = page.waitForEvent('download');
  await provisioning.getByRole('button', { name: /Tải về screen-1\.provisioning\.json/ }).click();
  const download = await downloadPromise;
  assert.equal(download.suggestedFilename(), 'screen-1.provisioning.json');
  const saved = path.join(root, 'provisioning.json');
  await download.saveAs(saved);
  const file = JSON.parse(fs.readFileSync(saved, 'utf8'));
  assert.equal(file.device, 'screen-1');
  assert.equal(file.zone, 'phuong-1');
  assert.ok(file.mqtt, 'the provisioning file carries the MQTT account');
});

test('the fleet page lists the registered device as offline, its zone by name', async () => {
  await openSection(sectionTitles.fleet);
  const row = page.locator('#fleet-table tr[data-device="screen-1"]');
  await row.waitFor();
  const text = await row.textContent();
  assert.match(text, /Cổng chợ/);
  assert.match(text, /Phường 1/);
  assert.match(text, /ngoại tuyến/);
  assert.equal(await row.locator('td.proof').textContent(), 'chưa có báo đã phát');
  await page.locator('#fleet-table th', { hasText: 'Báo đã phát' }).waitFor();
  await page.locator('#fleet-updated').getByText('tự làm mới mỗi 5 giây').waitFor();
  assert.match(await page.locator('#fleet-updated').textContent(), /\d\d\/\d\d\/\d{4} \d\d:\d\d/);
  await signOut();
});

test('the editor makes a notice and a playlist, creates campaigns and submits one', async () => {
  await signIn(people.editor.name, people.editor.password);
  await openSection(sectionTitles.media);
  await page.locator('#notice-text').fill(noticeText);
  await page.locator('#notice-name').fill('cắt điện');
  await page.getByRole('button', { name: 'Tạo thông báo' }).click();
  await expectSuccess('cắt điện', 30000);
  const shown = page.locator('#media-list').getByText(noticeText, { exact: true }).first();
  await shown.waitFor();
  // The diacritics round-trip: the page and the API give back exactly what was typed.
  assert.equal(await shown.textContent(), noticeText);
  const stored = await page.evaluate(async () => (await (await fetch('/api/v1/media?limit=500')).json()).items.filter((item) => item.type === 'text').map((item) => item.text));
  assert.ok(stored.includes(noticeText), 'the API gives back the notice as typed: ' + JSON.stringify(stored));

  // An upload: a picture made with ffmpeg is stored; a text file is refused, in Vietnamese, with ffprobe's reason.
  const picture = path.join(root, 'chợ-đêm.png');
  const made = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'color=c=blue:s=64x48', '-frames:v', '1', '-y', picture]);
  assert.equal(made.status, 0, 'ffmpeg: ' + made.stderr);
  await page.locator('#media-file').setInputFiles(picture);
  await page.getByRole('button', { name: 'Tải lên' }).click();
  await expectSuccess('Đã lưu "chợ-đêm.png": hình ảnh');
  await page.locator('#media-list').getByText('chợ-đêm.png', { exact: true }).waitFor();
  const notMedia = path.join(root, 'ghi-chú.mp4');
  fs.writeFileSync(notMedia, 'this is not a video\n');
  await page.locator('#media-file').setInputFiles(notMedia);
  await page.getByRole('button', { name: 'Tải lên' }).click();
  const refusal = page.locator('.message.error');
  await refusal.getByText('415 unsupported-media').waitFor();
  assert.match(await refusal.textContent(), /Không phải tệp âm thanh, video hay hình ảnh phát được/);

  await openSection(sectionTitles.playlists);
  await page.locator('#playlist-name').fill('Buổi sáng');
  assert.equal(await page.locator('#playlist-form .generated-id').textContent(), 'buoi-sang');
  const item = page.getByLabel('Nội dung của mục 1');
  const speech = await item.locator('option', { hasText: 'cắt điện (speech)' }).getAttribute('value');
  await item.selectOption(speech);
  await page.getByRole('button', { name: 'Tạo danh sách phát' }).click();
  await expectSuccess('Buổi sáng');

  await openSection(sectionTitles.campaigns);
  // A fixed-time campaign: its list row shows its times.
  await page.locator('#campaign-name').fill('Bản tin sáng Uyên Hưng');
  assert.equal(await page.locator('#campaign-form .generated-id').textContent(), 'ban-tin-sang-uyen-hung');
  await page.locator('#campaign-playlist').selectOption('buoi-sang');
  await page.locator('#campaign-mode').selectOption('fixed_time');
  await page.locator('#campaign-fixed-times').fill('06:00, 17:30');
  // Days are typed dd/mm/yyyy; a day that does not exist keeps the form from being sent.
  await page.locator('#campaign-valid-from').fill('31/02/2026');
  assert.equal(await page.locator('#campaign-valid-from').evaluate((input) => input.validity.valid), false);
  await page.locator('#campaign-valid-from').fill('01/12/2026');
  await page.locator('#campaign-valid-to').fill('31/12/2027');
  await page.getByRole('button', { name: 'Tạo bản nháp' }).click();
  const fixed = page.locator('#campaign-list tr[data-campaign="ban-tin-sang-uyen-hung"]');
  await fixed.getByText('Phát theo giờ cố định: 06:00, 17:30').waitFor();
  await fixed.getByText('Nháp', { exact: true }).waitFor();
  await fixed.getByText('01/12/2026 – 31/12/2027').waitFor();

  await page.locator('#campaign-name').fill('Tin sáng phường 1');
  await page.locator('#campaign-playlist').selectOption('buoi-sang');
  await page.getByRole('checkbox', { name: 'Phường 1', exact: true }).check();
  await page.locator('#campaign-windows').fill('06:00-08:00');
  await page.getByRole('button', { name: 'Tạo bản nháp' }).click();
  const row = page.locator('#campaign-list tr[data-campaign="tin-sang-phuong-1"]');
  await row.getByText('Nháp', { exact: true }).waitFor();
  assert.match(await row.textContent(), /Phát lặp/);
  assert.match(await row.textContent(), /khu vực Phường 1/);
  await row.getByRole('button', { name: 'Gửi duyệt Tin sáng phường 1' }).click();
  await row.getByText('Chờ duyệt', { exact: true }).waitFor();
  await signOut();
});

test('the approver sees the conflicts and a device\'s day, and approves the campaign', async () => {
  await signIn(people.approver.name, people.approver.password);
  await openSection(sectionTitles.campaigns);
  const row = page.locator('#campaign-list tr[data-campaign="tin-sang-phuong-1"]');
  await row.getByRole('button', { name: 'Xung đột của Tin sáng phường 1' }).click();
  await page.locator('#conflicts').waitFor();
  assert.match(await page.locator('#preview-day').inputValue(), /^\d\d\/\d\d\/\d{4}$/);
  await page.locator('#preview-device').selectOption('screen-1');
  await page.getByRole('button', { name: 'Xem lịch phát' }).click();
  await page.locator('#preview-output').getByText(/lần phát ngày \d\d\/\d\d\/\d{4}/).waitFor();
  // The decision is taken in the campaign's view, after seeing what it plays.
  await row.getByRole('button', { name: 'Xem và duyệt Tin sáng phường 1' }).click();
  await page.locator('#campaign-view').getByRole('button', { name: 'Duyệt Tin sáng phường 1' }).click();
  await row.getByText('Đã duyệt', { exact: true }).waitFor();

  await openSection(sectionTitles.reports);
  await page.locator('#report-output').getByRole('caption').first().waitFor();
  const delivery = page.locator('#report-output tr[data-campaign="tin-sang-phuong-1"]');
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
      await board.getByText(noticeText).first().waitFor();
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
  await openSection(sectionTitles.alerts);
  assert.equal(await page.locator('#alert-status-exercise').isChecked(), true);
  await page.getByRole('checkbox', { name: 'Phường 1', exact: true }).check();
  await page.locator('#alert-headline').fill('Lũ quét — di chuyển lên vùng cao');
  await page.locator('#alert-text').fill('Đây là bài diễn tập.');
  await page.getByRole('button', { name: 'Bắt đầu diễn tập' }).click();
  await expectSuccess('Đã bắt đầu diễn tập');
  const banner = page.locator('#alert-banner .alert-item.exercise');
  await banner.waitFor();
  assert.match(await banner.textContent(), /DIỄN TẬP — KHÔNG PHẢI CẢNH BÁO THẬT/);
  assert.match(await banner.textContent(), /Phường 1 — Nghiêm trọng/);
  await page.screenshot({ path: path.join(outputDirectory, 'web-console-alert.png'), fullPage: true });
  // The list says what the alert's devices are doing: Phường 1's one device is offline.
  const devices = page.locator('#active-alerts tr', { hasText: 'Lũ quét — di chuyển lên vùng cao' }).locator('td.alert-devices');
  await devices.filter({ hasText: 'ngoại tuyến 1' }).waitFor();
  assert.match(await devices.textContent(), /đang phát 0\/1/);
  await openSection(sectionTitles.fleet);
  // The banner and its Cancel button stay on every page while the alert is active.
  await banner.getByRole('button', { name: /Huỷ cảnh báo/ }).click();
  await page.locator('#alert-banner').waitFor({ state: 'hidden' });
});

test('a LIVE alert reads and looks different, waits for a second operator, and its author can only cancel it', async () => {
  await openSection(sectionTitles.alerts);
  await page.locator('#alert-status-live').check();
  await page.getByRole('button', { name: 'Phát cảnh báo thật' }).waitFor();
  await page.locator('#alert-all-zones').check();
  await page.locator('#alert-headline').fill('Bão số 9 — ở trong nhà');
  await page.locator('#alert-text').fill('Mọi người ở trong nhà, tránh xa cửa sổ.');
  await page.locator('#alert-severity').selectOption('extreme');
  await page.getByRole('button', { name: 'Phát cảnh báo thật' }).click();
  await expectSuccess('Đã phát cảnh báo thật');
  const banner = page.locator('#alert-banner .alert-item.live');
  await banner.waitFor();
  const text = await banner.textContent();
  assert.match(text, /CẢNH BÁO KHẨN CẤP/);
  assert.match(text, /Cực kỳ nghiêm trọng/);
  assert.match(text, /chờ người vận hành thứ hai xác nhận/);
  assert.doesNotMatch(text, /DIỄN TẬP/);
  const colours = await page.evaluate(() => {
    const live = document.querySelector('#alert-banner .alert-item.live');
    return getComputedStyle(live).backgroundColor;
  });
  assert.equal(colours, 'rgb(176, 0, 32)');
  assert.equal(await banner.getByRole('button', { name: 'Xác nhận và gửi' }).count(), 0);
  await banner.getByRole('button', { name: /Huỷ cảnh báo/ }).click();
  await page.locator('#alert-banner').waitFor({ state: 'hidden' });
  await signOut();
});

test('the language is a choice each user keeps: English after a reload, others stay Vietnamese, and back', async () => {
  await signIn(people.editor.name, people.editor.password);
  await page.locator('#session').getByRole('button', { name: 'English' }).click();
  await page.getByRole('heading', { level: 2, name: 'Fleet', exact: true }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.reload();
  await page.locator('#nav').getByRole('link', { name: 'Campaigns', exact: true }).waitFor();
  assert.equal(await page.locator('#logout').textContent(), 'Sign out');
  // Every section the editor sees renders in English too.
  for (const title of ['Fleet', 'Campaigns', 'Alerts', 'Media', 'Playlists', 'Reports', 'Devices']) {
    await openSection(title);
    await page.locator('#view .section :is(.panel, .table-scroll)').first().waitFor();
    assert.equal(await page.locator('#view .message.error').count(), 0, title + ' shows an error');
  }
  await signOut();
  // Another user has not chosen English: the console is Vietnamese for them.
  await signIn(people.operator.name, people.operator.password);
  await page.locator('#nav').getByRole('link', { name: sectionTitles.campaigns, exact: true }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  await signOut();
  await signIn(people.editor.name, people.editor.password);
  await page.locator('#nav').getByRole('link', { name: 'Campaigns', exact: true }).waitFor();
  await page.locator('#session').getByRole('button', { name: 'Tiếng Việt' }).click();
  await page.locator('#nav').getByRole('link', { name: sectionTitles.campaigns, exact: true }).waitFor();
  await page.reload();
  await page.locator('#nav').getByRole('link', { name: sectionTitles.campaigns, exact: true }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'vi');
  await signOut();
});

// Every section (and more pages) at 1366×768 and 390×844 in both languages, with an alert banner:
// officer.test.mjs, whose controller has a real device, campaign and proof to show.

test('a screenshot of the console is written as a PNG', async () => {
  await signIn('admin', adminPassword);
  await openSection(sectionTitles.fleet);
  const file = path.join(outputDirectory, 'web-console.png');
  await page.screenshot({ path: file, fullPage: true });
  const bytes = fs.readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  console.log('screenshot: ' + file);
  await signOut();
});
