// Tutti's few behaviours that HTML alone cannot do. Everything works without it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.getElementById(copy.getAttribute("data-copy"));
      if (field) {
        field.select();
        if (navigator.clipboard) { navigator.clipboard.writeText(field.value); }
        copy.setAttribute("aria-live", "polite");
      }
    }
    var toggle = event.target.closest("[data-menu-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    // A click outside the slid-in navigation closes it.
    if (!toggle && document.body.classList.contains("nav-open") && !event.target.closest("#sidebar")) {
      document.body.classList.remove("nav-open");
      document.querySelectorAll("[data-menu-toggle]").forEach(function (t) { t.setAttribute("aria-expanded", "false"); });
    }
    // Close any open dropdown when clicking elsewhere.
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (!d.contains(event.target)) { d.removeAttribute("open"); }
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
        d.removeAttribute("open");
        var s = d.querySelector("summary");
        if (s) { s.focus(); }
      });
      document.body.classList.remove("nav-open");
    }
  });
})();
