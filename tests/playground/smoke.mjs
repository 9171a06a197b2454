// The Teams smoke test's browser half: the Agents Playground's page in headless Chromium, as a person uses it.
//
//   node smoke.mjs --url http://127.0.0.1:PORT/ --out chat.png [--say "kpi calls-under-25s"] [--expect 58%]
//
// Opens the page, waits for "Connected." in its log panel, opens the personal chat, sends the command, waits for
// an Adaptive Card holding the expected text and saves a screenshot of the chat. Exits 0 when the card came;
// otherwise 1, with one line saying what did not happen.
import { cardText, cardWith, onPlayground, options, step } from "./playground.mjs";

const given = options(process.argv.slice(2), ["url", "out", "say", "expect"],
  { say: "kpi calls-under-25s", expect: "58%" });

onPlayground(given.url, given.out, async (page) => {
  const box = page.getByRole("textbox").last();
  await step("no message box to type in", () => box.fill(given.say));
  await step('no "Send Message" button', () => page.getByRole("button", { name: "Send Message" }).click());
  const card = await cardWith(page, given.expect, `no Adaptive Card with ${given.expect} came back for "${given.say}"`);
  await page.screenshot({ path: given.out });
  console.log(`teams smoke: "${given.say}" answered with a card: ${await cardText(card)}`);
}).catch((error) => { console.error(`teams smoke: ${error.message || error}`); process.exit(1); });
