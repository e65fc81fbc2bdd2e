// Drives the Cancel and Resume buttons of `brightrun serve`'s web page in
// headless Chromium: upload a job big enough to be caught running, cancel
// it, see where it stopped, resume it and watch it finish.
//
//   node job-controls.mjs BASE_URL FILE...
//
// Prints one JSON line with what it saw; exits non-zero with a message on
// the first thing that does not work. Run by tests/e2e/browser.rs.
import { launchChromium } from "./chromium.mjs";

const [baseUrl, ...files] = process.argv.slice(2);
if (!baseUrl || files.length === 0) {
  console.error("usage: node job-controls.mjs BASE_URL FILE...");
  process.exit(2);
}

const browser = await launchChromium();
const seen = {};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(baseUrl, { waitUntil: "load" });
  await page.setInputFiles("#files", files);
  await page.click("#upload");

  const row = page.locator("tr.job").first();
  await row.waitFor({ timeout: 30_000 });
  seen.job = await row.getAttribute("data-job");
  const status = () => page.locator(`tr.job[data-job="${seen.job}"]`).getAttribute("data-status");

  await page.locator("#cancel").click({ timeout: 30_000 });
  await page.locator(`tr.job[data-job="${seen.job}"][data-status="cancelled"]`).waitFor({ timeout: 60_000 });
  seen.cancelled_row = await page.locator(`tr.job[data-job="${seen.job}"] .percent`).textContent();
  seen.cancelled_detail = await page.locator("#detail").textContent();

  await page.locator("#resume").click({ timeout: 10_000 });
  await page.locator(`tr.job[data-job="${seen.job}"][data-status="succeeded"]`).waitFor({ timeout: 300_000 });
  seen.status = await status();
  seen.pairs_exported = await page.locator(`tr.job[data-job="${seen.job}"] td`).last().textContent();
  await page.locator("figure[data-chart]").first().waitFor({ timeout: 30_000 });
  seen.page_errors = pageErrors;
  console.log(JSON.stringify(seen));
} catch (error) {
  console.error(`job controls test failed: ${error.message}\nseen so far: ${JSON.stringify(seen)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
