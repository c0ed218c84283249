// Every data table (table.data) becomes sortable and, when it has more than a screenful of
// rows, filterable. Sorting: each column header gets a button (reachable with Tab, pressed
// with Enter or Space) that sorts the body by that column, numbers as numbers (the first
// number in the cell: "12 (3/4)" sorts as 12, "—" last), text by the page's language;
// pressing again reverses; aria-sort says the order to screen readers. Filtering: a search
// box above the table hides the rows whose text does not contain every word typed, and says
// how many rows are shown. Tables marked data-nosort are left alone. Works on tables that
// htmx swaps in later. No inline script (strict Content-Security-Policy); without
// JavaScript the tables stay as the server rendered them.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "zh-CN";
  var zh = lang.indexOf("zh") === 0;
  var FILTER_ROWS = 12;
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function cellValue(row, i) {
    var cell = row.cells[i];
    if (!cell) { return { num: null, text: "" }; }
    var text = (cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent).trim();
    var m = text.replace(/,/g, "").match(/^[-+]?\d+(\.\d+)?/);
    return { num: m ? parseFloat(m[0]) : null, text: text };
  }
  function compare(a, b) {
    if (a.num !== null && b.num !== null) { return a.num - b.num; }
    if (a.num !== null) { return -1; }
    if (b.num !== null) { return 1; }
    return a.text.localeCompare(b.text, lang);
  }
  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var descending = th.getAttribute("aria-sort") === "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    // A summary row (id ending in -row or class total) stays at the bottom.
    var fixed = rows.filter(function (r) { return r.classList.contains("total") || /-row$/.test(r.id); });
    rows = rows.filter(function (r) { return fixed.indexOf(r) < 0; });
    rows.sort(function (x, y) {
      var c = compare(cellValue(x, index), cellValue(y, index));
      return descending ? -c : c;
    });
    rows.concat(fixed).forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  function makeSortable(table) {
    if (!table.tHead || !table.tHead.rows.length || table.dataset.nosort !== undefined) { return; }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      if (th.querySelector("button, input, select") || th.textContent.trim() === "") { return; }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = zh ? "按此列排序" : "Sort by this column";
      while (th.firstChild) { button.appendChild(th.firstChild); }
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  }
  function makeFilterable(table) {
    var body = table.tBodies[0];
    if (!body || body.rows.length <= FILTER_ROWS || table.dataset.nofilter !== undefined) { return; }
    var box = document.createElement("div");
    box.className = "table-filter";
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "search";
    input.setAttribute("data-table-filter", "");
    label.appendChild(document.createTextNode(zh ? "筛选 " : "Filter "));
    label.appendChild(input);
    var count = document.createElement("span");
    count.className = "muted";
    count.setAttribute("aria-live", "polite");
    box.appendChild(label);
    box.appendChild(count);
    table.parentNode.insertBefore(box, table);
    function apply() {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      Array.prototype.forEach.call(body.rows, function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = zh ? ("显示 " + shown + " / " + body.rows.length + " 行") : (shown + " of " + body.rows.length + " rows");
    }
    input.addEventListener("input", apply);
    apply();
  }
  // A header checkbox (data-select-all) ticks the record boxes (name=id) of the rows shown;
  // a [data-selected-count] in the same form says how many are ticked.
  function makeSelectable(table) {
    var all = table.querySelector("thead input[data-select-all]");
    if (!all || !table.tBodies[0]) { return; }
    // The form of the header box (its form attribute when the rows hold forms of their own).
    var form = all.form || table.closest("form");
    var counter = form ? form.querySelector("[data-selected-count]") : null;
    var boxes = function () { return Array.prototype.slice.call(table.tBodies[0].querySelectorAll("input[type=checkbox][name=id]")); };
    function count() {
      var n = boxes().filter(function (b) { return b.checked; }).length;
      if (counter) { counter.textContent = n ? ("(" + (zh ? "已选 " + n + " 条" : n + " selected") + ")") : ""; }
    }
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { if (!b.closest("tr").hidden) { b.checked = all.checked; } });
      count();
    });
    table.tBodies[0].addEventListener("change", count);
    count();
  }
  function enhance(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("table.data"), function (t) {
      if (t.dataset.enhanced) { return; }
      t.dataset.enhanced = "1";
      makeSortable(t);
      makeFilterable(t);
      makeSelectable(t);
    });
  }
  ready(function () {
    enhance(document);
    document.body.addEventListener("htmx:afterSwap", function (e) { enhance(e.target); });
  });
})();
