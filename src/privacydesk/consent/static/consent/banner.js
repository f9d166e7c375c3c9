/* Privacydesk cookie banner: plain JavaScript, no framework, served by Privacydesk itself.
 *
 * One tag on any page of this site or of an allowed origin:
 *   <script src="https://privacydesk.example/static/consent/banner.js" defer></script>
 * (data-lang="en" chooses the language; otherwise the page's <html lang>). Nothing is stored
 * and no tracking request is made before the visitor chooses. The choice is recorded by
 * Privacydesk (POST /consent/decide/), which answers with a consent id kept in the
 * first-party cookie pd_consent of the page's own site: "id.AT.version.time" (A analytics,
 * T tracking, 0 or 1). Scripts <script type="text/plain" data-category="analytics|tracking">
 * run only after their category is accepted; the tracker is loaded after tracking is.
 * Global Privacy Control refuses tracking. Escape closes nothing that needs a choice.
 */
(function () {
  'use strict';
  var me = document.currentScript;
  if (!me || window.pdConsent) return;
  var base = me.src.slice(0, me.src.indexOf('/static/'));
  var lang = (me.getAttribute('data-lang') || document.documentElement.lang || 'nl').slice(0, 2);
  lang = lang === 'en' ? 'en' : 'nl';
  var NAME = 'pd_consent';
  var YEAR = 365 * 86400;
  var gpc = navigator.globalPrivacyControl === true;
  var cfg = null;
  var root = null;
  var returnTo = null;
  var trackerLoaded = false;

  function read() {
    var m = document.cookie.match(/(?:^|;\s*)pd_consent=([^;]+)/);
    var p = m ? m[1].split('.') : [];
    if (p.length !== 4 || !/^[0-9a-f-]{36}$/.test(p[0]) || !/^[01]{2}$/.test(p[1])) return null;
    return { id: p[0], analytics: p[1][0] === '1', tracking: p[1][1] === '1', version: p[2], at: +p[3] };
  }

  function current() {
    var s = read();
    if (!s || !cfg || s.version !== cfg.version.slice(0, 16)) return null;
    if (s.at + YEAR < Date.now() / 1000) return null;
    return s;
  }

  function write(r) {
    var value = [r.id, (r.analytics ? '1' : '0') + (r.tracking ? '1' : '0'), r.version.slice(0, 16), r.at].join('.');
    document.cookie = NAME + '=' + value + '; Max-Age=' + YEAR + '; Path=/; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text) node.textContent = text;
    return node;
  }

  function activate(state) {
    var inert = document.querySelectorAll('script[type="text/plain"][data-category]');
    for (var i = 0; i < inert.length; i++) {
      var old = inert[i];
      var cat = old.getAttribute('data-category');
      if (old.hasAttribute('data-pd-done') || !(state[cat] === true)) continue;
      var run = document.createElement('script');
      for (var j = 0; j < old.attributes.length; j++) {
        var a = old.attributes[j];
        if (a.name !== 'type') run.setAttribute(a.name, a.value);
      }
      run.text = old.text;
      old.setAttribute('data-pd-done', '');
      old.parentNode.insertBefore(run, old.nextSibling);
    }
    if (state.tracking && cfg.tracker && !trackerLoaded) {
      trackerLoaded = true;
      var t = el('script', { src: cfg.tracker, 'data-collect': cfg.collect });
      t.async = true;
      document.head.appendChild(t);
    }
  }

  function texts() { return cfg.texts; }

  function receipt(state) {
    var T = texts();
    var chosen = [];
    if (state.analytics) chosen.push(T.analytics);
    if (state.tracking) chosen.push(T.tracking);
    var p = el('p', { 'class': 'pdc-receipt', id: 'pdc-receipt' });
    p.appendChild(el('span', {}, T.receipt + ': '));
    p.appendChild(el('code', {}, state.id));
    p.appendChild(el('br'));
    p.appendChild(el('span', {}, T.choice + ': ' + (chosen.length ? T.necessary + ', ' + chosen.join(', ') : T.none)));
    p.appendChild(el('br'));
    p.appendChild(el('span', {}, T.given + ': ' + new Date(state.at * 1000).toLocaleString(lang === 'en' ? 'en-GB' : 'nl-NL')));
    return p;
  }

  function category(name, checked, disabled) {
    var T = texts();
    var li = el('li');
    var box = el('input', { type: 'checkbox', role: 'switch', id: 'pdc-' + name, 'aria-describedby': 'pdc-' + name + '-text' });
    box.checked = checked;
    box.disabled = disabled;
    var label = el('label', { 'for': 'pdc-' + name });
    label.appendChild(box);
    label.appendChild(el('span', {}, T[name]));
    li.appendChild(label);
    li.appendChild(el('span', { 'class': 'pdc-text', id: 'pdc-' + name + '-text' }, T[name + '_text'] + (name === 'tracking' && gpc ? ' ' + T.gpc : '')));
    return li;
  }

  function close() {
    if (!root) return;
    root.remove();
    root = null;
    if (returnTo && returnTo.focus) returnTo.focus();
  }

  function show(openSettings) {
    if (root) close();
    var T = texts();
    var state = current();
    root = el('section', { 'class': 'pdc', id: 'pd-consent', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'pdc-title', 'aria-describedby': 'pdc-intro', lang: lang });
    root.appendChild(el('h2', { id: 'pdc-title', tabindex: '-1' }, T.title));
    var intro = el('p', { id: 'pdc-intro' }, T.intro + ' ');
    intro.appendChild(el('a', { href: cfg.statement }, T.statement));
    root.appendChild(intro);
    if (gpc) root.appendChild(el('p', { 'class': 'pdc-gpc', id: 'pdc-gpc' }, T.gpc));
    var buttons = el('div', { 'class': 'pdc-buttons' });
    buttons.appendChild(el('button', { type: 'button', 'data-pdc': 'accept_all' }, T.accept));
    buttons.appendChild(el('button', { type: 'button', 'data-pdc': 'reject_all' }, T.reject));
    buttons.appendChild(el('button', { type: 'button', 'data-pdc': 'settings', 'aria-expanded': 'false', 'aria-controls': 'pdc-settings' }, T.settings));
    root.appendChild(buttons);
    var panel = el('div', { 'class': 'pdc-settings', id: 'pdc-settings' });
    panel.hidden = true;
    var list = el('ul');
    list.appendChild(category('necessary', true, true));
    list.appendChild(category('analytics', !!(state && state.analytics), false));
    list.appendChild(category('tracking', !!(state && state.tracking) && !gpc, gpc));
    panel.appendChild(list);
    if (state) panel.appendChild(receipt(state));
    var save = el('div', { 'class': 'pdc-save' });
    save.appendChild(el('button', { type: 'button', 'data-pdc': 'save' }, T.save));
    if (state) save.appendChild(el('button', { type: 'button', 'data-pdc': 'close' }, T.close));
    panel.appendChild(save);
    root.appendChild(panel);
    var failed = el('p', { 'class': 'pdc-failed', role: 'alert' });
    failed.hidden = true;
    root.appendChild(failed);
    root.addEventListener('click', onClick);
    root.addEventListener('keydown', function (e) {
      // Escape is not consent: it only closes a banner that already holds a choice.
      if (e.key === 'Escape' && current()) close();
    });
    document.body.appendChild(root);
    if (openSettings) toggle(true);
    root.querySelector('#pdc-title').focus();
  }

  function toggle(open) {
    var panel = root.querySelector('#pdc-settings');
    panel.hidden = !open;
    root.querySelector('[data-pdc="settings"]').setAttribute('aria-expanded', open ? 'true' : 'false');
  }

  function onClick(e) {
    var action = e.target.closest && e.target.closest('[data-pdc]');
    if (!action) return;
    action = action.getAttribute('data-pdc');
    if (action === 'settings') return toggle(root.querySelector('#pdc-settings').hidden);
    if (action === 'close') return close();
    decide(action, root.querySelector('#pdc-analytics').checked, root.querySelector('#pdc-tracking').checked);
  }

  function decide(action, analytics, tracking) {
    var before = read();
    var body = { action: action, analytics: analytics, tracking: tracking, version: cfg.version, lang: lang, gpc: gpc, id: before ? before.id : '' };
    fetch(cfg.decide, { method: 'POST', body: JSON.stringify(body), credentials: 'omit' })
      .then(function (r) {
        if (r.status === 409) return load().then(function () { show(false); });
        if (r.status !== 201) throw new Error(r.status);
        return r.json().then(function (rec) {
          write(rec);
          close();
          activate(rec);
          document.dispatchEvent(new CustomEvent('pdconsent', { detail: rec }));
        });
      })
      .catch(function () {
        var failed = root && root.querySelector('.pdc-failed');
        if (failed) { failed.textContent = texts().failed; failed.hidden = false; }
      });
  }

  function load() {
    return fetch(base + (lang === 'en' ? '/en' : '') + '/consent/banner.json', { credentials: 'omit' })
      .then(function (r) { return r.json(); })
      .then(function (c) { cfg = c; });
  }

  window.pdConsent = {
    /* The consent id when ``name`` is accepted now (read from the cookie each time, so a
       withdrawal in this or another tab counts at once), else "". */
    allows: function (name) { var s = current(); return s && s[name] === true ? s.id : ''; },
    open: function () { returnTo = document.activeElement; if (cfg) show(true); }
  };

  document.addEventListener('click', function (e) {
    var link = e.target.closest && e.target.closest('[data-pd-consent-open]');
    if (!link) return;
    e.preventDefault();
    window.pdConsent.open();
  });

  function start() {
    load().then(function () {
      var css = el('link', { rel: 'stylesheet', href: cfg.css });
      document.head.appendChild(css);
      if (!document.querySelector('[data-pd-consent-open]')) {
        var p = el('p', { 'class': 'pdc-reopen' });
        p.appendChild(el('a', { href: cfg.statement, 'data-pd-consent-open': '' }, texts().reopen));
        document.body.appendChild(p);
      }
      var state = current();
      if (state) activate(state);
      else show(false);
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
