// Back-office keyboard help: j/k move between cases in the queue, Enter opens,
// "/" jumps to search. Everything works without this file.
(function () {
  function rows() { return Array.prototype.slice.call(document.querySelectorAll('.case-row .case-link')); }
  document.addEventListener('keydown', function (e) {
    var t = e.target;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
    if (e.altKey || e.ctrlKey || e.metaKey) return;
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
