// Drives `brightrun serve`'s web page in headless Chromium, as a user would:
// upload files, watch the job's progress reach 100 %, open its report, check
// that the plots and pairs render, mark a pair bad, and take a screenshot.
//
//   node web-page.mjs BASE_URL SCREENSHOT.png FILE...
//
// Prints one JSON line with what it saw; exits non-zero with a message on
// the first thing that does not work. Run by tests/e2e/browser.rs.
import { launchChromium } from "./chromium.mjs";

const [baseUrl, screenshot, ...files] = process.argv.slice(2);
if (!baseUrl || !screenshot || files.length === 0) {
  console.error("usage: node web-page.mjs BASE_URL SCREENSHOT.png FILE...");
  process.exit(2);
}

const browser = await launchChromium();
const seen = {};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(baseUrl, { waitUntil: "load" });

  await page.setInputFiles("#files", files);
  await page.fill("#dataset-name", "browser-test");
  await page.click("#upload");

  // The new job appears and its progress climbs to 100 %.
  const row = page.locator("tr.job").first();
  await row.waitFor({ timeout: 30_000 });
  seen.job = await row.getAttribute("data-job");
  const percents = new Set();
  const deadline = Date.now() + 300_000;
  for (;;) {
    const text = await page.locator(`tr.job[data-job="${seen.job}"] .percent`).textContent();
    percents.add(text);
    if (text === "100 %") break;
    const status = await page.locator(`tr.job[data-job="${seen.job}"]`).getAttribute("data-status");
    // A job that just succeeded may show its last progress until the next render.
    if (!["queued", "running", "succeeded"].includes(status)) throw new Error(`the job ended ${status} before 100 %`);
    if (Date.now() > deadline) throw new Error(`progress stuck at ${text}`);
    await page.waitForTimeout(50);
  }
  seen.progress_seen = [...percents];
  seen.status = await page.locator(`tr.job[data-job="${seen.job}"]`).getAttribute("data-status");

  // The report: five plots, each with bars, and the download links.
  await page.locator("figure[data-chart]").first().waitFor({ timeout: 30_000 });
  seen.charts = {};
  for (const id of ["tasks", "content", "difficulty", "fidelity", "stages"]) {
    seen.charts[id] = await page.locator(`figure[data-chart="${id}"] rect.value`).count();
  }
  seen.downloads = await page.locator(".files a").allTextContents();

  // Pairs with evidence, answer words highlighted.
  await page.locator(".pair").first().waitFor({ timeout: 30_000 });
  seen.pairs = await page.locator(".pair").count();
  seen.evidence = await page.locator(".pair .evidence").count();
  seen.marks = await page.locator(".pair .evidence mark").count();

  // Feedback: mark the first pair bad; the page shows it chosen.
  const first = page.locator(".pair").first();
  seen.feedback_pair = await first.getAttribute("data-pair");
  await first.locator('button[data-verdict="bad"]').click();
  await page.locator(`.pair.bad[data-pair="${seen.feedback_pair}"] button.chosen.bad`).waitFor({ timeout: 10_000 });

  // The shot shows the job list, the summary and the plots, and the first pairs.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshot, fullPage: false });
  seen.page_errors = pageErrors;
  console.log(JSON.stringify(seen));
} catch (error) {
  console.error(`web page test failed: ${error.message}\nseen so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
