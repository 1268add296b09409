/* /docs: Swagger UI on this server's /openapi.json. No validator badge (it would call an
   outside service), no request sent until the reader asks ("Try it out"). */
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    defaultModelsExpandDepth: 1,
    displayOperationId: true,
    persistAuthorization: false,
    tryItOutEnabled: false
  });
});
