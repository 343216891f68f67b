/**
 * The console page: plain HTML and JS, no framework, served by the API server. It polls the
 * API (capacity every second, history at the server's sample period, virtual nodes every 5 s)
 * and redraws: per-cluster bars of used/lent/idle/batch, free-slot histograms (fragmentation),
 * CPU utilization over the last hour per member (online used, offline used, the nodes' own
 * daemons, idle: colocation at work), the virtual nodes as the host cluster has them, and the
 * virtual nodes it ignores in members.
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
  #charts { display: flex; flex-wrap: wrap; gap: 1rem; }
  .chart { background: #fff; border: 1px solid #dde3ea; border-radius: 6px; padding: .5rem .8rem; width: 420px; }
  .chart h3 { font-size: .95rem; margin: 0 0 .3rem; }
  .chart svg { display: block; }
  .online { background: #3f6fa8; } .offline { background: #f0b541; } .system { background: #b9c3ce; } .free { background: #d8f0e2; }
  .vn-Ready { color: #1a7f45; font-weight: 600; } .vn-NotReady { color: #c0392b; font-weight: 600; }
</style>
</head>
<body>
<h1>Tidepool capacity pool</h1>
<div class="muted">Idle capacity of the member clusters, as the virtual node lends it. <span id="updated"></span></div>
<div id="totals"></div>
<div class="legend muted"><span class="used"></span>used by the member <span class="lent"></span>lent to Tidepool <span class="idle"></span>idle (lendable) <span class="batch"></span>batch (reclaimable)</div>
<h2>Clusters</h2>
<table id="clusters"><thead><tr><th>Cluster</th><th>Ready</th><th>Nodes</th><th>CPU</th><th>Memory</th><th>Largest slot</th><th>Free-CPU slots</th></tr></thead><tbody></tbody></table>
<h2>CPU utilization over time</h2>
<div class="muted">What each member's CPUs did: online services, offline batch work filling the gaps beside them, the nodes' own daemons, and what stayed idle.</div>
<div class="legend muted"><span class="online"></span>online used <span class="offline"></span>offline used <span class="system"></span>nodes' own daemons <span class="free"></span>idle</div>
<div id="charts"><div class="muted" id="charts-empty">Waiting for the first utilization sample.</div></div>
<h2>Virtual nodes</h2>
<div class="muted">As the host cluster has them (Node objects labelled type=virtual-kubelet).</div>
<table id="vnodes"><thead><tr><th>Virtual node</th><th>Ready</th><th>Stands for</th><th>CPU</th><th>Memory</th><th>Pods</th><th>Batch CPU</th></tr></thead><tbody></tbody></table>
<div class="muted" id="vnodes-note"></div>
<div class="muted" id="ignored"></div>
<script src="/app.js"></script>
</body>
</html>
`;

export const PAGE_JS = String.raw`'use strict';
(function () {
  var history = [];
  var historyEveryMs = 30000;
  var vnodes = null;
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
  // One sample's CPU split, millicores; the bands add up to allocatable.
  function split(c) {
    var alloc = Math.max(0, c.cpuAllocatable);
    var used = Math.min(alloc, Math.max(0, c.cpuUsage));
    var offline = c.cpuOfflineUsage === null || c.cpuOfflineUsage === undefined ? 0 : Math.min(used, c.cpuOfflineUsage);
    // No pod metrics: all measured use is shown as online, the cautious reading.
    var online = c.cpuOnlineUsage === null || c.cpuOnlineUsage === undefined ? used - offline : Math.min(used - offline, c.cpuOnlineUsage);
    return { allocatable: alloc, online: online, offline: offline, system: used - offline - online, idle: alloc - used };
  }
  var BANDS = [['online', '#3f6fa8'], ['offline', '#f0b541'], ['system', '#b9c3ce'], ['idle', '#d8f0e2']];
  function pct(part, whole) { return whole > 0 ? Math.round(part / whole * 100) : 0; }
  function chart(name) {
    var w = 420, h = 120;
    var ns = 'http://www.w3.org/2000/svg';
    var pts = history.filter(function (s) { return s.clusters[name] && s.clusters[name].cpuAllocatable > 0; }).map(function (s) {
      return { t: s.t, v: split(s.clusters[name]) };
    });
    var box = el('div', { 'class': 'chart', 'data-chart': name });
    box.appendChild(el('h3', null, name));
    var svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('width', w); svg.setAttribute('height', h);
    svg.setAttribute('data-cluster', name); svg.setAttribute('data-figure', 'utilization-chart'); svg.setAttribute('data-value', String(pts.length));
    svg.setAttribute('role', 'img'); svg.setAttribute('aria-label', 'CPU of ' + name + ' over time: online, offline, daemons, idle');
    if (pts.length > 0) {
      var t0 = pts[0].t, t1 = pts[pts.length - 1].t;
      var x = function (t) { return t1 > t0 ? (t - t0) / (t1 - t0) * w : w; };
      var base = pts.map(function () { return 0; });
      BANDS.forEach(function (b) {
        var top = pts.map(function (p, i) { return base[i] + p.v[b[0]] / p.v.allocatable; });
        var up = pts.map(function (p, i) { return x(p.t) + ',' + (h - top[i] * h).toFixed(1); });
        var down = pts.map(function (p, i) { return x(p.t) + ',' + (h - base[i] * h).toFixed(1); }).reverse();
        // A single sample is drawn as a thin column at the right edge.
        if (pts.length === 1) { up.unshift((w - 4) + ',' + (h - top[0] * h).toFixed(1)); down.push((w - 4) + ',' + h); }
        var poly = document.createElementNS(ns, 'polygon');
        poly.setAttribute('points', up.concat(down).join(' '));
        poly.setAttribute('fill', b[1]);
        poly.setAttribute('data-band', b[0]);
        svg.appendChild(poly);
        base = top;
      });
    }
    box.appendChild(svg);
    var last = pts.length > 0 ? pts[pts.length - 1].v : null;
    var line = el('div', { 'class': 'muted' });
    if (last) {
      [['online', 'online'], ['offline', 'offline'], ['system', 'daemons'], ['idle', 'idle']].forEach(function (f, i) {
        if (i) line.appendChild(document.createTextNode(' · '));
        line.appendChild(document.createTextNode(f[1] + ' '));
        line.appendChild(figure(name, 'util-' + f[0], last[f[0]], cores));
        line.appendChild(document.createTextNode(' (' + pct(last[f[0]], last.allocatable) + ' %)'));
      });
      var mins = Math.max(1, Math.round((pts[pts.length - 1].t - pts[0].t) / 60000));
      line.appendChild(el('div', null, pts.length > 1 ? 'the last ' + mins + ' min, now on the right' : 'one sample so far'));
    } else {
      line.textContent = 'No sample yet.';
    }
    box.appendChild(line);
    return box;
  }
  function renderCharts(doc) {
    var charts = document.getElementById('charts');
    charts.textContent = '';
    doc.clusters.forEach(function (c) { charts.appendChild(chart(c.name)); });
    if (doc.clusters.length === 0) charts.appendChild(el('div', { 'class': 'muted' }, 'No member clusters.'));
  }
  function vfigure(node, name, value, fmt) {
    return el('span', { 'data-vnode': node, 'data-figure': name, 'data-value': String(value) }, fmt(value));
  }
  function renderVirtualNodes() {
    var vb = document.querySelector('#vnodes tbody');
    var note = document.getElementById('vnodes-note');
    vb.textContent = '';
    if (!vnodes) { note.textContent = 'Reading the virtual nodes from the host cluster...'; return; }
    if (!vnodes.connected) { note.textContent = 'This console is not connected to a host cluster, so it cannot show virtual nodes.'; return; }
    vnodes.nodes.forEach(function (n) {
      var tr = el('tr', { 'data-vnode-row': n.name });
      tr.appendChild(el('td', null, n.name + (n.tidepool ? '' : ' (not Tidepool\'s)')));
      var rd = el('td');
      rd.appendChild(el('span', { 'class': n.ready ? 'vn-Ready' : 'vn-NotReady', 'data-vnode': n.name, 'data-figure': 'vnode-ready', 'data-value': String(n.ready) }, n.ready ? 'Ready' : 'NotReady'));
      if (n.message) rd.appendChild(el('div', { 'class': 'muted' }, n.message));
      tr.appendChild(rd);
      tr.appendChild(el('td', null, n.memberCluster ? n.memberCluster : 'all members'));
      var a = el('td'); a.appendChild(vfigure(n.name, 'vnode-cpu', n.allocatable.cpu, cores)); tr.appendChild(a);
      var b = el('td'); b.appendChild(vfigure(n.name, 'vnode-memory', n.allocatable.memory, gib)); tr.appendChild(b);
      var p = el('td'); p.appendChild(vfigure(n.name, 'vnode-pods', n.allocatable.pods, String)); tr.appendChild(p);
      var d = el('td'); d.appendChild(vfigure(n.name, 'vnode-batch', n.allocatable.batchCpu, cores)); tr.appendChild(d);
      vb.appendChild(tr);
    });
    var msg = vnodes.nodes.length === 0 ? 'No virtual node is registered in the host cluster yet.' : '';
    if (vnodes.error) msg = (msg ? msg + ' ' : '') + 'The list may be stale: ' + vnodes.error;
    note.textContent = msg;
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
      var hs = el('td'); hs.appendChild(hist(c)); tr.appendChild(hs);
      tbody.appendChild(tr);
    });
    renderCharts(doc);
    renderVirtualNodes();
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
    return get('/api/v1/history').then(function (h) {
      history = h.samples || [];
      if (h.intervalMs > 0 && Math.max(2000, h.intervalMs) !== historyEveryMs) {
        historyEveryMs = Math.max(2000, h.intervalMs);
        clearInterval(historyTimer);
        historyTimer = setInterval(refreshHistory, historyEveryMs);
      }
      if (lastDoc) renderCharts(lastDoc);
    }).catch(function () {});
  }
  function refreshVirtualNodes() {
    return get('/api/v1/virtual-nodes').then(function (v) { vnodes = v; renderVirtualNodes(); }).catch(function (e) {
      document.getElementById('vnodes-note').textContent = 'Reading the virtual nodes failed: ' + e.message;
    });
  }
  var historyTimer = setInterval(refreshHistory, historyEveryMs);
  Promise.all([refreshHistory(), refreshVirtualNodes()]).then(refresh);
  setInterval(refresh, 1000);
  setInterval(refreshVirtualNodes, 5000);
})();
`;
