// Editing a report document in the browser: each section's Markdown is saved with the revision it started from
// (PUT /api/reports/{id}/sections/{kind}); a 409 keeps the writer's text and shows the current one beside it.
// Autosave 4 s after the last keystroke. Writes send X-CSRF-Token from <meta name="csrf-token"> when the page
// has one (browser sign-in), and the session cookie (same origin). The script's own texts come in the page's
// language with the panel (the JSON block #report-editor-texts), German as the fallback.
(function () {
  "use strict";
  var panel = document.getElementById("report-editor");
  if (!panel) { return; }
  var GERMAN = {saving: "speichert …", saved: "gespeichert (Stand %(revision)s)", notSaved: "nicht gespeichert",
                offline: "keine Verbindung", publishing: "wird erstellt … (PDF und eingefrorene Zahlen)"};
  var texts = {};
  try { texts = JSON.parse(document.getElementById("report-editor-texts").textContent); } catch (error) { texts = {}; }
  function say(name) { return typeof texts[name] === "string" && texts[name] ? texts[name] : GERMAN[name]; }
  var reportId = panel.dataset.report;
  function headers() {
    var h = { "Content-Type": "application/json", "Accept": "application/json" };
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) { h["X-CSRF-Token"] = meta.content; }
    return h;
  }
  function detail(body) {
    if (!body) { return ""; }
    return (document.documentElement.lang === "en" ? body.detail : (body.detail_de || body.detail)) || "";
  }
  document.querySelectorAll("form.section-editor").forEach(function (form) {
    var area = form.querySelector("textarea[name=narrative]");
    var status = form.querySelector(".status");
    var timer = null;
    var saved = area.defaultValue;  // the text as served: what was typed before this script ran is unsaved
    function save() {
      if (area.value === saved) { return; }
      var text = area.value;
      status.textContent = say("saving");
      fetch("/api/reports/" + reportId + "/sections/" + form.dataset.kind, {
        method: "PUT", credentials: "same-origin", headers: headers(),
        body: JSON.stringify({ narrative: text, revision: Number(form.dataset.revision) })
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (response.ok) {
            form.dataset.revision = body.revision; saved = text;
            status.textContent = say("saved").replace("%(revision)s", body.revision);
            form.querySelector(".conflict").hidden = true;
          } else if (response.status === 409 && body && body.current) {
            form.dataset.revision = body.current.revision;  // the next save builds on the current text
            var box = form.querySelector(".conflict");
            box.hidden = false; box.querySelector("textarea").value = body.current.narrative;
            status.textContent = detail(body);
          } else {
            status.textContent = say("notSaved") + ": " + (detail(body) || response.status);
          }
        });
      }).catch(function () { status.textContent = say("notSaved") + ": " + say("offline"); });
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); save(); });
    area.addEventListener("input", function () { clearTimeout(timer); status.textContent = say("notSaved");
      timer = setTimeout(save, 4000); });
  });
  // A publication renders the report once (seconds): it is asked for as a background job (Prefer:
  // respond-async -> 202 with the job) whose steps report-jobs.js shows until the page reloads as published.
  panel.querySelectorAll("button.transition").forEach(function (button) {
    button.addEventListener("click", function () {
      var status = panel.querySelector(".status");
      var publishing = button.dataset.to === "published";
      status.textContent = publishing ? say("publishing") : "…";
      button.disabled = true;
      var sent = headers();
      if (publishing && window.dmJobs) { sent.Prefer = "respond-async"; }
      fetch("/api/reports/" + reportId + "/transitions", {
        method: "POST", credentials: "same-origin", headers: sent,
        body: JSON.stringify({ to: button.dataset.to, revision: Number(panel.dataset.revision) })
      }).then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (response.status === 202 && body && body.links) {
            window.dmJobs.follow(body.links.self, panel.querySelector(".job-box"),
              function () { window.location.reload(); },
              function (problem) { button.disabled = false; status.textContent = problem; });
            return;
          }
          if (response.ok) { window.location.reload(); return; }
          button.disabled = false; status.textContent = detail(body) || String(response.status);
        });
      }).catch(function () { button.disabled = false; status.textContent = say("offline"); });
    });
  });
  // Sent disabled (data-needs-script): before this script a section's button would submit its form natively and
  // a state button would do nothing. Enabled now that the handlers above exist.
  document.querySelectorAll("form.section-editor button[data-needs-script], button.transition[data-needs-script]")
    .forEach(function (button) { button.disabled = false; });
}());
