// Tables whose columns sort in the browser (class "sortable"): a click on a header's button sorts the rows by
// that column, a second click reverses; a cell's data-sort, when given, is the key (dates as ISO text).
(function () {
  "use strict";
  var collator = new Intl.Collator(document.documentElement.lang || "vi", { numeric: true, sensitivity: "base" });

  function key(row, column) {
    var cell = row.children[column];
    return cell ? (cell.dataset.sort || cell.textContent.trim()) : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("table.sortable th button.sort");
    if (!button) { return; }
    var header = button.closest("th"), table = button.closest("table");
    var column = Array.prototype.indexOf.call(header.parentNode.children, header);
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var order = collator.compare(key(a, column), key(b, column));
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.setAttribute("aria-sort", "none"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  });
})();
