package static

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var wantTypes = map[string]string{
	"css/app.css":    "text/css; charset=utf-8",
	"js/htmx.min.js": "text/javascript; charset=utf-8",
	"js/app.js":      "text/javascript; charset=utf-8",
	"favicon.svg":    "image/svg+xml",
}

// names lists the embedded files by the names Path takes, sorted.
func names() []string { return slices.Sorted(maps.Keys(byName)) }

func TestNames(t *testing.T) {
	got := strings.Join(names(), " ")
	if want := "css/app.css favicon.svg js/app.js js/htmx.min.js"; got != want {
		t.Fatalf("names() = %q, want %q", got, want)
	}
}

func TestPath(t *testing.T) {
	shape := regexp.MustCompile(`^/static/[a-z/.]+\.[0-9a-f]{10}\.(css|js|svg)$`)
	for _, name := range names() {
		url := Path(name)
		if !shape.MatchString(url) {
			t.Errorf("Path(%q) = %q, not a fingerprinted /static/ URL", name, url)
		}
		if again := Path(name); again != url {
			t.Errorf("Path(%q) changed from %q to %q", name, url, again)
		}
		body, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		dot := strings.LastIndexByte(name, '.')
		want := "/static/" + name[:dot] + "." + hex.EncodeToString(sum[:])[:10] + name[dot:]
		if url != want {
			t.Errorf("Path(%q) = %q, want %q (the content's hash)", name, url, want)
		}
	}
	if got := Path("css/app.css"); !strings.HasPrefix(got, "/static/css/app.") || !strings.HasSuffix(got, ".css") {
		t.Errorf("Path(css/app.css) = %q", got)
	}
}

func TestPathPanicsOnUnknownName(t *testing.T) {
	for _, name := range []string{"css/nope.css", "", "/static/css/app.css", "app.css", "css/input.css", "static.go"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Path(%q) did not panic", name)
				}
			}()
			Path(name)
		}()
	}
}

func TestLookupRoundTrip(t *testing.T) {
	if len(names()) != len(wantTypes) {
		t.Fatalf("embedded %v, test knows %d files", names(), len(wantTypes))
	}
	for _, name := range names() {
		want, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			t.Errorf("%s is empty", name)
		}
		body, ct, ok := Lookup(Path(name))
		if !ok {
			t.Errorf("Lookup(Path(%q)) not found", name)
			continue
		}
		if !bytes.Equal(body, want) {
			t.Errorf("Lookup(Path(%q)) gave other bytes", name)
		}
		if ct != wantTypes[name] {
			t.Errorf("Lookup(Path(%q)) content type %q, want %q", name, ct, wantTypes[name])
		}
	}
}

func TestLookupRefuses(t *testing.T) {
	css := Path("css/app.css")
	hash := css[len("/static/css/app.") : len(css)-len(".css")]
	// Another hex string of the same length: an older build's fingerprint.
	stale := []byte(hash)
	if stale[0] == '0' {
		stale[0] = '1'
	} else {
		stale[0] = '0'
	}
	for _, p := range []string{
		"",
		"/",
		"/static/",
		"/static/css/app.css", // not fingerprinted
		"/static/css/app." + string(stale) + ".css",         // wrong hash
		"/static/css/app.0000000000.css",                    // made-up hash
		"/static/css/app." + strings.ToUpper(hash) + ".css", // not how Path spells it
		"/static/css/app." + hash[:9] + ".css",              // short hash
		"/static/css/app." + hash + ".js",                   // wrong extension
		"/static/js/app." + hash + ".css",                   // another file's hash
		"css/app." + hash + ".css",                          // no prefix
		"static/css/app." + hash + ".css",                   // no leading slash
		"/static//css/app." + hash + ".css",
		"/static/css/../css/app." + hash + ".css",
		"/static/css/input.css",
		"/static/static.go",
		"/static/css/app." + hash + ".css/",
		"/static/css/app." + hash + ".css?v=1",
		"/STATIC/css/app." + hash + ".css",
	} {
		if body, ct, ok := Lookup(p); ok || body != nil || ct != "" {
			t.Errorf("Lookup(%q) = %d bytes, %q, %v; want not found", p, len(body), ct, ok)
		}
	}
}

// The stylesheet and htmx are real builds, not placeholders.
func TestContent(t *testing.T) {
	css, _, _ := Lookup(Path("css/app.css"))
	if !bytes.HasPrefix(css, []byte("/*! tailwindcss v3.")) {
		t.Errorf("css/app.css does not start with Tailwind's banner: %.60q", css)
	}
	if bytes.Count(css, []byte("\n")) > 1 {
		t.Errorf("css/app.css is not minified")
	}
	js, _, _ := Lookup(Path("js/htmx.min.js"))
	if !bytes.Contains(js, []byte(`version:"2.0.11"`)) {
		t.Errorf("js/htmx.min.js is not htmx 2.0.11")
	}
	svg, _, _ := Lookup(Path("favicon.svg"))
	if !bytes.HasPrefix(svg, []byte("<svg ")) {
		t.Errorf("favicon.svg is not an SVG: %.40q", svg)
	}
}
