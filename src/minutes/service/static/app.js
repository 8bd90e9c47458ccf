/* minutes web pages: quotes that find their transcript line, the upload and its progress,
   copy as Markdown, and marking action items done in place. Plain JavaScript, no library;
   every page also works without it (forms post and redirect). */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function $(id) { return document.getElementById(id); }

  // --- quotes -> transcript lines -------------------------------------------------------
  function showLine(segment, quote) {
    var line = $("seg-" + segment);
    if (!line) { return false; }
    document.querySelectorAll(".transcript li.highlighted").forEach(function (li) {
      li.classList.remove("highlighted");
      li.removeAttribute("aria-current");
      var p = li.querySelector(".line");
      if (p && p.dataset.text !== undefined) { p.textContent = p.dataset.text; }
    });
    line.classList.add("highlighted");
    line.setAttribute("aria-current", "true");
    var p = line.querySelector(".line");
    if (p && quote) {
      var text = p.dataset.text !== undefined ? p.dataset.text : p.textContent;
      p.dataset.text = text;
      var at = text.toLowerCase().indexOf(quote.toLowerCase());
      if (at >= 0) {
        var mark = document.createElement("mark");
        mark.textContent = text.slice(at, at + quote.length);
        p.replaceChildren(document.createTextNode(text.slice(0, at)), mark,
          document.createTextNode(text.slice(at + quote.length)));
      }
    }
    line.scrollIntoView({ block: "center", behavior: reduceMotion ? "auto" : "smooth" });
    line.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.quote");
    if (!button) { return; }
    var q = button.querySelector("q");
    if (!showLine(button.dataset.segment, q ? q.textContent : "")) {
      button.setAttribute("title", "this line is not in the stored transcript");
    }
  });

  // --- copy as Markdown ------------------------------------------------------------------
  var copy = $("copy-md");
  if (copy) {
    copy.addEventListener("click", function () {
      var area = $(copy.dataset.target);
      var status = $("copy-status");
      function fallback() {
        var details = area.closest("details");
        if (details) { details.open = true; }
        area.focus();
        area.select();
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        status.textContent = ok ? "Copied." : "Selected: press Ctrl+C (⌘C) to copy.";
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(area.value).then(function () {
          status.textContent = "Copied.";
        }, fallback);
      } else {
        fallback();
      }
    });
  }

  // --- upload, then watch the job --------------------------------------------------------
  function renderJob(job) {
    $("job-status").textContent = job.status + (job.stage ? ": " + job.stage : "");
    var list = $("stages");
    list.replaceChildren();
    (job.stages_done || []).forEach(function (name) {
      var li = document.createElement("li");
      li.className = "done";
      li.textContent = name;
      list.appendChild(li);
    });
    if (job.stage && job.status === "running") {
      var li = document.createElement("li");
      li.className = "running";
      li.textContent = job.stage + " (running)";
      list.appendChild(li);
    }
  }

  function watchJob(url, onDone) {
    var tries = 0;
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
        .then(function (pair) {
          var ok = pair[0], job = pair[1];
          if (!ok) { throw new Error(job.detail || "the job could not be read"); }
          onDone(job);
          if (job.status === "queued" || job.status === "running") {
            tries += 1;
            setTimeout(tick, Math.min(400 + tries * 100, 2000));
          }
        })
        .catch(function (err) { onDone({ status: "failed", error: String(err.message || err) }); });
    }
    tick();
  }

  var form = $("upload");
  if (form) {
    var input = $("file");
    var zone = $("dropzone");
    var nameOut = $("file-name");
    function showName() { nameOut.textContent = input.files.length ? input.files[0].name : ""; }
    input.addEventListener("change", showName);
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        showName();
      }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var progress = $("progress");
      var error = $("job-error");
      var open = $("open-notes");
      var button = $("upload-button");
      progress.hidden = false;
      error.hidden = true;
      open.hidden = true;
      button.disabled = true;
      $("job-status").textContent = "uploading";
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
      })
        .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
        .then(function (pair) {
          var ok = pair[0], body = pair[1];
          if (!ok) { throw new Error(body.detail || "the upload was refused"); }
          open.href = body.meeting_url;
          watchJob(body.job_url, function (job) {
            renderJob(job);
            if (job.status === "done") {
              open.hidden = false;
              button.disabled = false;
            } else if (job.status === "failed") {
              error.textContent = job.error || "the job failed";
              error.hidden = false;
              button.disabled = false;
            }
          });
        })
        .catch(function (err) {
          $("job-status").textContent = "failed";
          error.textContent = String(err.message || err);
          error.hidden = false;
          button.disabled = false;
        });
    });
  }

  // A meeting whose notes are being made reloads itself once they are ready.
  var wait = $("job-wait");
  if (wait) {
    watchJob(wait.dataset.job, function (job) {
      if (job.status === "done" || job.status === "failed") { window.location.reload(); }
    });
  }

  // --- commitments: done / reopen in place -----------------------------------------------
  document.addEventListener("submit", function (event) {
    var toggle = event.target.closest("form.toggle");
    if (!toggle) { return; }
    event.preventDefault();
    var li = toggle.closest("li.action");
    var button = toggle.querySelector("button");
    button.disabled = true;
    fetch(toggle.action, {
      method: "POST",
      body: new FormData(toggle),
      headers: { Accept: "application/json", "X-CSRF-Token": csrf },
      credentials: "same-origin",
    })
      .then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (pair) {
        var ok = pair[0], item = pair[1];
        if (!ok) { throw new Error(item.detail || "not saved"); }
        var done = item.status === "done";
        li.dataset.status = item.status;
        li.querySelector(".status").textContent = item.status;
        li.classList.toggle("overdue", !!item.overdue);
        var badge = li.querySelector(".overdue-badge");
        if (!badge && item.overdue) {
          badge = document.createElement("span");
          badge.className = "badge badge-late overdue-badge";
          badge.textContent = "overdue";
          li.querySelector(".due").after(badge);
        }
        if (badge) { badge.hidden = !item.overdue; }
        toggle.querySelector('input[name="status"]').value = done ? "open" : "done";
        var verb = done ? "Reopen" : "Mark done";
        button.textContent = verb;
        button.setAttribute("aria-label", verb + ": " + item.task);
        var group = li.closest(".group");
        var target = group.querySelector('ul[data-list="' + (done ? "done" : "open") + '"]');
        if (target) { target.prepend(li); }
        button.disabled = false;
        button.focus();
        $("toggle-status").textContent = (done ? "Marked done: " : "Reopened: ") + item.task;
      })
      .catch(function (err) {
        button.disabled = false;
        $("toggle-status").textContent = "Not saved: " + String(err.message || err);
      });
  });
})();
