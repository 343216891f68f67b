/**
 * The console page: plain HTML and JS, no framework, served by the API server. It polls the
 * API (capacity every second, history every 30 s) and redraws: per-cluster bars of
 * used/lent/idle/batch, utilization over the last hour, free-slot histograms (fragmentation),
 * the virtual nodes Tidepool advertises and those it ignores in members.
 *
 * Every figure carries its exact integer in data-value, so tests compare it with the API.
 * The JS is kept free of backticks and dollar-brace so it can live in this template string.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tidepool — capacity pool</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d2733; background: #f7f9fb; }
  h1 { font-size: 1.4rem; margin: 0 0 .3rem; } h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
  .muted { color: #6b7785; }
  #totals { display: flex; gap: 1.5rem; flex-wrap: wrap; margin: .8rem 0; }
  .stat { background: #fff; border: 1px solid #dde3ea; border-radius: 6px; padding: .5rem .9rem; }
  .stat b { display: block; font-size: 1.3rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e6ebf0; vertical-align: middle; }
  .bar { display: flex; width: 260px; height: 14px; background: #e9eef3; border-radius: 3px; overflow: hidden; }
  .bar span { display: block; height: 100%; }
  .bar.thin { height: 5px; margin-top: 2px; }
  .used { background: #7a8ba0; } .lent { background: #2f7fd1; } .idle { background: #5cc28a; } .batch { background: #f0b541; }
  .legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; border-radius: 2px; }
  .ready-True { color: #1a7f45; font-weight: 600; } .ready-False { color: #c0392b; font-weight: 600; }
  .hist { display: inline-flex; align-items: flex-end; gap: 2px; height: 32px; }
  .hist i { display: block; width: 10px; background: #2f7fd1; min-height: 1px; }
  svg.spark { background: #fff; border: 1px solid #e6ebf0; }
</style>
</head>
<body>
<h1>Tidepool capacity pool</h1>
<div class="muted">Idle capacity of the member clusters, as the virtual node lends it. <span id="updated"></span></div>
<div id="totals"></div>
<div class="legend muted"><span class="used"></span>used by the member <span class="lent"></span>lent to Tidepool <span class="idle"></span>idle (lendable) <span class="batch"></span>batch (reclaimable)</div>
<h2>Clusters</h2>
<table id="clusters"><thead><tr><th>Cluster</th><th>Ready</th><th>Nodes</th><th>CPU</th><th>Memory</th><th>Largest slot</th><th>Utilization (last hour)</th><th>Free-CPU slots</th></tr></thead><tbody></tbody></table>
<h2>Virtual nodes</h2>
<table id="vnodes"><thead><tr><th>Virtual node</th><th>CPU</th><th>Memory</th><th>Pods</th><th>Batch CPU</th></tr></thead><tbody></tbody></table>
<div class="muted" id="ignored"></div>
<script src="/app.js"></script>
</body>
</html>
`;

export const PAGE_JS = String.raw`'use strict';
(function () {
  var history = [];
  var lastDoc = null;

  function cores(m) { return (Math.round(m / 100) / 10) + ' cores'; }
  function gib(b) { return (Math.round(b / 1073741824 * 10) / 10) + ' GiB'; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function figure(cluster, name, value, fmt) {
    return el('span', { 'data-cluster': cluster, 'data-figure': name, 'data-value': String(value) }, fmt(value));
  }
  function bar(r) {
    var total = Math.max(r.allocatable, 1);
    var used = Math.max(0, r.requested - r.lent);
    var b = el('div', { 'class': 'bar', title: 'used ' + used + ', lent ' + r.lent + ', idle ' + r.idle + ', batch ' + r.batch });
    [['used', used], ['lent', r.lent], ['idle', r.idle]].forEach(function (p) {
      var s = el('span', { 'class': p[0] });
      s.style.width = Math.min(100, (p[1] / total) * 100) + '%';
      b.appendChild(s);
    });
    // Batch is another view of the same cores (measured, not requested): its own thin bar.
    var wrap = el('div');
    wrap.appendChild(b);
    var bb = el('div', { 'class': 'bar thin', title: 'batch (reclaimable from measured usage) ' + r.batch });
    var s = el('span', { 'class': 'batch' });
    s.style.width = Math.min(100, (r.batch / total) * 100) + '%';
    bb.appendChild(s);
    wrap.appendChild(bb);
    return wrap;
  }
  function resourceCell(c, res, fmt) {
    var td = el('td');
    td.appendChild(bar(c[res]));
    var line = el('div', { 'class': 'muted' });
    ['idle', 'lent', 'batch', 'requested', 'allocatable'].forEach(function (f, i) {
      if (i) line.appendChild(document.createTextNode(' · '));
      line.appendChild(document.createTextNode(f + ' '));
      line.appendChild(figure(c.name, res + '-' + f, c[res][f], fmt));
    });
    td.appendChild(line);
    return td;
  }
  function spark(name) {
    var w = 160, h = 32;
    var svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'spark'); svg.setAttribute('width', w); svg.setAttribute('height', h);
    var pts = history.filter(function (s) { return s.clusters[name]; }).map(function (s) {
      var c = s.clusters[name];
      return c.cpuAllocatable > 0 ? Math.max(c.cpuUsage, c.cpuRequested) / c.cpuAllocatable : 0;
    });
    if (pts.length > 0) {
      var line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
      var step = pts.length > 1 ? w / (pts.length - 1) : w;
      line.setAttribute('points', pts.map(function (p, i) { return (i * step) + ',' + (h - 2 - p * (h - 4)); }).join(' '));
      line.setAttribute('fill', 'none'); line.setAttribute('stroke', '#2f7fd1'); line.setAttribute('stroke-width', '1.5');
      svg.appendChild(line);
    }
    svg.setAttribute('data-cluster', name); svg.setAttribute('data-figure', 'history-points'); svg.setAttribute('data-value', String(pts.length));
    return svg;
  }
  function hist(c) {
    var box = el('span', { 'class': 'hist', 'data-cluster': c.name, 'data-figure': 'fragmentation' });
    var buckets = (c.fragmentation && c.fragmentation.cpu) || [];
    var max = Math.max.apply(null, buckets.map(function (b) { return b.nodes; }).concat([1]));
    buckets.forEach(function (b) {
      var i = el('i', { title: (b.from / 1000) + (b.to === null ? '+' : '-' + (b.to / 1000)) + ' cores free: ' + b.nodes + ' nodes', 'data-nodes': String(b.nodes) });
      i.style.height = (b.nodes / max * 100) + '%';
      box.appendChild(i);
    });
    return box;
  }
  function render(doc) {
    lastDoc = doc;
    var totals = document.getElementById('totals');
    totals.textContent = '';
    [['Idle CPU', 'cpu-idle', doc.total.cpu.idle, cores], ['Idle memory', 'memory-idle', doc.total.memory.idle, gib],
     ['Lent CPU', 'cpu-lent', doc.total.cpu.lent, cores], ['Batch CPU', 'cpu-batch', doc.total.cpu.batch, cores],
     ['Ready clusters', 'ready', doc.clusters.filter(function (c) { return c.ready; }).length, String]].forEach(function (t) {
      var d = el('div', { 'class': 'stat' });
      var b = el('b'); b.appendChild(figure('_total', t[1], t[2], t[3]));
      d.appendChild(b); d.appendChild(el('span', { 'class': 'muted' }, t[0]));
      totals.appendChild(d);
    });
    var tbody = document.querySelector('#clusters tbody');
    tbody.textContent = '';
    doc.clusters.forEach(function (c) {
      var tr = el('tr', { 'data-cluster-row': c.name });
      tr.appendChild(el('td', null, c.name + (c.paused ? ' (paused)' : '')));
      var rd = el('td'); rd.appendChild(el('span', { 'class': 'ready-' + (c.ready ? 'True' : 'False'), 'data-cluster': c.name, 'data-figure': 'ready', 'data-value': String(c.ready) }, c.ready ? 'Ready' : 'Not ready'));
      var why = (c.conditions || []).filter(function (x) { return x.type === 'Ready' && x.status !== 'True'; })[0];
      if (why) rd.appendChild(el('div', { 'class': 'muted' }, why.message));
      tr.appendChild(rd);
      var nd = el('td'); nd.appendChild(figure(c.name, 'nodes', c.nodes, String)); tr.appendChild(nd);
      tr.appendChild(resourceCell(c, 'cpu', cores));
      tr.appendChild(resourceCell(c, 'memory', gib));
      var ls = el('td'); ls.appendChild(figure(c.name, 'cpu-largestSlot', c.cpu.largestSlot, cores)); ls.appendChild(el('br'));
      ls.appendChild(figure(c.name, 'memory-largestSlot', c.memory.largestSlot, gib)); tr.appendChild(ls);
      var sp = el('td'); sp.appendChild(spark(c.name)); tr.appendChild(sp);
      var hs = el('td'); hs.appendChild(hist(c)); tr.appendChild(hs);
      tbody.appendChild(tr);
    });
    var vb = document.querySelector('#vnodes tbody');
    vb.textContent = '';
    var rows = [{ name: 'tidepool (pool)', cpu: doc.total.cpu.idle, mem: doc.total.memory.idle, pods: doc.clusters.reduce(function (s, c) { return s + (c.ready && c.pods ? c.pods.idle : 0); }, 0), batch: doc.total.cpu.batch, key: '_pool' }];
    doc.clusters.forEach(function (c) { rows.push({ name: 'tidepool-' + c.name, cpu: c.cpu.idle, mem: c.memory.idle, pods: c.pods ? c.pods.idle : 0, batch: c.cpu.batch, key: c.name }); });
    rows.forEach(function (r) {
      var tr = el('tr', { 'data-vnode': r.name });
      tr.appendChild(el('td', null, r.name));
      var a = el('td'); a.appendChild(figure(r.key, 'vnode-cpu', r.cpu, cores)); tr.appendChild(a);
      var b = el('td'); b.appendChild(figure(r.key, 'vnode-memory', r.mem, gib)); tr.appendChild(b);
      tr.appendChild(el('td', null, String(r.pods)));
      var d = el('td'); d.appendChild(figure(r.key, 'vnode-batch', r.batch, cores)); tr.appendChild(d);
      vb.appendChild(tr);
    });
    var ignored = [];
    doc.clusters.forEach(function (c) { (c.virtualNodes || []).forEach(function (v) { ignored.push(c.name + '/' + v); }); });
    document.getElementById('ignored').textContent = ignored.length ? 'Virtual nodes inside members, never counted as capacity: ' + ignored.join(', ') : 'No virtual nodes inside members.';
    document.getElementById('updated').textContent = 'Updated ' + new Date().toLocaleTimeString() + '.';
    document.body.setAttribute('data-loaded', 'true');
  }
  function get(url) {
    return fetch(url, { headers: { accept: 'application/json' } }).then(function (r) {
      if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
      return r.json();
    });
  }
  var historyAskedAt = 0;
  function refresh() {
    return get('/api/v1/capacity').then(function (doc) {
      render(doc);
      // A cluster the history does not know yet (it joined after the last history fetch):
      // fetch the history again now rather than at the next 30 s tick, at most every 2 s.
      var known = history.length > 0 ? history[history.length - 1].clusters : {};
      var missing = doc.clusters.some(function (c) { return !known[c.name]; });
      if (missing && Date.now() - historyAskedAt > 2000) refreshHistory();
    }).catch(function (e) {
      document.getElementById('updated').textContent = 'Update failed: ' + e.message;
    });
  }
  function refreshHistory() {
    historyAskedAt = Date.now();
    return get('/api/v1/history').then(function (h) { history = h.samples || []; if (lastDoc) render(lastDoc); }).catch(function () {});
  }
  refreshHistory().then(refresh);
  setInterval(refresh, 1000);
  setInterval(refreshHistory, 30000);
})();
`;
