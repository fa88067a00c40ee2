/* The audience builder (staff/_audience_builder.html): choosing another condition shows the
   field for its value, by submitting the form with the builder's "refresh" action (which
   saves nothing); without script, the "Count again" button does the same. */
(function () {
  if (window.patronflowAudienceBuilder) { return; }
  window.patronflowAudienceBuilder = true;
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-refresh]") || !select.form) { return; }
    var button = document.createElement("button");
    button.type = "submit";
    button.name = select.dataset.refresh;
    button.value = "refresh:" + select.dataset.row;
    button.hidden = true;
    select.form.appendChild(button);
    select.form.requestSubmit(button);
  });
})();
