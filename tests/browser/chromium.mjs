// Headless Chromium for the browser tests: Debian's, or $BRIGHTRUN_CHROMIUM.
import { chromium } from "playwright-core";

// Flags from this machine's notes: without the background-networking ones
// Chromium keeps dialling Google on a network that refuses it.
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.BRIGHTRUN_CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
