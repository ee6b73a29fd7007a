// The poster's print button: shown only where the browser can print. A file of its own, as the
// Content-Security-Policy allows no inline script (api/platform/headers.py).
(function () {
  var button = document.getElementById('print-button');
  if (!button || !window.print) { return; }
  button.hidden = false;
  button.addEventListener('click', function () { window.print(); });
}());
