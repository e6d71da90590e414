"use strict";
const MiB = 1048576;
const SEVERITY = { Critical: "#c62828", High: "#e8590c", Medium: "#b7791f", Low: "#1c6fd1" };
const PALETTE = ["#3b5bdb", "#0c8599", "#9c36b5", "#2f9e44", "#e67700", "#5c7cfa", "#d6336c", "#495057"];
const SVGNS = "http://www.w3.org/2000/svg";
const REFRESH_MS = 10000;
const state = { source: null, win: "auto", from: null, to: null, timer: null, loading: false, sources: [] };

const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k === "style") node.style.cssText = v; else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
// Bytes per hour as the server writes rates: MiB/h, or KiB/h below 0.1 MiB/h.
function perHour(b) {
  return Math.abs(b) >= 0.1 * MiB ? (b / MiB).toFixed(2) + " MiB/h" : (b / 1024).toFixed(1) + " KiB/h";
}

function bytes(b) {
  if (b === null || b === undefined) return "—";
  const a = Math.abs(b);
  if (a >= 1024 * MiB) return (b / (1024 * MiB)).toFixed(2) + " GB";
  if (a >= 10 * MiB) return (b / MiB).toFixed(0) + " MB";
  if (a >= MiB) return (b / MiB).toFixed(1) + " MB";
  if (a >= 1024) return (b / 1024).toFixed(0) + " KB";
  return b + " B";
}
function signed(text, value) { return (value > 0 ? "+" : "") + text; }
function pct(v) { return (v > 0 ? "+" : "") + v.toFixed(1) + "%"; }
function age(secs) {
  if (secs < 120) return secs + " s";
  if (secs < 7200) return Math.round(secs / 60) + " min";
  if (secs < 172800) return (secs / 3600).toFixed(1) + " h";
  return (secs / 86400).toFixed(1) + " d";
}
// Times are ISO-8601 UTC, the same in every locale and as the CLI prints them.
function iso(ms) { return new Date(ms).toISOString(); }
function clockLabel(ms, span) {
  const t = iso(ms);
  if (span <= 2 * 86400000) return span <= 600000 ? t.slice(11, 19) : t.slice(11, 16);
  return t.slice(5, 10) + (span <= 8 * 86400000 ? " " + t.slice(11, 16) : "");
}
function fullTime(ms) { return iso(ms).slice(0, 19).replace("T", " ") + "Z"; }

function windowQuery() {
  if (state.win === "auto") return "";
  if (state.win === "custom" && state.from && state.to) {
    return "from=" + encodeURIComponent(new Date(state.from).toISOString()) + "&to=" + encodeURIComponent(new Date(state.to).toISOString());
  }
  return "since=" + (state.win === "custom" ? "24h" : state.win);
}
function windowSpanMs() {
  if (state.win === "custom" && state.from && state.to) return new Date(state.to) - new Date(state.from);
  return { "1h": 3600e3, "24h": 86400e3, "7d": 7 * 86400e3, "30d": 30 * 86400e3 }[state.win] || 3600e3;
}
function bucketFor(span, target) {
  const sizes = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  const wanted = Math.max(1, span / 1000 / target);
  const s = sizes.find((x) => x >= wanted) || 86400;
  return s % 3600 === 0 ? (s / 3600) + "h" : s % 60 === 0 ? (s / 60) + "m" : s + "s";
}

async function api(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
  if (!response.ok) throw new Error((body && body.error) || (response.status + " " + response.statusText));
  return body;
}

function saveHash() {
  const parts = ["source=" + encodeURIComponent(state.source || ""), "window=" + state.win];
  if (state.win === "custom") parts.push("from=" + encodeURIComponent(state.from || ""), "to=" + encodeURIComponent(state.to || ""));
  history.replaceState(null, "", "#" + parts.join("&"));
}
function loadHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("source")) state.source = params.get("source");
  if (["auto", "1h", "24h", "7d", "30d", "custom"].includes(params.get("window"))) state.win = params.get("window");
  state.from = params.get("from") || null;
  state.to = params.get("to") || null;
}

function showBanner(message) {
  const banner = $("banner");
  banner.textContent = message || "";
  banner.classList.toggle("on", !!message);
}

function renderWindowButtons() {
  for (const button of $("windows").querySelectorAll("button")) button.classList.toggle("on", button.dataset.w === state.win);
  $("custom").classList.toggle("on", state.win === "custom");
}

// Opens on the worst leaking source, else on the most recently active one.
function defaultSource(overview, sources) {
  if (overview.length && overview[0].has_leaks) return overview[0].source;
  const active = sources.filter((s) => s.last_sample_ms !== null).sort((a, b) => b.last_sample_ms - a.last_sample_ms);
  return active.length ? active[0].name : (sources[0] ? sources[0].name : null);
}

// A bucket that gives the samples in the window enough points, even when
// they cover a small part of it (12 s of data in a one-hour window).
function chartBucket(from, to, info, target) {
  const span = to - from;
  let covered = span;
  if (info && info.first_sample_ms !== null && info.last_sample_ms !== null) {
    covered = Math.min(to, info.last_sample_ms) - Math.max(from, info.first_sample_ms);
    if (covered < 1000) covered = span;
  }
  const fine = bucketFor(covered, target);
  const secs = parseFloat(fine) * (fine.endsWith("h") ? 3600 : fine.endsWith("m") ? 60 : 1);
  return span / (secs * 1000) <= 20000 ? fine : bucketFor(span, target);
}

async function refresh() {
  if (state.loading) return;
  state.loading = true;
  try {
    const [sources, overview] = await Promise.all([api("/api/v1/memory/sources"), api("/api/v1/memory/overview?" + windowQuery())]);
    state.sources = sources.sources;
    const select = $("source");
    const names = sources.sources.map((s) => s.name);
    if (!state.source || !names.includes(state.source)) state.source = defaultSource(overview, sources.sources);
    select.replaceChildren(...names.map((n) => el("option", n === state.source ? { value: n, selected: "" } : { value: n }, n)));
    saveHash();
    renderOverview(overview, sources.sources);
    if (!state.source) { renderNoHistory(); showBanner(""); return; }
    const source = "source=" + encodeURIComponent(state.source);
    const q = windowQuery();
    const [report, baseline, runs, versions] = await Promise.all([
      api("/api/v1/memory/leaks?" + source + (q ? "&" + q : "")),
      api("/api/v1/memory/baseline?" + source),
      api("/api/v1/memory/runs?" + source),
      versionsOf(state.source),
    ]);
    // The charts cover exactly the report's window, whichever default the server chose.
    const from = report.window_from_ms, to = report.window_to_ms;
    const wq = "from=" + from + "&to=" + to;
    const info = sources.sources.find((s) => s.name === state.source);
    const usage = await api("/api/v1/memory/trend?" + source + "&" + wq + "&bucket=" + chartBucket(from, to, info, 240));
    const componentNames = (info ? info.components : []).slice(0, 24).map((c) => c.name);
    const series = await Promise.all(componentNames.map((name) =>
      api("/api/v1/memory/trend?" + source + "&" + wq + "&bucket=" + chartBucket(from, to, info, 160) + "&component=" + encodeURIComponent(name))
        .then((s) => ({ name, s })).catch(() => ({ name, s: null }))));
    // Run boundaries, each named by the version it started (when it has one).
    const runStarts = runs.runs.filter((r, i) => (i > 0 || r.version) && r.started_ms >= from && r.started_ms < to)
      .map((r) => ({ t: r.started_ms, label: r.version ? "run " + r.id + " · " + r.version : "run start" }));
    renderVerdict(report, baseline.baseline);
    renderUsage(usage, baseline.baseline, runStarts);
    const components = series.filter((x) => x.s && x.s.buckets.length);
    renderCandidates(report, components);
    renderComponents(components, report, usage.window, runStarts);
    renderChecks(report);
    renderVersions(versions);
    showBanner("");
    $("updated").textContent = "updated " + fullTime(Date.now());
  } catch (error) {
    showBanner("Could not load the history: " + error.message);
  } finally {
    state.loading = false;
  }
}

function verdictPill(report) {
  if (report.sample_count === 0) return el("span", { class: "pill v-none" }, "NO DATA");
  if (report.has_leaks) return el("span", { class: "pill v-leaking" }, "LEAKING");
  if (!report.trend || report.trend.status !== "not_leaking") return el("span", { class: "pill v-none" }, "TOO FEW SAMPLES");
  return el("span", { class: "pill v-ok" }, "NO LEAK");
}

function sparkline(report) {
  const box = svg("svg", { viewBox: "0 0 120 24", width: 120, height: 24, class: "spark" });
  const points = report.spark || [];
  if (points.length < 2) return box;
  const lo = Math.min(...points.map((p) => p[1])), hi = Math.max(...points.map((p) => p[1]));
  const t0 = points[0][0], t1 = points[points.length - 1][0];
  const d = points.map((p, i) => (i ? "L" : "M") + (((p[0] - t0) / Math.max(1, t1 - t0)) * 118 + 1).toFixed(1) + "," +
    (22 - ((p[1] - lo) / Math.max(1, hi - lo)) * 20).toFixed(1)).join("");
  box.append(svg("path", { d, fill: "none", stroke: report.has_leaks ? "#c62828" : "#3b5bdb", "stroke-width": 1.5 }));
  return box;
}

// One row per source, worst first; a click shows that source below.
function renderOverview(overview, sources) {
  const container = $("overview");
  if (!overview.length) {
    $("overview-note").textContent = "";
    container.replaceChildren(emptyState("No sources yet", "Record a process with `leak-history watch -- CMD`, or post events to /api/v1/memory/events."));
    return;
  }
  const byName = {};
  for (const s of sources) byName[s.name] = s;
  const leaking = overview.filter((r) => r.has_leaks).length;
  $("overview-note").textContent = overview.length + " source" + (overview.length > 1 ? "s" : "") + " · " + leaking + " leaking · each over " +
    (state.win === "auto" ? "its default window" : "the chosen window");
  const head = el("tr", {}, el("th", {}, "Source"), el("th", {}, "Verdict"), el("th", { class: "r" }, "Usage"), el("th", { class: "r" }, "Rate"),
    el("th", {}, "Growing since"), el("th", {}, "Trend"), el("th", {}, "Runs"), el("th", {}, "Last sample (UTC)"));
  const rows = overview.map((r) => {
    const info = byName[r.source] || {};
    const top = leakingComponent(r);
    const onset = top ? top.trend.growing_since_ms : (r.trend ? (r.trend.growing_since_ms || r.trend.growing_since) : null);
    const since = r.has_leaks && typeof onset === "number" ? fullTime(onset) : "—";
    const row = el("tr", { class: "pick" + (r.source === state.source ? " on" : ""), "data-source": r.source },
      el("td", {}, el("span", { class: "comp" }, r.source)), el("td", {}, verdictPill(r)),
      el("td", { class: "r num" }, r.sample_count ? bytes(r.current_bytes) : "—"),
      el("td", { class: "r num" }, verdictRate(r)),
      el("td", { class: "num" }, since), el("td", {}, sparkline(r)),
      el("td", { class: "num" }, String(info.runs || 0) + (info.running ? " (running)" : "")),
      el("td", { class: "num" }, info.last_sample_ms ? fullTime(info.last_sample_ms) : "—"));
    row.addEventListener("click", () => { state.source = r.source; refresh(); });
    return row;
  });
  container.replaceChildren(el("div", { class: "scroll" }, el("table", { class: "overview" }, el("thead", {}, head), el("tbody", {}, ...rows))));
  // Sparklines: each source's usage over its report's window, fetched after the table shows.
  for (const r of overview.slice(0, 24)) {
    if (!r.sample_count) continue;
    api("/api/v1/memory/trend?source=" + encodeURIComponent(r.source) + "&from=" + r.window_from_ms + "&to=" + r.window_to_ms +
        "&bucket=" + chartBucket(r.window_from_ms, r.window_to_ms, byName[r.source], 40)).then((t) => {
      r.spark = t.buckets.map((b) => [b.start_ms, b.mean_bytes]);
      const cell = container.querySelector('tr[data-source="' + CSS.escape(r.source) + '"] svg.spark');
      if (cell) cell.replaceWith(sparkline(r));
    }).catch(() => {});
  }
}

function renderNoHistory() {
  $("badge").className = "badge none"; $("badge").textContent = "NO DATA";
  $("explanation").textContent = "This database holds no history yet.";
  $("explanation-sub").textContent = "Post events to /api/v1/memory/events, or record a process with `leak-history watch -- CMD`.";
  $("tiles").replaceChildren();
  for (const id of ["usage-chart", "components-chart", "candidates"]) $(id).replaceChildren(emptyState("No data yet", "Nothing has been recorded in this database."));
  $("recs").replaceChildren(); $("checks").replaceChildren();
}

function emptyState(title, text) {
  return el("div", { class: "empty" }, el("strong", {}, title), el("span", {}, text));
}

function tile(label, value, cls) {
  return el("div", { class: "tile" }, el("div", { class: "k" }, label), el("div", { class: "v num" + (cls ? " " + cls : "") }, value));
}

// The one rate of a report, as `leak-history report` gives it: the usage
// trend's, or, when only a component leaks, that component's ("+2.24 MiB/min
// in session_cache"); "—" without a trend.
function leakingComponent(report) {
  const top = report.leak_candidates[0];
  return report.has_leaks && !(report.trend && report.trend.is_leaking) && top && top.trend ? top : null;
}
function verdictRate(report) {
  const trend = report.trend;
  if (!trend || trend.status === "insufficient_data" || trend.status === "no_data") return "—";
  const top = leakingComponent(report);
  return top ? top.trend.rate_text + " in " + top.component : trend.rate_text;
}

function renderVerdict(report, baseline) {
  const badge = $("badge");
  const trend = report.trend;
  if (report.sample_count === 0) {
    badge.className = "badge none"; badge.textContent = "NO DATA";
  } else if (report.has_leaks) {
    badge.className = "badge leak"; badge.textContent = "LEAKING";
  } else if (trend && trend.status === "insufficient_data") {
    badge.className = "badge none"; badge.textContent = "TOO FEW SAMPLES";
  } else {
    badge.className = "badge ok"; badge.textContent = "NO LEAK";
  }
  let text;
  if (report.sample_count === 0) text = (report.recommendations[0] && report.recommendations[0].startsWith("No data")) ? report.recommendations[0] + "." : "No samples of '" + state.source + "' in this window.";
  else if (trend && leakingComponent(report)) {
    // The report leaks through a component whose own trend rises; the usage verdict is the second sentence.
    const top = leakingComponent(report);
    text = "Leaking in '" + top.component + "', " + top.trend.rate_text + ": its own trend rises. Usage alone: " + trend.explanation + ".";
  }
  else if (trend) text = trend.explanation.charAt(0).toUpperCase() + trend.explanation.slice(1) + ".";
  else text = "Too few samples for a trend test (" + report.sample_count + "); the growth threshold alone decides.";
  $("explanation").textContent = text;
  const parts = [];
  if (report.leak_candidates.length) parts.push(report.leak_candidates.length + " leak candidate" + (report.leak_candidates.length > 1 ? "s" : ""));
  if (trend && trend.growing_since_ms) parts.push("growing since " + fullTime(trend.growing_since_ms) + " at " + trend.rate_text);
  if (trend && trend.envelope) parts.push("read from the lower envelope of a sawtooth (" + trend.envelope.troughs + " troughs)");
  if (trend && trend.run_count > 1) parts.push(trend.run_count + " runs, joined at their restarts");
  if (trend && trend.time_to_limit_secs) parts.push("memory limit in " + age(Math.round(trend.time_to_limit_secs)));
  parts.push(fullTime(report.window_from_ms) + " → " + fullTime(report.window_to_ms) + " (UTC)");
  $("explanation-sub").textContent = parts.join(" · ");
  // Coloured by the verdict, not by the sign: a sawtooth that ends high is not red.
  const growthClass = report.has_leaks ? "up" : "";
  const tiles = [
    tile("current", report.sample_count ? bytes(report.current_bytes) : "—"),
    tile("baseline", baseline ? bytes(baseline.usage_bytes) : "none"),
    tile("first vs last", report.sample_count > 1 ? pct(report.overall_growth_rate) : "—", growthClass),
    // A component's rate names it in the label, so the tile keeps its width.
    tile(leakingComponent(report) ? "rate of " + leakingComponent(report).component : "rate",
      leakingComponent(report) ? leakingComponent(report).trend.rate_text : verdictRate(report), report.has_leaks ? "up" : ""),
    tile("growing since", trend && trend.growing_since_ms ? fullTime(trend.growing_since_ms)
      : (leakingComponent(report) && leakingComponent(report).trend.growing_since_ms ? fullTime(leakingComponent(report).trend.growing_since_ms) : "—"),
      report.has_leaks ? "up" : ""),
    tile("samples", String(report.sample_count)),
  ];
  $("tiles").replaceChildren(...tiles);
}

function niceTicks(min, max, count) {
  const span = max - min || 1;
  const raw = span / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(v);
  return ticks;
}

// A time chart: lines of { points: [[t, bytes]], color, width, band? }, with optional baseline and restarts.
function timeChart(container, opts) {
  const width = Math.max(320, container.clientWidth || 640), height = opts.height || 260;
  const pad = { l: 62, r: 16, t: 12, b: 28 };
  const w = width - pad.l - pad.r, h = height - pad.t - pad.b;
  let lo = Infinity, hi = -Infinity;
  for (const line of opts.lines) for (const p of line.points) { lo = Math.min(lo, line.band ? p[2] : p[1]); hi = Math.max(hi, line.band ? p[3] : p[1]); }
  if (opts.baseline !== null && opts.baseline !== undefined) { lo = Math.min(lo, opts.baseline); hi = Math.max(hi, opts.baseline); }
  const margin = (hi - lo) * 0.08 || hi * 0.05 || MiB;
  lo = Math.max(0, lo - margin); hi = hi + margin;
  const [t0, t1] = opts.domain;
  const x = (t) => pad.l + ((t - t0) / Math.max(1, t1 - t0)) * w;
  const y = (b) => pad.t + h - ((b - lo) / (hi - lo)) * h;
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, height: height, role: "img", "aria-label": opts.label });
  const axis = svg("g", { class: "axis" });
  const unit = hi >= 10 * 1024 * MiB ? 1024 * MiB : MiB;
  for (const v of niceTicks(lo / unit, hi / unit, 5)) {
    const yy = y(v * unit);
    axis.append(svg("line", { class: "gridline", x1: pad.l, x2: pad.l + w, y1: yy, y2: yy }));
    axis.append(svg("text", { x: pad.l - 8, y: yy + 4, "text-anchor": "end" }, (Number.isInteger(v) ? v : v.toFixed(1)) + (unit === MiB ? " MB" : " GB")));
  }
  for (let i = 0; i <= 5; i++) {
    const t = t0 + ((t1 - t0) * i) / 5;
    axis.append(svg("text", { x: x(t), y: height - 8, "text-anchor": i === 0 ? "start" : i === 5 ? "end" : "middle" }, clockLabel(t, t1 - t0)));
  }
  root.append(axis);
  for (const r of opts.restarts || []) {
    root.append(svg("line", { class: "run-start", x1: x(r.t), x2: x(r.t), y1: pad.t, y2: pad.t + h, stroke: "#98a2b3", "stroke-dasharray": "2 3" }));
    root.append(svg("text", { class: "run-label", x: x(r.t) + 4, y: pad.t + 11, fill: "#667085", "font-size": 11 }, r.label));
  }
  for (const line of opts.lines) {
    if (line.band && line.points.length > 1) {
      const top = line.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[3]).toFixed(1)}`);
      const bottom = line.points.slice().reverse().map((p) => `${x(p[0]).toFixed(1)},${y(p[2]).toFixed(1)}`);
      root.append(svg("path", { d: "M" + top.concat(bottom).join("L") + "Z", fill: line.color, "fill-opacity": 0.12, stroke: "none" }));
    }
    const d = line.points.map((p, i) => (i ? "L" : "M") + x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join("");
    root.append(svg("path", { class: line.cls || "series", d: line.points.length === 1 ? d + "h1" : d, fill: "none", stroke: line.color,
                              "stroke-width": line.width || 2, "stroke-linejoin": "round", "stroke-linecap": "round" }));
  }
  if (opts.baseline !== null && opts.baseline !== undefined) {
    const yy = y(opts.baseline);
    root.append(svg("line", { class: "baseline", x1: pad.l, x2: pad.l + w, y1: yy, y2: yy, stroke: "#2b8a3e", "stroke-width": 1.5, "stroke-dasharray": "6 4" }));
    root.append(svg("text", { x: pad.l + 6, y: yy - 5, fill: "#2b8a3e", "font-size": 11.5, "font-weight": 600 }, "baseline " + bytes(opts.baseline)));
  }
  if (opts.hover) {
    const cursor = svg("line", { y1: pad.t, y2: pad.t + h, stroke: "#344054", "stroke-width": 1, visibility: "hidden" });
    const hit = svg("rect", { x: pad.l, y: pad.t, width: w, height: h, fill: "transparent" });
    root.append(cursor, hit);
    const tip = $("tooltip");
    hit.addEventListener("mousemove", (event) => {
      const box = root.getBoundingClientRect();
      const t = t0 + ((event.clientX - box.left) * (width / box.width) - pad.l) / w * (t1 - t0);
      const found = opts.hover(t);
      if (!found) { tip.style.display = "none"; cursor.setAttribute("visibility", "hidden"); return; }
      cursor.setAttribute("x1", x(found.t)); cursor.setAttribute("x2", x(found.t)); cursor.setAttribute("visibility", "visible");
      tip.textContent = found.text; tip.style.display = "block";
      tip.style.left = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 8) + "px";
      tip.style.top = (event.clientY + 14) + "px";
    });
    hit.addEventListener("mouseleave", () => { tip.style.display = "none"; cursor.setAttribute("visibility", "hidden"); });
  }
  container.replaceChildren(root);
}

function renderUsage(series, baseline, runStarts) {
  const container = $("usage-chart");
  const buckets = series.buckets;
  $("usage-note").textContent = buckets.length ? buckets.length + " buckets of " + age(series.bucket_ms / 1000) + " · " + series.resolution + " data" : "";
  if (!buckets.length) {
    container.replaceChildren(emptyState("No data in this window", "No usage samples of '" + state.source + "' between " +
      fullTime(series.window.from_ms) + " and " + fullTime(series.window.to_ms) + ". Try a longer window."));
    return;
  }
  const half = series.bucket_ms / 2;
  const points = buckets.map((b) => [b.start_ms + half, b.mean_bytes, b.min_bytes, b.max_bytes]);
  const restarts = runStarts || [];
  const leaking = series.verdict && series.verdict.is_leaking;
  timeChart(container, {
    label: "memory usage over time", domain: [series.window.from_ms, series.window.to_ms], height: 270, restarts,
    baseline: baseline ? baseline.usage_bytes : null,
    lines: [{ points, color: leaking ? "#c62828" : "#3b5bdb", width: 2.2, band: true, cls: "series usage-line" }],
    hover: (t) => {
      let best = null;
      for (const b of buckets) if (!best || Math.abs(b.start_ms + half - t) < Math.abs(best.start_ms + half - t)) best = b;
      if (!best) return null;
      return { t: best.start_ms + half, text: fullTime(best.start_ms) + "  mean " + bytes(best.mean_bytes) + "  min " + bytes(best.min_bytes) +
               "  max " + bytes(best.max_bytes) + "  (" + best.count + " samples)" };
    },
  });
}

function renderCandidates(report, components) {
  const container = $("candidates");
  const candidates = report.leak_candidates;
  const counts = {};
  for (const c of candidates) counts[c.severity] = (counts[c.severity] || 0) + 1;
  $("cand-note").textContent = ["Critical", "High", "Medium", "Low"].filter((s) => counts[s]).map((s) => counts[s] + " " + s).join(" · ");
  const parts = [];
  if (!candidates.length) {
    parts.push(emptyState(report.sample_count ? "✓ No leak candidates in this window" : "No data in this window",
      report.sample_count ? "No component grows in a way that looks like a leak." : "Nothing was recorded for '" + state.source + "' in this window."));
  } else {
    const head = el("tr", {}, el("th", {}, "Severity"), el("th", {}, "Component"), el("th", { class: "r" }, "Held"),
      el("th", { class: "r" }, "Growth"), el("th", { title: "share of all components' growth" }, "Share"));
    const rows = candidates.map((c) => {
      const share = Math.max(0, Math.min(100, c.growth_rate));
      const facts = [(c.reasons || []).join(", ")];
      if (c.trend) facts.push(c.trend.rate_text);
      if (c.allocations !== undefined && c.allocations !== null) facts.push(c.net_allocations + " net allocs");
      facts.push("age " + age(c.age_secs));
      return el("tr", {},
        el("td", {}, el("span", { class: "pill sev-" + c.severity }, c.severity)),
        el("td", { class: "name-cell" }, el("div", { class: "comp" }, c.component), el("div", { class: "reasons" }, facts.join(" · "))),
        el("td", { class: "r num" }, bytes(c.allocated_bytes)),
        el("td", { class: "r num" }, signed(bytes(c.growth_bytes), c.growth_bytes)),
        el("td", {}, el("div", { class: "share" }, el("div", { class: "bar" }, el("span", { style: "width:" + share.toFixed(1) + "%;background:" + SEVERITY[c.severity] })),
          el("span", { class: "num" }, c.growth_rate.toFixed(1) + "%"))));
    });
    parts.push(el("div", { class: "scroll" }, el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows))));
  }
  // The components that were not flagged, with the reason their own trend gave.
  const flagged = new Set(candidates.map((c) => c.component));
  const others = components.filter((item) => !flagged.has(item.name));
  if (others.length) {
    parts.push(el("div", { class: "others-title" }, "Not flagged"));
    parts.push(el("ul", { class: "others" }, ...others.map((item) => {
      const buckets = item.s.buckets;
      const verdict = item.s.verdict;
      return el("li", {}, el("span", { class: "comp" }, item.name), el("span", { class: "muted num" }, bytes(buckets[buckets.length - 1].last_bytes)),
        el("span", { class: "why" }, verdict ? verdict.explanation : "too few samples for a trend"));
    })));
  }
  container.replaceChildren(...parts);
}

function renderComponents(list, report, window, runStarts) {
  const container = $("components-chart");
  if (!list.length) {
    $("comp-note").textContent = "";
    container.replaceChildren(emptyState("No components in this window", "This source recorded no component samples between " +
      fullTime(window.from_ms) + " and " + fullTime(window.to_ms) + "."));
    return;
  }
  const severity = {};
  for (const c of report.leak_candidates) severity[c.component] = c.severity;
  const last = (s) => s.buckets[s.buckets.length - 1].mean_bytes;
  list.sort((a, b) => (severity[b.name] ? 1 : 0) - (severity[a.name] ? 1 : 0) || last(b.s) - last(a.s));
  const shown = list.slice(0, 8);
  $("comp-note").textContent = list.length > shown.length ? "largest " + shown.length + " of " + list.length : list.length + " component" + (list.length > 1 ? "s" : "");
  const lines = shown.map((item, i) => {
    const half = item.s.bucket_ms / 2;
    // The band spans each bucket's min and max, so a sawtooth shows its teeth, not a flat mean.
    return { points: item.s.buckets.map((b) => [b.start_ms + half, b.mean_bytes, b.min_bytes, b.max_bytes]),
             color: severity[item.name] ? SEVERITY[severity[item.name]] : PALETTE[i % PALETTE.length],
             width: severity[item.name] ? 2.6 : 1.6, band: true, cls: "series component-line" };
  });
  const chart = el("div", {});
  container.replaceChildren(chart);
  timeChart(chart, { label: "components over time", domain: [window.from_ms, window.to_ms], height: 230, lines, restarts: runStarts });
  const legend = el("div", { class: "legend" }, ...shown.map((item, i) => el("span", {},
    el("i", { style: "background:" + lines[i].color }), el("span", { class: "comp" }, item.name),
    el("span", { class: "muted num" }, bytes(item.s.buckets[item.s.buckets.length - 1].last_bytes)),
    ...(severity[item.name] ? [el("span", { class: "pill sev-" + severity[item.name] }, severity[item.name])] : []))));
  container.append(legend);
}

// A source's versions change only when runs start: read again after a minute, not at every refresh
// (each version is judged over up to 20 of its runs).
const versionCache = { source: null, at: 0, history: null };
async function versionsOf(source) {
  if (versionCache.source !== source || Date.now() - versionCache.at > 60e3) {
    versionCache.history = await api("/api/v1/memory/versions?source=" + encodeURIComponent(source));
    versionCache.source = source;
    versionCache.at = Date.now();
  }
  return versionCache.history;
}

// Each version of the source, pooled over its runs, with the change from the one before it.
function renderVersions(history) {
  const card = $("versions-card");
  if (!history.versions.length) { card.hidden = true; return; }
  card.hidden = false;
  $("versions-note").textContent = history.versions.length + " version" + (history.versions.length > 1 ? "s" : "") +
    (history.older_versions ? " (newest; " + history.older_versions + " older not shown)" : "") + " · each pooled over its runs";
  const head = el("tr", {}, el("th", {}, "Version"), el("th", {}, "First run (UTC)"), el("th", {}, "Runs"), el("th", {}, "Verdict"),
    el("th", { class: "r", title: "since onset when leaking, else the net fitted rate; the median over the runs" }, "Rate"), el("th", { class: "r" }, "Spread"), el("th", {}, "Against the previous version"));
  const rows = history.versions.map((entry) => {
    const v = Object.assign({}, entry.figures, entry);
    const pill = v.status === "leaking" ? el("span", { class: "pill v-leaking" }, "LEAKING")
      : v.status === "not_leaking" ? el("span", { class: "pill v-ok" }, "NO LEAK") : el("span", { class: "pill v-none" }, "TOO FEW SAMPLES");
    const change = v.verdict === "regression" ? "v-leaking" : v.verdict === "improvement" ? "v-ok" : "v-none";
    return el("tr", { class: "version-row", "data-version": v.version },
      el("td", {}, el("span", { class: "comp" }, v.version)), el("td", { class: "num" }, fullTime(v.first_started_ms)),
      el("td", { class: "num" }, v.leaking_runs + " of " + v.judged_runs + " leaking" + (v.runs.length > v.judged_runs ? " (" + v.runs.length + " runs)" : "")),
      el("td", {}, pill), el("td", { class: "r num" }, v.judged_runs ? v.rate_text : "—"),
      el("td", { class: "r num" }, v.judged_runs ? "±" + perHour(v.spread_bytes_per_hour) : "—"),
      el("td", { class: "why" }, v.verdict ? el("span", { class: "pill " + change }, v.verdict.replace("_", " ")) : "—", v.summary ? " " + v.summary : ""));
  });
  $("versions").replaceChildren(el("div", { class: "scroll" }, el("table", { class: "versions" }, el("thead", {}, head), el("tbody", {}, ...rows))));
}

function renderChecks(report) {
  $("recs").replaceChildren(...report.recommendations.map((r) => el("li", {}, r)));
  const trend = report.trend;
  $("checks").replaceChildren(...(trend ? trend.checks.map((c) => el("li", {},
    el("span", { class: "mark " + (c.passed ? "pass" : "fail") }, c.passed ? "✓" : "✗"),
    el("span", { class: "name" }, c.name.replace("_", " ")), el("span", { class: "detail" }, c.detail))) : []));
}

function schedule() {
  clearInterval(state.timer);
  if ($("auto").checked) state.timer = setInterval(refresh, REFRESH_MS);
}

function toLocalInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function init() {
  loadHash();
  renderWindowButtons();
  if (state.win === "custom") {
    $("from").value = state.from || toLocalInput(Date.now() - 86400e3);
    $("to").value = state.to || toLocalInput(Date.now());
  }
  api("/health").then((h) => { $("db").textContent = h.database; $("db").title = "database " + h.database + " · schema " + h.schema_version; }).catch(() => {});
  $("windows").addEventListener("click", (event) => {
    const w = event.target.dataset && event.target.dataset.w;
    if (!w) return;
    state.win = w;
    if (w === "custom") {
      $("from").value = state.from || toLocalInput(Date.now() - 86400e3);
      $("to").value = state.to || toLocalInput(Date.now());
      renderWindowButtons();
      return;
    }
    renderWindowButtons();
    refresh();
  });
  $("apply").addEventListener("click", () => {
    if (!$("from").value || !$("to").value) { showBanner("Pick both a start and an end for the custom window."); return; }
    if (new Date($("from").value) > new Date($("to").value)) { showBanner("The custom window starts after it ends."); return; }
    state.from = $("from").value; state.to = $("to").value;
    refresh();
  });
  $("source").addEventListener("change", (event) => { state.source = event.target.value; refresh(); });
  $("auto").addEventListener("change", schedule);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(refresh, 250); });
  refresh();
  schedule();
}
init();
