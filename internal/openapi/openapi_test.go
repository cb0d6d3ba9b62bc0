package openapi

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The document is a valid OpenAPI 3.1 document, and so is its JSON form
// (what GET /openapi.json serves).
func TestDocumentIsValid(t *testing.T) {
	doc, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	b, err := JSON()
	if err != nil {
		t.Fatal(err)
	}
	again, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Validate(context.Background()); err != nil {
		t.Fatalf("the JSON form is not valid: %v", err)
	}
	if got, want := len(again.Paths.Map()), len(doc.Paths.Map()); got != want {
		t.Fatalf("the JSON form has %d paths, want %d", got, want)
	}
}
