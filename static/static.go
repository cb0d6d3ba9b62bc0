// Package static holds the console's stylesheet, scripts and icon, embedded in
// the binary, and gives each a fingerprinted URL.
//
// A file's URL carries the first 10 hex digits of the SHA-256 of its content
// (css/app.css is served as /static/css/app.3f2a9c01bd.css), computed once at
// start-up. A URL therefore names one content forever, so the handler can let
// browsers and proxies keep it for a year without asking again
// (Cache-Control: public, max-age=31536000, immutable), and any change to a
// file gives it a new URL, which every page rendered afterwards links to: no
// stale stylesheet after a deploy, and no query-string cache busting for
// proxies to ignore. A URL with an old or made-up fingerprint is not found
// rather than answered with the current file, which would then be cached
// under the old name for a year.
//
// Pages link to files with Path; the /static/ handler answers with Lookup.
// The files are built by `make css` (static/css/app.css from
// static/css/input.css, static/js/htmx.min.js from the npm package) and
// committed, so `go build` needs no Node.js. This package uses the standard
// library only.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Prefix is where the files are served: every URL from Path starts with it.
const Prefix = "/static/"

// hashLen is how many hex digits of the SHA-256 go into a URL.
const hashLen = 10

//go:embed css/app.css js/htmx.min.js js/app.js favicon.svg
var files embed.FS

// contentTypes are the Content-Type of each extension embedded. They are
// fixed here rather than taken from package mime, whose answers depend on
// the machine's mime.types (.js is application/javascript on some).
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

type asset struct {
	url         string
	body        []byte
	contentType string
}

var (
	byName = map[string]*asset{} // "css/app.css" → asset
	byURL  = map[string]*asset{} // "/static/css/app.<hash>.css" → asset
)

func init() {
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		ext := path.Ext(name)
		ct, ok := contentTypes[ext]
		if !ok {
			return fmt.Errorf("static: no content type for %s", name)
		}
		sum := sha256.Sum256(body)
		a := &asset{
			url:         Prefix + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:hashLen] + ext,
			body:        body,
			contentType: ct,
		}
		byName[name] = a
		byURL[a.url] = a
		return nil
	})
	if err != nil {
		panic(err)
	}
}

// Path returns the fingerprinted URL of an embedded file, named by its path
// under static/: Path("css/app.css") is "/static/css/app.<hash>.css". It
// panics on a name that is not embedded: that is a programming error, caught
// by any test that renders a page linking to it.
func Path(name string) string {
	a, ok := byName[name]
	if !ok {
		panic(fmt.Sprintf("static.Path: no embedded file %q", name))
	}
	return a.url
}

// Lookup finds the file a fingerprinted URL names. urlPath is the whole
// request path, as Path returns it and as the router sees it
// ("/static/css/app.<hash>.css"). Anything else (an unknown file, a path
// without the fingerprint, a fingerprint of an older or no content, a path
// without the /static/ prefix) gives ok false, for the handler to answer 404.
// The body is shared: callers must not modify it.
func Lookup(urlPath string) (body []byte, contentType string, ok bool) {
	a, ok := byURL[urlPath]
	if !ok {
		return nil, "", false
	}
	return a.body, a.contentType, true
}
