// Minutes that save as you type. Every change goes to localStorage first (so closing the page loses nothing), then
// after a short pause only the changed sections are PUT with If-Match. A 412 means someone else saved: their
// changes to sections you have not touched are shown, yours stay in the boxes, and "Keep my version" saves yours.
// Signing out saves what is pending first; the local copy is then cleared (storage.mjs).
import { onSignOut } from "./storage.mjs";

const DEBOUNCE_MS = 600;

const editor = document.getElementById("minutes-editor");
if (editor && editor.dataset.editable === "true") start(editor);

function start(root) {
  const form = root.closest("form");
  const saveUrl = root.dataset.saveUrl;
  const storageKey = root.dataset.storageKey;
  const csrf = form.querySelector('input[name="csrf_token"]').value;
  const etagInput = document.getElementById("minutes-etag");
  const status = document.getElementById("save-status");
  const banner = document.getElementById("minutes-conflict");
  const data = JSON.parse(document.getElementById("minutes-data").textContent);
  const headings = data.headings;
  const textKeys = [...root.querySelectorAll("textarea[data-section]")].map((el) => el.dataset.section);
  const keys = [...textKeys, "level_decision", "next_review_date", "actions"];

  let etag = root.dataset.etag;
  let saved = collect(); // what the server holds, as this page shows it
  let timer = null;
  let inFlight = false;
  let again = false;
  let conflict = null; // {sections, etag, updated_by} while the banner is shown
  let signingOut = false; // no more local copies: sign-out clears them

  // -- reading and writing the form ----------------------------------------------------------------------------
  function field(name) {
    return form.elements.namedItem(name);
  }
  function value(key) {
    if (textKeys.includes(key)) return field(key).value;
    if (key === "level_decision") {
      const checked = form.querySelector('input[name="level_decision"]:checked');
      return { decision: checked ? checked.value : "", rationale: field("level_rationale").value };
    }
    if (key === "next_review_date") return dayOf("next_review_date");
    const actions = [];
    for (const row of root.querySelectorAll("[data-action-row]")) {
      const n = row.dataset.actionRow;
      const description = field(`action-${n}-description`).value.trim();
      if (description) {
        const due = dayOf(`action-${n}-due`);
        if (due === undefined) return undefined; // a date still being typed: saved once it is one
        actions.push({ description, owner_role: field(`action-${n}-owner_role`).value, due });
      }
    }
    return actions;
  }
  // A GOV.UK date input (prefix-day, -month, -year) as YYYY-MM-DD, "" when empty, undefined when not a date.
  function dayOf(prefix) {
    const [d, m, y] = ["day", "month", "year"].map((p) => field(`${prefix}-${p}`).value.trim());
    if (!d && !m && !y) return "";
    const iso = `${y.padStart(4, "0")}-${m.padStart(2, "0")}-${d.padStart(2, "0")}`;
    const parsed = new Date(`${iso}T00:00:00Z`);
    return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(iso) ? iso : undefined;
  }
  function setDay(prefix, iso) {
    const [y, m, d] = iso ? iso.split("-") : ["", "", ""];
    field(`${prefix}-day`).value = d ? String(Number(d)) : "";
    field(`${prefix}-month`).value = m ? String(Number(m)) : "";
    field(`${prefix}-year`).value = y || "";
  }
  function normalise(key, v) {
    if (textKeys.includes(key)) return v ?? "";
    if (key === "level_decision") return { decision: v?.decision ?? "", rationale: v?.rationale ?? "" };
    if (key === "next_review_date") return v ?? "";
    return (v ?? []).map((a) => ({ description: a.description ?? "", owner_role: a.owner_role ?? "",
                                   due: a.due ?? "" }));
  }
  function setValue(key, v) {
    v = normalise(key, v);
    if (textKeys.includes(key)) field(key).value = v;
    else if (key === "level_decision") {
      for (const radio of form.querySelectorAll('input[name="level_decision"]')) radio.checked = radio.value === v.decision;
      field("level_rationale").value = v.rationale;
    } else if (key === "next_review_date") {
      setDay("next_review_date", v);
    } else {
      const rows = [...root.querySelectorAll("[data-action-row]")];
      rows.forEach((row, i) => {
        const n = row.dataset.actionRow;
        const a = v[i] ?? { description: "", owner_role: "", due: "" };
        field(`action-${n}-description`).value = a.description;
        if (a.owner_role) field(`action-${n}-owner_role`).value = a.owner_role;
        setDay(`action-${n}-due`, a.due);
      });
    }
  }
  function collect() {
    const out = {};
    for (const key of keys) {
      const v = value(key);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  function changed() {
    const now = collect();
    const out = {};
    for (const key of Object.keys(now)) if (!same(now[key], saved[key])) out[key] = now[key];
    return out;
  }

  // -- local copy ---------------------------------------------------------------------------------------------
  function remember() {
    const pending = changed();
    if (signingOut) return pending;
    try {
      if (Object.keys(pending).length) {
        localStorage.setItem(storageKey, JSON.stringify({ etag, sections: pending, at: Date.now() }));
      } else {
        localStorage.removeItem(storageKey);
      }
    } catch {
      /* storage full or disabled: the server save still runs */
    }
    return pending;
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  // -- saving -------------------------------------------------------------------------------------------------
  async function save() {
    clearTimeout(timer);
    if (conflict) return;
    if (inFlight) {
      again = true;
      return;
    }
    const pending = remember();
    if (!Object.keys(pending).length) return;
    inFlight = true;
    say("Saving…");
    let response;
    try {
      response = await fetch(saveUrl, {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "If-Match": etag, "X-CSRFToken": csrf,
                   Accept: "application/json" },
        body: JSON.stringify({ sections: pending }),
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
      etagInput.value = etag;
      root.dataset.etag = etag;
      root.dataset.version = body.version;
      for (const key of Object.keys(pending)) saved[key] = normalise(key, body.sections?.[key] ?? pending[key]);
      const left = remember();
      say(Object.keys(left).length ? "Saving…" : `Saved at ${body.saved_at}`);
      if (again || Object.keys(left).length) {
        again = false;
        schedule();
      }
    } else if (response.status === 412) {
      again = false;
      showConflict(body.current);
    } else {
      say(`Not saved – ${body.error || "there is a problem"}`);
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, DEBOUNCE_MS);
  }

  function showConflict(current) {
    const mine = changed();
    const theirs = {};
    for (const key of keys) theirs[key] = normalise(key, current.sections?.[key]);
    // Sections they changed that I have not touched: take theirs. Sections where mine differs: keep mine.
    const differing = keys.filter((key) => !same(theirs[key], saved[key]) ||
                                           (key in mine && !same(theirs[key], mine[key])));
    for (const key of keys) if (!(key in mine)) setValue(key, theirs[key]);
    saved = theirs;
    etag = current.etag;
    etagInput.value = etag;
    root.dataset.etag = etag;
    const still = remember();
    if (!Object.keys(still).length) {
      say("Saved");
      return;
    }
    conflict = current;
    const list = document.getElementById("conflict-sections");
    list.replaceChildren(...differing.map((key) => {
      const li = document.createElement("li");
      li.textContent = headings[key] || key;
      return li;
    }));
    document.getElementById("conflict-by").textContent = current.updated_by || "Another person";
    banner.hidden = false;
    say("Not saved – someone else changed these minutes");
  }

  document.getElementById("keep-mine").addEventListener("click", () => {
    conflict = null;
    banner.hidden = true;
    save();
  });

  // -- leaving the page: send what is pending with keepalive ----------------------------------------------------
  function flush() {
    const pending = remember();
    if (conflict || !Object.keys(pending).length) return;
    try {
      fetch(saveUrl, {
        method: "PUT", credentials: "same-origin", keepalive: true,
        headers: { "Content-Type": "application/json", "If-Match": etag, "X-CSRFToken": csrf },
        body: JSON.stringify({ sections: pending }),
      }).catch(() => {});
    } catch {
      /* the local copy is restored when the page is opened again */
    }
  }
  onSignOut(async () => {
    clearTimeout(timer);
    while (inFlight) await new Promise((resolve) => setTimeout(resolve, 50));
    await save();
    signingOut = true;
  });
  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") flush();
  });
  window.addEventListener("online", () => schedule());
  window.addEventListener("offline", () => say("Not saved – offline"));

  form.addEventListener("input", () => {
    remember();
    schedule();
  });
  form.addEventListener("change", () => {
    remember();
    schedule();
  });
  form.addEventListener("submit", () => {
    clearTimeout(timer);
    etagInput.value = etag;
  });

  // -- reopening: restore text not yet on the server -------------------------------------------------------------
  let stored = null;
  try {
    stored = JSON.parse(localStorage.getItem(storageKey) || "null");
  } catch {
    stored = null;
  }
  if (stored && stored.sections) {
    const restore = {};
    for (const [key, v] of Object.entries(stored.sections)) {
      if (keys.includes(key) && !same(normalise(key, v), saved[key])) restore[key] = v;
    }
    if (Object.keys(restore).length) {
      for (const [key, v] of Object.entries(restore)) setValue(key, v);
      root.dataset.restored = "true";
      if (stored.etag && stored.etag !== etag) {
        // The server moved on since these edits: the saved base is what the edits were made against, so the
        // save below gets 412 and the person sees both versions (unless the server already has exactly this).
        etag = stored.etag;
      }
      say("Restored unsaved text – saving…");
      save();
    } else {
      localStorage.removeItem(storageKey);
    }
  }
  root.dataset.ready = "true";
}
