/* The form editor: the fields as cards (name, type, labels, required, options), the whole JSON beside
   them for every other key, and a live preview rendered by the server with the officer's own macros. */
(function () {
  'use strict';

  const { el, fmt, post, status } = window.Studio;

  function start() {
    const data = window.Studio.data();
    const M = data.messages;
    const structure = document.getElementById('form-structure');
    const json = document.getElementById('form-json');
    const jsonError = document.getElementById('form-json-error');
    const preview = document.getElementById('form-preview');
    const problemsBox = document.getElementById('studio-problems');
    const summary = document.getElementById('studio-summary');
    const statusLine = document.getElementById('studio-status');
    const state = { version: data.draft_version, dirty: data.unsaved, form: null, timer: null };

    function text() {
      return state.form ? JSON.stringify(state.form, null, 2) + '\n' : json.value;
    }

    function changed() {
      state.dirty = true;
      status(statusLine, M.unsaved, 'warning');
      json.value = text();
      schedulePreview();
    }

    function showProblems(problems) {
      window.Studio.renderProblems(problemsBox, problems);
      summary.className = problems.length ? 'studio-summary invalid' : 'studio-summary valid';
      summary.textContent = problems.length ? fmt(M.problems, { count: problems.length }) : M.valid;
    }

    function schedulePreview() {
      clearTimeout(state.timer);
      state.timer = setTimeout(async () => {
        const answer = await post(data.urls.preview, { path: data.path, text: text() });
        if (!answer.ok) return;
        preview.innerHTML = answer.body.html; // rendered and escaped by the server's templates
        const problems = answer.body.problems;
        window.Studio.renderProblems(problemsBox, problems);
        summary.className = problems.length ? 'studio-summary invalid' : 'studio-summary valid';
        summary.textContent = problems.length ? M.preview_failed : '';
        if (!problems.length) summary.className = 'studio-summary';
      }, 300);
    }

    function labels(field, key) {
      if (!field[key] || typeof field[key] !== 'object') field[key] = { vi: '', en: '' };
      return field[key];
    }

    function input(value, onChange, attrs) {
      return el('input', { type: 'text', value: value == null ? '' : value, oninput: (e) => { onChange(e.target.value); changed(); }, ...(attrs || {}) });
    }

    function optionsText(field) {
      return (field.options || []).map((o) => [o.value, (o.label || {}).vi || '', (o.label || {}).en || ''].join('|')).join('\n');
    }

    function readOptions(textValue) {
      return textValue.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
        const [value, vi, en] = line.split('|').map((part) => (part || '').trim());
        return { value, label: { vi: vi || value, en: en || vi || value } };
      });
    }

    function fieldCard(field, index, fields) {
      const move = (delta) => {
        const target = index + delta;
        if (target < 0 || target >= fields.length) return;
        [fields[index], fields[target]] = [fields[target], fields[index]];
        render();
        changed();
      };
      const typeSelect = el('select', {
        'data-field': 'type',
        onchange: (e) => { field.type = e.target.value; render(); changed(); },
      }, data.field_types.map((t) => el('option', { value: t, selected: t === field.type ? 'selected' : null }, t)));
      const card = el('div', { class: 'form-field-card', 'data-name': field.name || '' },
        el('div', { class: 'row' },
          el('label', {}, M.field_name, input(field.name, (v) => { field.name = v; }, { 'data-field': 'name' })),
          el('label', {}, M.field_type, typeSelect)),
        el('div', { class: 'row' },
          el('label', {}, M.label_vi, input(labels(field, 'label').vi, (v) => { labels(field, 'label').vi = v; }, { 'data-field': 'label-vi' })),
          el('label', {}, M.label_en, input(labels(field, 'label').en, (v) => { labels(field, 'label').en = v; }, { 'data-field': 'label-en' }))),
        el('label', { class: 'check' }, el('input', {
          type: 'checkbox', checked: field.required ? true : null, 'data-field': 'required',
          onchange: (e) => { if (e.target.checked) field.required = true; else delete field.required; changed(); },
        }), ' ', M.required));
      if (field.type === 'select' || field.type === 'multiselect') {
        card.append(el('label', {}, M.options, el('textarea', {
          rows: 3, 'data-field': 'options',
          oninput: (e) => { field.options = readOptions(e.target.value); changed(); },
        }, optionsText(field))));
      }
      card.append(el('div', { class: 'tools' },
        el('button', { type: 'button', class: 'small', onclick: () => move(-1) }, M.move_up),
        el('button', { type: 'button', class: 'small', onclick: () => move(1) }, M.move_down),
        el('button', { type: 'button', class: 'small', onclick: () => { fields.splice(index, 1); render(); changed(); } }, M.remove)));
      return card;
    }

    function render() {
      structure.replaceChildren();
      if (!state.form || typeof state.form !== 'object' || Array.isArray(state.form)) return;
      const form = state.form;
      if (!Array.isArray(form.fields)) form.fields = [];
      structure.append(
        el('div', { class: 'row-form' },
          el('label', {}, M.form_id, input(form.id, (v) => { form.id = v; }, { 'data-field': 'form-id' })),
          el('label', {}, M.form_title_vi, input(labels(form, 'title').vi, (v) => { labels(form, 'title').vi = v; })),
          el('label', {}, M.form_title_en, input(labels(form, 'title').en, (v) => { labels(form, 'title').en = v; }))),
        ...form.fields.map((field, index) => fieldCard(field, index, form.fields)),
        el('button', {
          type: 'button', id: 'form-add-field',
          onclick: () => {
            form.fields.push({ name: `truong_${form.fields.length + 1}`, label: { vi: '', en: '' }, type: 'text' });
            render();
            changed();
          },
        }, M.field_add));
    }

    json.value = data.text;
    json.addEventListener('input', () => {
      try {
        state.form = JSON.parse(json.value);
        jsonError.hidden = true;
        render();
      } catch (err) {
        state.form = null;
        jsonError.hidden = false;
        jsonError.textContent = fmt(M.json_invalid, { error: err.message });
      }
      state.dirty = true;
      status(statusLine, M.unsaved, 'warning');
      schedulePreview();
    });
    try {
      state.form = JSON.parse(data.text);
    } catch (err) {
      document.getElementById('form-json-box').open = true;
      jsonError.hidden = false;
      jsonError.textContent = fmt(M.json_invalid, { error: err.message });
    }
    render();
    schedulePreview();
    if (state.dirty) status(statusLine, M.unsaved, 'warning');
    window.addEventListener('beforeunload', (event) => { if (state.dirty) event.preventDefault(); });

    document.getElementById('studio-save').addEventListener('click', async () => {
      if (!state.dirty) {
        status(statusLine, M.nothing_to_save);
        return;
      }
      await window.Studio.saveDraft({
        url: data.urls.save, body: { files: { [data.path]: text() } }, state, statusLine, messages: M,
        onSaved: (saved) => showProblems(saved.problems),
      });
    });
    document.getElementById('studio-editor').dataset.ready = 'true';
  }

  document.addEventListener('DOMContentLoaded', start);
}());
