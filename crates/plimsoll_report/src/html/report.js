(function () {
  'use strict';
  // Findings come from the JSON block and are written with textContent only.
  var data = JSON.parse(document.getElementById('plimsoll-data').textContent);
  var all = data.findings;
  var PAGE = 250;
  var CLUSTER = ':cluster';
  var SEVS = ['error', 'warning', 'info'];
  function $(id) { return document.getElementById(id); }
  var list = $('finding-list'), countEl = $('match-count'), emptyEl = $('empty');
  var more = $('more'), moreBtn = $('show-more');
  var form = $('filters'), selNs = $('f-namespace'), selKind = $('f-kind');
  var selRule = $('f-rule'), search = $('f-text');
  var sevBoxes = Array.prototype.slice.call(form.querySelectorAll('input[name=severity]'));

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function nsOf(f) { return f.namespace == null ? CLUSTER : f.namespace; }
  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  function unique(xs) {
    var seen = Object.create(null), out = [];
    xs.forEach(function (x) { if (!seen[x]) { seen[x] = true; out.push(x); } });
    return out;
  }
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }

  all.forEach(function (f, i) {
    f.i = i;
    f.hay = [f.code, f.rule, f.severity, f.message, f.kind,
      (f.namespace == null ? '' : f.namespace + '/') + f.name,
      f.container || '', f.at || '', f.path].join('\n').toLowerCase();
  });

  function option(sel, value, label) {
    var o = el('option', null, label);
    o.value = value;
    o.setAttribute('data-label', label);
    sel.appendChild(o);
    return o;
  }
  unique(all.map(nsOf)).sort(function (a, b) {
    return a === CLUSTER ? 1 : b === CLUSTER ? -1 : cmp(a, b);
  }).forEach(function (ns) {
    option(selNs, ns, ns === CLUSTER ? '(cluster-scoped)' : ns);
  });
  unique(all.map(function (f) { return f.kind; })).sort(cmp).forEach(function (k) {
    option(selKind, k, k);
  });
  data.groups.forEach(function (g) {
    var og = el('optgroup');
    og.label = g[0] + (g[1] ? ' \u2014 ' + g[1] : '');
    option(og, 'group:' + g[0], 'All ' + g[0] + ' rules');
    Object.keys(data.rules).filter(function (c) { return data.rules[c].group === g[0]; })
      .sort(cmp).forEach(function (c) { option(og, c, c + ' ' + data.rules[c].name); });
    selRule.appendChild(og);
  });

  function state() {
    var sev = {};
    sevBoxes.forEach(function (b) { sev[b.value] = b.checked; });
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    return { sev: sev, ns: selNs.value, kind: selKind.value, rule: selRule.value, words: words };
  }
  function ok(f, s, skip) {
    if (skip !== 'sev' && !s.sev[f.severity]) return false;
    if (skip !== 'ns' && s.ns && nsOf(f) !== s.ns) return false;
    if (skip !== 'kind' && s.kind && f.kind !== s.kind) return false;
    if (skip !== 'rule' && s.rule && s.rule !== f.code && s.rule !== 'group:' + f.group) return false;
    for (var i = 0; i < s.words.length; i++) {
      if (f.hay.indexOf(s.words[i]) < 0) return false;
    }
    return true;
  }
  // the counts beside each choice: what it would show with the other filters as they are
  function facet(sel, s, skip, keys) {
    var n = Object.create(null);
    all.forEach(function (f) {
      if (ok(f, s, skip)) keys(f).forEach(function (k) { n[k] = (n[k] || 0) + 1; });
    });
    Array.prototype.forEach.call(sel.querySelectorAll('option'), function (o) {
      if (!o.value) return;
      var c = n[o.value] || 0;
      o.textContent = o.getAttribute('data-label') + ' (' + c + ')';
      o.disabled = c === 0 && o.value !== sel.value;
    });
  }

  var matches = [], shown = 0;
  function apply() {
    var s = state();
    matches = all.filter(function (f) { return ok(f, s); });
    var bySev = { error: 0, warning: 0, info: 0 };
    all.forEach(function (f) { if (ok(f, s, 'sev')) bySev[f.severity]++; });
    SEVS.forEach(function (k) { form.querySelector('[data-facet=' + k + ']').textContent = bySev[k]; });
    facet(selNs, s, 'ns', function (f) { return [nsOf(f)]; });
    facet(selKind, s, 'kind', function (f) { return [f.kind]; });
    facet(selRule, s, 'rule', function (f) { return [f.code, 'group:' + f.group]; });
    list.textContent = '';
    shown = 0;
    renderMore();
    countEl.setAttribute('data-n', matches.length);
    countEl.textContent = matches.length === all.length
      ? plural(all.length, 'finding', 'findings')
      : matches.length + ' of ' + plural(all.length, 'finding', 'findings') + ' match the filters';
    emptyEl.hidden = matches.length !== 0;
  }
  function renderMore() {
    var frag = document.createDocumentFragment();
    var end = Math.min(matches.length, shown + PAGE);
    for (; shown < end; shown++) frag.appendChild(card(matches[shown]));
    list.appendChild(frag);
    list.setAttribute('data-shown', shown);
    more.hidden = shown >= matches.length;
    moreBtn.textContent = 'Show ' + Math.min(PAGE, matches.length - shown) + ' more (' +
      (matches.length - shown) + ' not shown yet)';
  }

  function meta(parent, key, value, title) {
    var s = el('span');
    s.appendChild(el('span', 'k', key));
    var v = el('code', null, value);
    if (title) v.title = title;
    s.appendChild(v);
    parent.appendChild(s);
  }
  function snippet(f) {
    var pre = el('pre', 'snippet');
    f.snippet.lines.forEach(function (parts, k) {
      var line = el('span', parts[1] ? 'line hit' : 'line');
      line.appendChild(el('span', 'ln', String(f.snippet.start + k)));
      if (parts[0]) line.appendChild(document.createTextNode(parts[0]));
      if (parts[1]) line.appendChild(el('mark', null, parts[1]));
      if (parts[2]) line.appendChild(document.createTextNode(parts[2]));
      pre.appendChild(line);
    });
    return pre;
  }
  // messages quote names and values in backticks: show those as code
  function message(text) {
    var p = el('p', 'f-msg');
    text.split('`').forEach(function (part, k, parts) {
      if (!part) return;
      if (k % 2 === 1 && k < parts.length - 1) p.appendChild(el('code', null, part));
      else p.appendChild(document.createTextNode(k % 2 === 1 ? '`' + part : part));
    });
    return p;
  }
  function card(f) {
    var a = el('article', 'finding sev-' + f.severity);
    a.setAttribute('data-index', f.i);
    var h = el('div', 'f-head');
    h.appendChild(el('span', 'badge sev-' + f.severity, f.severity));
    var code = el('a', 'code', f.code);
    code.href = '#rule-' + f.code;
    h.appendChild(code);
    h.appendChild(el('span', 'rule-name', f.rule));
    if (f.at) h.appendChild(el('span', 'f-loc', f.at));
    a.appendChild(h);
    a.appendChild(message(f.message));
    var m = el('div', 'f-meta');
    meta(m, 'Object', f.kind + ' ' + (f.namespace == null ? '' : f.namespace + '/') + f.name, f.apiVersion);
    if (f.container) meta(m, 'Container', f.container);
    if (f.path) meta(m, 'Path', f.path);
    a.appendChild(m);
    if (f.snippet) a.appendChild(snippet(f));
    if (f.related) {
      var r = el('div', 'related');
      r.appendChild(el('span', 'muted', 'Related objects'));
      var ul = el('ul');
      f.related.forEach(function (x) {
        var li = el('li', null, x.object + (x.path ? ' ' + x.path : ''));
        if (x.at) li.appendChild(el('span', 'loc', ' (' + x.at + ')'));
        ul.appendChild(li);
      });
      r.appendChild(ul);
      a.appendChild(r);
    }
    if (f.fix) {
      var fx = el('div', 'fix');
      fx.appendChild(el('span', 'fix-kind', 'Fix (' + f.fix.applicability + ')'));
      fx.appendChild(document.createTextNode(f.fix.title));
      if (f.fix.edits) fx.appendChild(el('pre', null, f.fix.edits));
      a.appendChild(fx);
    }
    var d = el('details', 'doc-toggle');
    d.setAttribute('data-code', f.code);
    d.appendChild(el('summary', null, 'About ' + f.code + ': what it checks, why it matters, what to do'));
    a.appendChild(d);
    return a;
  }
  // the rule's documentation is on the page once; a finding copies it when opened
  list.addEventListener('toggle', function (e) {
    var d = e.target;
    if (!d.open || d.getAttribute('data-filled')) return;
    var src = $('doc-' + d.getAttribute('data-code'));
    if (src) {
      var c = src.cloneNode(true);
      c.removeAttribute('id');
      d.appendChild(c);
    }
    d.setAttribute('data-filled', '1');
  }, true);

  document.addEventListener('click', function (e) {
    var t = e.target.closest ? e.target.closest('a[href^="#rule-"]') : null;
    if (t) {
      var d = $(t.getAttribute('href').slice(1));
      if (d) d.open = true;
    }
  });

  function reset() {
    sevBoxes.forEach(function (b) { b.checked = true; });
    selNs.value = '';
    selKind.value = '';
    selRule.value = '';
    search.value = '';
  }
  Array.prototype.forEach.call(document.querySelectorAll('button.cell'), function (b) {
    b.addEventListener('click', function () {
      reset();
      var sev = b.getAttribute('data-sev');
      if (sev) sevBoxes.forEach(function (x) { x.checked = x.value === sev; });
      selRule.value = 'group:' + b.getAttribute('data-group');
      apply();
      $('findings').scrollIntoView();
    });
  });
  $('f-reset').addEventListener('click', function () { reset(); apply(); });
  [selNs, selKind, selRule].concat(sevBoxes).forEach(function (x) {
    x.addEventListener('change', apply);
  });
  var timer = 0;
  search.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(apply, 120);
  });
  moreBtn.addEventListener('click', renderMore);
  if ('IntersectionObserver' in window) {
    new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; }) && shown < matches.length) renderMore();
    }, { rootMargin: '600px' }).observe(more);
  }
  if (all.length === 0) form.hidden = true;
  apply();
  document.body.setAttribute('data-ready', '1');
})();
