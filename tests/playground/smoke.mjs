// The Teams smoke test's browser half: the Agents Playground's page in headless Chromium, as a person uses it.
//
//   node smoke.mjs --url http://127.0.0.1:PORT/ --out chat.png [--say "kpi calls-under-25s"] [--expect 58%]
//
// Opens the page, waits for "Connected." in its log panel, opens the personal chat, sends the command, waits for
// an Adaptive Card holding the expected text and saves a screenshot of the chat. Every request that is not to
// this machine's loopback is refused in the browser (the page asks for fonts and a script from a CDN). Exits 0
// when the card came; otherwise 1, with one line saying what did not happen.
import { chromium } from "playwright-core";

const CHROMIUM = process.env.KPIBOT_CHROMIUM || "/usr/bin/chromium";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const STEP_MS = 30_000;
const ANSWER_MS = 60_000;   // the bot's first answer also loads the figures' code

function options(argv) {
  const given = { say: "kpi calls-under-25s", expect: "58%" };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    if (!["url", "out", "say", "expect"].includes(name) || argv[i + 1] === undefined) {
      fail(`unknown or incomplete option ${argv[i]}; usage: smoke.mjs --url URL --out PNG [--say TEXT] [--expect TEXT]`);
    }
    given[name] = argv[i + 1];
  }
  if (!given.url || !given.out) fail("--url (the Playground's page) and --out (the screenshot) are needed");
  return given;
}

function fail(message) {
  console.error(`teams smoke: ${message}`);
  process.exit(1);
}

function isLoopback(address) {
  try {
    const url = new URL(address);
    return ["data:", "blob:", "about:"].includes(url.protocol) || LOOPBACK.has(url.hostname);
  } catch {
    return false;
  }
}

async function step(what, action) {
  try {
    return await action();
  } catch (error) {
    throw new Error(`${what}: ${String(error.message || error).split("\n")[0]}`);
  }
}

async function main() {
  const given = options(process.argv.slice(2));
  if (!isLoopback(given.url)) fail(`--url must be on this machine (127.0.0.1 or localhost), not ${given.url}`);
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

    await step(`the Playground's page did not open at ${given.url}`, () => page.goto(given.url));
    await step("the Playground never said Connected. (is the bot's endpoint up?)",
      () => page.getByText("Connected.", { exact: false }).first().waitFor());
    await step('no "Personal Chat" in the Playground\'s tree',
      () => page.getByRole("treeitem", { name: /Personal Chat/ }).first().click());
    const box = page.getByRole("textbox").last();
    await step("no message box to type in", () => box.fill(given.say));
    await step('no "Send Message" button', () => page.getByRole("button", { name: "Send Message" }).click());
    const card = page.locator(".ac-adaptiveCard", { hasText: given.expect }).last();
    await step(`no Adaptive Card with ${given.expect} came back for "${given.say}"`,
      () => card.waitFor({ timeout: ANSWER_MS }));
    await card.scrollIntoViewIfNeeded();
    await page.waitForTimeout(500);   // the card's images decode after it is attached
    await page.screenshot({ path: given.out });
    const text = (await card.innerText()).replace(/\s+/g, " ").trim();
    console.log(`teams smoke: "${given.say}" answered with a card: ${text.slice(0, 300)}`);
    console.log(`teams smoke: screenshot ${given.out}; refused outside requests to ${[...blocked].sort().join(", ") || "nothing"}`);
    // The log panel lists each activity the Playground sent and the bot's HTTP status: say which the bot failed.
    const shown = await page.locator("body").innerText();
    const failed = [...shown.matchAll(/User Application\s+(\w+)\s+([45]\d\d)\b/g)].map((m) => `${m[1]} ${m[2]}`);
    if (failed.length) console.log(`teams smoke: warning: the bot answered the Playground with ${failed.join(", ")}`);
    status = 0;
  } catch (error) {
    console.error(`teams smoke: ${error.message}`);
    const page = browser.contexts()[0]?.pages()[0];
    const shown = given.out.replace(/(\.png)?$/, "-failed.png");
    if (page && (await page.screenshot({ path: shown }).then(() => true, () => false))) {
      console.error(`teams smoke: what the page showed is in ${shown}`);
    }
  } finally {
    await browser.close();
  }
  process.exit(status);
}

main().catch((error) => fail(String(error.message || error)));
