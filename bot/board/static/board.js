"use strict";
// The SLA board tab: open tickets with live countdowns, a ticket's timeline and clocks, and the monthly report.
// Talks only to its own origin (api/…); signs in with Teams SSO, or local mode's development sign-in.

const POLL_MS = 15000;
const state = { auth: null, tickets: [], etag: null, me: null, timer: null, poll: null, charts: [] };
const $ = (id) => document.getElementById(id);

// -- signing in --------------------------------------------------------------------------------------------------
function framed() { return window.parent !== window; }

function loadTeamsLibrary() {
  // Only inside Teams: the library is of no use elsewhere, and it asks the network for Teams' domain list.
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "static/vendor/MicrosoftTeams.min.js";
    script.onload = () => resolve(window.microsoftTeams);
    script.onerror = reject;
    document.head.append(script);
  });
}

async function teamsAuth() {
  const teams = await loadTeamsLibrary();
  await teams.app.initialize();
  const context = await teams.app.getContext();
  applyTheme(context.app.theme);
  teams.app.registerOnThemeChangeHandler(applyTheme);
  return { scheme: "Bearer", token: await teams.authentication.getAuthToken() };
}

async function signIn() {
  if (framed()) {
    try { return await teamsAuth(); } catch (e) { return null; }
  }
  const dev = sessionStorage.getItem("faultline.dev");
  return dev ? { scheme: "Dev", token: dev } : null;
}

async function api(path, options) {
  const headers = Object.assign({}, (options && options.headers) || {});
  if (state.auth) headers.Authorization = state.auth.scheme + " " + state.auth.token;
  const response = await fetch("api/" + path, Object.assign({}, options || {}, { headers: headers }));
  if (response.status === 401) { showSignIn(); throw new Error("unauthorized"); }
  return response;
}

async function showSignIn() {
  show("signin-page");
  const response = await fetch("api/dev/personas");
  if (!response.ok) return;
  const people = await response.json();
  $("signin-text").textContent = "Local mode: choose who to be. In Teams, the tab signs you in itself.";
  const select = $("dev-persona");
  select.replaceChildren(...people.map((p) => option(p.key, p.label)));
  $("dev-signin").hidden = false;
  $("dev-banner").hidden = false;
}

async function devSignIn(event) {
  event.preventDefault();
  const response = await fetch("api/dev/login", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ persona: $("dev-persona").value }) });
  if (!response.ok) return;
  sessionStorage.setItem("faultline.dev", (await response.json()).token);
  await start();
}

function applyTheme(theme) {
  document.documentElement.dataset.theme = theme === "dark" ? "dark" : theme === "contrast" ? "contrast" : "default";
  state.charts.forEach((chart) => chart.update());
}

// -- helpers -----------------------------------------------------------------------------------------------------
function option(value, label) {
  const o = document.createElement("option");
  o.value = value; o.textContent = label;
  return o;
}

function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }

function show(id) {
  for (const page of ["signin-page", "board-page", "ticket-page", "reports-page"]) $(page).hidden = page !== id;
  for (const [nav, page] of [["nav-board", "board-page"], ["nav-reports", "reports-page"]]) {
    if (id === page) $(nav).setAttribute("aria-current", "page"); else $(nav).removeAttribute("aria-current");
  }
}

function span(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
  if (d) return d + "d " + h + "h";
  if (h) return h + "h " + m + "m";
  return m + "m " + Math.floor((Math.abs(ms) % 60000) / 1000) + "s";
}

function when(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }

// -- the board ---------------------------------------------------------------------------------------------------
function countdown(target, now) {
  if (target.status === "paused" || !target.due_at) return { state: "hold", text: target.label + ": on hold" };
  const due = Date.parse(target.due_at), warn = target.warn_at ? Date.parse(target.warn_at) : due;
  if (now >= due || target.status === "breached") {
    return { state: "late", text: target.label + ": breached " + span(now - due) + " ago" };
  }
  const left = target.label + ": " + span(due - now) + " left";
  return now >= warn ? { state: "warn", text: left + " (at risk)" } : { state: "ok", text: left };
}

function filters() { return Object.fromEntries(new FormData($("filters")).entries()); }

function fillFilter(name, values) {
  const select = $("filters").elements[name];
  const chosen = select.value;
  select.replaceChildren(option("", "All"), ...[...values].sort().map((v) => option(v, v || "(none)")));
  select.value = [...values].includes(chosen) ? chosen : "";
}

function renderBoard() {
  const f = filters();
  const rows = state.tickets.filter((t) => (!f.customer || t.customer === f.customer)
    && (!f.priority || t.priority === f.priority) && (!f.status || t.status_text === f.status)
    && (!f.assignee || t.assignee === f.assignee));
  const body = $("board").tBodies[0];
  body.replaceChildren(...rows.map(boardRow));
  $("board-status").textContent = rows.length + " of " + state.tickets.length + " open tickets shown";
  tick();
}

function boardRow(t) {
  const tr = document.createElement("tr");
  tr.dataset.ref = t.reference;
  const soonest = document.createElement("td");
  soonest.className = "soonest";
  const link = document.createElement("a");
  link.href = "#/ticket/" + t.id; link.textContent = t.reference;
  const ref = document.createElement("td"); ref.append(link);
  const targets = document.createElement("td");
  for (const target of t.targets) {
    const s = document.createElement("span");
    s.className = "cd"; s._target = target;
    targets.append(s);
  }
  tr.append(soonest, ref, cell(t.customer), cell(t.priority || "—"), cell(t.status_text), cell(t.assignee || "—"),
    targets);
  soonest._target = t.targets.find((x) => x.due_at) || null;
  return tr;
}

function tick() {
  const now = Date.now();
  for (const s of document.querySelectorAll("#board .cd")) {
    const c = countdown(s._target, now);
    s.dataset.state = c.state; s.textContent = c.text;
  }
  for (const td of document.querySelectorAll("#board td.soonest")) {
    const c = td._target ? countdown(td._target, now) : { state: "none", text: "no deadline running" };
    td.dataset.state = c.state; td.textContent = c.text;
  }
}

async function loadBoard() {
  const response = await api("tickets", { headers: state.etag ? { "If-None-Match": state.etag } : {} });
  if (response.status === 304) return;
  state.etag = response.headers.get("ETag");
  state.tickets = (await response.json()).tickets;
  fillFilter("customer", new Set(state.tickets.map((t) => t.customer)));
  fillFilter("priority", new Set(state.tickets.map((t) => t.priority)));
  fillFilter("status", new Set(state.tickets.map((t) => t.status_text)));
  fillFilter("assignee", new Set(state.tickets.map((t) => t.assignee)));
  renderBoard();
}

// -- one ticket --------------------------------------------------------------------------------------------------
async function loadTicket(id) {
  const response = await api("tickets/" + encodeURIComponent(id));
  if (!response.ok) { $("ticket-title").textContent = "No such ticket"; $("ticket-facts").replaceChildren();
    $("ticket-clocks").replaceChildren(); $("ticket-timeline").replaceChildren(); return; }
  const t = await response.json();
  $("ticket-title").textContent = t.reference;
  const facts = [];
  for (const [name, value] of Object.entries(t.facts)) {
    const dt = document.createElement("dt"); dt.textContent = name;
    const dd = document.createElement("dd"); dd.textContent = name === "Reported" ? when(value) : value;
    facts.push(dt, dd);
  }
  $("ticket-facts").replaceChildren(...facts);
  $("ticket-clocks").replaceChildren(...t.clocks.map((c) => clockItem(c, Date.parse(t.now))));
  $("ticket-timeline").replaceChildren(...t.timeline.map((e) => {
    const li = document.createElement("li");
    const time = document.createElement("time"); time.dateTime = e.at; time.textContent = when(e.at);
    li.append(time, e.what + (e.who ? " by " + e.who : "") + (e.details ? " — " + e.details : ""));
    return li;
  }));
}

function clockItem(c, now) {
  const li = document.createElement("li");
  const start = Date.parse(c.started_at);
  const end = Math.max(now, c.due_at ? Date.parse(c.due_at) : now, c.completed_at ? Date.parse(c.completed_at) : 0);
  const pct = (t) => (100 * (t - start) / Math.max(1, end - start)).toFixed(2) + "%";
  const track = document.createElement("div");
  track.className = "track"; track.setAttribute("aria-hidden", "true");
  const run = document.createElement("span");
  run.className = "run"; run.style.left = "0"; run.style.width = pct(c.completed_at ? Date.parse(c.completed_at) : now);
  track.append(run);
  for (const [from, to] of c.paused) {
    const hold = document.createElement("span");
    hold.className = "hold"; hold.style.left = pct(Date.parse(from));
    hold.style.width = "calc(" + pct(to ? Date.parse(to) : now) + " - " + pct(Date.parse(from)) + ")";
    track.append(hold);
  }
  if (c.due_at) {
    const due = document.createElement("span"); due.className = "due"; due.style.left = pct(Date.parse(c.due_at));
    track.append(due);
  }
  const holds = c.paused.map(([a, b]) => when(a) + " to " + (b ? when(b) : "now")).join(", ");
  li.textContent = c.label + ": " + c.status.replace("_", " ") + " · started " + when(c.started_at) + " · due "
    + when(c.due_at) + (c.completed_at ? " · done " + when(c.completed_at) : "") + " · "
    + c.consumed_minutes + " of " + (c.allowance_minutes ?? "—") + " min used" + (holds ? " · on hold " + holds : "");
  li.append(track);
  return li;
}

// -- the monthly report ------------------------------------------------------------------------------------------
async function reportForm() {
  const me = await state.me;
  const select = $("report-customer");
  if (!select.options.length) select.replaceChildren(...me.customers.map((c) => option(c.id, c.name)));
  if (!$("report-month").value) $("report-month").value = me.default_month;
}

async function loadReport(event) {
  if (event) event.preventDefault();
  const query = "customer=" + encodeURIComponent($("report-customer").value) + "&month="
    + encodeURIComponent($("report-month").value);
  $("report-status").textContent = "Loading the report…";
  const response = await api("report?" + query);
  if (!response.ok) { $("report-status").textContent = "No report: " + (await response.json()).error; return; }
  const r = await response.json();
  $("report-status").textContent = "";
  $("report").hidden = false;
  $("report-title").textContent = "SLA report: " + r.customer + ", " + r.period;
  $("report-subtitle").textContent = r.contract + " · " + r.tickets + " tickets · figures as of " + when(r.as_of);
  $("report-csv").href = r.csv_url;
  $("report-csv").setAttribute("download", "sla-report-" + $("report-customer").value + "-" + r.month + ".csv");
  reportTables(r);
  reportCharts(r);
}

function reportTables(r) {
  const fmt = (v) => (v === null || v === undefined ? "—" : String(v));
  $("report-targets").tBodies[0].replaceChildren(...r.targets.map((t) => {
    const tr = document.createElement("tr");
    tr.dataset.target = t.target; tr.dataset.priority = t.priority;
    tr.append(cell(t.target), cell(t.priority), cell(fmt(t.met)), cell(fmt(t.breached)), cell(fmt(t.running)),
      cell(t.percent_met === null ? "—" : t.percent_met.toFixed(1)), cell(fmt(t.median_minutes)),
      cell(fmt(t.p90_minutes)));
    return tr;
  }));
  const figures = [["Tickets", r.tickets], ["MTTA elapsed (min)", r.mtta.elapsed_minutes],
    ["MTTR elapsed (min)", r.mttr.elapsed_minutes], ["Reclassified tickets", r.changes.reclassified_tickets],
    ["Reopened tickets", r.changes.reopened_tickets], ["Updates sent late", r.changes.late_updates],
    ...r.availability.figures.map((f) => [f.name + " availability (%)", f.percent])];
  $("report-figures").tBodies[0].replaceChildren(...figures.map(([name, value]) => {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row"; th.textContent = name;
    tr.dataset.figure = name;
    tr.append(th, cell(fmt(value)));
    return tr;
  }));
}

function reportCharts(r) {
  state.charts.forEach((chart) => chart.destroy());
  state.charts = [];
  if (!window.Chart) return;  // the tables carry every number
  const styles = getComputedStyle(document.documentElement);
  window.Chart.defaults.color = styles.getPropertyValue("--fg").trim();
  window.Chart.defaults.borderColor = styles.getPropertyValue("--line").trim();
  window.Chart.defaults.animation = false;
  window.Chart.defaults.maintainAspectRatio = false;
  const totals = r.targets.filter((t) => t.priority === "all" && t.percent_met !== null);
  const colour = (name) => styles.getPropertyValue(name).trim();
  const names = { first_response: "First response", first_update: "Customer update", restoration: "Restoration",
    resolution: "Resolution" };
  state.charts.push(new window.Chart($("chart-targets"), { type: "bar", data: { labels: totals.map((t) =>
    names[t.target] || t.target),
    datasets: [{ label: "% met", data: totals.map((t) => t.percent_met), backgroundColor: colour("--ok") }] },
  options: { scales: { y: { min: 0, max: 100 } } } }));
  const priorities = Object.keys(r.by_priority);
  const palette = [colour("--late"), colour("--warn"), colour("--run"), colour("--ok"), colour("--hold")];
  state.charts.push(new window.Chart($("chart-priority"), { type: "doughnut", data: { labels: priorities,
    datasets: [{ data: Object.values(r.by_priority), backgroundColor: priorities.map((_, i) => palette[i % 5]) }] } }));
  state.charts.push(new window.Chart($("chart-days"), { type: "line", data: { labels: Object.keys(r.by_day),
    datasets: [{ label: "Tickets", data: Object.values(r.by_day), borderColor: colour("--run") }] },
  options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } }));
}

// -- pages -------------------------------------------------------------------------------------------------------
async function route() {
  if (!state.me) return;
  const hash = window.location.hash || "#/";
  const ticket = hash.match(/^#\/ticket\/(\d+)$/);
  if (ticket) { show("ticket-page"); await loadTicket(ticket[1]); }
  else if (hash === "#/reports") { show("reports-page"); await reportForm(); }
  else { show("board-page"); await loadBoard(); }
}

async function start() {
  // Without a token of its own (outside Teams, no development sign-in) the page still asks: a request the browser
  // already authenticates is answered, anything else gets 401 and the sign-in page.
  state.auth = await signIn();
  $("dev-banner").hidden = !state.auth || state.auth.scheme !== "Dev";
  state.me = api("me").then((response) => response.json());  // asked beside the page's own data
  state.me.catch(() => {});
  await route();
  $("who").textContent = "Signed in as " + (await state.me).name;
  if (!state.timer) state.timer = setInterval(tick, 1000);
  if (!state.poll) state.poll = setInterval(() => { if (!$("board-page").hidden) loadBoard().catch(() => {}); },
    POLL_MS);
}

if (!framed()) applyTheme(window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "default");
$("dev-signin").addEventListener("submit", devSignIn);
$("filters").addEventListener("change", renderBoard);
$("report-form").addEventListener("submit", loadReport);
window.addEventListener("hashchange", () => { route().catch(() => {}); });
start().catch(() => {});
