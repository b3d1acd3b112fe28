/* The sandbox: the list of actions lives here and the server replays it in a throwaway engine each time
   (start, complete a task with JSON data, fast-forward N days); the diagram shows what ran and what waits. */
(function () {
  'use strict';

  const { el, fmt, post, status } = window.Studio;

  document.addEventListener('DOMContentLoaded', async () => {
    const data = window.Studio.data();
    const M = data.messages;
    const statusLine = document.getElementById('studio-status');
    const viewer = new window.BpmnJS({ container: '#canvas', additionalModules: window.DiagramLanguage.modules() });
    const state = { actions: [], names: {} };
    window.studioViewer = viewer;
    try {
      await viewer.importXML(data.text);
      viewer.get('canvas').zoom('fit-viewport', 'auto');
    } catch (err) {
      status(statusLine, fmt(M.import_failed, { error: err.message || err }), 'error');
    }
    const canvas = viewer.get('canvas');
    const marked = [];

    function mark(ids, marker) {
      ids.forEach((id) => {
        const element = window.Studio.elementFor(viewer, id);
        if (element && element !== canvas.getRootElement()) {
          canvas.addMarker(element, marker);
          marked.push([element, marker]);
        }
      });
    }

    // As the rest of the app writes times: dd/mm/yyyy HH:MM in Đồng Nai.
    const clockFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric',
      month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    function localTime(iso) {
      if (!iso) return '';
      const p = Object.fromEntries(clockFormat.formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
      return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}`;
    }

    function localDay(iso) {
      if (!iso) return '';
      const [y, m, d] = iso.split('-');
      return `${d}/${m}/${y}`;
    }

    function stepLabel(action) {
      if (action.do === 'start') return M.sandbox_step_start;
      if (action.do === 'complete') return fmt(M.sandbox_step_complete, { task: state.names[action.task] || action.task });
      return fmt(M.sandbox_step_advance, { days: action.days });
    }

    function render(report) {
      marked.splice(0).forEach(([element, marker]) => canvas.removeMarker(element, marker));
      const problems = report.problems || [];
      window.Studio.renderProblems(document.getElementById('studio-problems'), problems);
      document.getElementById('sandbox-start-box').hidden = Boolean(report.started);
      document.getElementById('sandbox-state').hidden = !report.started;
      document.getElementById('sandbox-undo').disabled = !state.actions.length;
      document.getElementById('sandbox-reset').disabled = !state.actions.length;
      if (!report.started) return;
      mark(report.completed || [], 'sandbox-done');
      mark((report.ready || []).map((t) => t.spec), 'sandbox-ready');
      const facts = [
        [M.sandbox_now, localTime(report.now)],
        [M.sandbox_status, M['status_' + report.status] || report.status],
        report.paused ? [M.sandbox_paused, M.yes] : null,
        report.due_last_day ? [M.sandbox_due, localDay(report.due_last_day)] : null,
        report.total_last_day ? [M.sandbox_total, localDay(report.total_last_day)] : null,
        report.next_timer_at ? [M.sandbox_timer, localTime(report.next_timer_at)] : null,
        report.incident ? ['!', report.incident] : null,
        ...(report.linked || []).map((l) => [M.sandbox_linked, `${l.process_id} (${M['status_' + l.status] || l.status})`]),
      ].filter(Boolean);
      document.getElementById('sandbox-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
      const tasks = document.getElementById('sandbox-tasks');
      tasks.replaceChildren();
      (report.ready || []).forEach((task) => {
        state.names[task.spec] = task.name;
        const input = el('textarea', { rows: Math.min(14, 3 + Object.keys(task.template).length), spellcheck: 'false',
          'data-task': task.spec }, JSON.stringify(task.template, null, 1));
        tasks.append(el('div', { class: 'sandbox-task', 'data-task': task.spec },
          el('strong', {}, task.name), ' ', el('code', { class: 'small' }, task.spec),
          el('div', { class: 'small muted' }, `${M.sandbox_role}: ${task.role}`, task.form ? ` · ${M.sandbox_form}: ${task.form}` : '',
            task.fields.length ? ` · ${task.fields.map((f) => f.name + (f.required ? '*' : '')).join(', ')}` : ''),
          input,
          el('button', { type: 'button', class: 'small primary', 'data-complete': task.spec, onclick: () => {
            let values;
            try { values = JSON.parse(input.value || '{}'); } catch (err) {
              status(statusLine, fmt(M.json_invalid, { error: err.message }), 'error');
              return;
            }
            run({ do: 'complete', task: task.spec, data: values });
          } }, M.sandbox_complete)));
      });
      if (!(report.ready || []).length) {
        tasks.append(el('p', { class: 'muted' }, report.status === 'running' ? M.sandbox_no_tasks : M.sandbox_completed));
      }
      document.getElementById('sandbox-phases').replaceChildren(...(report.phases || []).map((p) => el('tr', {},
        el('td', {}, p.name), el('td', {}, p.duration), el('td', { class: 'phase-due' }, localDay(p.last_day)),
        el('td', {}, p.finished_at ? localTime(p.finished_at) : ''))));
      document.getElementById('sandbox-steps').replaceChildren(...state.actions.map((a) => el('li', {}, stepLabel(a))));
      document.getElementById('sandbox-data').textContent = JSON.stringify(report.data || {}, null, 1);
    }

    async function replay() {
      status(statusLine, M.sandbox_running);
      const answer = await post(data.run_url, { actions: state.actions, start_at: data.start_at });
      if (!answer.ok && answer.status !== 422) {
        status(statusLine, answer.body.error || M.error, 'error');
        return null;
      }
      const report = answer.body;
      if (report.error) {
        // The failed action is dropped, so the analyst can correct the data and try again.
        state.actions = state.actions.slice(0, report.error.index);
        const fields = Object.entries(report.error.fields || {}).map(([k, v]) => `${k}: ${v}`).join('; ');
        status(statusLine, fmt(M.sandbox_error, { index: report.error.index + 1,
          message: report.error.message + (fields ? ` (${fields})` : '') }), 'error');
      } else {
        status(statusLine, '', '');
      }
      render(report);
      document.getElementById('studio-editor').dataset.steps = String(state.actions.length);
      return report;
    }

    async function run(action) {
      state.actions.push(action);
      await replay();
    }

    document.getElementById('sandbox-start').addEventListener('click', () => {
      let values;
      try { values = JSON.parse(document.getElementById('sandbox-start-data').value || '{}'); } catch (err) {
        status(statusLine, fmt(M.json_invalid, { error: err.message }), 'error');
        return;
      }
      run({ do: 'start', data: values });
    });
    document.getElementById('sandbox-advance').addEventListener('click', () => {
      const days = document.getElementById('sandbox-days').value.trim();
      if (!/^\d+$/.test(days) || Number(days) < 1) {
        status(statusLine, M.sandbox_days_invalid, 'error');
        return;
      }
      run({ do: 'advance', days: Number(days) });
    });
    document.getElementById('sandbox-undo').addEventListener('click', () => { state.actions.pop(); replay(); });
    document.getElementById('sandbox-reset').addEventListener('click', () => { state.actions = []; replay(); });
    document.getElementById('studio-editor').dataset.ready = 'true';
  });
}());
