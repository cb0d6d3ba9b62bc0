package views

// DocsPage is the API reference at /docs, built by the web package from the
// OpenAPI document: plain strings, so views needs no OpenAPI library.
type DocsPage struct {
	Title, Version, Description string
	Groups                      []DocsGroup
}

// DocsGroup is the operations of one tag, in the document's order.
type DocsGroup struct {
	Tag, Description string
	Operations       []DocsOperation
}

// DocsOperation is one method on one path.
type DocsOperation struct {
	ID, Method, Path, Summary, Description string
	// Security names the schemes that admit a request ("adminBearer"); empty: none.
	Security  []string
	Params    []DocsParam
	Body      *DocsBody
	Responses []DocsResponse
	Curl      string
}

// DocsParam is a path, query or header parameter.
type DocsParam struct {
	Name, In, Type, Description string
	Required                    bool
}

// DocsBody is a request body.
type DocsBody struct {
	ContentType string
	Fields      []DocsField
	Example     string
}

// DocsField is a top-level member of a body.
type DocsField struct {
	Name, Type, Description string
	Required                bool
}

// DocsResponse is one status an operation answers.
type DocsResponse struct {
	Status, Description, ContentType string
	Fields                           []DocsField
	Example                          string
}

func requiredMark(required bool) string {
	if required {
		return ", required"
	}
	return ""
}
