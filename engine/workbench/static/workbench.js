// The workbench's only script, served from the package: search as you type, the one-line why-nots of an
// entity page, and the proof graph (pan, zoom, fold and unfold sub-proofs, details of a node). Every value
// from the case file is written with textContent or as an attribute, never parsed as HTML.
"use strict";

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function query(path, params) {
  return path + "?" + new URLSearchParams(params).toString();
}

// search as you type
function initSearch() {
  const input = document.getElementById("search");
  const list = document.getElementById("search-results");
  if (!input || !list) return;
  let timer = null, asked = 0, active = -1;
  const hide = () => { list.hidden = true; active = -1; };
  const links = () => Array.from(list.querySelectorAll("a"));
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) { list.replaceChildren(); hide(); return; }
    timer = setTimeout(async () => {
      const ticket = ++asked;
      const response = await fetch(query("/api/search", {q: text}));
      if (ticket !== asked || !response.ok) return;
      const found = await response.json();
      list.replaceChildren();
      for (const f of found) {
        const a = el("a", {href: query("/entity", {id: f.id}), class: "entity"}, f.id);
        if (f.names.length) a.append(el("span", {class: "dim"}, f.names.join("; ")));
        const li = el("li");
        li.append(a);
        list.append(li);
      }
      if (!found.length) list.append(el("li", {class: "dim"}, "no entity id or name contains it"));
      list.hidden = false;
      active = -1;
    }, 120);
  });
  input.addEventListener("keydown", (event) => {
    const items = links();
    if (event.key === "Escape") { hide(); return; }
    if (!items.length || (event.key !== "ArrowDown" && event.key !== "ArrowUp" && event.key !== "Enter")) return;
    if (event.key === "Enter") {
      if (active >= 0) { event.preventDefault(); window.location.href = items[active].getAttribute("href"); }
      return;
    }
    event.preventDefault();
    active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
    items.forEach((a, i) => a.classList.toggle("active", i === active));
  });
  document.addEventListener("click", (event) => { if (!list.contains(event.target) && event.target !== input) hide(); });
}

// the one-line why-not of each conclusion an entity does not reach
function initReasons() {
  for (const span of document.querySelectorAll("span.reason[data-atom]")) {
    span.textContent = "…";
    fetch(query("/api/reason", {run: span.dataset.run, atom: span.dataset.atom}))
      .then((r) => r.json())
      .then((data) => { span.textContent = data.reason || data.error || ""; })
      .catch(() => { span.textContent = ""; });
  }
}

// the proof graph
function initProof() {
  const pane = document.getElementById("proof-graph");
  const dataNode = document.getElementById("proof-data");
  if (!pane || !dataNode) return;
  const data = JSON.parse(dataNode.textContent);
  const svg = pane.querySelector("svg");
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  const full = svg.viewBox.baseVal;
  const start = {x: full.x, y: full.y, width: full.width, height: full.height};
  let view = {...start};
  const show = () => svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.width} ${view.height}`);
  const toSvg = (cx, cy) => {
    const point = svg.createSVGPoint();
    point.x = cx; point.y = cy;
    return point.matrixTransform(svg.getScreenCTM().inverse());
  };
  const zoom = (factor, cx, cy) => {
    const rect = svg.getBoundingClientRect();
    const at = toSvg(cx ?? rect.left + rect.width / 2, cy ?? rect.top + rect.height / 2);
    view = {x: at.x - (at.x - view.x) * factor, y: at.y - (at.y - view.y) * factor,
            width: view.width * factor, height: view.height * factor};
    show();
  };
  pane.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, event.clientX, event.clientY);
  }, {passive: false});
  let drag = null, moved = false;
  pane.addEventListener("pointerdown", (event) => {
    drag = {x: event.clientX, y: event.clientY, view: {...view}};
    moved = false;
  });
  pane.addEventListener("pointermove", (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!moved && Math.hypot(dx, dy) < 4) return;
    if (!moved) { moved = true; pane.setPointerCapture(event.pointerId); pane.classList.add("dragging"); }
    const scale = view.width / svg.getBoundingClientRect().width;
    view = {...drag.view, x: drag.view.x - dx * scale, y: drag.view.y - dy * scale};
    show();
  });
  const stop = () => { drag = null; pane.classList.remove("dragging"); };
  pane.addEventListener("pointerup", stop);
  pane.addEventListener("pointercancel", stop);
  for (const button of document.querySelectorAll("[data-zoom]")) {
    button.addEventListener("click", () => {
      const how = button.dataset.zoom;
      if (how === "fit") { view = {...start}; show(); } else zoom(how === "in" ? 1 / 1.3 : 1.3);
    });
  }

  // folding: a folded node stays, what only it leads to is hidden
  const children = data.layout.children, folded = new Set();
  const nodes = new Map(Array.from(svg.querySelectorAll("g.node")).map((g) => [g.id, g]));
  const edges = Array.from(svg.querySelectorAll("g.edge")).map((g) => {
    const [from, to] = g.querySelector("title").textContent.split("->");
    return {g, from: data.layout.dot[from], to: data.layout.dot[to]};
  });
  const refresh = () => {
    const visible = new Set(), stack = [data.layout.root];
    while (stack.length) {
      const id = stack.pop();
      if (visible.has(id)) continue;
      visible.add(id);
      if (!folded.has(id)) stack.push(...(children[id] || []));
    }
    for (const [id, g] of nodes) {
      g.classList.toggle("hidden", !visible.has(id));
      g.classList.toggle("folded", folded.has(id));
    }
    for (const e of edges) e.g.classList.toggle("hidden", !visible.has(e.from) || !visible.has(e.to) || folded.has(e.from));
    const toggle = document.getElementById("fold-toggle");
    if (selected) toggle.textContent = folded.has(selected) ? "unfold" : "fold";
  };
  const foldable = (id) => (children[id] || []).length > 0;
  const setFolded = (id, fold) => { if (foldable(id)) { fold ? folded.add(id) : folded.delete(id); refresh(); } };

  // details of a node
  let selected = null;
  const details = document.getElementById("details"), list = document.getElementById("details-list");
  const row = (term, value, kind) => {
    if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return;
    list.append(el("dt", {}, term));
    const dd = el("dd");
    if (kind === "pre") dd.append(el("pre", {}, value));
    else if (kind === "link") dd.append(el("a", {href: value.href}, value.text));
    else dd.textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
    list.append(dd);
  };
  const entityLinks = (args) => {
    for (const a of args || []) if (typeof a === "string") row("entity", {href: query("/entity", {id: a}), text: a}, "link");
  };
  const describe = (id) => {
    const n = data.nodes[id];
    list.replaceChildren();
    if (!n) return;
    if (n.kind === "fact") {
      row("fact", n.text);
      row("role", n.role + (n.round !== null && n.round !== undefined ? `, round ${n.round}` : ""));
      if (n.role !== "evidence" && id !== data.layout.root) row("its own proof", {href: query("/conclusion", {run: data.run, atom: n.text}), text: "open"}, "link");
      entityLinks(n.args);
    } else if (n.kind === "derivation") {
      row("rule", `${n.rule}: ${n.title}`);
      row("citation", n.citation);
      row("rulebook", `${n.rulebook} version ${n.version}`);
      row("reason", n.explanation);
      row("in force", n.in_force);
      row("thresholds", Object.entries(n.thresholds || {}).map(([k, v]) => `${k} ${v}`).join("; "));
      if (n.branch) row("branch", `${n.branch}: ${n.alternative}`);
      row("binding", Object.entries(n.binding || {}).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", "));
      row("the rule as written", n.rule_text, "pre");
    } else if (n.kind === "rulebook_fact") {
      row("stated by the rulebook", n.text);
      row("citation", n.citation);
      row("rulebook", `${n.rulebook} version ${n.version}`);
    } else if (n.kind === "evidence") {
      row("record", n.text);
      row("source", (n.source_name || n.source || "unknown source") + (n.source_kind ? ` (${n.source_kind})` : ""));
      row("grade", n.grade || "not graded");
      row("jurisdiction", n.jurisdiction);
      row("document", n.document);
      row("observed", n.observed);
      row("valid from", n.valid_from);
      row("valid to", n.valid_to);
      row("recorded", n.recorded_at);
      row("record hash", n.record);
      entityLinks(n.args);
    } else if (n.kind === "aggregate") {
      row("aggregate", `${n.var} = ${n.total_text} (${n.function}${n.distinct ? " distinct" : ""})`);
      row("over", n.expression);
      if (n.compared) row("test", `${n.total_text} ${n.compared.op} ${n.compared.value} (${n.compared.against}): ${n.compared.holds ? "holds" : "fails"}`);
      for (const c of n.contributions) {
        const withheld = !Object.keys(c.binding).length && c.value === null;
        row("contributes", withheld ? "a contribution withheld from you" :
          `${Object.entries(c.binding).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ")}: ${c.value}`);
      }
    } else if (n.kind === "absence" || n.kind === "no_match") {
      row("not found", n.statement);
    } else if (n.kind === "withheld") {
      row("withheld from you", n.statement);
      row("stands for", n.stands_for);
      row("commitment", n.commitment);
    } else if (n.kind === "comparison" || n.kind === "membership") {
      row("test", n.text);
      row("result", n.holds ? "holds" : "fails");
    } else {
      row("omitted", n.message);
    }
  };
  const select = (id) => {
    if (selected && nodes.get(selected)) nodes.get(selected).classList.remove("selected");
    selected = id;
    nodes.get(id).classList.add("selected");
    describe(id);
    details.hidden = false;
    const toggle = document.getElementById("fold-toggle");
    toggle.hidden = !foldable(id);
    toggle.textContent = folded.has(id) ? "unfold" : "fold";
  };
  for (const [id, g] of nodes) {
    g.addEventListener("click", () => { if (!moved) select(id); });
    g.addEventListener("dblclick", (event) => { event.preventDefault(); setFolded(id, !folded.has(id)); });
  }
  document.getElementById("fold-toggle").addEventListener("click", () => { if (selected) setFolded(selected, !folded.has(selected)); });
  document.getElementById("unfold-all").addEventListener("click", () => { folded.clear(); refresh(); });
  show();
}

document.addEventListener("DOMContentLoaded", () => {
  initSearch();
  initReasons();
  initProof();
});
