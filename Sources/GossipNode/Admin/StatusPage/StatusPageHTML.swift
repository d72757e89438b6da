/// The status page: one self-contained document (HTML, CSS, a little JavaScript), nothing fetched from
/// anywhere but this node's own admin routes. It polls `/v1/status` every 2 s (health, members, neighbours,
/// and counters it turns into rates) and `/v1/tree` every 5 s, and draws the broadcast tree: every member
/// at its depth from this node along eager links, eager links solid, lazy ones dashed. Every name reaches
/// the page as text (`textContent`), never as markup: member names come from the cluster.
enum StatusPageHTML {
    static let bytes = Array(text.utf8)

    static let text = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gossip node status</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 12px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0; }
  .badge { padding: 2px 10px; border-radius: 10px; font-weight: 600; }
  .healthy { background: #2e7d32; color: #fff; } .degraded { background: #f9a825; color: #1d2330; }
  .unhealthy { background: #c62828; color: #fff; } .unknown { background: #888; color: #fff; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 16px 20px; }
  section { background: #fff; border-radius: 8px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / 3; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid #eceef2; vertical-align: top; }
  .state-alive { color: #2e7d32; } .state-suspect { color: #ef6c00; } .state-dead, .state-left { color: #c62828; }
  .rate { font-size: 22px; font-weight: 600; } .rates { display: flex; gap: 32px; }
  .muted { color: #6b7280; }
  svg path.eager { stroke: #1565c0; stroke-width: 2.5; fill: none; }
  svg path.lazy { stroke: #b0b8c4; stroke-width: 1; stroke-dasharray: 4 4; fill: none; }
  svg circle.node { fill: #fff; stroke: #1565c0; stroke-width: 2; }
  svg circle.root { fill: #1565c0; }
  svg circle.outside { stroke: #c62828; }
  svg text { font-size: 12px; text-anchor: middle; }
</style>
</head>
<body>
<header><h1 id="name">gossip node</h1><span id="health" class="badge unknown">…</span><span id="address" class="muted"></span></header>
<main>
  <section><h2>Health</h2><ul id="reasons"><li class="muted">no reasons: healthy</li></ul></section>
  <section><h2>Rates (per second)</h2>
    <div class="rates">
      <div><div class="rate" id="rate-delivered">–</div>delivered</div>
      <div><div class="rate" id="rate-duplicates">–</div>duplicates</div>
      <div><div class="rate" id="rate-grafts">–</div>grafts sent</div>
    </div></section>
  <section><h2>Members</h2><table><thead><tr><th>name</th><th>state</th><th>address</th><th>tags</th></tr></thead>
    <tbody id="members"></tbody></table></section>
  <section><h2>This node's neighbours</h2><table><tbody>
    <tr><th>eager</th><td id="eager"></td></tr><tr><th>lazy</th><td id="lazy"></td></tr></tbody></table></section>
  <section class="wide"><h2>Broadcast tree</h2>
    <p class="muted" id="tree-note">eager links (solid) carry payloads and form the tree; lazy links (dashed) carry announcements</p>
    <svg id="tree" width="960" height="420" viewBox="0 0 960 420" role="img" aria-label="broadcast tree"></svg></section>
</main>
<script>
"use strict";
const SVG = "http://www.w3.org/2000/svg";
let last = null;

function text(id, value) { document.getElementById(id).textContent = value; }
function clear(element) { while (element.firstChild) element.removeChild(element.firstChild); }
function cell(row, value, className) {
  const td = document.createElement("td");
  td.textContent = value;
  if (className) td.className = className;
  row.appendChild(td);
}

function showStatus(status) {
  text("name", status.name);
  text("address", status.address);
  const badge = document.getElementById("health");
  badge.textContent = status.health.status;
  badge.className = "badge " + status.health.status;
  const reasons = document.getElementById("reasons");
  clear(reasons);
  for (const reason of status.health.reasons) {
    const li = document.createElement("li");
    li.textContent = reason.code + " (" + reason.severity + "): " + reason.message;
    reasons.appendChild(li);
  }
  if (status.health.reasons.length === 0) {
    const li = document.createElement("li"); li.className = "muted"; li.textContent = "no reasons: healthy"; reasons.appendChild(li);
  }
  const members = document.getElementById("members");
  clear(members);
  for (const member of status.members.slice().sort((a, b) => a.name.localeCompare(b.name))) {
    const row = document.createElement("tr");
    row.className = "member";
    cell(row, member.name, "member-name");
    cell(row, member.state, "state-" + member.state);
    cell(row, member.address);
    cell(row, Object.keys(member.tags).sort().map(k => k + "=" + member.tags[k]).join(", "));
    members.appendChild(row);
  }
  text("eager", status.eager.join(", ") || "none");
  text("lazy", status.lazy.join(", ") || "none");
  const now = performance.now();
  if (last) {
    const seconds = Math.max(0.001, (now - last.at) / 1000);
    const rate = (key) => ((status.counters[key] - last.counters[key]) / seconds).toFixed(1);
    text("rate-delivered", rate("delivered"));
    text("rate-duplicates", rate("duplicates"));
    text("rate-grafts", rate("graftsSent"));
  }
  last = { at: now, counters: status.counters };
}

// Depth of every member from the root along eager links (undirected); members the tree does not reach get a
// row of their own below it, drawn in red.
function layout(tree) {
  const names = Object.keys(tree.members).sort();
  const links = new Map(names.map(n => [n, new Set()]));
  for (const name of names) for (const peer of tree.members[name].eager) {
    if (!links.has(peer)) links.set(peer, new Set());
    links.get(name).add(peer); links.get(peer).add(name);
  }
  const depth = new Map([[tree.root, 0]]);
  const queue = [tree.root];
  while (queue.length) {
    const name = queue.shift();
    for (const peer of [...(links.get(name) || [])].sort()) {
      if (!depth.has(peer)) { depth.set(peer, depth.get(name) + 1); queue.push(peer); }
    }
  }
  const deepest = Math.max(0, ...depth.values());
  const all = [...new Set([...links.keys(), ...tree.unanswered])].sort();
  for (const name of all) if (!depth.has(name)) depth.set(name, deepest + 1);
  return { all, depth, deepest };
}

function showTree(tree) {
  const svg = document.getElementById("tree");
  clear(svg);
  const { all, depth, deepest } = layout(tree);
  const rows = deepest + 2;
  const height = Math.max(200, rows * 110 + 50);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", "0 0 960 " + height);
  const position = new Map();
  for (let level = 0; level < rows; level++) {
    const row = all.filter(n => depth.get(n) === level);
    row.forEach((name, i) => position.set(name, { x: (i + 1) * 960 / (row.length + 1), y: 70 + level * 110 }));
  }
  const drawn = new Set();
  const line = (a, b, kind) => {
    const key = [a, b].sort().join("\u0000") + kind;
    if (drawn.has(key) || !position.has(a) || !position.has(b)) return;
    drawn.add(key);
    // Links within one row bow upwards, so that links between neighbours in the row do not hide others.
    const p = position.get(a), q = position.get(b);
    const bend = p.y === q.y ? Math.min(60, Math.abs(q.x - p.x) / 4) : 0;
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("class", kind);
    path.setAttribute("d", "M " + p.x + " " + p.y + " Q " + (p.x + q.x) / 2 + " " + ((p.y + q.y) / 2 - bend) + " " + q.x + " " + q.y);
    svg.appendChild(path);
  };
  for (const name of Object.keys(tree.members)) for (const peer of tree.members[name].lazy) line(name, peer, "lazy");
  for (const name of Object.keys(tree.members)) for (const peer of tree.members[name].eager) line(name, peer, "eager");
  for (const name of all) {
    const p = position.get(name);
    const circle = document.createElementNS(SVG, "circle");
    const outside = depth.get(name) > deepest;
    circle.setAttribute("class", "node" + (name === tree.root ? " root" : "") + (outside ? " outside" : ""));
    circle.setAttribute("cx", p.x); circle.setAttribute("cy", p.y); circle.setAttribute("r", 14);
    circle.setAttribute("data-name", name);
    svg.appendChild(circle);
    const label = document.createElementNS(SVG, "text");
    label.setAttribute("x", p.x); label.setAttribute("y", p.y + 30);
    label.textContent = name + (tree.unanswered.includes(name) ? " (no answer)" : "");
    svg.appendChild(label);
  }
  const note = tree.notAsked.length ? "; not asked (Plumtree version 1): " + tree.notAsked.join(", ") : "";
  text("tree-note", "eager links (solid) carry payloads and form the tree; lazy links (dashed) carry announcements" + note);
}

async function poll(path, show) {
  try {
    const reply = await fetch(path, { cache: "no-store" });
    if (reply.ok) show(await reply.json());
  } catch (error) {
    document.getElementById("health").className = "badge unknown";
    text("health", "unreachable");
  }
}
poll("/v1/status", showStatus); poll("/v1/tree", showTree);
setInterval(() => poll("/v1/status", showStatus), 2000);
setInterval(() => poll("/v1/tree", showTree), 5000);
</script>
</body>
</html>
"""#
}
