/* The decision table editor: dmn-js modeler (the diagram of decisions and each table), saved to the draft
   and checked by the platform's decision engine; rules with problems are outlined in red. */
(function () {
  'use strict';

  const { el, fmt, post, status } = window.Studio;

  async function start() {
    const data = window.Studio.data();
    const M = data.messages;
    const page = document.getElementById('studio-editor');
    const statusLine = document.getElementById('studio-status');
    const problemsBox = document.getElementById('studio-problems');
    const otherBox = document.getElementById('studio-other-problems');
    const summary = document.getElementById('studio-summary');
    const viewsBar = document.getElementById('studio-views');
    const editor = new window.DmnJS({ container: '#canvas', ...window.DiagramLanguage.dmn() });
    const state = { version: data.draft_version, dirty: false, problems: data.problems };
    window.studioModeler = editor; // the browser tests read the tables through it

    function decisionOf(elementId) {
      const views = editor.getViews();
      const direct = views.find((v) => v.element.id === elementId);
      if (direct) return direct;
      return views.find((v) => {
        const logic = v.element.decisionLogic;
        return logic && (logic.rule || []).some((r) => r.id === elementId);
      });
    }

    function markRows() {
      document.querySelectorAll('.studio-problem-row').forEach((n) => n.classList.remove('studio-problem-row'));
      state.problems.filter((p) => p.file === data.path && p.element_id).forEach((p) => {
        document.querySelectorAll(`[data-row-id="${CSS.escape(p.element_id)}"]`)
          .forEach((n) => n.classList.add('studio-problem-row'));
      });
    }

    function showProblems(problems, heading) {
      state.problems = problems;
      window.Studio.renderProblems(problemsBox, problems.filter((p) => p.file === data.path), {
        onPick: (problem) => {
          const view = decisionOf(problem.element_id);
          if (view) editor.open(view);
        },
      });
      const elsewhere = problems.filter((p) => p.file !== data.path);
      window.Studio.renderProblems(otherBox, elsewhere);
      otherBox.previousElementSibling.hidden = !elsewhere.length;
      summary.className = problems.length ? 'studio-summary invalid' : 'studio-summary valid';
      summary.textContent = heading || (problems.length ? fmt(M.problems, { count: problems.length }) : M.valid);
      markRows();
    }

    function renderViews() {
      const active = editor.getActiveView();
      viewsBar.replaceChildren(...editor.getViews().map((view) => el('button', {
        type: 'button', class: 'small' + (active && view.element === active.element ? ' primary' : ''),
        'data-view': view.element.id,
        onclick: () => editor.open(view),
      }, view.type === 'drd' ? M.drd : (view.element.name || view.element.id))));
    }

    editor.on('views.changed', () => {
      renderViews();
      const viewer = editor.getActiveViewer();
      if (viewer && !viewer.studioWatched) {
        viewer.studioWatched = true;
        viewer.on('commandStack.changed', () => {
          state.dirty = true;
          status(statusLine, M.unsaved, 'warning');
          setTimeout(markRows);
        });
      }
      setTimeout(markRows);
    });

    try {
      await editor.importXML(data.text);
      const table = editor.getViews().find((v) => v.type === 'decisionTable');
      if (table) await editor.open(table);
    } catch (err) {
      status(statusLine, fmt(M.import_failed, { error: err.message || err }), 'error');
    }
    showProblems(data.problems);
    page.dataset.ready = 'true';
    window.addEventListener('beforeunload', (event) => { if (state.dirty) event.preventDefault(); });

    async function currentText() {
      return (await editor.saveXML({ format: true })).xml;
    }

    document.getElementById('studio-save').addEventListener('click', async () => {
      if (!state.dirty) {
        status(statusLine, M.nothing_to_save);
        return;
      }
      await window.Studio.saveDraft({
        url: data.urls.save, body: { files: { [data.path]: await currentText() } }, state, statusLine,
        messages: M, onSaved: (saved) => showProblems(saved.problems),
      });
    });

    document.getElementById('studio-check').addEventListener('click', async () => {
      status(statusLine, M.checking);
      const answer = await post(data.urls.check, { files: { [data.path]: await currentText() } });
      if (answer.ok) showProblems(answer.body.problems);
      status(statusLine, answer.ok ? '' : (answer.body.error || M.error), answer.ok ? '' : 'error');
    });

    document.getElementById('studio-download').addEventListener('click', async () => {
      window.Studio.download(data.path.split('/').pop(), await currentText());
    });
  }

  document.addEventListener('DOMContentLoaded', start);
}());
