// Tables of a form whose rows grow and shrink without a reload (webapp/templates/_fields.html).
// Inputs are named <table>-<row>-<column>, rows from 0; after every change the rows are renumbered so
// that the server's messages (devices.2.serial) land on the row the officer sees. The limits come from
// the form definition (data-min, data-max); the server checks them again.
(function () {
  "use strict";

  function renumber(fieldset) {
    var base = fieldset.dataset.rows;
    var rows = fieldset.querySelectorAll("tbody > tr");
    rows.forEach(function (row, index) {
      row.querySelector(".row-number").textContent = String(index + 1);
      row.querySelectorAll("td[data-column]").forEach(function (cell) {
        var name = base + "-" + index + "-" + cell.dataset.column;
        cell.querySelectorAll("[name]").forEach(function (input) {
          input.name = name;
          input.id = name;
        });
      });
    });
    var min = Number(fieldset.dataset.min || 0);
    var max = fieldset.dataset.max ? Number(fieldset.dataset.max) : Infinity;
    fieldset.querySelector(".add-row").disabled = rows.length >= max;
    fieldset.querySelectorAll(".remove-row").forEach(function (button) {
      button.disabled = rows.length <= Math.max(min, 1);
    });
  }

  function addRow(fieldset) {
    var template = fieldset.querySelector("template");
    var body = fieldset.querySelector("tbody");
    body.appendChild(template.content.firstElementChild.cloneNode(true));
    renumber(fieldset);
    var first = body.lastElementChild.querySelector("input, select, textarea");
    if (first) { first.focus(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.add-row, button.remove-row");
    if (!button) { return; }
    var fieldset = button.closest("fieldset[data-rows]");
    if (!fieldset) { return; }
    if (button.classList.contains("add-row")) {
      addRow(fieldset);
    } else {
      button.closest("tr").remove();
      renumber(fieldset);
    }
  });

  function start() {
    document.querySelectorAll("fieldset[data-rows]").forEach(renumber);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
