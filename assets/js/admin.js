// Back-office keyboard help: j/k move between cases in the queue, Enter opens,
// "/" jumps to search. Everything works without this file.
(function () {
  function rows() { return Array.prototype.slice.call(document.querySelectorAll('.case-row .case-link')); }
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'Escape') {
      // On a case: one key back to the queue.
      var back = document.getElementById('back-to-queue');
      if (back) { e.preventDefault(); window.location.href = back.href; }
      return;
    }
    if (e.key === '/') {
      var q = document.getElementById('q');
      if (q) { e.preventDefault(); q.focus(); }
      return;
    }
    if (e.key !== 'j' && e.key !== 'k') return;
    var list = rows();
    if (!list.length) return;
    var i = list.indexOf(document.activeElement);
    i = e.key === 'j' ? Math.min(i + 1, list.length - 1) : Math.max(i - 1, 0);
    list[i].focus();
    e.preventDefault();
  });
})();

// A text block goes in where the cursor is, to be edited before sending
// (without this file the button posts the form and the page comes back with
// the block added after the text).
(function () {
  var btn = document.getElementById('insert-block');
  var sel = document.getElementById('tekstbit');
  var text = document.getElementById('tekst');
  if (!btn || !sel || !text) return;
  btn.addEventListener('click', function (e) {
    var opt = sel.options[sel.selectedIndex];
    if (!opt || !opt.value) return;
    e.preventDefault();
    var body = opt.getAttribute('data-body') || '';
    var start = text.selectionStart, end = text.selectionEnd, v = text.value;
    if (typeof start !== 'number') { start = end = v.length; }
    text.value = v.slice(0, start) + body + v.slice(end);
    text.focus();
    text.selectionStart = text.selectionEnd = start + body.length;
  });
})();
// A navigation group closes when another opens or on a click elsewhere.
(function () {
  var groups = Array.prototype.slice.call(document.querySelectorAll('.nav-group details'));
  groups.forEach(function (d) {
    d.addEventListener('toggle', function () {
      if (d.open) groups.forEach(function (o) { if (o !== d) o.open = false; });
    });
  });
  document.addEventListener('click', function (e) {
    groups.forEach(function (d) { if (d.open && !d.contains(e.target)) d.open = false; });
  });
})();
