// assets/catalog.js: the search box and filters, in plain JS with no dependencies. A form with
// data-filter-table="<table id>" filters that table's rows by the rows' data-* attributes.
export const CATALOG_SCRIPT = `"use strict";
(function () {
  // A row's searchable text: its data-search attribute, else its own text (read once).
  function searchText(row) {
    if (row._search === undefined) row._search = (row.dataset.search || row.textContent || "").toLowerCase();
    return row._search;
  }
  function rowMatches(row, f) {
    var d = row.dataset;
    if (f.text && searchText(row).indexOf(f.text) < 0) return false;
    var keys = ["runner", "image", "engine", "masking", "actor", "action"];
    for (var i = 0; i < keys.length; i++) {
      var k = keys[i];
      if (f[k] && d[k] !== f[k]) return false;
    }
    if (f["date-from"] && (!d.date || d.date < f["date-from"])) return false;
    if (f["date-to"] && (!d.date || d.date > f["date-to"])) return false;
    return true;
  }
  function wire(form) {
    var table = document.getElementById(form.getAttribute("data-filter-table"));
    if (!table) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var controls = Array.prototype.slice.call(form.querySelectorAll("[data-filter]"));
    var count = form.querySelector("[data-filter-count]");
    function apply() {
      var f = {};
      controls.forEach(function (c) {
        var v = c.value.trim();
        f[c.getAttribute("data-filter")] = c.getAttribute("data-filter") === "text" ? v.toLowerCase() : v;
      });
      var shown = 0;
      rows.forEach(function (r) {
        var ok = rowMatches(r, f);
        r.hidden = !ok;
        if (ok) shown++;
      });
      if (count) count.textContent = "Showing " + shown + " of " + rows.length;
    }
    var params = new URLSearchParams(window.location.search);
    if (params.get("image")) {
      var text = form.querySelector('[data-filter="text"]');
      if (text) text.value = params.get("image");
    }
    controls.forEach(function (c) {
      c.addEventListener("input", apply);
      c.addEventListener("change", apply);
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
    apply();
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-filter-table]"), wire);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
`;
