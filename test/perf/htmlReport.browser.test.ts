// The HTML report in a real browser: Debian's Chromium, headless, driven by playwright-core. The report is from a
// real sweep against an in-process backend; the test checks that the charts rendered and saves the screenshot
// committed as docs/perf-report.png.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePerfOptions } from '../../client/perf/options/perfOptions';
import { runPerf } from '../../client/perf/runPerf';
import { startTestBackend } from '../helpers/backend';

const CHROMIUM = '/usr/bin/chromium';
// The committed picture is rewritten only when asked (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean.
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS
  ? new URL('../../docs/perf-report.png', import.meta.url).pathname
  : join(tmpdir(), `perf-report-${process.pid}.png`);
const POINTS = [1, 2, 3, 4];

let context: BrowserContext;
let page: Page;
let profileDir: string;
const requested: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: this test needs Debian's Chromium (apt-get install -y --no-install-recommends chromium; .ci/run installs it)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'siglip-perf-report-'));
  const report = join(dir, 'report.html');
  const backend = await startTestBackend();
  try {
    await runPerf(
      resolvePerfOptions({ model: 'siglip_vision', url: backend.url, concurrencyRange: `${POINTS[0]}:${POINTS.at(-1)}`, measurementInterval: 500, stabilityPercentage: 999, report }),
      { out: () => {}, err: () => {} },
    );
  } finally {
    await backend.close();
  }
  profileDir = mkdtempSync(join(tmpdir(), 'siglip-perf-chromium-'));
  // The background-networking flags matter: with them off, Chromium tries hosts the closed network refuses.
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await context.newPage();
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(pathToFileURL(report).href);
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

describe('the HTML report in Chromium', () => {
  it('loads nothing but itself', () => {
    expect(requested).toHaveLength(1);
    expect(requested[0]).toMatch(/^file:\/\/.*report\.html$/);
  });

  it('draws throughput against concurrency, one marker per point, with labelled axes', async () => {
    const chart = page.locator('svg#throughput-chart');
    await expect(chart.locator('.x-label').textContent()).resolves.toBe('Concurrency');
    await expect(chart.locator('.y-label').textContent()).resolves.toBe('Throughput (infer/s)');
    expect(await chart.locator('circle.point').count()).toBe(POINTS.length);
    const box = await chart.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
  });

  it('draws the latency percentiles against throughput: avg, p50, p90, p95, p99', async () => {
    const chart = page.locator('svg#latency-chart');
    await expect(chart.locator('.x-label').textContent()).resolves.toBe('Throughput (infer/s)');
    await expect(chart.locator('.y-label').textContent()).resolves.toBe('Latency (ms)');
    const series = await chart.locator('g.series').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-series')));
    expect(series).toEqual(['avg', 'p50', 'p90', 'p95', 'p99']);
    expect(await chart.locator('circle.point').count()).toBe(5 * POINTS.length);
  });

  it('draws the server breakdown as one stacked bar per point', async () => {
    const chart = page.locator('svg#breakdown-chart');
    await expect(chart.locator('.x-label').textContent()).resolves.toBe('Concurrency');
    await expect(chart.locator('.y-label').textContent()).resolves.toBe('Average latency (ms)');
    const bars = chart.locator('g.bar');
    expect(await bars.count()).toBe(POINTS.length);
    expect(await bars.evaluateAll((gs) => gs.map((g) => g.getAttribute('data-category')))).toEqual(POINTS.map(String));
    const segments = await bars.first().locator('rect.segment').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-segment')));
    expect(segments).toEqual(['Client Send', 'Network+Server Send/Recv', 'Server Queue', 'Server Compute Input', 'Server Compute Infer', 'Server Compute Output', 'Client Recv']);
    // Every bar is drawn: its segments stack to a visible height.
    const heights = await bars.evaluateAll((gs) => gs.map((g) => g.getBoundingClientRect().height));
    expect(heights.every((h) => h > 10)).toBe(true);
  });

  it('tabulates every point and saves the screenshot (docs/perf-report.png with UPDATE_SCREENSHOTS=1)', async () => {
    expect(await page.locator('table tbody tr').count()).toBe(POINTS.length);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
