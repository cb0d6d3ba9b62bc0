// Package openapi holds the API's OpenAPI 3.1 document, written by hand in
// openapi.yaml and embedded in the binary. The api package serves it as
// JSON and validates its tests' responses against it; the web package
// renders the /docs reference from it. It is its own package so that web
// need not import api.
package openapi

import (
	"context"
	_ "embed"
	"encoding/json"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var yamlDoc []byte

// YAML is the document as written.
func YAML() []byte { return yamlDoc }

var load = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(yamlDoc)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return doc, nil
})

// Load parses and validates the document once. The result is shared:
// callers must not change it.
func Load() (*openapi3.T, error) { return load() }

var loadJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := Load()
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
})

// JSON is the document as JSON, converted once.
func JSON() ([]byte, error) { return loadJSON() }
