/* Two versions side by side, the changed elements coloured: added and changed on the later version,
   removed and changed on the earlier one. */
(function () {
  'use strict';

  async function show(container, xml, marks) {
    const viewer = new window.BpmnJS({ container, additionalModules: window.DiagramLanguage.modules() });
    if (!xml) return viewer;
    try {
      await viewer.importXML(xml);
    } catch (err) {
      container.textContent = window.Studio.fmt(window.Studio.data().messages.import_failed, { error: err.message || err });
      return viewer;
    }
    const canvas = viewer.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    marks.forEach(({ id, kind }) => {
      const element = window.Studio.elementFor(viewer, id);
      if (element && element !== canvas.getRootElement()) canvas.addMarker(element, 'diff-' + kind);
    });
    return viewer;
  }

  document.addEventListener('DOMContentLoaded', async () => {
    const data = window.Studio.data();
    const before = data.elements.filter((e) => e.kind !== 'added');
    const after = data.elements.filter((e) => e.kind !== 'removed');
    await show(document.getElementById('diff-before'), data.before, before);
    await show(document.getElementById('diff-after'), data.after, after);
    document.getElementById('changes').dataset.ready = 'true';
  });
}());
