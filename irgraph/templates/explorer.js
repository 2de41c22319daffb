/* irgraph explorer: a small plain-JS UI over vis-network.
 * Every name from the data is inserted as text (textContent), never as HTML.
 * The vis-network objects stay global (network, nodes, edges) like in pyvis pages. */
var network = null;
var nodes = null;
var edges = null;
(function () {
  "use strict";
  var T0 = performance.now();
  var DATA = JSON.parse(document.getElementById("irgraph-data").textContent);
  var META = DATA.meta;
  var TYPES = DATA.types;
  var DAY = 86400000;
  var DAY0 = META.day0 ? Date.parse(META.day0) : null;
  var FONT = getComputedStyle(document.body).fontFamily;
  var DIM_NODE = { background: "#e7ebf0", border: "#d5dbe3" };
  var EDGE_BASE = "rgba(100, 116, 139, 0.28)";
  var EDGE_DIM = "rgba(148, 163, 184, 0.07)";
  var EDGE_ON = "rgba(36, 89, 201, 0.75)";

  function rows(list, fields) {
    return list.map(function (r, k) {
      var o = { k: k };
      for (var j = 0; j < fields.length; j++) o[fields[j]] = j < r.length ? r[j] : null;
      return o;
    });
  }
  var N = rows(DATA.nodes, DATA.node_fields);
  var E = rows(DATA.edges, DATA.edge_fields);
  var byId = new Map();
  N.forEach(function (n) { byId.set(n.id, n); });
  var adj = N.map(function () { return []; });
  E.forEach(function (e) { adj[e.a].push(e.k); adj[e.b].push(e.k); });
  function edgeOrder(x, y) {
    return (E[y].visits - E[x].visits) || ((E[y].last == null ? -1 : E[y].last) - (E[x].last == null ? -1 : E[x].last)) || (x - y);
  }
  adj.forEach(function (l) { l.sort(edgeOrder); });
  var sideCount = [META.n_institutions, META.n_companies];
  var maxVisits = E.reduce(function (m, e) { return Math.max(m, e.visits); }, 1);

  // ---- small DOM helpers (text only) ----
  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var x = document.createElement(tag);
    if (cls) x.className = cls;
    if (text != null) x.textContent = String(text);
    return x;
  }
  function bi(parent, zh, en) { // "中文 <small>English</small>"
    parent.appendChild(document.createTextNode(zh + " "));
    parent.appendChild(el("small", null, en));
    return parent;
  }
  function fmt(n) { return n == null ? "—" : Number(n).toLocaleString("en-US"); }
  function iso(d) { return d == null || DAY0 == null ? "" : new Date(DAY0 + d * DAY).toISOString().slice(0, 10); }
  function dayOf(value) {
    if (!value || DAY0 == null) return null;
    var t = Date.parse(value);
    return isNaN(t) ? null : Math.round((t - DAY0) / DAY);
  }
  function other(e, k) { return e.a === k ? e.b : e.a; }
  function typeOf(n) { return TYPES[n.type]; }
  function sideWord(n) { return n.side ? ["公司", "companies"] : ["机构", "institutions"]; }

  // ---- state ----
  var state = {
    types: new Set(TYPES.map(function (t, i) { return i; })),
    company: null, from: null, to: null, minVisits: 1, selected: null,
    present: new Set(), presentEdges: new Set(), visN: new Set(), visE: new Set(),
    hiddenN: new Set(), hiddenE: new Set(), dimN: new Set(), edgeTone: new Map(),
    ready: false, timings: { script: 0, stabilized: null, iterations: 0 }
  };

  // ---- vis items ----
  function nodeColor(n) {
    var c = typeOf(n).color;
    return { background: c, border: n.side ? "#0d1b2e" : "rgba(0,0,0,0.25)",
      highlight: { background: c, border: "#111827" }, hover: { background: c, border: "#111827" } };
  }
  // Graph labels drop legal-form suffixes and stay short; tooltips and details show full names.
  var SUFFIX = /(股份有限公司|有限责任公司|管理有限公司|有限公司|股份公司)$/;
  function shortLabel(n) {
    var s = n.label;
    if (!n.side) s = s.replace(SUFFIX, "") || s;
    return s.length > 14 ? s.slice(0, 13) + "…" : s;
  }
  function nodeItem(n, pos) {
    var item = {
      id: n.id, label: shortLabel(n), value: Math.max(n.deg, 1),
      shape: n.side ? "square" : "dot", color: nodeColor(n),
      font: { color: n.side ? "#0d1b2e" : "#334155" }, borderWidth: n.side ? 1.5 : 1
    };
    if (pos) { item.x = pos.x; item.y = pos.y; }
    return item;
  }
  function edgeColor(c) { return { color: c, highlight: EDGE_ON, hover: "rgba(36, 89, 201, 0.55)" }; }
  function edgeItem(e) {
    return { id: "e" + e.k, from: N[e.a].id, to: N[e.b].id, value: e.visits, color: edgeColor(EDGE_BASE) };
  }
  function sqrtScale(min, max, total, value) {
    if (max === min) return 0.5;
    return Math.sqrt((value - min) / (max - min));
  }

  var initialNodes = N.filter(function (n) { return n.shown; });
  initialNodes.forEach(function (n) { state.present.add(n.k); });
  var initialEdges = E.filter(function (e) { return e.view && N[e.a].shown && N[e.b].shown; });
  initialEdges.forEach(function (e) { state.presentEdges.add(e.k); state.edgeTone.set(e.k, "base"); });
  var big = initialEdges.length > 4000;

  nodes = new vis.DataSet(initialNodes.map(function (n) { return nodeItem(n); }));
  edges = new vis.DataSet(initialEdges.map(edgeItem));
  var options = {
    autoResize: true,
    nodes: {
      borderWidth: 1,
      font: { face: FONT, size: 14, color: "#334155", strokeWidth: 3, strokeColor: "rgba(255,255,255,0.9)" },
      scaling: { min: 6, max: 34, customScalingFunction: sqrtScale,
        label: { enabled: true, min: 13, max: 26, maxVisible: 28, drawThreshold: 5 } }
    },
    edges: {
      smooth: false, selectionWidth: 1.5, hoverWidth: 0.6,
      scaling: { min: 0.5, max: 6, customScalingFunction: sqrtScale }
    },
    physics: {
      enabled: true, solver: "forceAtlas2Based",
      forceAtlas2Based: { gravitationalConstant: -38, centralGravity: 0.02, springLength: 55, springConstant: 0.06, damping: 0.55, avoidOverlap: 0.5 },
      stabilization: { enabled: true, iterations: initialNodes.length > 600 ? 200 : 320, updateInterval: 20, fit: true },
      minVelocity: 1.5, maxVelocity: 60, timestep: 0.45
    },
    layout: { randomSeed: 20240827, improvedLayout: false },
    interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: big, hideEdgesOnZoom: big, keyboard: false, multiselect: false }
  };
  network = new vis.Network($("network"), { nodes: nodes, edges: edges }, options);

  function freeze(iterations) {
    if (state.ready) return;
    network.setOptions({ physics: { enabled: false } });
    state.ready = true;
    state.timings.stabilized = performance.now() - T0;
    if (iterations != null) state.timings.iterations = iterations;
    $("loading").hidden = true;
    window.irgraph.ready = true;
    document.body.setAttribute("data-ready", "1");
  }
  network.on("stabilizationProgress", function (p) {
    $("loading-bar").style.width = Math.round(100 * p.iterations / Math.max(p.total, 1)) + "%";
  });
  network.once("stabilizationIterationsDone", function () { freeze(options.physics.stabilization.iterations); });
  network.once("stabilized", function (p) { freeze(p && p.iterations); });
  if (initialNodes.length === 0) {
    $("empty").hidden = N.length !== 0;
    setTimeout(function () { freeze(0); }, 0);
  }

  // ---- filters ----
  function edgeFilterActive() {
    return state.minVisits > 1 || state.from != null || state.to != null || state.company != null;
  }
  function edgePasses(e) {
    if (e.visits < state.minVisits) return false;
    if (state.company != null && e.b !== state.company && e.a !== state.company) return false;
    if (state.from != null || state.to != null) {
      var lo = state.from == null ? -Infinity : state.from;
      var hi = state.to == null ? Infinity : state.to;
      if (e.dates) return e.dates.some(function (d) { return d >= lo && d <= hi; });
      if (e.first == null) return false;
      return (e.last == null ? e.first : e.last) >= lo && e.first <= hi;
    }
    return true;
  }
  function typeOk(k) { return state.types.has(N[k].type); }

  function applyFilters() {
    var visE = new Set(), visN = new Set();
    state.presentEdges.forEach(function (ek) {
      var e = E[ek];
      if (typeOk(e.a) && typeOk(e.b) && edgePasses(e)) visE.add(ek);
    });
    if (edgeFilterActive()) {
      visE.forEach(function (ek) { visN.add(E[ek].a); visN.add(E[ek].b); });
      if (state.company != null && typeOk(state.company)) visN.add(state.company);
    } else {
      state.present.forEach(function (k) { if (typeOk(k)) visN.add(k); });
    }
    var nu = [], eu = [];
    state.present.forEach(function (k) {
      var hide = !visN.has(k);
      if (hide !== state.hiddenN.has(k)) {
        nu.push({ id: N[k].id, hidden: hide });
        if (hide) state.hiddenN.add(k); else state.hiddenN.delete(k);
      }
    });
    state.presentEdges.forEach(function (ek) {
      var hide = !visE.has(ek);
      if (hide !== state.hiddenE.has(ek)) {
        eu.push({ id: "e" + ek, hidden: hide });
        if (hide) state.hiddenE.add(ek); else state.hiddenE.delete(ek);
      }
    });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
    state.visN = visN;
    state.visE = visE;
    renderLegendCounts();
    renderStatus();
    if (state.selected != null) { highlight(state.selected); renderDetails(state.selected); }
  }

  // ---- adding nodes that are not in the default view ----
  function addNodes(ks, center) {
    var fresh = ks.filter(function (k) { return !state.present.has(k); });
    if (!fresh.length) return;
    var placed = {};
    var ids = Array.from(state.present, function (k) { return N[k].id; });
    var pos = ids.length ? network.getPositions(ids) : {};
    var ring = 0;
    fresh.forEach(function (k, i) {
      var sx = 0, sy = 0, c = 0;
      adj[k].forEach(function (ek) {
        var o = other(E[ek], k), p = pos[N[o].id] || placed[N[o].id];
        if (p) { sx += p.x; sy += p.y; c++; }
      });
      var base = c ? { x: sx / c, y: sy / c } : center;
      var angle = (i * 2.399963) % (2 * Math.PI); // golden angle: deterministic spread
      var r = c ? 40 + 6 * (i % 7) : 90 + 14 * Math.floor(ring++ / 8);
      placed[N[k].id] = { x: base.x + r * Math.cos(angle), y: base.y + r * Math.sin(angle) };
    });
    nodes.add(fresh.map(function (k) { state.present.add(k); return nodeItem(N[k], placed[N[k].id]); }));
    var newEdges = [];
    fresh.forEach(function (k) {
      adj[k].forEach(function (ek) {
        if (!state.presentEdges.has(ek) && state.present.has(other(E[ek], k))) {
          state.presentEdges.add(ek);
          state.edgeTone.set(ek, "base");
          newEdges.push(edgeItem(E[ek]));
        }
      });
    });
    if (newEdges.length) edges.add(newEdges);
  }
  function bringIn(k) { // a node plus its embedded neighbours
    if (state.present.has(k)) {
      var missing = adj[k].map(function (ek) { return other(E[ek], k); }).filter(function (o) { return !state.present.has(o); });
      if (state.company === k) addNodes(missing, network.getPosition(N[k].id));
      return;
    }
    var center = network.getViewPosition();
    addNodes([k], center);
    var p = network.getPosition(N[k].id);
    addNodes(adj[k].map(function (ek) { return other(E[ek], k); }), p);
  }

  // ---- highlight ----
  function highlight(k) {
    var nb = new Set([k]), inc = new Set();
    adj[k].forEach(function (ek) {
      if (state.visE.has(ek)) { inc.add(ek); nb.add(other(E[ek], k)); }
    });
    var nu = [], eu = [];
    state.present.forEach(function (j) {
      var dim = !nb.has(j);
      if (dim !== state.dimN.has(j)) {
        nu.push(dim ? { id: N[j].id, color: DIM_NODE, font: { color: "#aab4c3" } }
                    : { id: N[j].id, color: nodeColor(N[j]), font: { color: N[j].side ? "#0d1b2e" : "#334155" } });
        if (dim) state.dimN.add(j); else state.dimN.delete(j);
      }
    });
    state.presentEdges.forEach(function (ek) {
      var tone = inc.has(ek) ? "on" : "dim";
      if (state.edgeTone.get(ek) !== tone) {
        eu.push({ id: "e" + ek, color: edgeColor(tone === "on" ? EDGE_ON : EDGE_DIM) });
        state.edgeTone.set(ek, tone);
      }
    });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
  }
  function clearHighlight() {
    var nu = [], eu = [];
    state.dimN.forEach(function (j) { nu.push({ id: N[j].id, color: nodeColor(N[j]), font: { color: N[j].side ? "#0d1b2e" : "#334155" } }); });
    state.dimN.clear();
    state.edgeTone.forEach(function (tone, ek) {
      if (tone !== "base") { eu.push({ id: "e" + ek, color: edgeColor(EDGE_BASE) }); state.edgeTone.set(ek, "base"); }
    });
    if (nu.length) nodes.update(nu);
    if (eu.length) edges.update(eu);
  }

  // ---- selection ----
  function selectNode(k, focus) {
    if (!state.present.has(k)) { bringIn(k); applyFilters(); }
    state.selected = k;
    if (state.visN.has(k)) {
      network.selectNodes([N[k].id]);
      highlight(k);
      if (focus) network.focus(N[k].id, { scale: Math.max(network.getScale(), 0.9), animation: { duration: 350, easingFunction: "easeInOutQuad" } });
    } else {
      network.unselectAll();
      clearHighlight();
    }
    renderDetails(k);
  }
  function clearSelection() {
    state.selected = null;
    network.unselectAll();
    clearHighlight();
    renderPlaceholder();
  }

  // ---- details panel ----
  var details = $("details-body");
  function renderPlaceholder() {
    details.replaceChildren();
    var p = el("div", "d-placeholder");
    p.appendChild(el("div", null, "点击节点或连线查看详情"));
    p.appendChild(el("small", null, "Click a node or an edge for details; search above to find any institution or company."));
    details.appendChild(p);
  }
  function stat(grid, zh, en, value, extra) {
    var box = el("div", "d-stat");
    bi(box.appendChild(el("div", "k")), zh, en);
    var v = box.appendChild(el("div", "v", value));
    if (extra) { v.appendChild(document.createTextNode(" ")); v.appendChild(el("small", null, extra)); }
    grid.appendChild(box);
  }
  function dateText(e) {
    if (e.dates && e.dates.length) {
      if (e.dates.length <= 3) return e.dates.map(iso).join(", ");
      return iso(e.dates[0]) + " – " + iso(e.dates[e.dates.length - 1]) + " (" + e.dates.length + ")";
    }
    if (e.first == null) return "—";
    return e.last == null || e.last === e.first ? iso(e.first) : iso(e.first) + " – " + iso(e.last);
  }
  function header(n, onClose) {
    var head = el("div", "d-head");
    var sw = head.appendChild(el("span", "swatch" + (n.side ? " square" : "")));
    sw.style.background = typeOf(n).color;
    var box = head.appendChild(el("div"));
    box.appendChild(el("h2", "d-name", n.label));
    var sub = box.appendChild(el("div", "d-sub"));
    var badge = sub.appendChild(el("span", "badge", n.side ? "被调研公司" : typeOf(n).name));
    badge.style.background = typeOf(n).color;
    var bits = [];
    if (n.side) { if (n.sub) bits.push("代码 " + n.sub); if (n.name) bits.push(n.name); }
    else { if (n.name) bits.push(n.name); if (n.sub && n.sub !== n.label) bits.push("集团 group: " + n.sub); }
    sub.appendChild(document.createTextNode(bits.join(" · ")));
    var close = head.appendChild(el("button", "d-close", "×"));
    close.type = "button";
    close.setAttribute("aria-label", "关闭 close");
    close.addEventListener("click", onClose);
    return head;
  }
  function renderDetails(k) {
    var n = N[k];
    details.replaceChildren();
    details.appendChild(header(n, clearSelection));
    if (!state.visN.has(k)) {
      details.appendChild(el("div", "d-warn", "当前筛选条件下不在图中 · hidden by the current filters"));
    }
    var grid = details.appendChild(el("div", "d-stats"));
    var sw = sideWord(n);
    stat(grid, n.side ? "来访机构" : "调研公司", n.side ? "Visitors" : "Companies", fmt(n.deg));
    stat(grid, "访问次数", "Visits", fmt(n.wdeg));
    stat(grid, "同类排名", "Rank in side", "#" + fmt(n.rs), "/ " + fmt(sideCount[n.side]) + " " + sw[1]);
    stat(grid, "类型内排名", "Rank in type", "#" + fmt(n.rt), "/ " + fmt(typeOf(n).count));
    if (META.has_betweenness) stat(grid, "中介中心性", "Betweenness", n.btw == null ? "—" : Number(n.btw).toPrecision(3));
    if (META.has_pagerank) stat(grid, "PageRank", "", n.pr == null ? "—" : Number(n.pr).toPrecision(3));

    var title = details.appendChild(el("div", "d-section"));
    if (n.side) bi(title, "来访机构", "Visitors"); else bi(title, "调研的公司", "Companies visited");
    var list = adj[k];
    var note = list.length < n.deg
      ? "显示访问最多的 " + fmt(list.length) + " / " + fmt(n.deg) + " · top " + fmt(list.length) + " of " + fmt(n.deg) + " by visits; full list in attendees.csv"
      : "共 " + fmt(n.deg) + " · sorted by visits";
    details.appendChild(el("div", "d-note", note));
    var table = details.appendChild(el("table", "d-table"));
    var hr = table.appendChild(el("thead")).appendChild(el("tr"));
    hr.appendChild(el("th", null, n.side ? "机构 Institution" : "公司 Company"));
    hr.appendChild(el("th", "num", "次数"));
    hr.appendChild(el("th", "col-dates", "日期 Dates"));
    var body = table.appendChild(el("tbody"));
    list.forEach(function (ek) {
      var e = E[ek], o = N[other(e, k)];
      var tr = body.appendChild(el("tr", state.visE.has(ek) ? null : "out"));
      var td = tr.appendChild(el("td"));
      var b = td.appendChild(el("button", "nb", o.label));
      b.type = "button";
      b.addEventListener("click", function () { selectNode(o.k, true); });
      if (!o.side) td.appendChild(el("span", "tag", typeOf(o).name));
      else if (o.sub) td.appendChild(el("span", "tag", o.sub));
      if (e.persons) td.appendChild(el("div", "persons", e.persons.split(";").join("、")));
      if (e.acts) td.appendChild(el("div", "acts", e.acts.split(";").join(" · ")));
      tr.appendChild(el("td", "num", fmt(e.visits)));
      tr.appendChild(el("td", "d-edge-dates", dateText(e)));
    });
  }
  function renderEdge(ek) {
    var e = E[ek], a = N[e.a], b = N[e.b];
    state.selected = null;
    clearHighlight();
    details.replaceChildren();
    var head = el("div", "d-head");
    var box = head.appendChild(el("div"));
    box.appendChild(el("h2", "d-name", a.label + " → " + b.label));
    bi(box.appendChild(el("div", "d-sub")), "调研记录", "attendance");
    var close = head.appendChild(el("button", "d-close", "×"));
    close.type = "button";
    close.addEventListener("click", clearSelection);
    details.appendChild(head);
    var grid = details.appendChild(el("div", "d-stats"));
    stat(grid, "访问次数", "Visits", fmt(e.visits));
    stat(grid, "首次 / 最近", "First / last", iso(e.first) || "—", e.last != null && e.last !== e.first ? "→ " + iso(e.last) : "");
    function row(zh, en, text) {
      bi(details.appendChild(el("div", "d-section")), zh, en);
      details.appendChild(el("div", "d-note", text || "—"));
    }
    row("日期", "Dates", e.dates ? e.dates.map(iso).join(", ") : dateText(e));
    row("活动类型", "Activity types", e.acts ? e.acts.split(";").join(" · ") : "");
    row("参与人", "Persons", e.persons ? e.persons.split(";").join("、") : "");
    [a, b].forEach(function (n) {
      var btn = details.appendChild(el("button", "btn", n.label));
      btn.type = "button";
      btn.style.margin = "12px 8px 0 0";
      btn.addEventListener("click", function () { selectNode(n.k, true); });
    });
  }

  // ---- tooltip ----
  var tip = $("tooltip");
  function showTip(lines, pointer) {
    tip.replaceChildren();
    lines.forEach(function (l, i) { tip.appendChild(el("div", i === 0 ? "t-title" : null, l)); });
    tip.hidden = false;
    var stage = $("stage").getBoundingClientRect();
    var x = Math.min(pointer.x + 14, stage.width - tip.offsetWidth - 6);
    var y = Math.min(pointer.y + 14, stage.height - tip.offsetHeight - 6);
    tip.style.left = Math.max(x, 4) + "px";
    tip.style.top = Math.max(y, 4) + "px";
  }
  network.on("hoverNode", function (p) {
    var n = byId.get(p.node);
    if (!n) return;
    var lines = [n.label, (n.side ? "被调研公司" + (n.sub ? " " + n.sub : "") : typeOf(n).name) +
      " · " + (n.side ? "来访机构 " : "调研公司 ") + fmt(n.deg) + " · 访问 " + fmt(n.wdeg)];
    showTip(lines, p.pointer.DOM);
  });
  network.on("hoverEdge", function (p) {
    var e = E[Number(String(p.edge).slice(1))];
    if (!e) return;
    showTip([N[e.a].label + " → " + N[e.b].label, "访问 visits " + e.visits + " · " + dateText(e)], p.pointer.DOM);
  });
  network.on("blurNode", function () { tip.hidden = true; });
  network.on("blurEdge", function () { tip.hidden = true; });
  network.on("dragStart", function () { tip.hidden = true; });
  network.on("click", function (p) {
    tip.hidden = true;
    if (p.nodes.length) { var n = byId.get(p.nodes[0]); if (n) selectNode(n.k, false); }
    else if (p.edges.length) renderEdge(Number(String(p.edges[0]).slice(1)));
    else clearSelection();
  });

  // ---- suggestions (search box and company filter) ----
  function matches(query, onlyCompanies, limit) {
    var q = query.trim().toLowerCase();
    if (!q) return [];
    var out = [];
    for (var i = 0; i < N.length; i++) {
      var n = N[i];
      if (onlyCompanies && !n.side) continue;
      var label = n.label.toLowerCase(), sub = (n.sub || "").toLowerCase(), name = (n.name || "").toLowerCase();
      var score;
      if (label === q || (n.side && sub === q)) score = 0;
      else if (label.indexOf(q) === 0 || (n.side && sub.indexOf(q) === 0)) score = 1;
      else if (label.indexOf(q) > 0) score = 2;
      else if (name.indexOf(q) >= 0 || sub.indexOf(q) >= 0 || n.id.toLowerCase().indexOf(q) >= 0) score = 3;
      else continue;
      out.push([score, n]);
    }
    out.sort(function (x, y) { return (x[0] - y[0]) || (y[1].deg - x[1].deg) || (x[1].k - y[1].k); });
    return out.slice(0, limit).map(function (x) { return x[1]; });
  }
  function suggest(input, list, onlyCompanies, onPick) {
    var items = [], active = -1;
    function close() { list.hidden = true; active = -1; input.setAttribute("aria-expanded", "false"); }
    function paint() {
      Array.prototype.forEach.call(list.children, function (li, i) { li.classList.toggle("active", i === active); });
    }
    function open() {
      items = matches(input.value, onlyCompanies, 12);
      list.replaceChildren();
      active = items.length ? 0 : -1;
      if (!input.value.trim()) { close(); return; }
      if (!items.length) {
        list.appendChild(el("li", "s-empty", "无匹配 · no match"));
      }
      items.forEach(function (n, i) {
        var li = list.appendChild(el("li"));
        li.setAttribute("role", "option");
        var sw = li.appendChild(el("span", "swatch" + (n.side ? " square" : "")));
        sw.style.background = typeOf(n).color;
        li.appendChild(el("span", "s-label", n.label));
        li.appendChild(el("span", "s-meta", (n.side ? (n.sub || "公司") : typeOf(n).name) + " · " + fmt(n.deg)));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); pick(i); });
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      paint();
    }
    function pick(i) {
      var n = items[i];
      if (!n) return;
      close();
      onPick(n);
    }
    input.addEventListener("input", open);
    input.addEventListener("focus", function () { if (input.value.trim()) open(); });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" && items.length) { active = (active + 1) % items.length; paint(); ev.preventDefault(); }
      else if (ev.key === "ArrowUp" && items.length) { active = (active - 1 + items.length) % items.length; paint(); ev.preventDefault(); }
      else if (ev.key === "Enter") { if (list.hidden) open(); pick(active < 0 ? 0 : active); ev.preventDefault(); }
      else if (ev.key === "Escape") close();
    });
  }
  suggest($("search"), $("search-list"), false, function (n) {
    $("search").value = n.label;
    selectNode(n.k, true);
  });
  function setCompany(k) {
    state.company = k;
    $("company-chip").hidden = k == null;
    $("company").value = "";
    if (k != null) {
      $("company-chip-text").textContent = N[k].label + (N[k].sub ? " " + N[k].sub : "");
      bringIn(k);
    }
    applyFilters();
    if (k != null) { network.fit({ nodes: Array.from(state.visN, function (j) { return N[j].id; }), animation: false }); selectNode(k, false); }
  }
  suggest($("company"), $("company-list"), true, function (n) { setCompany(n.k); });
  $("company-clear").addEventListener("click", function () { setCompany(null); });

  // ---- legend / type filter ----
  var legendItems = [];
  TYPES.forEach(function (t, i) {
    var li = $("legend").appendChild(el("li"));
    var label = li.appendChild(el("label"));
    var box = label.appendChild(el("input"));
    box.type = "checkbox";
    box.checked = true;
    box.value = String(i);
    box.setAttribute("data-type", t.name);
    var sw = label.appendChild(el("span", "swatch" + (t.company ? " square" : "")));
    sw.style.background = t.color;
    var name = label.appendChild(el("span", "l-name", t.company ? "被调研公司 " : t.name));
    if (t.company) name.appendChild(el("small", null, "Company"));
    var count = label.appendChild(el("span", "l-count"));
    box.addEventListener("change", function () {
      if (box.checked) state.types.add(i); else state.types.delete(i);
      li.classList.toggle("off", !box.checked);
      applyFilters();
    });
    legendItems.push({ li: li, box: box, count: count, t: t });
  });
  function setAllTypes(on) {
    legendItems.forEach(function (x, i) {
      x.box.checked = on;
      x.li.classList.toggle("off", !on);
      if (on) state.types.add(i); else state.types.delete(i);
    });
    applyFilters();
  }
  $("types-all").addEventListener("click", function () { setAllTypes(true); });
  $("types-none").addEventListener("click", function () { setAllTypes(false); });
  function renderLegendCounts() {
    var counts = TYPES.map(function () { return 0; });
    state.visN.forEach(function (k) { counts[N[k].type]++; });
    legendItems.forEach(function (x, i) {
      x.count.textContent = fmt(counts[i]) + " / " + fmt(x.t.count);
      x.count.title = "可见 / 总数 · visible / total";
    });
  }
  function renderStatus() {
    var s = $("status");
    s.replaceChildren();
    s.appendChild(document.createTextNode("可见 "));
    s.appendChild(el("b", null, fmt(state.visN.size)));
    s.appendChild(document.createTextNode(" 节点 · "));
    s.appendChild(el("b", null, fmt(state.visE.size)));
    s.appendChild(document.createTextNode(" 边 "));
    s.appendChild(el("small", null, "visible nodes · edges"));
  }
  (function summary() {
    var s = $("summary");
    [[META.n_institutions, "机构", "institutions"], [META.n_companies, "公司", "companies"], [META.n_edges, "关系", "edges"]].forEach(function (x) {
      var span = s.appendChild(el("span"));
      span.appendChild(el("b", null, fmt(x[0])));
      bi(span, x[1], x[2]);
    });
  })();

  // ---- dates and visits ----
  var from = $("date-from"), to = $("date-to");
  var dmin = null, dmax = null;
  E.forEach(function (e) {
    [e.first, e.last].forEach(function (d) {
      if (d == null) return;
      if (dmin == null || d < dmin) dmin = d;
      if (dmax == null || d > dmax) dmax = d;
    });
  });
  if (dmin != null) {
    [from, to].forEach(function (x) { x.min = iso(dmin); x.max = iso(dmax); });
    from.placeholder = iso(dmin);
    to.placeholder = iso(dmax);
  } else {
    from.disabled = true;
    to.disabled = true;
  }
  function onDates() { state.from = dayOf(from.value); state.to = dayOf(to.value); applyFilters(); }
  from.addEventListener("change", onDates);
  to.addEventListener("change", onDates);
  var mv = $("min-visits");
  mv.max = String(Math.max(2, Math.min(maxVisits, 50)));
  mv.addEventListener("input", function () {
    state.minVisits = Number(mv.value) || 1;
    $("min-visits-out").textContent = String(state.minVisits);
    applyFilters();
  });

  // ---- reset / fit ----
  function reset() {
    var extra = Array.from(state.present).filter(function (k) { return !N[k].shown; });
    if (extra.length) {
      var drop = new Set(extra);
      var de = Array.from(state.presentEdges).filter(function (ek) { return drop.has(E[ek].a) || drop.has(E[ek].b); });
      edges.remove(de.map(function (ek) { return "e" + ek; }));
      nodes.remove(extra.map(function (k) { return N[k].id; }));
      de.forEach(function (ek) { state.presentEdges.delete(ek); state.hiddenE.delete(ek); state.edgeTone.delete(ek); });
      extra.forEach(function (k) { state.present.delete(k); state.hiddenN.delete(k); state.dimN.delete(k); });
    }
    from.value = ""; to.value = ""; state.from = null; state.to = null;
    mv.value = "1"; state.minVisits = 1; $("min-visits-out").textContent = "1";
    $("search").value = "";
    state.company = null; $("company-chip").hidden = true; $("company").value = "";
    clearSelection();
    setAllTypes(true);
    network.fit({ animation: false });
  }
  $("reset").addEventListener("click", reset);
  $("fit").addEventListener("click", function () { network.fit({ animation: { duration: 300, easingFunction: "easeInOutQuad" } }); });

  // ---- hooks for scripts and browser tests ----
  window.irgraph = {
    data: DATA, state: state, ready: false, timings: state.timings,
    node: function (id) { return byId.get(id) || null; },
    select: function (id, focus) { var n = byId.get(id); if (n) selectNode(n.k, focus !== false); return !!n; },
    visibleNodeIds: function () { return Array.from(state.visN, function (k) { return N[k].id; }).sort(); },
    visibleEdgeCount: function () { return state.visE.size; },
    applyFilters: applyFilters, setCompany: function (id) { var n = byId.get(id); setCompany(n ? n.k : null); }, reset: reset
  };
  renderPlaceholder();
  applyFilters();
  state.timings.script = performance.now() - T0;
})();
