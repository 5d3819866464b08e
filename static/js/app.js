// Progressive enhancement only: every page works without this file.
document.documentElement.classList.remove("no-js");

// Dismiss a toast with its OK button (no inline handlers: the CSP forbids them).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-dismiss]");
  if (button) {
    var toast = button.closest(".toast");
    if (toast) toast.remove();
  }
});

// Move focus to a newly arrived error toast so screen readers and keyboards find it.
document.body.addEventListener("htmx:oobAfterSwap", function (event) {
  var alert = event.detail.target && event.detail.target.querySelector(".toast__ok");
  if (alert) alert.focus({ preventScroll: true });
});

if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
  });
}

// Good news fades on its own; errors and warnings carry steps and wait for OK.
function scheduleDismissal(root) {
  root.querySelectorAll(".toast--success, .toast--info").forEach(function (toast) {
    if (toast.dataset.timer) return;
    toast.dataset.timer = "1";
    setTimeout(function () { toast.remove(); }, 8000);
  });
}
scheduleDismissal(document);
document.body.addEventListener("htmx:oobAfterSwap", function () { scheduleDismissal(document); });

// On a slow or broken connection htmx gets no answer at all: say so instead of doing nothing.
function showToast(level, title, text) {
  var region = document.getElementById("toasts");
  if (!region) return;
  var toast = document.createElement("div");
  toast.className = "toast toast--" + level;
  toast.setAttribute("role", "alert");
  [["p", "toast__title", title], ["p", "toast__text", text]].forEach(function (part) {
    var node = document.createElement(part[0]);
    node.className = part[1];
    node.textContent = part[2];
    toast.appendChild(node);
  });
  var ok = document.createElement("button");
  ok.type = "button";
  ok.className = "toast__ok";
  ok.setAttribute("data-dismiss", "");
  ok.textContent = "OK";
  toast.appendChild(ok);
  region.prepend(toast);
}
document.body.addEventListener("htmx:sendError", function () {
  showToast("error", "Tidak ada koneksi", "Permintaan belum terkirim. Periksa sinyal Anda lalu coba lagi.");
});
document.body.addEventListener("htmx:timeout", function () {
  showToast("error", "Koneksi lambat", "Server belum menjawab. Coba lagi sebentar lagi; permintaan yang sama tidak akan tercatat dua kali.");
});
document.body.addEventListener("htmx:responseError", function () {
  showToast("error", "Terjadi kesalahan pada sistem", "Permintaan Anda belum diproses. Silakan coba lagi.");
});

// Uploads with htmx: show how far the files have gone (a slow connection takes a while).
document.body.addEventListener("htmx:xhr:progress", function (event) {
  var bar = event.target.querySelector && event.target.querySelector(".upload-progress");
  if (!bar || !event.detail.lengthComputable) return;
  bar.hidden = false;
  bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
});
