// "Copy" buttons: <button data-copy-target="id" hidden> copies the text of the element with that id and says so in
// the aria-live element named by data-copy-status. Without JavaScript (or a clipboard) the button stays hidden and
// people select the text themselves.

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const scratch = document.createElement("textarea");
  scratch.value = text;
  scratch.setAttribute("readonly", "");
  scratch.className = "govuk-visually-hidden";
  document.body.append(scratch);
  scratch.select();
  const done = document.execCommand("copy");
  scratch.remove();
  if (!done) throw new Error("copy refused");
}

for (const button of document.querySelectorAll("button[data-copy-target]")) {
  const target = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById(button.dataset.copyStatus);
  if (!target || !status) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    status.textContent = "";
    try {
      await copyText(target.textContent.trim());
      status.textContent = "Copied";
    } catch {
      status.textContent = "Could not copy: select the token and copy it yourself";
    }
  });
}
