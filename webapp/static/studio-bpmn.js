/* The diagram editor: bpmn-js modeler, the properties panel, save to the draft, check, and the problems
   shown on the diagram at the elements they concern. */
(function () {
  'use strict';

  const { fmt, post, status } = window.Studio;

  async function start() {
    const data = window.Studio.data();
    const M = data.messages;
    const page = document.getElementById('studio-editor');
    const statusLine = document.getElementById('studio-status');
    const problemsBox = document.getElementById('studio-problems');
    const otherBox = document.getElementById('studio-other-problems');
    const summary = document.getElementById('studio-summary');
    const descriptor = await (await fetch(page.dataset.moddle)).json();
    const modeler = new window.BpmnJS({
      container: '#canvas', moddleExtensions: { spiffworkflow: descriptor },
      additionalModules: window.DiagramLanguage.modules(),
    });
    const state = { version: data.draft_version, dirty: data.unsaved, problems: data.problems };
    window.studioModeler = modeler; // the browser tests read the diagram through it

    const nameOf = (problem) => {
      const element = problem.file === data.path ? window.Studio.elementFor(modeler, problem.element_id) : null;
      if (element && element === modeler.get('canvas').getRootElement()) return `(${M.whole_process})`;
      return element && element.businessObject.name ? `“${element.businessObject.name}”` : '';
    };
    const pick = (problem) => {
      const element = window.Studio.elementFor(modeler, problem.element_id);
      if (!element) return;
      modeler.get('canvas').scrollToElement(element);
      modeler.get('selection').select(element);
    };

    function showProblems(problems, heading) {
      state.problems = problems;
      const here = problems.filter((p) => p.file === data.path);
      const elsewhere = problems.filter((p) => p.file !== data.path);
      window.Studio.renderProblems(problemsBox, here, { nameOf, onPick: pick });
      window.Studio.renderProblems(otherBox, elsewhere);
      otherBox.previousElementSibling.hidden = !elsewhere.length;
      window.Studio.markProblems(modeler, problems, data.path);
      summary.className = problems.length ? 'studio-summary invalid' : 'studio-summary valid';
      summary.textContent = heading || (problems.length ? fmt(M.problems, { count: problems.length }) : M.valid);
      panel.show(panel.element);
    }

    const panel = new window.StudioProperties(modeler, document.getElementById('properties'), data, () => state.problems);

    try {
      const result = await modeler.importXML(data.text);
      page.dataset.warnings = String(result.warnings.length);
    } catch (err) {
      page.dataset.importError = String(err.message || err);
      status(statusLine, fmt(M.import_failed, { error: err.message || err }), 'error');
    }
    const canvas = modeler.get('canvas');
    canvas.zoom('fit-viewport', 'auto');
    // A margin, and the diagram moved clear of the palette, which covers the canvas's left edge.
    canvas.zoom(canvas.zoom() * 0.88, 'auto');
    canvas.scroll({ dx: 30, dy: 0 });
    panel.show(null);
    showProblems(data.problems);
    window.Studio.markWarnings(modeler, data.warnings, data.path);
    if (state.dirty) status(statusLine, M.unsaved, 'warning');
    page.dataset.ready = 'true';

    modeler.on('commandStack.changed', () => {
      state.dirty = true;
      status(statusLine, M.unsaved, 'warning');
    });
    window.addEventListener('beforeunload', (event) => {
      if (state.dirty) event.preventDefault();
    });

    async function currentText() {
      return (await modeler.saveXML({ format: true })).xml;
    }

    document.getElementById('studio-save').addEventListener('click', async () => {
      if (!state.dirty) {
        status(statusLine, M.nothing_to_save);
        return;
      }
      await window.Studio.saveDraft({
        url: data.urls.save, body: { files: { [data.path]: await currentText() }, main_file: data.main_file },
        state, statusLine, messages: M,
        onSaved: (saved) => {
          document.getElementById('studio-draft-info').textContent = fmt(M.draft_info,
            { version: saved.version, by: saved.saved_by, at: saved.saved_at });
          showProblems(saved.problems);
          window.Studio.markWarnings(modeler, saved.warnings, data.path);
          const link = document.getElementById('studio-page-link');
          link.href = saved.page;
          link.hidden = false;
        },
        onRefused: (refused) => showProblems(refused.refused, M.refused),
      });
    });

    document.getElementById('studio-check').addEventListener('click', async () => {
      status(statusLine, M.checking);
      const answer = await post(data.urls.check, { files: { [data.path]: await currentText() } });
      if (answer.ok) {
        showProblems(answer.body.problems);
        window.Studio.markWarnings(modeler, answer.body.warnings, data.path);
        status(statusLine, state.dirty ? M.unsaved : '', state.dirty ? 'warning' : '');
      } else {
        status(statusLine, answer.body.error || M.error, 'error');
      }
    });

    document.getElementById('studio-download').addEventListener('click', async () => {
      window.Studio.download(data.path.split('/').pop(), await currentText());
    });
  }

  document.addEventListener('DOMContentLoaded', start);
}());
