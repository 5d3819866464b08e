// The "Cetak / Simpan PDF" button of the printable statement. It stays hidden without
// JavaScript (the page says how to print from the browser's menu instead); the CSP
// forbids inline handlers, hence this file.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-print]");
  if (!button || typeof window.print !== "function") return;
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
