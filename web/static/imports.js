// The import page: the form becomes the ordinary import request (multipart, the session's CSRF token); the
// dry run's report is shown as a table (German text where the check gives one). "Importieren" is offered
// only after a clean dry run of the same file and options.
(function () {
  const form = document.getElementById("import-form");
  if (!form) return;
  const kind = document.getElementById("import-kind");
  const apply = document.getElementById("import-apply");
  const status = document.getElementById("import-status");
  const section = document.getElementById("import-report");
  let checked = null;  // the request that passed its dry run

  function showFieldsets() {
    form.querySelectorAll("fieldset[data-for]").forEach((set) => {
      set.hidden = set.dataset.for !== kind.value;
      set.disabled = set.hidden;  // hidden options are not sent
    });
  }
  kind.addEventListener("change", showFieldsets);
  form.addEventListener("input", () => { checked = null; apply.disabled = true; });
  showFieldsets();

  function requestBody() {
    const body = new FormData();
    const file = document.getElementById("import-file").files[0];
    if (file) body.append("file", file, file.name);
    for (const [name, value] of new FormData(form).entries()) {
      if (name === "file" || name === "kind" || name === "more" || value === "") continue;
      if (name === "column") {
        value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).forEach((line) => body.append("column", line));
      } else body.append(name, value);
    }
    (document.getElementById("import-more").value || "").split(/\r?\n/).forEach((line) => {
      const at = line.indexOf("=");
      if (at > 0) body.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
    });
    return body;
  }

  const LABELS = ["Art", "Datei", "Zeile", "Spalte", "Wert", "Problem", "Lösung"];

  function cell(row, text) {
    const td = document.createElement("td");
    td.dataset.label = LABELS[row.children.length];
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
  }

  function showReport(report, dryRun, httpStatus, detail) {
    section.hidden = false;
    const title = document.getElementById("import-report-title");
    const summary = document.getElementById("import-report-summary");
    const rows = section.querySelector("tbody");
    rows.textContent = "";
    if (!report) {
      title.textContent = "Nicht angenommen";
      summary.textContent = detail || ("Fehler " + httpStatus);
      return;
    }
    const errors = report.error_count || 0;
    const warnings = report.warning_count || 0;
    title.textContent = errors ? "Probleme gefunden: nichts wurde geschrieben"
      : (dryRun ? "Probelauf ohne Fehler: noch nichts geschrieben" : "Importiert");
    summary.textContent = report.rows_read + " Zeilen gelesen" +
      (dryRun || errors ? "" : ", " + report.rows_written + " geschrieben, " + report.rows_superseded + " ersetzt") +
      "; " + errors + " Fehler, " + warnings + " Hinweise" +
      (report.problems_truncated ? " (" + report.problems_truncated + " weitere nicht aufgeführt)" : "") + ".";
    (report.problems || []).forEach((p) => {
      const row = document.createElement("tr");
      row.className = p.severity;
      cell(row, p.severity === "error" ? "Fehler" : "Hinweis");
      cell(row, p.file);
      cell(row, p.row);
      cell(row, p.column);
      cell(row, p.value);
      cell(row, p.message_de || p.message);
      cell(row, p.fix_de || p.fix);
      rows.appendChild(row);
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const dryRun = (event.submitter && event.submitter.dataset.dryRun) !== "false";
    const endpoint = kind.selectedOptions[0].dataset.endpoint;
    const body = requestBody();
    body.append("dry_run", dryRun ? "true" : "false");
    status.textContent = dryRun ? "Die Datei wird geprüft …" : "Die Datei wird importiert …";
    apply.disabled = true;
    let response;
    try {
      response = await fetch(endpoint, {method: "POST", body, credentials: "same-origin",
        headers: {"Accept": "application/json", "X-CSRF-Token": csrfToken()}});
    } catch (e) {
      status.textContent = "Der Dienst ist nicht erreichbar; nichts wurde geschrieben.";
      return;
    }
    let answer = null;
    try { answer = await response.json(); } catch (e) { answer = null; }
    const report = answer && (answer.report || (answer.problems ? answer : null));
    showReport(report, dryRun, response.status, answer && answer.detail);
    status.textContent = "";
    if (response.ok && dryRun && report && report.ok) {
      checked = true;
      apply.disabled = false;
      apply.focus();
    }
  });
  // sent disabled (data-needs-script): before this script, the button would submit the form natively
  form.querySelector("button[data-dry-run=true]").disabled = false;
})();
