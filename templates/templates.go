// Package templates compiles hiis's built-in statement templates into the
// binary. A run reads each section's template from its own templates folder
// (statement/<section>.tmpl) and falls back to the built-in file of the same
// name, so a body overrides only the sections it rewrites.
package templates

import "embed"

// Statement holds statement/*.tmpl, the built-in section templates.
//
//go:embed statement/*.tmpl
var Statement embed.FS
