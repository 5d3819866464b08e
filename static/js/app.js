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
