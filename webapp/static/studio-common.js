/* The studio's shared helpers: page data, JSON requests with the CSRF token, DOM building, problem lists
   and problem markers on a bpmn-js diagram. Every word shown comes from the page data (translated by
   the server), never from this file. */
(function () {
  'use strict';

  const Studio = {};

  Studio.data = function () {
    return JSON.parse(document.getElementById('studio-data').textContent);
  };

  Studio.csrf = function () {
    return JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
  };

  /* "%(name)s" placeholders, as gettext writes them. */
  Studio.fmt = function (text, values) {
    return String(text).replace(/%\((\w+)\)s/g, (_, key) => (values && values[key] != null ? values[key] : ''));
  };

  Studio.post = async function (url, body) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': Studio.csrf() },
      body: JSON.stringify(body),
    });
    let payload = {};
    try { payload = await response.json(); } catch (err) { payload = {}; }
    return { status: response.status, ok: response.ok, body: payload };
  };

  /* Save the draft and say how it went; one shape for every editor. `onSaved` gets the answer's body;
     `onRefused` (a 422: a forbidden construct) is optional. */
  Studio.saveDraft = async function ({ url, body, state, statusLine, messages, onSaved, onRefused }) {
    const M = messages;
    Studio.status(statusLine, M.saving);
    const answer = await Studio.post(url, { ...body, version: state.version });
    if (answer.status === 200) {
      state.version = answer.body.version;
      state.dirty = false;
      Studio.status(statusLine, Studio.fmt(M.saved, { version: answer.body.version }), 'ok');
      onSaved(answer.body);
    } else if (answer.status === 422 && onRefused) {
      Studio.status(statusLine, M.refused, 'error');
      onRefused(answer.body);
    } else if (answer.status === 409) {
      const conflict = answer.body.conflict || {};
      Studio.status(statusLine, conflict.by ? Studio.fmt(M.conflict, conflict) : M.conflict_gone, 'error');
    } else {
      Studio.status(statusLine, answer.body.error || M.error, 'error');
    }
  };

  /* el('div', {class: 'x', onclick: fn}, 'text', child) — text is always set as text, never as HTML. */
  Studio.el = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => {
      if (value == null || value === false) return;
      if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else if (key === 'value') node.value = value;
      else if (key === 'checked') node.checked = Boolean(value);
      else node.setAttribute(key, value === true ? '' : value);
    });
    children.flat().forEach((child) => {
      if (child == null || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  };

  Studio.download = function (filename, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/xml' }));
    const link = Studio.el('a', { href: url, download: filename });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  Studio.status = function (node, text, kind) {
    node.textContent = text;
    node.className = 'studio-status' + (kind ? ' ' + kind : '');
  };

  /* The list of problems; `nameOf(problem)` names the element, `onPick(problem)` shows it. */
  Studio.renderProblems = function (container, problems, options) {
    const opts = options || {};
    container.replaceChildren();
    problems.forEach((problem) => {
      const name = opts.nameOf ? opts.nameOf(problem) : '';
      const item = Studio.el('li', {
        class: 'studio-problem' + (problem.refused ? ' refused' : '') + (opts.onPick ? ' pickable' : ''),
        'data-element': problem.element_id, 'data-file': problem.file,
        onclick: opts.onPick ? () => opts.onPick(problem) : null,
      },
      Studio.el('span', { class: 'where' }, problem.file, problem.element_id ? ' · ' : '',
        problem.element_id ? Studio.el('code', {}, problem.element_id) : null, name ? ' ' + name : ''),
      Studio.el('span', { class: 'what' }, problem.message),
      problem.detail ? Studio.el('span', { class: 'detail' }, problem.detail) : null);
      container.append(item);
    });
  };

  /* The diagram element a problem is about: the element itself, or the pool showing the process. */
  Studio.elementFor = function (viewer, elementId) {
    if (!elementId) return null;
    const registry = viewer.get('elementRegistry');
    const element = registry.get(elementId);
    if (element) return element;
    return registry.find((e) => e.type === 'bpmn:Participant' && e.businessObject.processRef &&
      e.businessObject.processRef.id === elementId) || null;
  };

  /* A shape's badge sits on its top right corner; a flow's on the middle of its path (the corner of a
     bent flow's bounding box can be far from the line). */
  function badgePosition(element) {
    const points = element.waypoints;
    if (!points || points.length < 2) return { top: -12, right: 12 };
    const i = Math.floor((points.length - 1) / 2);
    const x = (points[i].x + points[i + 1].x) / 2 - Math.min(...points.map((p) => p.x));
    const y = (points[i].y + points[i + 1].y) / 2 - Math.min(...points.map((p) => p.y));
    return { left: x - 10, top: y - 10 };
  }

  /* Red outline and a badge with the count on every element that has problems; returns them by element. */
  /* The law's warnings (engine.studio.legal_checks): an amber outline and the message as the element's
     tooltip; they do not block deploying (the analyst may be following a new legal text). */
  Studio.markWarnings = function (viewer, warnings, path) {
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    registry.forEach((element) => canvas.removeMarker(element, 'studio-warning-marker'));
    document.querySelectorAll('.studio-warning-title').forEach((node) => node.remove());
    (warnings || []).filter((w) => w.file === path).forEach((warning) => {
      const element = registry.get(warning.element_id);
      if (!element) return;
      canvas.addMarker(element, 'studio-warning-marker');
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.setAttribute('class', 'studio-warning-title');
      title.textContent = warning.message;
      registry.getGraphics(element).prepend(title);
    });
  };

  Studio.markProblems = function (viewer, problems, path) {
    const overlays = viewer.get('overlays');
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    overlays.remove({ type: 'studio-problem' });
    registry.forEach((element) => canvas.removeMarker(element, 'studio-problem-marker'));
    const byElement = new Map();
    const whole = [];
    problems.filter((p) => p.file === path).forEach((problem) => {
      const element = Studio.elementFor(viewer, problem.element_id);
      if (!element) return;
      if (element === canvas.getRootElement()) {
        whole.push(problem);
        return;
      }
      if (!byElement.has(element.id)) byElement.set(element.id, []);
      byElement.get(element.id).push(problem);
    });
    // Problems of the process itself (a diagram without pools): a badge in the canvas's corner.
    const container = canvas.getContainer();
    container.querySelectorAll('.studio-root-badge').forEach((node) => node.remove());
    if (whole.length) {
      container.append(Studio.el('div', {
        class: 'studio-problem-badge studio-root-badge', 'data-element': canvas.getRootElement().id,
        title: whole.map((p) => p.message).join('\n'),
      }, String(whole.length)));
    }
    byElement.forEach((list, id) => {
      canvas.addMarker(id, 'studio-problem-marker');
      const badge = Studio.el('div', {
        class: 'studio-problem-badge', title: list.map((p) => p.message).join('\n'),
        'data-element': id,
      }, String(list.length));
      overlays.add(id, 'studio-problem', { position: badgePosition(registry.get(id)), html: badge });
    });
    return byElement;
  };

  window.Studio = Studio;
}());
