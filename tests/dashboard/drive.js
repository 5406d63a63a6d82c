// Drives Debian's chromium (headless, via playwright-core) through the rmq dashboard and
// prints one JSON line with what it saw. Run by tests/dashboard.rs; inputs come from the
// environment:
//   DASHBOARD_URL  the dashboard (login required)     RO_URL  a read-only dashboard (optional)
//   GROUP, TOPIC   the group that consumed one message of TOPIC
//   USER, PASSWORD the login                          SHOTS   where screenshots go
//   SEND_TOPIC     topic of the test message sent from the Topics page
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const env = k => process.env[k] || '';
const out = { pages: {}, errors: [] };
const TIMEOUT = 15000;

async function shot(page, name) {
  fs.mkdirSync(env('SHOTS'), { recursive: true });
  const file = path.join(env('SHOTS'), name + '.png');
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

async function visit(page, name, ready) {
  await page.click(`[data-testid=nav-${name}]`);
  await page.waitForFunction(n => document.body.dataset.loaded === n, name, { timeout: TIMEOUT });
  if (ready) await ready();
  const errors = await page.$$eval('[data-testid=error]', els => els.map(e => e.textContent));
  out.pages[name] = { screenshot: await shot(page, name), errors };
}

async function consumers(page) {
  const group = env('GROUP');
  await page.click('[data-testid=nav-consumers]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'consumers', null, { timeout: TIMEOUT });
  const row = page.locator('[data-testid=group-row]', { hasText: group });
  if (await row.count() > 0) {
    out.groupListed = true;
    await row.first().click();
  } else {
    out.groupListed = false;
    await page.fill('[data-testid=group-input]', group);
    await page.fill('[data-testid=group-topic]', env('TOPIC'));
    await page.click('[data-testid=group-submit]');
  }
  await page.waitForSelector('[data-testid=diff-total]', { timeout: TIMEOUT });
  const rows = await page.$$eval('#consumer-detail [data-testid=queue-row]', trs => trs.map(tr => {
    const cell = k => tr.querySelector(`td[data-col=${k}]`).textContent.trim();
    return { topic: cell('topic'), brokerOffset: Number(cell('brokerOffset')), consumerOffset: Number(cell('consumerOffset')), diff: Number(cell('diff')) };
  }));
  const topicRows = rows.filter(r => r.topic === env('TOPIC'));
  out.consumers = {
    rows: topicRows.length,
    brokerOffset: topicRows.reduce((a, r) => a + r.brokerOffset, 0),
    consumerOffset: topicRows.reduce((a, r) => a + r.consumerOffset, 0),
    diffTotal: Number((await page.textContent('[data-testid=diff-total]')).trim()),
  };
  out.pages.consumers = { screenshot: await shot(page, 'consumers'), errors: [] };
}

async function sendFromTopics(page) {
  await page.click('[data-testid=nav-topics]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'topics', null, { timeout: TIMEOUT });
  const key = 'dash-key-' + Date.now();
  await page.fill('[data-testid=send-topic]', env('SEND_TOPIC'));
  await page.fill('[data-testid=send-keys]', key);
  await page.fill('[data-testid=send-tags]', 'dashboard');
  await page.fill('[data-testid=send-body]', 'sent from the dashboard');
  await page.click('[data-testid=send-submit]');
  // Login is required for state-changing calls: the dialog opens.
  await page.waitForSelector('[data-testid=login-dialog]:not(.hidden)', { timeout: TIMEOUT });
  out.loginAsked = true;
  await page.fill('[data-testid=login-user]', env('USER'));
  await page.fill('[data-testid=login-password]', 'wrong-' + env('PASSWORD'));
  await page.click('[data-testid=login-submit]');
  await page.waitForFunction(() => document.querySelector('[data-testid=login-error]').textContent.length > 0, null, { timeout: TIMEOUT });
  out.wrongPasswordError = await page.textContent('[data-testid=login-error]');
  await page.fill('[data-testid=login-password]', env('PASSWORD'));
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[data-testid=sent-msg-id], [data-testid=send-result] [data-testid=error]', { timeout: TIMEOUT });
  const id = await page.$('[data-testid=sent-msg-id]');
  out.sent = id ? { key, msgId: (await id.textContent()).trim() } : { key, error: await page.textContent('[data-testid=send-result]') };
  out.pages.topics_sent = { screenshot: await shot(page, 'topics-sent'), errors: [] };
  return key;
}

async function findByKey(page, key) {
  await page.click('[data-testid=nav-messages]');
  await page.waitForFunction(() => document.body.dataset.loaded === 'messages', null, { timeout: TIMEOUT });
  const deadline = Date.now() + 20000;
  for (;;) {
    await page.fill('[data-testid=msg-key-topic]', env('SEND_TOPIC'));
    await page.fill('[data-testid=msg-key]', key);
    await page.click('[data-testid=msg-key-submit]');
    await page.waitForSelector('#message-table, [data-testid=msg-results] [data-testid=error]', { timeout: TIMEOUT });
    const keys = await page.$$eval('#message-table [data-testid=message-row] td[data-col=keys]', tds => tds.map(t => t.textContent));
    const err = await page.$('[data-testid=msg-results] [data-testid=error]');
    if (keys.some(k => k.split(' ').includes(key))) {
      out.foundByKey = { found: true };
      await page.click('#message-table [data-testid=message-row]');
      await page.waitForSelector('#msg-props, [data-testid=msg-detail] [data-testid=error]', { timeout: TIMEOUT });
      out.foundByKey.detailProps = await page.$$eval('#msg-props tbody tr', trs => trs.length);
      break;
    }
    if (err || Date.now() > deadline) {
      out.foundByKey = { found: false, error: err ? await err.textContent() : 'not found before the deadline' };
      break;
    }
    await page.waitForTimeout(500);
  }
  out.pages.messages_by_key = { screenshot: await shot(page, 'messages-by-key'), errors: [] };
}

async function readOnly(browser) {
  if (!env('RO_URL')) return;
  const page = await browser.newPage();
  await page.goto(env('RO_URL') + '/#/topics');
  await page.waitForFunction(() => document.body.dataset.loaded === 'topics', null, { timeout: TIMEOUT });
  out.readOnlyBadge = (await page.$('[data-testid=read-only]')) !== null;
  await page.fill('[data-testid=send-topic]', env('SEND_TOPIC'));
  await page.click('[data-testid=send-submit]');
  await page.waitForSelector('[data-testid=send-result] [data-testid=error]', { timeout: TIMEOUT });
  out.readOnlyError = await page.textContent('[data-testid=send-result]');
  // And the API itself, not just the page, refuses.
  out.readOnlyApi = await page.evaluate(async t => {
    const r = await fetch('/api/topics/' + t + '/messages', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"body":"x"}' });
    return { status: r.status, body: await r.json() };
  }, env('SEND_TOPIC'));
  await shot(page, 'read-only');
  await page.close();
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', e => out.errors.push(String(e)));
    await page.goto(env('DASHBOARD_URL') + '/#/cluster');
    await page.waitForSelector('#cluster-table', { timeout: TIMEOUT });
    out.cluster = { brokers: await page.$$eval('#cluster-table [data-testid=broker-row]', trs => trs.length) };
    out.pages.cluster = { screenshot: await shot(page, 'cluster'), errors: [] };
    await consumers(page);
    await visit(page, 'topics');
    await visit(page, 'producers');
    await visit(page, 'messages');
    await visit(page, 'dlq');
    await visit(page, 'cluster', () => page.waitForSelector('#cluster-table', { timeout: TIMEOUT }));
    const key = await sendFromTopics(page);
    if (out.sent && out.sent.msgId) await findByKey(page, key);
    await readOnly(browser);
  } catch (e) {
    out.errors.push('driver: ' + (e && e.stack ? e.stack : String(e)));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main();
