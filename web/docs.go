package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"

	"switchboard/internal/openapi"
	"switchboard/views"
)

// docsPage is the API reference, built once from the OpenAPI document that
// GET /openapi.json serves, so the two cannot tell different stories.
var docsPage = sync.OnceValues(func() (views.DocsPage, error) {
	doc, err := openapi.Load()
	if err != nil {
		return views.DocsPage{}, err
	}
	return newDocsPage(doc), nil
})

func handleDocs(c *fiber.Ctx) error {
	d, err := docsPage()
	if err != nil {
		return err
	}
	return render(c, fiber.StatusOK, views.Docs(d))
}

// docsMethods is the order operations of one path are shown in.
var docsMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func newDocsPage(doc *openapi3.T) views.DocsPage {
	d := views.DocsPage{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description}
	server := ""
	if len(doc.Servers) > 0 {
		server = doc.Servers[0].URL
	}
	groups := map[string]*views.DocsGroup{}
	var order []string
	for _, t := range doc.Tags {
		groups[t.Name] = &views.DocsGroup{Tag: t.Name, Description: t.Description}
		order = append(order, t.Name)
	}
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths) // InMatchingOrder is for routing; a reader wants them together
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for _, method := range docsMethods {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g, ok := groups[tag]
			if !ok {
				g = &views.DocsGroup{Tag: tag}
				groups[tag] = g
				order = append(order, tag)
			}
			g.Operations = append(g.Operations, docsOperation(doc, server, method, path, item, op))
		}
	}
	for _, tag := range order {
		if g := groups[tag]; len(g.Operations) > 0 {
			d.Groups = append(d.Groups, *g)
		}
	}
	return d
}

func docsOperation(doc *openapi3.T, server, method, path string, item *openapi3.PathItem, op *openapi3.Operation) views.DocsOperation {
	out := views.DocsOperation{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	for _, req := range security {
		for name := range req {
			out.Security = append(out.Security, name)
		}
	}
	slices.Sort(out.Security)
	params := append(slices.Clone(item.Parameters), op.Parameters...)
	url := path
	var query []string
	for _, ref := range params {
		p := ref.Value
		out.Params = append(out.Params, views.DocsParam{
			Name: p.Name, In: p.In, Type: schemaType(p.Schema), Description: p.Description, Required: p.Required,
		})
		ex := fmt.Sprint(p.Example)
		if p.Example == nil {
			ex = p.Name
		}
		switch p.In {
		case openapi3.ParameterInPath:
			url = strings.ReplaceAll(url, "{"+p.Name+"}", strings.ReplaceAll(ex, "+", "%2B"))
		case openapi3.ParameterInQuery:
			if p.Example != nil {
				query = append(query, p.Name+"="+ex)
			}
		}
	}
	if len(query) > 0 {
		url += "?" + strings.Join(query, "&")
	}
	curl := []string{"curl"}
	if method != http.MethodGet {
		curl = append(curl, "-X "+method)
	}
	curl = append(curl, "'"+server+url+"'")
	for _, s := range out.Security {
		switch s {
		case "adminBearer":
			curl = append(curl, `-H "Authorization: Bearer $ADMIN_TOKEN"`)
		case "clientBearer":
			curl = append(curl, `-H "Authorization: Bearer $CLIENT_TOKEN"`)
		case "clientBasic":
			curl = append(curl, `-u "$CLIENT_ID:$CLIENT_SECRET"`)
		case "webhookSignature":
			curl = append(curl, `-H "ElevenLabs-Signature: t=$T,v0=$HMAC"`)
		}
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		if keys := sortedKeys(rb.Value.Content); len(keys) > 0 {
			ct := keys[0]
			mt := rb.Value.Content[ct]
			ex := mediaExample(mt)
			out.Body = &views.DocsBody{ContentType: ct, Fields: schemaFields(mt.Schema), Example: ex}
			curl = append(curl, `-H "Content-Type: `+ct+`"`)
			if ct == "application/x-www-form-urlencoded" {
				curl = append(curl, "-d '"+formOf(mt, slices.Contains(out.Security, "clientBasic"))+"'")
			} else if ex != "" {
				curl = append(curl, "-d '"+compact(ex)+"'")
			}
		}
	}
	out.Curl = strings.Join(curl, " \\\n  ")
	for _, status := range sortedKeys(op.Responses.Map()) {
		r := op.Responses.Value(status).Value
		dr := views.DocsResponse{Status: status}
		if r.Description != nil {
			dr.Description = *r.Description
		}
		if keys := sortedKeys(r.Content); len(keys) > 0 {
			mt := r.Content[keys[0]]
			dr.ContentType, dr.Example = keys[0], mediaExample(mt)
			if strings.HasPrefix(status, "2") { // every error has the one shape the page's description gives
				dr.Fields = schemaFields(mt.Schema)
			}
		}
		out.Responses = append(out.Responses, dr)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// schemaType names a schema's type the way a reader would: "string",
// "integer or null", "array of Call", a $ref's name.
func schemaType(ref *openapi3.SchemaRef) string {
	if ref == nil || ref.Value == nil {
		return "any"
	}
	if ref.Ref != "" {
		return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
	}
	s := ref.Value
	switch {
	case s.Const != nil:
		b, _ := json.Marshal(s.Const)
		return string(b)
	case len(s.Enum) > 0:
		var vals []string
		for _, v := range s.Enum {
			vals = append(vals, fmt.Sprint(v))
		}
		return "one of " + strings.Join(vals, ", ")
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		var alts []string
		for _, alt := range append(slices.Clone(s.OneOf), s.AnyOf...) {
			alts = append(alts, schemaType(alt))
		}
		return strings.Join(alts, " or ")
	case s.Type != nil && s.Type.Is("array"):
		return "array of " + schemaType(s.Items)
	case s.Type != nil && len(*s.Type) > 0:
		return strings.Join(*s.Type, " or ")
	}
	return "object"
}

// schemaFields lists the top-level members of an object schema, through
// $refs and allOf.
func schemaFields(ref *openapi3.SchemaRef) []views.DocsField {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	var out []views.DocsField
	for _, part := range s.AllOf {
		out = append(out, schemaFields(part)...)
	}
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		out = append(out, views.DocsField{
			Name: name, Type: schemaType(p), Description: p.Value.Description, Required: slices.Contains(s.Required, name),
		})
	}
	return out
}

// mediaExample is the example of a body, indented: the document's own, or
// one made from the schema's examples.
func mediaExample(mt *openapi3.MediaType) string {
	v := mt.Example
	if v == nil && mt.Schema != nil {
		v = exampleOf(mt.Schema, 0)
	}
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// exampleOf builds a value for a schema from the examples its members give.
func exampleOf(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 8 {
		return nil
	}
	s := ref.Value
	switch {
	case s.Example != nil:
		return s.Example
	case s.Const != nil:
		return s.Const
	case len(s.Enum) > 0:
		return s.Enum[0]
	case len(s.AllOf) > 0:
		out := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := exampleOf(part, depth+1).(map[string]any); ok {
				for k, v := range m {
					out[k] = v
				}
			}
		}
		return out
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		for _, alt := range append(slices.Clone(s.OneOf), s.AnyOf...) {
			if alt.Value != nil && (alt.Value.Type == nil || !alt.Value.Type.Is("null")) {
				return exampleOf(alt, depth+1)
			}
		}
		return nil
	case s.Type == nil:
		return nil
	case s.Type.Includes("object"):
		out := map[string]any{}
		for name, p := range s.Properties {
			if p.Value != nil && p.Value.Description != "" && strings.HasPrefix(p.Value.Description, "Only in") {
				continue
			}
			out[name] = exampleOf(p, depth+1)
		}
		return out
	case s.Type.Includes("array"):
		if v := exampleOf(s.Items, depth+1); v != nil {
			return []any{v}
		}
		return []any{}
	case s.Type.Includes("string"):
		return "string"
	case s.Type.Includes("integer"), s.Type.Includes("number"):
		return 0
	case s.Type.Includes("boolean"):
		return false
	}
	return nil
}

// formOf writes a form body's example as application/x-www-form-urlencoded;
// with basic, the client's credentials go in the Authorization header
// instead (RFC 6749 §2.3.1 allows one way only).
func formOf(mt *openapi3.MediaType, basic bool) string {
	m, _ := mt.Example.(map[string]any)
	var pairs []string
	for _, k := range sortedKeys(m) {
		if basic && (k == "client_id" || k == "client_secret") {
			continue
		}
		pairs = append(pairs, k+"="+fmt.Sprint(m[k]))
	}
	return strings.Join(pairs, "&")
}

// compact is an indented JSON example on one line, for curl's -d.
func compact(indented string) string {
	var v any
	if err := json.Unmarshal([]byte(indented), &v); err != nil {
		return indented
	}
	b, _ := json.Marshal(v)
	return string(b)
}
