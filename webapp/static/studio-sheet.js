/* The procedure sheet editor (procedure.json): the JSON as text, checked with the draft on demand and saved
   into the same draft as the diagram; the server says what does not match the diagram. */
(function () {
  'use strict';

  const { fmt, post, status } = window.Studio;

  function start() {
    const data = window.Studio.data();
    const M = data.messages;
    const text = document.getElementById('sheet-json');
    const jsonError = document.getElementById('sheet-json-error');
    const problemsBox = document.getElementById('studio-problems');
    const summary = document.getElementById('studio-summary');
    const statusLine = document.getElementById('studio-status');
    const state = { version: data.draft_version, dirty: false };
    text.value = data.text;

    function showProblems(problems) {
      window.Studio.renderProblems(problemsBox, problems);
      summary.className = problems.length ? 'studio-summary invalid' : 'studio-summary valid';
      summary.textContent = problems.length ? fmt(M.problems, { count: problems.length }) : M.valid;
    }

    function parsed() {
      try {
        JSON.parse(text.value);
        jsonError.hidden = true;
        return true;
      } catch (err) {
        jsonError.hidden = false;
        jsonError.textContent = String(err.message || err);
        return false;
      }
    }

    text.addEventListener('input', () => { state.dirty = true; status(statusLine, M.unsaved, 'warning'); });
    document.getElementById('studio-check').addEventListener('click', async () => {
      if (!parsed()) return;
      const answer = await post(data.urls.check, { files: { [data.path]: text.value } });
      if (answer.ok) showProblems(answer.body.problems);
    });
    document.getElementById('studio-save').addEventListener('click', () => {
      if (!parsed()) return;
      window.Studio.saveDraft({
        url: data.urls.save, body: { files: { [data.path]: text.value } }, state, statusLine, messages: M,
        onSaved: (body) => { showProblems(body.problems); document.body.dataset.saved = String(body.version); },
        onRefused: (body) => showProblems(body.refused),
      });
    });
    showProblems(data.problems);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
