// Package apidocs serves an API reference page for a service's OpenAPI document with Swagger UI,
// whose assets are embedded in the binary (no CDN). The assets come from the swagger-ui-dist npm
// package; tools/update-docs-assets.sh refreshes them.
package apidocs

import (
	"embed"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed assets/swagger-ui-bundle.js assets/swagger-ui.css
var assets embed.FS

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{TITLE}} — API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`

// Inline scripts are avoided so the page works under a strict Content-Security-Policy.
const initJS = `window.ui = SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#reference", deepLinking: true,
  docExpansion: "list", defaultModelsExpandDepth: 0, tryItOutEnabled: false});
`

// Mount serves GET /docs (the page) and its assets.
func Mount(e *echo.Echo, title string) {
	html := strings.ReplaceAll(page, "{{TITLE}}", title)
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'"
	headers := func(c echo.Context, cache string) {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", cache)
	}
	e.GET("/docs", func(c echo.Context) error {
		headers(c, "no-cache")
		return c.HTML(http.StatusOK, html)
	})
	e.GET("/docs/init.js", func(c echo.Context) error {
		headers(c, "no-cache")
		return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", []byte(initJS))
	})
	for name, ctype := range map[string]string{"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8"} {
		body, err := assets.ReadFile("assets/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		e.GET("/docs/"+name, func(c echo.Context) error {
			headers(c, "public, max-age=86400")
			return c.Blob(http.StatusOK, ctype, body)
		})
	}
}
