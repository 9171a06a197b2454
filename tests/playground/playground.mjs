// What both browser halves of the Teams smoke need: headless Chromium on the Playground's page, every request
// that is not to this machine's loopback refused (the page asks for fonts and a script from a CDN), and a step
// that says which part did not happen.
import { chromium } from "playwright-core";

const CHROMIUM = process.env.KPIBOT_CHROMIUM || "/usr/bin/chromium";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
export const STEP_MS = 30_000;
export const ANSWER_MS = 60_000;   // the bot's first answer also loads the figures' code

export function options(argv, names, defaults = {}) {
  const given = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    if (!names.includes(name) || argv[i + 1] === undefined) {
      fail(`unknown or incomplete option ${argv[i]}; the options are ${names.map((n) => `--${n}`).join(", ")}`);
    }
    given[name] = argv[i + 1];
  }
  if (!given.url || !given.out) fail("--url (the Playground's page) and --out (the screenshot) are needed");
  if (!isLoopback(given.url)) fail(`--url must be on this machine (127.0.0.1 or localhost), not ${given.url}`);
  return given;
}

export function fail(message) {
  console.error(`teams smoke: ${message}`);
  process.exit(1);
}

export function isLoopback(address) {
  try {
    const url = new URL(address);
    return ["data:", "blob:", "about:"].includes(url.protocol) || LOOPBACK.has(url.hostname);
  } catch {
    return false;
  }
}

export async function step(what, action) {
  try {
    return await action();
  } catch (error) {
    throw new Error(`${what}: ${String(error.message || error).split("\n")[0]}`);
  }
}

// Runs `scenario(page, blocked)` on the Playground's page, opened at the personal chat; exits 0 when it
// returns, else 1 with the step that failed and a screenshot of what the page showed beside `out`.
export async function onPlayground(url, out, scenario) {
  const browser = await step(`cannot start ${CHROMIUM}`, () => chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",                      // as root in a container; the page is our own local one
      "--disable-background-networking",   // no update checks, no field trials: nothing leaves the machine
      "--disable-component-update",
      "--no-first-run",
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    ],
  }));
  const blocked = new Set();
  let status = 1;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: "block" });
    await context.route("**/*", (route) => {
      const address = route.request().url();
      if (isLoopback(address)) return route.continue();
      blocked.add(new URL(address).host);
      return route.abort("blockedbyclient");
    });
    await context.routeWebSocket(/.*/, (socket) => {
      if (isLoopback(socket.url())) return socket.connectToServer();
      blocked.add(new URL(socket.url()).host);
      return socket.close();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    await step(`the Playground's page did not open at ${url}`, () => page.goto(url));
    await step("the Playground never said Connected. (is the bot's endpoint up?)",
      () => page.getByText("Connected.", { exact: false }).first().waitFor());
    await step('no "Personal Chat" in the Playground\'s tree',
      () => page.getByRole("treeitem", { name: /Personal Chat/ }).first().click());
    await scenario(page);
    console.log(`teams smoke: screenshot ${out}; refused outside requests to ${[...blocked].sort().join(", ") || "nothing"}`);
    // The log panel lists each activity the Playground sent and the bot's HTTP status: say which the bot failed.
    const shown = await page.locator("body").innerText();
    const failed = [...shown.matchAll(/User Application\s+(\w+)\s+([45]\d\d)\b/g)].map((m) => `${m[1]} ${m[2]}`);
    if (failed.length) console.log(`teams smoke: warning: the bot answered the Playground with ${failed.join(", ")}`);
    status = 0;
  } catch (error) {
    console.error(`teams smoke: ${error.message}`);
    const page = browser.contexts()[0]?.pages()[0];
    const shown = out.replace(/(\.png)?$/, "-failed.png");
    if (page && (await page.screenshot({ path: shown }).then(() => true, () => false))) {
      console.error(`teams smoke: what the page showed is in ${shown}`);
    }
  } finally {
    await browser.close();
  }
  process.exit(status);
}

// The card that holds `text`, the latest one, once it has come; scrolled into view with its images decoded.
export async function cardWith(page, text, what) {
  const card = page.locator(".ac-adaptiveCard", { hasText: text }).last();
  await step(what, () => card.waitFor({ timeout: ANSWER_MS }));
  await card.scrollIntoViewIfNeeded();
  await page.waitForTimeout(500);   // the card's images decode after it is attached
  return card;
}

export async function cardText(card) {
  return (await card.innerText()).replace(/\s+/g, " ").trim().slice(0, 600);
}
