/* The API's docs (/api/docs, templates/api/docs.html): Swagger UI from django-ninja's static
   files, started here because the Content Security Policy allows no inline script. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("swagger-ui");
    window.SwaggerUIBundle({
      url: root.dataset.openapiUrl,
      dom_id: "#swagger-ui",
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      deepLinking: true,
      // No badge from the public validator: nothing leaves this site.
      validatorUrl: null,
      supportedSubmitMethods: ["get"],
    });
  });
})();
