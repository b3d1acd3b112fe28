/* The studio's properties panel: what the platform reads from a diagram (bpmn/README.md), edited through
   bpmn-js's modeling commands so that every change can be undone and marks the diagram as changed.
   Platform properties live in <spiffworkflow:properties>, read and written with the moddle descriptor
   static/studio-spiffworkflow.json. */
(function () {
  'use strict';

  const { el, fmt } = window.Studio;
  const SPIFF = 'spiffworkflow:';
  // Properties with a field of their own; any other property is listed under "other properties".
  const OWN_PROPERTIES = ['form', 'clock', 'legal-phase', 'legal-total', 'decision-for-each', 'decision-item',
    'decision-aggregation', 'decision-result', 'starts-dossier', 'starts-dossier-when', 'starts-dossier-data',
    'event-date', 'clock-event'];
  const UNITS = ['working-days', 'calendar-days'];
  const TIMER_KINDS = ['timeDate', 'timeDuration', 'timeCycle'];

  function norm(text) {
    return String(text || '').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
  }

  function is(bo, type) {
    return Boolean(bo && bo.$instanceOf && bo.$instanceOf(type));
  }

  class PropertiesPanel {
    constructor(modeler, container, data, problemsOf) {
      this.modeler = modeler;
      this.container = container;
      this.data = data;
      this.M = data.messages;
      this.problemsOf = problemsOf;
      this.modeling = modeler.get('modeling');
      this.moddle = modeler.get('moddle');
      this.element = null;
      this.ownChange = false;
      this.roleByLabel = new Map();
      data.roles.forEach((r) => [r.code, r.vi, r.en].forEach((label) => this.roleByLabel.set(norm(label), r)));
      modeler.on('selection.changed', (event) => this.show(event.newSelection[0] || null));
      modeler.on('commandStack.changed', () => { if (!this.ownChange) this.show(this.element); });
    }

    /* Run a modeling command from the panel without re-rendering it under the analyst's cursor. */
    change(fn) {
      this.ownChange = true;
      try { fn(); } finally { this.ownChange = false; }
    }

    show(element) {
      const canvas = this.modeler.get('canvas');
      const root = canvas.getRootElement();
      if (element && element.labelTarget) element = element.labelTarget;
      this.element = element && this.modeler.get('elementRegistry').get(element.id) ? element : root;
      this.container.replaceChildren();
      if (!this.element || !this.element.businessObject) {
        this.container.append(el('p', { class: 'muted' }, this.M.no_selection));
        return;
      }
      const bo = this.element.businessObject;
      const sections = [this.header(bo)];
      if (is(bo, 'bpmn:Lane')) sections.push(this.laneSection(bo));
      if (is(bo, 'bpmn:Participant') && bo.processRef) sections.push(this.processSection(bo.processRef));
      if (is(bo, 'bpmn:Process')) sections.push(this.processSection(bo));
      if (is(bo, 'bpmn:FlowNode')) sections.push(this.laneInfo(bo));
      if (is(bo, 'bpmn:UserTask') || is(bo, 'bpmn:ManualTask')) sections.push(this.userTaskSection(bo));
      if (is(bo, 'bpmn:StartEvent') && !is(bo.$parent, 'bpmn:SubProcess')) sections.push(this.totalSection(bo));
      if (is(bo, 'bpmn:Activity')) sections.push(this.phaseSection(bo));
      if (is(bo, 'bpmn:BusinessRuleTask')) sections.push(this.decisionSection(bo));
      if (is(bo, 'bpmn:CallActivity')) sections.push(this.calledSection(bo));
      if (is(bo, 'bpmn:Event')) sections.push(this.timerSection(bo));
      if (is(bo, 'bpmn:ScriptTask')) sections.push(this.scriptSection(bo));
      if (is(bo, 'bpmn:SequenceFlow')) sections.push(this.conditionSection(bo));
      if (is(bo, 'bpmn:Task')) sections.push(this.linkedSection(bo));
      if (is(bo, 'bpmn:FlowElement') || is(bo, 'bpmn:Process')) sections.push(this.otherProperties(bo));
      if (is(bo, 'bpmn:BaseElement')) sections.push(this.documentationSection(bo));
      sections.push(this.problemSection(bo));
      this.container.append(...sections.filter(Boolean));
    }

    // -- reading and writing the platform's extension elements ------------------------------------

    extensionValues(bo) {
      return (bo.extensionElements && bo.extensionElements.get('values')) || [];
    }

    propertyList(bo) {
      const holder = this.extensionValues(bo).find((v) => v.$type === SPIFF + 'Properties');
      return holder ? holder.get('values') : [];
    }

    property(bo, name) {
      const found = this.propertyList(bo).find((p) => p.name === name);
      return found ? (found.value || '') : '';
    }

    extensions(bo) {
      let ext = bo.extensionElements;
      if (!ext) {
        ext = this.moddle.create('bpmn:ExtensionElements', { values: [] });
        this.modeling.updateProperties(this.element, { extensionElements: ext });
      }
      return ext;
    }

    setProperty(bo, name, value) {
      const text = String(value || '').trim();
      const existing = this.propertyList(bo).find((p) => p.name === name);
      this.change(() => {
        if (!text) {
          if (existing) {
            const holder = this.extensionValues(bo).find((v) => v.$type === SPIFF + 'Properties');
            this.modeling.updateModdleProperties(this.element, holder,
              { values: holder.get('values').filter((p) => p !== existing) });
          }
          return;
        }
        if (existing) {
          this.modeling.updateModdleProperties(this.element, existing, { value: text });
          return;
        }
        const ext = this.extensions(bo);
        let holder = ext.get('values').find((v) => v.$type === SPIFF + 'Properties');
        if (!holder) {
          holder = this.moddle.create(SPIFF + 'Properties', { values: [] });
          this.modeling.updateModdleProperties(this.element, ext, { values: [...ext.get('values'), holder] });
        }
        const created = this.moddle.create(SPIFF + 'Property', { name, value: text });
        this.modeling.updateModdleProperties(this.element, holder, { values: [...holder.get('values'), created] });
      });
    }

    bodyExtension(bo, type) {
      const found = this.extensionValues(bo).find((v) => v.$type === SPIFF + type);
      return found ? (found.value || '') : '';
    }

    setBodyExtension(bo, type, value) {
      const text = String(value || '').trim();
      const found = this.extensionValues(bo).find((v) => v.$type === SPIFF + type);
      this.change(() => {
        if (found && text) {
          this.modeling.updateModdleProperties(this.element, found, { value: text });
        } else if (found) {
          const ext = bo.extensionElements;
          this.modeling.updateModdleProperties(this.element, ext, { values: ext.get('values').filter((v) => v !== found) });
        } else if (text) {
          const ext = this.extensions(bo);
          const created = this.moddle.create(SPIFF + type, { value: text });
          this.modeling.updateModdleProperties(this.element, ext, { values: [...ext.get('values'), created] });
        }
      });
    }

    // -- building blocks --------------------------------------------------------------------------

    field(label, input, hint) {
      return el('div', { class: 'field' }, el('label', {}, label, input), hint ? el('p', { class: 'hint' }, hint) : null);
    }

    text(value, onChange, attrs) {
      return el('input', { type: 'text', value: value || '', onchange: (e) => onChange(e.target.value), ...(attrs || {}) });
    }

    area(value, onChange, attrs) {
      return el('textarea', { rows: 4, onchange: (e) => onChange(e.target.value), ...(attrs || {}) }, value || '');
    }

    select(options, value, onChange, attrs) {
      const known = options.some(([v]) => v === value);
      const all = known || !value ? options : [...options, [value, value]];
      return el('select', { onchange: (e) => onChange(e.target.value), ...(attrs || {}) },
        all.map(([v, label]) => el('option', { value: v, selected: v === value ? 'selected' : null }, label)));
    }

    section(title, ...content) {
      return el('section', { class: 'studio-prop-section' }, el('h3', {}, title), ...content);
    }

    /* A section seldom needed: folded unless it holds a value. */
    folded(title, open, ...content) {
      return el('details', { class: 'studio-prop-section', open: open ? 'open' : null }, el('summary', {}, title), ...content);
    }

    // -- sections ---------------------------------------------------------------------------------

    header(bo) {
      const type = bo.$type.replace(/^bpmn:/, '');
      const nameInput = this.text(bo.name, (value) => this.change(() => {
        if (this.element === this.modeler.get('canvas').getRootElement()) {
          this.modeling.updateProperties(this.element, { name: value });
        } else {
          this.modeling.updateLabel(this.element, value);
        }
      }), { 'data-prop': 'name' });
      return this.section(this.M.element,
        el('dl', { class: 'facts' }, el('dt', {}, this.M.type), el('dd', {}, type),
          el('dt', {}, this.M.id), el('dd', {}, el('code', {}, bo.id || ''))),
        this.field(this.M.name, nameInput));
    }

    processSection(process) {
      const box = el('input', {
        // An absent isExecutable counts as executable, as the engine reads it.
        type: 'checkbox', checked: process.isExecutable !== false,
        'data-prop': 'isExecutable',
        onchange: (e) => this.change(() => this.modeling.updateModdleProperties(this.element, process,
          { isExecutable: e.target.checked })),
      });
      return el('div', { class: 'field checkbox' }, el('label', { class: 'check' }, box, ' ', this.M.executable,
        ' ', el('code', { class: 'small' }, process.id)));
    }

    laneSection(bo) {
      const role = this.roleByLabel.get(norm(bo.name));
      const choice = this.select([['', this.M.role_choose], ...this.data.roles.map((r) => [r.code, r.vi])],
        role ? role.code : '', (code) => {
          const chosen = this.data.roles.find((r) => r.code === code);
          if (chosen) this.change(() => this.modeling.updateLabel(this.element, chosen.vi));
          this.show(this.element);
        }, { 'data-prop': 'role' });
      const note = role ? el('p', { class: 'ok-text small' }, fmt(this.M.role_known, { role: role.vi }))
        : el('p', { class: 'error small' }, this.M.role_unknown);
      return this.section(this.M.role, choice, note);
    }

    laneOf(bo) {
      const process = bo.$parent;
      const lanes = [];
      const walk = (sets) => (sets || []).forEach((set) => (set.lanes || []).forEach((lane) => {
        if ((lane.flowNodeRef || []).includes(bo)) lanes.push(lane);
        if (lane.childLaneSet) walk([lane.childLaneSet]);
      }));
      walk(process && process.laneSets);
      return lanes[lanes.length - 1] || null;
    }

    laneInfo(bo) {
      if (!(is(bo, 'bpmn:UserTask') || is(bo, 'bpmn:ManualTask'))) return null;
      const lane = this.laneOf(bo);
      if (!lane) return el('p', { class: 'error small' }, this.M.task_no_lane);
      const role = this.roleByLabel.get(norm(lane.name));
      return el('p', { class: role ? 'small' : 'error small' }, fmt(this.M.task_role, { lane: lane.name || lane.id }),
        ' ', role ? fmt(this.M.role_known, { role: role.vi }) : this.M.role_unknown);
    }

    userTaskSection(bo) {
      const current = this.property(bo, 'form');
      const forms = Object.keys(this.data.forms).map((name) => [name, name]);
      const link = current ? el('a', {
        href: this.data.urls.form.replace('__name__', encodeURIComponent(current)), target: '_blank', rel: 'noopener',
      }, this.M.form_edit) : null;
      const pause = el('input', {
        type: 'checkbox', checked: this.property(bo, 'clock') === 'pause' ? true : null, 'data-prop': 'clock',
        onchange: (e) => this.setProperty(bo, 'clock', e.target.checked ? 'pause' : ''),
      });
      // The legal event this step records and the form field holding its date (engine/legal_time/event_dates.py).
      const events = (this.data.clock_events || []).map((e) => [e.id, e.label]);
      return this.section(this.M.form,
        this.field(this.M.form, this.select([['', this.M.form_none], ...forms], current,
          (v) => { this.setProperty(bo, 'form', v); this.show(this.element); }, { 'data-prop': 'form' })),
        link,
        el('div', { class: 'field checkbox' }, el('label', { class: 'check' }, pause, ' ', this.M.clock_pause)),
        this.field(this.M.clock_event, this.select([['', this.M.clock_event_none], ...events],
          this.property(bo, 'clock-event'), (v) => this.setProperty(bo, 'clock-event', v), { 'data-prop': 'clock-event' })),
        this.field(this.M.event_date, this.text(this.property(bo, 'event-date'),
          (v) => this.setProperty(bo, 'event-date', v), { 'data-prop': 'event-date' })),
        el('p', { class: 'hint' }, this.M.event_date_hint));
    }

    durationFields(value, onChange, withName, prefix) {
      const parts = String(value || '').split(':');
      const [name, amount, unit] = withName ? [parts[0] || '', parts[1] || '', parts[2] || UNITS[0]]
        : ['', parts[0] || '', parts[1] || UNITS[0]];
      const inputs = {};
      const emit = () => {
        const n = withName ? inputs.name.value.trim() : '';
        const a = inputs.amount.value.trim();
        if ((withName && !n && !a) || (!withName && !a)) onChange('');
        else onChange(withName ? `${n}:${a}:${inputs.unit.value}` : `${a}:${inputs.unit.value}`);
      };
      inputs.name = withName ? el('input', { type: 'text', value: name, onchange: emit, 'data-prop': prefix + '-name' }) : null;
      inputs.amount = el('input', { type: 'text', inputmode: 'numeric', value: amount, onchange: emit, 'data-prop': prefix + '-amount' });
      inputs.unit = this.select(UNITS.map((u) => [u, u === 'working-days' ? this.M.working_days : this.M.calendar_days]),
        unit, emit, { 'data-prop': prefix + '-unit' });
      return el('div', { class: 'studio-duration' },
        withName ? el('div', { class: 'field wide' }, el('label', {}, this.M.phase_name, inputs.name)) : null,
        this.field(this.M.phase_amount, inputs.amount), this.field(this.M.phase_unit, inputs.unit));
    }

    phaseSection(bo) {
      const value = this.property(bo, 'legal-phase');
      return this.section(this.M.phase,
        this.durationFields(value, (v) => this.setProperty(bo, 'legal-phase', v), true, 'phase'),
        el('p', { class: 'hint' }, this.M.phase_hint, value ? el('code', { class: 'small' }, ' ' + value) : null));
    }

    totalSection(bo) {
      return this.section(this.M.total,
        this.durationFields(this.property(bo, 'legal-total'), (v) => this.setProperty(bo, 'legal-total', v), false, 'total'));
    }

    decisionSection(bo) {
      const decisions = this.data.decisions.map((d) => [d.id, `${d.name} (${d.id})`]);
      const aggregations = ['', 'SUM', 'MIN', 'MAX', 'COUNT'].map((a) => [a, a || '—']);
      return this.section(this.M.decision,
        this.field(this.M.decision, this.select([['', this.M.decision_none], ...decisions],
          this.bodyExtension(bo, 'CalledDecisionId'), (v) => this.setBodyExtension(bo, 'CalledDecisionId', v),
          { 'data-prop': 'calledDecisionId' })),
        this.field(this.M.for_each, this.text(this.property(bo, 'decision-for-each'),
          (v) => this.setProperty(bo, 'decision-for-each', v))),
        this.field(this.M.item, this.text(this.property(bo, 'decision-item'), (v) => this.setProperty(bo, 'decision-item', v))),
        this.field(this.M.aggregation, this.select(aggregations, this.property(bo, 'decision-aggregation'),
          (v) => this.setProperty(bo, 'decision-aggregation', v))),
        this.field(this.M.result, this.text(this.property(bo, 'decision-result'),
          (v) => this.setProperty(bo, 'decision-result', v))));
    }

    calledSection(bo) {
      const processes = this.data.processes.map((p) => [p, p]);
      return this.section(this.M.called, this.select([['', '—'], ...processes], bo.calledElement || '',
        (v) => this.change(() => this.modeling.updateProperties(this.element, { calledElement: v || undefined })),
        { 'data-prop': 'calledElement' }));
    }

    timerSection(bo) {
      const timer = (bo.eventDefinitions || []).find((d) => is(d, 'bpmn:TimerEventDefinition'));
      if (!timer) return null;
      const kind = TIMER_KINDS.find((k) => timer[k]) || 'timeDate';
      const expression = timer[kind] ? timer[kind].body || '' : '';
      const write = (newKind, text) => this.change(() => {
        const props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
        props[newKind] = this.moddle.create('bpmn:FormalExpression', { body: text });
        this.modeling.updateModdleProperties(this.element, timer, props);
      });
      const kindSelect = this.select(TIMER_KINDS.map((k) => [k, this.M['timer_' + k]]), kind,
        (k) => { write(k, expressionInput.value); this.show(this.element); });
      const expressionInput = this.text(expression, (v) => write(kindSelect.value, v), { 'data-prop': 'timer' });
      const days = el('input', { type: 'text', inputmode: 'numeric', class: 'narrow', value: '' });
      const helper = (fn) => () => {
        if (!/^\d+$/.test(days.value.trim())) return;
        write('timeDate', `${fn}(${days.value.trim()})`);
        this.show(this.element);
      };
      return this.section(this.M.timer,
        this.field(this.M.timer_kind, kindSelect), this.field(this.M.timer_expression, expressionInput, this.M.timer_hint),
        el('div', { class: 'studio-inline' }, days,
          el('button', { type: 'button', class: 'small', onclick: helper('due_in_working_days') }, this.M.timer_working),
          el('button', { type: 'button', class: 'small', onclick: helper('due_in_calendar_days') }, this.M.timer_calendar)));
    }

    scriptSection(bo) {
      return this.section(this.M.script, this.area(bo.script, (v) => this.change(
        () => this.modeling.updateProperties(this.element, { scriptFormat: bo.scriptFormat || 'python', script: v })),
      { class: 'code', rows: 8, 'data-prop': 'script', spellcheck: 'false' }));
    }

    conditionSection(bo) {
      const current = bo.conditionExpression ? bo.conditionExpression.body || '' : '';
      return this.section(this.M.condition, this.area(current, (v) => this.change(() => {
        const expression = v.trim() ? this.moddle.create('bpmn:FormalExpression', { body: v.trim() }) : undefined;
        this.modeling.updateProperties(this.element, { conditionExpression: expression });
      }), { class: 'code', rows: 3, 'data-prop': 'condition', spellcheck: 'false' }));
    }

    linkedSection(bo) {
      const processes = this.data.processes.map((p) => [p, p]);
      const used = ['starts-dossier', 'starts-dossier-when', 'starts-dossier-data'].some((n) => this.property(bo, n));
      return this.folded(this.M.linked, used,
        this.select([['', '—'], ...processes], this.property(bo, 'starts-dossier'),
          (v) => this.setProperty(bo, 'starts-dossier', v)),
        this.field(this.M.linked_when, this.text(this.property(bo, 'starts-dossier-when'),
          (v) => this.setProperty(bo, 'starts-dossier-when', v), { class: 'code' })),
        this.field(this.M.linked_data, this.text(this.property(bo, 'starts-dossier-data'),
          (v) => this.setProperty(bo, 'starts-dossier-data', v))));
    }

    otherProperties(bo) {
      const others = this.propertyList(bo).filter((p) => !OWN_PROPERTIES.includes(p.name));
      const rows = others.map((p) => el('div', { class: 'studio-inline' },
        el('code', {}, p.name),
        this.text(p.value, (v) => this.setProperty(bo, p.name, v)),
        el('button', { type: 'button', class: 'small', onclick: () => { this.setProperty(bo, p.name, ''); this.show(this.element); } },
          this.M.remove)));
      const newName = el('input', { type: 'text', placeholder: 'name', class: 'narrow' });
      const newValue = el('input', { type: 'text', placeholder: 'value' });
      const add = el('button', {
        type: 'button', class: 'small',
        onclick: () => {
          if (!/^[A-Za-z][\w-]*$/.test(newName.value.trim())) return;
          this.setProperty(bo, newName.value.trim(), newValue.value);
          this.show(this.element);
        },
      }, this.M.property_add);
      return this.folded(this.M.properties, others.length > 0, ...rows,
        el('div', { class: 'studio-inline' }, newName, newValue, add));
    }

    documentationSection(bo) {
      const docs = bo.get ? bo.get('documentation') : [];
      const text = docs && docs.length ? docs.map((d) => d.text || '').join('\n') : '';
      return this.folded(this.M.documentation, Boolean(text), this.area(text, (v) => this.change(() => {
        const value = v.trim() ? [this.moddle.create('bpmn:Documentation', { text: v.trim() })] : [];
        this.modeling.updateProperties(this.element, { documentation: value });
      }), { rows: 3 }));
    }

    problemSection(bo) {
      const mine = this.problemsOf().filter((p) => p.element_id === bo.id ||
        (is(bo, 'bpmn:Participant') && bo.processRef && p.element_id === bo.processRef.id));
      if (!mine.length) return null;
      const list = el('ul', { class: 'studio-problems' });
      window.Studio.renderProblems(list, mine);
      return this.section(this.M.problems_here, list);
    }
  }

  window.StudioProperties = PropertiesPanel;
}());
