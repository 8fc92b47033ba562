// Starts Scalar's API reference on /docs for this server's OpenAPI document. Everything it needs is served
// by this Worker: no font, proxy, telemetry or AI service of Scalar's is contacted.
Scalar.createApiReference("#app", {
  url: "/v1/openapi.json",
  withDefaultFonts: false,
  telemetry: false,
  proxyUrl: "",
  agent: { disabled: true },
  mcp: { disabled: true },
  hideClientButton: true,
  showDeveloperTools: "never",
  documentDownloadType: "json",
  persistAuth: false,
});
