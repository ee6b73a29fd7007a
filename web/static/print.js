// Printing opens every collapsed <details> (advice per unit, open answers) so their content is
// on paper, and closes again afterwards those the reader had not opened. CSS does the same
// where the browser supports details::details-content; this covers the others.
(function () {
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details:not([open])"),
      function (d) { d.open = true; return true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
})();
