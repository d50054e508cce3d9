// The form editor's live preview: the form as typed is posted to the preview endpoint, which renders it with the
// task pages' own macro; the answer replaces the preview beside the editor. Nothing is saved until "Save form".
const DEBOUNCE_MS = 400;

const editor = document.getElementById("form-editor");
const preview = document.getElementById("form-preview");
if (editor && preview) start(editor.closest("form"), editor.dataset.previewUrl);

function start(form, url) {
  let timer = null;
  let asked = 0;
  async function refresh() {
    const mine = ++asked;
    const body = new FormData(form);
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin",
                                        headers: { "X-CSRFToken": body.get("csrf_token") } });
    if (response.ok && mine === asked) {
      // our own server-rendered HTML (Jinja autoescapes every value typed in the editor)
      preview.innerHTML = await response.text();
      preview.dataset.updated = String(mine);
    }
  }
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, DEBOUNCE_MS);
  };
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
}
