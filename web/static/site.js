// Small enhancements shared by every page; pages read without them (the write forms need them, and their
// buttons stay disabled until this script runs, see the end). No inline handlers: the pages'
// Content-Security-Policy allows scripts from this origin only.
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.requestSubmit();
});

// Writes from pages (signed in with a browser session): a form marked data-api sends its fields as JSON to
// that address with the session's CSRF token, says what happened in its [data-status] element and, on
// success, reloads the page (which then shows the change). Errors show the service's own explanation.
function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function sendJson(method, url, payload) {
  const response = await fetch(url, {
    method, credentials: "same-origin",
    headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken()},
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  return {ok: response.ok, status: response.status, body};
}

function explain(result) {
  if (result.status === 401) return "Bitte neu anmelden (die Sitzung ist abgelaufen).";
  if (result.status === 403) return "Dafür fehlt die Berechtigung. " + ((result.body && result.body.detail) || "");
  const detail = result.body && (result.body.detail || result.body.title);
  return "Nicht gespeichert: " + (detail || ("Fehler " + result.status));
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-api]");
  if (!form) return;
  event.preventDefault();
  const status = form.querySelector("[data-status]");
  const payload = {};
  for (const [name, value] of new FormData(form).entries()) {
    if (value === "") {
      if (form.dataset.empty === "null") payload[name] = null;  // an edit form: an emptied field is removed
      continue;
    }
    const field = form.elements[name];
    let parsed = value;
    if (field && field.dataset && "json" in field.dataset) parsed = JSON.parse(value);  // true, false, null, "text"
    else if (field && field.type === "number") parsed = Number(value);
    // "disclosure.min_numerator" -> {"disclosure": {"min_numerator": ...}}
    const path = name.split(".");
    let target = payload;
    path.slice(0, -1).forEach((part) => { target = target[part] = target[part] || {}; });
    target[path[path.length - 1]] = parsed;
  }
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  if (status) status.textContent = "Wird gespeichert …";
  const result = await sendJson(form.dataset.method || "POST", form.dataset.api, payload);
  if (button) button.disabled = false;
  if (result.ok && form.dataset.show) {
    // something to show once (a new token): shown in the form, not lost to a reload
    const box = form.querySelector("[data-result]");
    form.querySelector("[data-result-value]").textContent = (result.body && result.body[form.dataset.show]) || "";
    if (box) box.hidden = false;
    if (status) status.textContent = "Gespeichert.";
  } else if (result.ok) {
    if (status) status.textContent = "Gespeichert.";
    window.location.reload();
  } else if (status) {
    status.textContent = explain(result);
  }
});

document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-api-delete]");
  if (!button) return;
  if (!window.confirm(button.dataset.confirm || "Wirklich löschen?")) return;
  const result = await sendJson("DELETE", button.dataset.apiDelete);
  if (result.ok) window.location.reload();
  else window.alert(explain(result));
});

// The buttons of these writes are sent disabled (data-needs-script): clicked before this script has attached
// its handlers, a data-api form would submit natively (a GET of the page with the fields in its address) and a
// delete button would do nothing. They are enabled here, after the handlers above exist. (The import page and
// the report editor enable their own buttons in their own scripts.)
document.querySelectorAll("form[data-api] button[data-needs-script], button[data-api-delete][data-needs-script]")
  .forEach((button) => { button.disabled = false; });
