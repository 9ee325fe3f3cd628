// Attachments on the task page: upload with progress, drag-and-drop onto the section, and
// images (or files) pasted or dropped into the comment box or the description, which upload
// first and then insert a Markdown link. No inline script (CSP); works with htmx swaps.
(function () {
  "use strict";

  var TASK_PATH = /^\/w\/([\w-]+)\/tasks\/([A-Za-z][A-Za-z0-9]*-\d+)\//;

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || headers["x-csrftoken"] || "";
    } catch (e) {
      return "";
    }
  }

  function apiUrl() {
    var match = window.location.pathname.match(TASK_PATH);
    if (!match) return null;
    return "/api/v1/workspaces/" + match[1] + "/tasks/" + match[2].toUpperCase() + "/attachments/";
  }

  function section() { return document.getElementById("attachments"); }

  function refreshSection() {
    var current = section();
    if (!current || !window.htmx) return;
    window.htmx.ajax("GET", current.getAttribute("data-attachments-url"), {
      target: "#attachments", swap: "outerHTML"
    });
  }

  // --- The upload control (and files dropped on the section) --------------------------------
  function uploadToSection(form, files) {
    var data = new FormData(form); // the CSRF field included
    data.delete("files");
    Array.prototype.forEach.call(files, function (file) { data.append("files", file); });
    var progress = form.querySelector(".attachment-progress");
    var status = form.querySelector(".attachment-status");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      progress.hidden = false;
      progress.value = Math.round((event.loaded / event.total) * 100);
      status.textContent = "Uploading… " + progress.value + "%";
    });
    xhr.addEventListener("load", function () {
      var current = section();
      if (!current) return;
      current.outerHTML = xhr.responseText;
      var fresh = section();
      if (fresh && window.htmx) window.htmx.process(fresh);
      var message = fresh && fresh.querySelector(".attachment-status");
      if (message && xhr.status < 300) message.textContent = "Uploaded.";
    });
    xhr.addEventListener("error", function () {
      progress.hidden = true;
      status.textContent = "The upload failed: check your connection and try again.";
    });
    progress.hidden = false;
    progress.value = 0;
    status.textContent = "Uploading…";
    xhr.send(data);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-attachment-upload]");
    if (!form || !window.FormData) return;
    var input = form.querySelector("input[type=file]");
    if (!input.files.length) return; // let the server say "Choose a file"
    event.preventDefault();
    uploadToSection(form, input.files);
  });

  function hasFiles(event) {
    return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types, "Files") >= 0;
  }

  document.addEventListener("dragover", function (event) {
    var target = event.target.closest && event.target.closest("#attachments, textarea[data-paste-upload]");
    if (!target || !hasFiles(event)) return;
    event.preventDefault();
    target.classList.add("is-dragover");
  });
  document.addEventListener("dragleave", function (event) {
    var target = event.target.closest && event.target.closest(".is-dragover");
    if (target) target.classList.remove("is-dragover");
  });
  document.addEventListener("drop", function (event) {
    var target = event.target.closest && event.target.closest("#attachments, textarea[data-paste-upload]");
    if (!target || !hasFiles(event)) return;
    event.preventDefault();
    target.classList.remove("is-dragover");
    if (target.tagName === "TEXTAREA") {
      uploadIntoText(target, event.dataTransfer.files);
      return;
    }
    var form = target.querySelector("form[data-attachment-upload]");
    if (form) uploadToSection(form, event.dataTransfer.files);
  });

  // --- Pasting or dropping into a comment or the description --------------------------------
  function insertAt(textarea, text) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function replaceText(textarea, from, to) {
    var at = textarea.value.indexOf(from);
    if (at < 0) { insertAt(textarea, to); return; }
    textarea.value = textarea.value.slice(0, at) + to + textarea.value.slice(at + from.length);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function stamp() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + two(d.getMonth() + 1) + two(d.getDate()) + "-" +
      two(d.getHours()) + two(d.getMinutes()) + two(d.getSeconds());
  }

  function named(file) {
    // Clipboard images are all called image.png; give each a name worth keeping.
    if (file.name && file.name !== "image.png") return file;
    var extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
    return new File([file], "pasted-" + stamp() + "." + extension, { type: file.type });
  }

  function uploadIntoText(textarea, files) {
    var url = apiUrl();
    if (!url || !files.length) return;
    var list = Array.prototype.map.call(files, named);
    var placeholder = "![Uploading " + list.map(function (f) { return f.name; }).join(", ") + "…]()";
    insertAt(textarea, placeholder);
    var status = textarea.parentElement.querySelector(".paste-status");
    if (!status) {
      status = document.createElement("small");
      status.className = "help paste-status";
      status.setAttribute("role", "status");
      textarea.insertAdjacentElement("afterend", status);
    }
    status.textContent = "Uploading…";
    var data = new FormData();
    list.forEach(function (file) { data.append("files", file); });
    fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (!result.ok) {
        replaceText(textarea, placeholder, "");
        status.textContent = (result.body.error && result.body.error.message) || "The upload was refused.";
        status.classList.add("error");
        return;
      }
      replaceText(textarea, placeholder, result.body.map(function (a) { return a.markdown; }).join("\n"));
      status.classList.remove("error");
      status.textContent = "Attached " + result.body.map(function (a) { return a.name; }).join(", ") + ".";
      refreshSection();
    }).catch(function () {
      replaceText(textarea, placeholder, "");
      status.textContent = "The upload failed: check your connection and try again.";
    });
  }

  document.addEventListener("paste", function (event) {
    var textarea = event.target.closest && event.target.closest("textarea[data-paste-upload]");
    if (!textarea || !event.clipboardData) return;
    var files = Array.prototype.filter.call(event.clipboardData.files || [], function (f) {
      return f.size > 0;
    });
    if (!files.length) return; // plain text pastes as usual
    event.preventDefault();
    uploadIntoText(textarea, files);
  });

  // Which text boxes take pasted files: the comment box and the description, on task pages.
  function mark(root) {
    if (!apiUrl()) return;
    root.querySelectorAll("#comments textarea[name=body], textarea[name=description]")
      .forEach(function (textarea) {
        textarea.setAttribute("data-paste-upload", "");
        if (!textarea.getAttribute("aria-describedby")) {
          textarea.setAttribute("title", "Paste or drop images and files to attach them.");
        }
      });
  }
  document.addEventListener("DOMContentLoaded", function () { mark(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    mark(document);
    // A posted comment may have taken pasted files: show them as "in a comment".
    var target = event.detail && event.detail.target;
    if (target && target.id === "comments" && section()) refreshSection();
  });
})();
