// The Teams smoke test's upload: a file sent in the personal chat is previewed on a card with Confirm and Cancel,
// and Confirm, clicked on the card, loads it.
//
//   node upload.mjs --url http://127.0.0.1:PORT/ --out loaded.png --preview preview.png \
//     --file-url http://127.0.0.1:N/figures.xlsx --file-name figures.xlsx --expect "-> 40 hours"
//
// The Playground's page has no attach button, so the file is sent as Teams sends one: a message activity with a
// file download-info attachment (its name, a download URL, a unique id and type), posted through the
// Playground's own custom-activity endpoint into the personal chat the page has open. The rest is the page:
// the preview card (screenshot), its Confirm button clicked, the bot's answer (screenshot), and how many
// Confirm buttons the chat still shows.
import { cardText, cardWith, onPlayground, options, step } from "./playground.mjs";

const FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info";
const given = options(process.argv.slice(2), ["url", "out", "preview", "file-url", "file-name", "expect"]);
for (const needed of ["preview", "file-url", "file-name", "expect"]) {
  if (!given[needed]) {
    console.error(`teams smoke: --${needed} is needed`);
    process.exit(1);
  }
}

async function playground(path, body) {
  const answer = await fetch(new URL(`/_internal/v1/${path}`, given.url), body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  if (!answer.ok) throw new Error(`the Playground answered ${path} with HTTP ${answer.status}`);
  return body === undefined ? answer.json() : null;
}

async function sendFile() {
  const { config } = await playground("config");
  const chat = config.personalChat.id;
  const activity = await playground(`customActivities/template?conversationId=${encodeURIComponent(chat)}`);
  await playground("customActivities", {
    ...activity,
    type: "message",
    text: "",
    attachments: [{
      contentType: FILE_DOWNLOAD_INFO,
      name: given["file-name"],
      content: { downloadUrl: given["file-url"], uniqueId: "kpibot-smoke-upload", fileType: given["file-name"].split(".").pop() },
    }],
  });
}

onPlayground(given.url, given.out, async (page) => {
  await step("the file could not be sent through the Playground", sendFile);
  const preview = await cardWith(page, "Confirm import",
    `no preview card with a Confirm import button came back for ${given["file-name"]}`);
  const previewed = await cardText(preview);
  if (!previewed.includes(given.expect)) throw new Error(`the preview does not say "${given.expect}": ${previewed}`);
  await page.screenshot({ path: given.preview });
  console.log(`teams smoke: ${given["file-name"]} previewed on a card: ${previewed}`);
  await step("no Confirm import button on the preview card",
    () => preview.getByRole("button", { name: "Confirm import" }).click());
  const loaded = await cardWith(page, `Loaded ${given["file-name"]}`,
    `no "Loaded ${given["file-name"]}" came back after Confirm import`);
  await page.screenshot({ path: given.out });
  console.log(`teams smoke: Confirm import answered with a card: ${await cardText(loaded)}`);
  // The preview itself became the answer (updated in place), so no Confirm button is left to press twice.
  const left = await page.getByRole("button", { name: "Confirm import" }).count();
  console.log(`teams smoke: Confirm import buttons left in the chat: ${left}`);
}).catch((error) => { console.error(`teams smoke: ${error.message || error}`); process.exit(1); });
