// Drives Debian's chromium headless through playwright-core over the HTML reports
// that tests/html.rs wrote, and checks them against the JSON reports of the same runs.
//
//   node drive.mjs PLAN.json
//
// PLAN: {"playwright": DIR holding node_modules/playwright-core, "chromium": PATH,
//        "userDataDir": a fresh directory, "cases": [CASE...]}
// CASE: {"name", "html", "report" (the JSON report), "screenshot" (PNG to write),
//        "root" (directory the paths in the report are relative to), and what to check:
//        "filters": true | "empty": true | "hostile": "text that must show literally" |
//        "large": true}
// Prints one JSON line of measurements per case; exits 1 on the first failed check.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const plan = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const require = createRequire(path.join(plan.playwright, 'node_modules') + '/');
const { chromium } = require('playwright-core');

const PAGE = 250; // findings the page renders before more are asked for

function fail(msg) {
  const e = new Error(msg);
  e.check = true;
  throw e;
}
function eq(have, want, what) {
  if (JSON.stringify(have) !== JSON.stringify(want)) {
    fail(`${what}: page shows ${JSON.stringify(have)}, the JSON report says ${JSON.stringify(want)}`);
  }
}

// what the page's filters mean, computed from the JSON report
const nsOf = (f) => (f.object.namespace == null ? ':cluster' : f.object.namespace);
const groupOf = (code) => code.replace(/[0-9].*$/, '');
function haystack(f) {
  const l = f.location;
  const at = l ? (l.line != null ? `${l.file}:${l.line}${l.column != null ? ':' + l.column : ''}` : l.file) : '';
  return [f.code, f.rule, f.severity, f.message, f.object.kind,
    (f.object.namespace == null ? '' : f.object.namespace + '/') + f.object.name,
    f.container || '', at, f.path].join('\n').toLowerCase();
}
function expectedScore(report) {
  const worst = new Map();
  const rank = { info: 0, warning: 1, error: 2 };
  for (const f of report.findings) {
    const k = JSON.stringify(f.object);
    if (!worst.has(k) || rank[f.severity] > rank[worst.get(k)]) worst.set(k, f.severity);
  }
  const errs = [...worst.values()].filter((s) => s === 'error').length;
  const warns = [...worst.values()].filter((s) => s === 'warning').length;
  const objects = Math.max(report.summary.objects, errs + warns);
  if (objects === 0) return '–';
  return String(Math.floor((100 * (2 * (objects - errs - warns) + warns)) / (2 * objects)));
}

async function state(page) {
  return page.evaluate(() => ({
    n: Number(document.getElementById('match-count').getAttribute('data-n')),
    cards: document.querySelectorAll('#finding-list .finding').length,
    visible: Array.from(document.querySelectorAll('#finding-list .finding'))
      .filter((e) => e.offsetParent !== null).length,
    severities: Array.from(document.querySelectorAll('#finding-list .finding'))
      .map((e) => e.className.replace(/.*sev-/, '')),
    indices: Array.from(document.querySelectorAll('#finding-list .finding'))
      .map((e) => Number(e.getAttribute('data-index'))),
  }));
}

async function reset(page) {
  await page.click('#f-reset');
}

// the page after a filter: the count and the cards equal the report's findings that match
async function expectFiltered(page, report, pred, what) {
  const want = report.findings.map((f, i) => [f, i]).filter(([f]) => pred(f));
  const s = await state(page);
  eq(s.n, want.length, `${what}: matching findings`);
  eq(s.cards, Math.min(want.length, PAGE), `${what}: finding cards on the page`);
  eq(s.visible, s.cards, `${what}: visible finding cards`);
  eq(s.indices, want.slice(0, PAGE).map(([, i]) => i), `${what}: which findings are shown`);
  const empty = await page.isVisible('#empty');
  eq(empty, want.length === 0, `${what}: the "no finding matches" note`);
  return want.length;
}

async function checkSummary(page, report) {
  const shown = await page.evaluate(() => Object.fromEntries(
    Array.from(document.querySelectorAll('[data-summary]'))
      .map((e) => [e.getAttribute('data-summary'), Number(e.textContent)])));
  for (const key of ['findings', 'error', 'warning', 'info', 'objects', 'files', 'notEvaluated', 'exempted', 'errors']) {
    eq(shown[key], report.summary[key], `summary count ${key}`);
  }
  eq(await page.getAttribute('#score', 'data-score'), expectedScore(report), 'score');
  // the table by rule group and severity
  const cells = await page.evaluate(() => Array.from(document.querySelectorAll('#by-group tbody tr'))
    .flatMap((tr) => Array.from(tr.querySelectorAll('td[data-sev]'))
      .map((td) => [tr.getAttribute('data-group'), td.getAttribute('data-sev'), Number(td.getAttribute('data-n'))])));
  const want = new Map();
  for (const f of report.findings) {
    const k = groupOf(f.code) + ' ' + f.severity;
    want.set(k, (want.get(k) || 0) + 1);
  }
  let sum = 0;
  for (const [g, sev, n] of cells) {
    eq(n, want.get(g + ' ' + sev) || 0, `findings of group ${g} at ${sev}`);
    sum += n;
  }
  eq(sum, report.findings.length, 'findings in the group table');
  eq(await page.$$eval('#not-evaluated tr.not-evaluated', (r) => r.length), report.notEvaluated.length, 'not-evaluated rows');
  eq(await page.$$eval('#exempted tr.exempted', (r) => r.length), report.exempted.length, 'exempted rows');
  eq(await page.$$eval('#input-errors li.input-error', (r) => r.length), report.errors.length, 'input error rows');
}

// every single-line mark is exactly the source text the report's location names
async function checkSnippets(page, report, root) {
  const marks = await page.evaluate(() => Array.from(document.querySelectorAll('#finding-list .finding'))
    .map((e) => {
      const m = e.querySelector('.snippet mark');
      return [Number(e.getAttribute('data-index')), m ? m.textContent : null];
    }));
  let checked = 0;
  for (const [i, mark] of marks) {
    const l = report.findings[i].location;
    if (!l || l.line == null) continue;
    if (mark === null) fail(`finding ${i} (${report.findings[i].code}) has no snippet`);
    if (l.endLine !== l.line || l.endColumn <= l.column) continue;
    const line = fs.readFileSync(path.join(root, l.file), 'utf8').split('\n')[l.line - 1].replace(/\r$/, '');
    const want = Array.from(line).slice(l.column - 1, l.endColumn - 1).join('');
    eq(mark, want, `finding ${i} (${report.findings[i].code}): marked source text`);
    checked++;
  }
  if (checked === 0) fail('no snippet was checked');
  return checked;
}

async function checkFilters(page, report) {
  const counts = {};
  // severity: only errors
  await page.uncheck('input[name=severity][value=warning]');
  await page.uncheck('input[name=severity][value=info]');
  counts.error = await expectFiltered(page, report, (f) => f.severity === 'error', 'severity error');
  const sevs = (await state(page)).severities;
  if (sevs.some((s) => s !== 'error')) fail(`severity error shows ${sevs}`);
  await reset(page);
  // every namespace, then every kind
  const namespaces = await page.$$eval('#f-namespace option', (o) => o.map((x) => x.value).filter(Boolean));
  eq([...namespaces].sort(), [...new Set(report.findings.map(nsOf))].sort(), 'namespace choices');
  for (const ns of namespaces) {
    await page.selectOption('#f-namespace', ns);
    counts['namespace ' + ns] = await expectFiltered(page, report, (f) => nsOf(f) === ns, `namespace ${ns}`);
  }
  await reset(page);
  const kinds = await page.$$eval('#f-kind option', (o) => o.map((x) => x.value).filter(Boolean));
  eq([...kinds].sort(), [...new Set(report.findings.map((f) => f.object.kind))].sort(), 'kind choices');
  for (const kind of kinds) {
    await page.selectOption('#f-kind', kind);
    counts['kind ' + kind] = await expectFiltered(page, report, (f) => f.object.kind === kind, `kind ${kind}`);
  }
  // all three at once
  await page.selectOption('#f-kind', 'Deployment');
  await page.selectOption('#f-namespace', 'shop');
  await page.uncheck('input[name=severity][value=info]');
  counts['warning+error shop Deployment'] = await expectFiltered(page, report,
    (f) => f.severity !== 'info' && nsOf(f) === 'shop' && f.object.kind === 'Deployment', 'severity, namespace and kind');
  // a rule group, a single rule, free text
  await reset(page);
  await page.selectOption('#f-rule', 'group:RES');
  counts['group RES'] = await expectFiltered(page, report, (f) => groupOf(f.code) === 'RES', 'group RES');
  const code = report.findings[0].code;
  await page.selectOption('#f-rule', code);
  counts['rule ' + code] = await expectFiltered(page, report, (f) => f.code === code, `rule ${code}`);
  await reset(page);
  await page.fill('#f-text', 'Postgres  ');
  await page.waitForFunction(() => document.getElementById('match-count').textContent.includes('match'));
  counts['text postgres'] = await expectFiltered(page, report, (f) => haystack(f).includes('postgres'), 'search postgres');
  await page.fill('#f-text', 'no-such-thing-anywhere');
  await page.waitForFunction(() => document.getElementById('match-count').getAttribute('data-n') === '0');
  await expectFiltered(page, report, () => false, 'search without match');
  // a cell of the group table sets the filters
  await reset(page);
  const cell = page.locator('#by-group button.cell[data-sev]').first();
  const [g, sev] = [await cell.getAttribute('data-group'), await cell.getAttribute('data-sev')];
  await cell.click();
  counts[`cell ${g} ${sev}`] = await expectFiltered(page, report,
    (f) => groupOf(f.code) === g && f.severity === sev, `group table cell ${g} ${sev}`);
  await reset(page);
  await expectFiltered(page, report, () => true, 'after reset');
  // the rule's documentation opens inside a finding
  const doc = page.locator('#finding-list .finding details.doc-toggle').first();
  await doc.locator('summary').click();
  const text = await doc.innerText();
  for (const section of ['What it does', 'Why it matters in production', 'Use instead']) {
    if (!text.toLowerCase().includes(section.toLowerCase())) fail(`the rule documentation lacks "${section}"`);
  }
  return counts;
}

async function runCase(context, c) {
  const report = JSON.parse(fs.readFileSync(c.report, 'utf8'));
  const page = await context.newPage();
  const problems = [];
  const url = pathToFileURL(c.html).href;
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()} ${r.failure() && r.failure().errorText}`));
  page.on('request', (r) => { if (r.url() !== url) problems.push(`request: ${r.url()}`); });
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  const out = { name: c.name };
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-ready]', { timeout: 60000 });
  out.loadMs = Date.now() - t0;
  await checkSummary(page, report);
  out.findings = report.findings.length;
  await expectFiltered(page, report, () => true, 'all findings');
  eq(await page.evaluate(() => document.scripts.length), 2, 'script elements (the data and the code)');
  if (c.filters) {
    out.snippetsChecked = await checkSnippets(page, report, c.root);
    out.counts = await checkFilters(page, report);
  }
  if (c.empty) {
    if (report.findings.length !== 0) fail('the case should have no findings');
    eq((await page.innerText('#empty')).trim(), 'No findings', 'the empty state');
    eq(await page.isVisible('#filters'), false, 'filters without findings');
  }
  if (c.hostile) {
    const texts = await page.$$eval('#finding-list .finding', (a) => a.map((e) => e.textContent));
    if (!texts.some((t) => t.includes(c.hostile))) fail(`no finding shows ${JSON.stringify(c.hostile)} literally`);
    const title = await page.title();
    if (!title.startsWith('plimsoll report')) fail(`title ${title}`);
  }
  if (c.large) {
    const t1 = Date.now();
    await page.uncheck('input[name=severity][value=info]');
    out.filterMs = Date.now() - t1;
    await expectFiltered(page, report, (f) => f.severity !== 'info', 'large: severity');
    // scrolling to the end of the list renders more
    await page.locator('#more').scrollIntoViewIfNeeded();
    await page.waitForFunction((n) => Number(document.getElementById('finding-list').getAttribute('data-shown')) > n, PAGE);
    out.shownAfterScroll = Number(await page.getAttribute('#finding-list', 'data-shown'));
    await page.click('#show-more');
    await reset(page);
    if (out.loadMs > 20000 || out.filterMs > 10000) fail(`too slow: ${JSON.stringify(out)}`);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: c.screenshot });
  if (c.filters) {
    // a second picture: the findings, filtered to errors
    await page.uncheck('input[name=severity][value=warning]');
    await page.uncheck('input[name=severity][value=info]');
    await page.locator('#findings').scrollIntoViewIfNeeded();
    await page.evaluate(() => document.getElementById('findings').scrollIntoView());
    await page.screenshot({ path: c.screenshot.replace(/\.png$/, '-findings.png') });
  }
  await page.close();
  if (problems.length) fail(`${c.name}: ${problems.join('\n')}`);
  return out;
}

const context = await chromium.launchPersistentContext(plan.userDataDir, {
  executablePath: plan.chromium,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let status = 0;
try {
  for (const c of plan.cases) {
    try {
      console.log(JSON.stringify(await runCase(context, c)));
    } catch (e) {
      console.error(`case ${c.name}: ${e.check ? e.message : e.stack}`);
      status = 1;
      break;
    }
  }
} finally {
  await context.close();
}
process.exit(status);
