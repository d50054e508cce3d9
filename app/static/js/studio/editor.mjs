// The studio editor: one file of a draft (a .bpmn in the bpmn-js modeler, a .dmn in dmn-js) with our properties
// panel and the draft's checks. Every change is kept in localStorage at once (a closed tab loses nothing; sign-out
// clears it, storage.mjs) and sent to the server a few seconds later: PUT with If-Match; a 412 shows a warning with
// "Reload" and "Keep my version". Page data: the JSON in #studio-data (app/studio/routes.py, editor page).
import { onSignOut } from "../storage.mjs";
import { showChecks } from "./checks.mjs";
import { createPanel } from "./properties.mjs";
import { spiffworkflow } from "./spiffworkflow.mjs";

const SAVE_DELAY_MS = 2000;

const root = document.getElementById("studio-editor");
const dataElement = document.getElementById("studio-data");
if (root && dataElement) start(root, JSON.parse(dataElement.textContent));

function start(root, data) {
  const canvas = document.getElementById("studio-canvas");
  const status = document.getElementById("studio-save-status");
  const conflictBanner = document.getElementById("studio-conflict");
  const publishButton = document.getElementById("studio-publish");
  const bpmn = data.kind === "bpmn";
  const options = { container: canvas, keyboard: { bind: true } };
  const modeler = bpmn ? new window.BpmnJS({ ...options, moddleExtensions: { spiffworkflow } })
                       : new window.DmnJS({ drd: { keyboard: { bind: true } }, common: { keyboard: { bind: true } },
                                            container: canvas });
  root.studio = { modeler }; // for scripting the editor (the browser tests): the bpmn-js or dmn-js instance
  let serverFiles = data.files;
  let etag = data.etag;
  let timer = null;
  let inFlight = false;
  let again = false;
  let conflict = false;
  let signingOut = false;

  function say(text) {
    status.textContent = text;
  }

  async function currentXml() {
    const { xml } = await modeler.saveXML({ format: true });
    return xml;
  }
  function showFindings(findings) {
    root.dataset.checks = JSON.stringify(findings.map((f) => f.element_id || f.file));
    const errors = showChecks(document.getElementById("studio-checks"),
                              document.getElementById("studio-checks-summary"), bpmn ? modeler : null, findings,
                              data.file);
    if (publishButton) publishButton.disabled = errors > 0 || dirty();
    return errors;
  }
  let lastXml = serverFiles[data.file];
  function dirty() {
    return root.dataset.dirty === "true";
  }

  // -- local copy -------------------------------------------------------------------------------------------------
  function remember(xml) {
    if (signingOut) return;
    try {
      if (xml !== serverFiles[data.file]) {
        localStorage.setItem(data.storage_key, JSON.stringify({ etag, file: data.file, xml, at: Date.now() }));
      } else {
        localStorage.removeItem(data.storage_key);
      }
    } catch {
      /* storage full or disabled: the server save still runs */
    }
  }

  // -- saving -----------------------------------------------------------------------------------------------------
  async function save() {
    clearTimeout(timer);
    if (conflict || !data.editable) return;
    if (inFlight) {
      again = true;
      return;
    }
    const xml = await currentXml();
    remember(xml);
    if (xml === serverFiles[data.file]) return;
    inFlight = true;
    say("Saving…");
    let response;
    try {
      response = await fetch(data.save_url, {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "If-Match": etag, "X-CSRFToken": data.csrf,
                   Accept: "application/json" },
        body: JSON.stringify({ files: { ...serverFiles, [data.file]: xml } }),
      });
    } catch {
      inFlight = false;
      say("Not saved – offline");
      return;
    }
    inFlight = false;
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      etag = body.etag;
      serverFiles = body.files;
      root.dataset.etag = etag;
      root.dataset.version = String(body.version);
      const now = await currentXml();
      remember(now);
      root.dataset.dirty = String(now !== serverFiles[data.file]);
      showFindings(body.checks || []);
      say(dirty() ? "Saving…" : `Saved at ${body.saved_at}`);
      if (again || dirty()) {
        again = false;
        schedule();
      }
    } else if (response.status === 412) {
      again = false;
      conflict = true;
      etag = body.current?.etag || etag;
      document.getElementById("studio-conflict-by").textContent = body.current?.updated_by || "Someone else";
      conflictBanner.hidden = false;
      say("Not saved – someone else saved this draft");
    } else {
      say(`Not saved – ${body.error?.message || body.error || "there is a problem"}`);
    }
  }
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  }

  async function changed() {
    const xml = await currentXml();
    if (xml === lastXml) return;
    lastXml = xml;
    root.dataset.dirty = String(xml !== serverFiles[data.file]);
    if (publishButton) publishButton.disabled = true; // publish what the server has checked, not unsaved edits
    remember(xml);
    say("Changes not yet saved");
    schedule();
  }

  document.getElementById("studio-keep-mine")?.addEventListener("click", () => {
    conflict = false;
    conflictBanner.hidden = true;
    save();
  });
  document.getElementById("studio-reload")?.addEventListener("click", () => {
    try {
      localStorage.removeItem(data.storage_key);
    } catch {
      /* nothing kept */
    }
    window.location.reload();
  });
  document.getElementById("studio-save")?.addEventListener("click", (event) => {
    event.preventDefault();
    save();
  });
  onSignOut(async () => {
    clearTimeout(timer);
    while (inFlight) await new Promise((resolve) => setTimeout(resolve, 50));
    await save();
    signingOut = true;
  });
  window.addEventListener("pagehide", () => {
    if (dirty() && !conflict) {
      currentXml().then(remember);
    }
  });

  // -- opening: the server's copy, or the local one when it holds edits not yet saved -----------------------------
  async function open() {
    let stored = null;
    try {
      stored = JSON.parse(localStorage.getItem(data.storage_key) || "null");
    } catch {
      stored = null;
    }
    const restore = data.editable && stored && stored.file === data.file && stored.xml &&
      stored.xml !== serverFiles[data.file];
    try {
      await modeler.importXML(restore ? stored.xml : serverFiles[data.file]);
    } catch (err) {
      canvas.textContent = `The diagram could not be opened: ${err.message}`;
      return;
    }
    if (bpmn) {
      modeler.get("canvas").zoom("fit-viewport");
      if (data.editable) createPanel(document.getElementById("studio-properties"), modeler, data.vocab);
      modeler.on("commandStack.changed", changed);
    } else {
      // dmn-js has one viewer per view (diagram, each decision table): listen to each as it opens
      const watched = new WeakSet();
      const watch = () => {
        const active = modeler.getActiveViewer();
        if (active && !watched.has(active)) {
          watched.add(active);
          active.get("eventBus").on("commandStack.changed", changed);
        }
        root.dataset.view = modeler.getActiveView()?.type || "";
      };
      modeler.on("views.changed", watch);
      watch();
    }
    showFindings(data.checks);
    if (restore) {
      if (stored.etag && stored.etag !== etag) etag = stored.etag; // edits made against an older save: 412 tells
      root.dataset.restored = "true";
      root.dataset.dirty = "true";
      lastXml = await currentXml();
      say("Restored changes not yet saved – saving…");
      save();
    }
    root.dataset.ready = "true";
  }
  open();
}
