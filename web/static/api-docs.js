// The API documentation page (/api/docs): Swagger UI 5 (vendored under /static/vendor/swagger-ui, supports
// OpenAPI 3.1) on this service's own OpenAPI document. No validator badge: nothing is sent to another host.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
