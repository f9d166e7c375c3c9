/* Privacydesk first-party tracker, loaded by the consent banner only after tracking was
 * accepted. Page views, clicks on links and downloads, and the time a page was visible (sent
 * with sendBeacon when the page is hidden) go to Privacydesk's own endpoint. Before each event
 * the consent is read again (window.pdConsent.allows), so a withdrawal stops it at once; the
 * server stores nothing its consent record does not allow either. */
(function () {
  'use strict';
  var me = document.currentScript;
  var url = me && me.getAttribute('data-collect');
  var consent = window.pdConsent;
  if (!url || !consent || window.pdTracker) return;
  window.pdTracker = true;
  var FILES = /\.(pdf|zip|7z|gz|docx?|xlsx?|pptx?|odt|ods|csv|txt|epub|mp3|mp4|exe|msi|dmg|iso)$/i;
  var since = Date.now();
  var visible = 0;

  function send(kind, extra) {
    var id = consent.allows('tracking');
    if (!id) return;
    var event = { c: id, t: kind, u: location.href };
    for (var k in extra) event[k] = extra[k];
    var body = JSON.stringify(event);
    if (!(navigator.sendBeacon && navigator.sendBeacon(url, body))) {
      fetch(url, { method: 'POST', body: body, keepalive: true, credentials: 'omit', mode: 'no-cors' });
    }
  }

  send('pageview', {});
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[href]');
    if (!a || !/^https?:$/.test(a.protocol)) return;
    send(a.hasAttribute('download') || FILES.test(a.pathname) ? 'download' : 'click', { x: a.href });
  }, true);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'hidden') {
      visible += Date.now() - since;
      send('leave', { d: visible });
      visible = 0;
    } else {
      since = Date.now();
    }
  });
})();
