// The console's own script. The pages' CSP allows scripts from this origin
// only, never inline, so page behaviour lives here. Everything listens on the
// document, so it works on content htmx swaps in as well. Pages work without
// it: this only adds conveniences.
(function () {
  'use strict';

  // <button data-copy="ID"> copies the text of the element with id ID (a
  // secret shown once, a curl command). Where the clipboard cannot be used
  // (a page not served over HTTPS or from localhost), the text is selected
  // instead, for the user to copy.
  document.addEventListener('click', function (event) {
    var button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    var text = source.textContent.trim();
    var copied = navigator.clipboard && window.isSecureContext
      ? navigator.clipboard.writeText(text)
      : Promise.reject(new Error('no clipboard'));
    copied.then(
      function () { say(button, 'Copied'); },
      function () { select(source); say(button, 'Selected: press Ctrl+C'); }
    );
  });

  // What htmx swaps in and marks data-autofocus (a confirmation, a secret
  // or token shown once, the panel a change updated) takes the focus, so
  // it is read out and in view: on a phone it may be far from the button
  // that asked for it. The event comes once htmx has wired the new
  // content, on each element it swapped in; live search results carry no
  // such mark and leave the focus in the search box.
  document.addEventListener('htmx:afterSettle', function (event) {
    var swapped = event.target;
    if (!(swapped instanceof Element)) return;
    var target = swapped.matches('[data-autofocus]') ? swapped : swapped.querySelector('[data-autofocus]');
    if (!target) return;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'nearest' });
  });

  // A flash message ("Changes saved.") is about the request before this
  // page: it goes at the page's next htmx request, so it never sits above
  // a later change as if it were about that one.
  document.addEventListener('htmx:beforeRequest', function () {
    document.querySelectorAll('[data-flash]').forEach(function (flash) { flash.remove(); });
  });

  // An edit form inside a <details> (the client's page): opening it puts
  // the cursor in its first input, its Cancel closes it again and puts the
  // focus back on Edit. A form that came back refused (data-refused) is
  // left to its Cancel link, which loads the page afresh.
  document.addEventListener('toggle', function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.querySelector('form')) return;
    if (details.open) {
      var first = details.querySelector('form input:not([type=hidden]), form select, form textarea');
      if (first) first.focus();
    } else {
      var summary = details.querySelector('summary');
      if (summary) summary.focus();
    }
  }, true);
  document.addEventListener('click', function (event) {
    var cancel = event.target instanceof Element ? event.target.closest('[data-close-details]') : null;
    if (!cancel) return;
    var details = cancel.closest('details');
    if (!details || details.hasAttribute('data-refused')) return;
    event.preventDefault();
    var form = cancel.closest('form');
    if (form) form.reset();
    details.open = false;
  });

  // say shows word on the button for two seconds, then its own label again.
  function say(button, word) {
    if (!button.hasAttribute('data-label')) button.setAttribute('data-label', button.textContent);
    button.textContent = word;
    button.setAttribute('data-copied', '');
    clearTimeout(button._sayTimer);
    button._sayTimer = setTimeout(function () {
      button.textContent = button.getAttribute('data-label');
      button.removeAttribute('data-label');
      button.removeAttribute('data-copied');
    }, 2000);
  }

  function select(node) {
    var range = document.createRange();
    range.selectNodeContents(node);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }
})();
