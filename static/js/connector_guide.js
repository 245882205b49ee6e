// The connector form's setup guide (templates/connectors/_guides.html) follows the kind menu:
// only the selected kind's guide shows, open; with no kind picked, all show, closed. The
// form follows too: the auth types the kind does not take are disabled, and the base URL,
// query, user and secret show what the kind wants in them as placeholders. Without
// JavaScript every guide is there to open and the server says what a kind refuses. A file
// rather than inline code: the CSP runs none.
(function () {
  "use strict";

  function field(form, name) {
    return form.querySelector("[name=" + name + "]");
  }

  function followForm(form, guide) {
    var auth = field(form, "auth_type");
    if (auth) {
      var taken = guide ? guide.getAttribute("data-auth-types").trim().split(/\s+/) : null;
      var firstTaken = null;
      Array.prototype.forEach.call(auth.options, function (option) {
        option.disabled = Boolean(taken) && taken.indexOf(option.value) < 0;
        if (!option.disabled && firstTaken === null) firstTaken = option.value;
      });
      if (auth.selectedOptions[0] && auth.selectedOptions[0].disabled && firstTaken !== null) {
        auth.value = firstTaken;
      }
    }
    placeSignIn(form, guide);
    var url = field(form, "base_url");
    if (url) url.placeholder = guide ? guide.getAttribute("data-base-url") : "";
    var query = field(form, "query");
    if (query) {
      var example = guide ? guide.getAttribute("data-query") : "";
      query.placeholder = guide ? (example ? "e.g. " + example : "None for this kind: leave empty") : "";
    }
  }

  // What goes in the user and secret fields with the chosen auth type, as placeholders.
  function placeSignIn(form, guide) {
    var auth = field(form, "auth_type");
    var way = auth ? auth.value : "";
    var user = field(form, "username");
    var secret = field(form, "new_secret");
    if (user) user.placeholder = (guide && guide.getAttribute("data-user-" + way)) || "";
    if (secret) secret.placeholder = (guide && guide.getAttribute("data-secret-" + way)) || "";
  }

  function follow(form, select, aside) {
    var kind = select.value;
    var title = aside.querySelector("[data-guides-title]");
    var none = aside.querySelector("[data-guides-none]");
    var chosenGuide = null;
    aside.querySelectorAll("details[data-kind]").forEach(function (guide) {
      var chosen = guide.getAttribute("data-kind") === kind;
      guide.hidden = Boolean(kind) && !chosen;
      guide.open = chosen;
      if (chosen) chosenGuide = guide;
    });
    aside.setAttribute("data-selected", chosenGuide ? kind : "");
    if (title) {
      title.textContent = chosenGuide
        ? "Setting up " + chosenGuide.getAttribute("data-label")
        : title.getAttribute("data-all");
    }
    if (none) none.hidden = Boolean(chosenGuide);
    var jump = form.querySelector("[data-guide-jump]");
    if (jump && title) jump.textContent = title.textContent + " ↓";
    followForm(form, chosenGuide);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var aside = document.getElementById("guides");
    var select = document.querySelector("select[name=kind]");
    if (!aside || !select || !select.form) return;
    aside.classList.add("following");
    follow(select.form, select, aside);
    select.addEventListener("change", function () {
      follow(select.form, select, aside);
    });
    var auth = field(select.form, "auth_type");
    if (auth) {
      auth.addEventListener("change", function () {
        var kind = select.value;
        placeSignIn(select.form, kind ? aside.querySelector('details[data-kind="' + kind + '"]') : null);
      });
    }
  });
})();
