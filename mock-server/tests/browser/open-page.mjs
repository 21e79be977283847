// Keeps the web page open in a headless Chromium, as a developer would, until SIGTERM: for bench/load.sh's
// throughput with the page open and polling. Prints "open" once the page is live, and on SIGTERM how many
// journal polls it made.
//
// Usage: node open-page.mjs URL_OF_THE_PAGE          (CHROMIUM overrides /usr/bin/chromium)
import { chromium } from "playwright-core";

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox"],
  handleSIGTERM: false, // this script's own handler reports, then closes the browser
});
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
let polls = 0;
page.on("response", (response) => { if (response.url().includes("/__admin/requests?")) polls++; });
await page.goto(process.argv[2]);
await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 20000 });
console.log("open");
const started = Date.now();
process.on("SIGTERM", async () => {
  const rows = await page.locator("#requests-table tbody tr").count().catch(() => -1);
  console.log(`polls ${polls} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${rows} rows shown`);
  await browser.close();
  process.exit(0);
});
