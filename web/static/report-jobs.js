// Background jobs in the page (service/jobs.py): a report's PDF is asked for as a job (POST /api/jobs) and its
// steps are shown as they happen, read from GET /api/jobs/{id}; when it is done the PDF is downloaded. A
// publication (report-editor.js) follows its job the same way: window.dmJobs.follow. Without JavaScript the
// links lead to the PDF directly (GET /reports/{period}.pdf), which answers when it is made.
// The texts come in the page's language (the JSON block #job-texts), German as the fallback.
(function () {
  "use strict";
  var GERMAN = {queued: "wartet auf den Beginn …", step: "Schritt %(number)s von %(total)s: %(label)s",
                done: "fertig", download: "PDF herunterladen", failed: "nicht erstellt", offline: "keine Verbindung"};
  var texts = {};
  var block = document.getElementById("job-texts");
  try { texts = block ? JSON.parse(block.textContent) : {}; } catch (error) { texts = {}; }
  function say(name) { return typeof texts[name] === "string" && texts[name] ? texts[name] : GERMAN[name]; }
  var english = document.documentElement.lang === "en";
  var POLL_MS = 500;

  function headers(extra) {
    var h = {"Content-Type": "application/json", "Accept": "application/json"};
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) { h["X-CSRF-Token"] = meta.content; }
    Object.keys(extra || {}).forEach(function (key) { h[key] = extra[key]; });
    return h;
  }
  function detail(body) {
    if (!body) { return ""; }
    return (english ? body.detail : (body.detail_de || body.detail)) || "";
  }
  function megabytes(bytes) {
    return new Intl.NumberFormat(english ? "en" : "de", {maximumFractionDigits: 1}).format(bytes / 1e6) + " MB";
  }

  // Show the job's state in `box` (a <progress> and a line of text) until it ends; then onDone(job) or
  // onFailed(problem text).
  function follow(url, box, onDone, onFailed) {
    box.hidden = false;
    box.classList.add("job-progress");
    var bar = box.querySelector("progress") || box.appendChild(document.createElement("progress"));
    bar.max = 1;
    var line = box.querySelector(".job-line") || box.appendChild(document.createElement("span"));
    line.className = "job-line";
    function show(job) {
      // nothing finished yet: an indeterminate bar (it moves) rather than an empty one that looks stuck
      if (job.progress > 0) { bar.value = job.progress; } else { bar.removeAttribute("value"); }
      box.dataset.state = job.state;
      if (job.state === "queued") { line.textContent = say("queued"); }
      if (job.state === "running" && job.step) {
        line.textContent = say("step").replace("%(number)s", job.step.number)
          .replace("%(total)s", job.steps.length).replace("%(label)s", english ? job.step.label_en : job.step.label_de);
      }
    }
    function look() {
      fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"Accept": "application/json"}})
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (job) {
            if (!response.ok || !job) { line.textContent = say("failed") + ": " + (detail(job) || response.status);
              box.dataset.state = "failed"; if (onFailed) { onFailed(detail(job)); } return; }
            show(job);
            if (job.state === "done") { line.textContent = say("done"); onDone(job); return; }
            if (job.state === "failed") { line.textContent = say("failed") + ": " + detail(job.error);
              if (onFailed) { onFailed(detail(job.error)); } return; }
            setTimeout(look, POLL_MS);
          });
        })
        .catch(function () { line.textContent = say("offline"); setTimeout(look, 4 * POLL_MS); });
    }
    look();
  }

  function offerDownload(box, job) {
    var link = document.createElement("a");
    link.href = job.links.result;
    link.setAttribute("download", job.result.filename || "");
    link.className = "job-result";
    link.textContent = say("download") + " (" + megabytes(job.result.bytes) + ")";
    box.querySelectorAll("a.job-result").forEach(function (old) { old.remove(); });
    box.appendChild(document.createTextNode(" "));
    box.appendChild(link);
    link.click();
  }

  document.querySelectorAll("a[data-report-pdf]").forEach(function (anchor) {
    anchor.addEventListener("click", function (event) {
      event.preventDefault();
      var box = document.getElementById(anchor.dataset.progress);
      if (!box || anchor.dataset.busy) { return; }
      anchor.dataset.busy = "1";
      var areas = anchor.dataset.areas ? anchor.dataset.areas.split(",") : [];
      fetch("/api/jobs", {method: "POST", credentials: "same-origin", headers: headers(),
                          body: JSON.stringify({kind: "report_pdf", period: anchor.dataset.reportPdf,
                                                lang: english ? "en" : "de", areas: areas})})
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (job) {
            if (response.status !== 202 || !job) {
              delete anchor.dataset.busy; box.hidden = false;
              box.textContent = say("failed") + ": " + (detail(job) || response.status); return;
            }
            follow(job.links.self, box, function (finished) { delete anchor.dataset.busy; offerDownload(box, finished); },
                   function () { delete anchor.dataset.busy; });
          });
        })
        .catch(function () { delete anchor.dataset.busy; box.hidden = false; box.textContent = say("offline"); });
    });
  });

  window.dmJobs = {follow: follow, headers: headers, detail: detail};
}());
