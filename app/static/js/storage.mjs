// What the app keeps in the browser's localStorage (minutes not yet saved, see minutes.mjs) must not outlive the
// session on a shared computer. Every key starts with PREFIX. Signing out lets open editors save what is pending,
// then clears the keys and signs out (the response also sends Clear-Site-Data); the sign-in page clears them too,
// for a session that ended by expiry or in another tab.
export const PREFIX = "mappa-";
const SAVE_WAIT_MS = 3000;
const beforeSignOut = [];

export function clearAppStorage() {
  try {
    const keys = [];
    for (let i = 0; i < localStorage.length; i++) keys.push(localStorage.key(i));
    for (const key of keys) if (key && key.startsWith(PREFIX)) localStorage.removeItem(key);
  } catch {
    /* storage disabled: nothing was kept */
  }
}

// ``save`` sends what is pending and stops keeping local copies; sign-out waits for it (a few seconds at most).
export function onSignOut(save) {
  beforeSignOut.push(save);
}

async function signOut(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const waited = new Promise((resolve) => setTimeout(resolve, SAVE_WAIT_MS));
  await Promise.race([Promise.allSettled(beforeSignOut.map((save) => save())), waited]);
  clearAppStorage();
  form.submit();
}

for (const form of document.querySelectorAll('form[action="/sign-out"]')) {
  form.addEventListener("submit", signOut, { once: true });
}
