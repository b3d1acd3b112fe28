// Where the dossier stands (webapp/templates/officer/_panels.html, diagram_panel): its diagram in the bpmn-js
// viewer, the elements it went through marked "done", where it waits marked "current", who did a step and
// when as the element's tooltip; a shared part it called opens in place and a link leads back.
(function () {
  "use strict";
  var root = document.querySelector(".dossier-map");
  if (!root || typeof BpmnJS === "undefined") { return; }
  var viewer = new BpmnJS({
    container: root.querySelector(".map-canvas"), additionalModules: window.DiagramLanguage.modules()
  });
  var crumbs = root.querySelector(".map-crumbs");
  var data = null;
  var SVG = "http://www.w3.org/2000/svg";

  function tooltip(gfx, text) {
    var title = document.createElementNS(SVG, "title");
    title.textContent = text;
    gfx.insertBefore(title, gfx.firstChild);
  }

  function show(processId) {
    root.dataset.ready = "false";
    return viewer.importXML(data.diagrams[processId]).then(function () {
      var canvas = viewer.get("canvas"), registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport", "auto");
      var marked = [];
      data.marks.forEach(function (mark) {
        if (mark.process !== processId || !registry.get(mark.element)) { return; }
        canvas.addMarker(mark.element, "map-" + mark.state);
        var text = mark.title;
        if (mark.calls) {
          canvas.addMarker(mark.element, "map-opens");
          text += " — " + root.dataset.open;
        }
        tooltip(registry.getGraphics(mark.element), text);
        marked.push(mark.element);
      });
      crumbs.textContent = "";
      if (processId !== data.main) {
        var back = document.createElement("button");
        back.type = "button";
        back.className = "small";
        back.textContent = root.dataset.back;
        back.addEventListener("click", function () { show(data.main); });
        crumbs.appendChild(back);
      }
      root.dataset.process = processId;
      root.dataset.marked = marked.join(" ");
      root.dataset.ready = "true";
    });
  }

  viewer.on("element.click", function (event) {
    var mark = data && data.marks.find(function (m) {
      return m.element === event.element.id && m.process === root.dataset.process && m.calls;
    });
    if (mark) { show(mark.calls); }
  });

  fetch(root.dataset.map, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
    .then(function (json) { data = json; return show(data.main); })
    .catch(function (err) {
      root.dataset.ready = "error";
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = root.dataset.failed + " (" + err + ")";
      root.appendChild(p);
    });
})();
