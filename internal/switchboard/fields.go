package switchboard

// FieldKind is the rule a client field's text follows.
type FieldKind int

// The kinds of client field.
const (
	TextField      FieldKind = iota // one line of free text
	MultilineField                  // free text that may hold line breaks and tabs
	EmailField                      // an email address
	PhoneField                      // an E.164 phone number
	AgentIDField                    // an ElevenLabs agent ID
)

// ClientField is one text field of a client that a person sets: its JSON
// name (a form's input has the same name), its words for a form, its rules,
// and where it lives in a Client and in a ClientUpdate. Validation,
// Normalize, Apply, the audit trail's changed fields and the forms all
// iterate ContactFields and CallingFields, so a new field is an entry there
// and a member in the structs Of and OfUpdate point into. The clientId and
// the status are not among them: the id is set once, the status has a set
// of values and its own controls.
type ClientField struct {
	Name  string // JSON name: "clientMeta.email"
	Label string // for a person: "Email"
	Hint  string // what a form says below the input; may be empty
	// Example is a valid value, for documents and tests.
	Example string
	Kind    FieldKind
	// Required fields may not be empty in a new client nor emptied by an update.
	Required bool
	// Missing is Validate's message for a new client without this required
	// field. Contact fields have none: they are reported together
	// ("Missing required client information", with MetaRequiredFields).
	Missing string
	// MaxLength caps free text, in characters; 0 for fields whose format
	// bounds them.
	MaxLength int
	// AdminOnly marks the administrator's own remarks about the client:
	// the client neither reads nor changes them (its account pages do not
	// show them, and its PUT /secure/client ignores them).
	AdminOnly bool
	// Of points at the field in c.
	Of func(c *Client) *string
	// OfUpdate points at the field in upd, where nil leaves it as it is.
	OfUpdate func(upd *ClientUpdate) **string
}

// ContactFields are clientMeta's fields, in the API's order: what a client
// may change about itself, but for the AdminOnly ones (see OwnFields).
var ContactFields = []ClientField{
	{Name: "clientMeta.fullName", Label: "Full name", Kind: TextField, Required: true, MaxLength: 200,
		Example:  "Ada Lovelace",
		Of:       func(c *Client) *string { return &c.Meta.FullName },
		OfUpdate: func(u *ClientUpdate) **string { return &u.Meta.FullName }},
	{Name: "clientMeta.email", Label: "Email", Kind: EmailField, Required: true,
		Example:  "ada@example.com",
		Of:       func(c *Client) *string { return &c.Meta.Email },
		OfUpdate: func(u *ClientUpdate) **string { return &u.Meta.Email }},
	{Name: "clientMeta.phone", Label: "Phone", Kind: PhoneField, Required: true,
		Hint: "International format, like +14155550123", Example: "+14155550123",
		Of:       func(c *Client) *string { return &c.Meta.Phone },
		OfUpdate: func(u *ClientUpdate) **string { return &u.Meta.Phone }},
	{Name: "clientMeta.businessName", Label: "Business name", Kind: TextField, MaxLength: 200,
		Example:  "Analytical Engines",
		Of:       func(c *Client) *string { return &c.Meta.BusinessName },
		OfUpdate: func(u *ClientUpdate) **string { return &u.Meta.BusinessName }},
	{Name: "clientMeta.city", Label: "City", Kind: TextField, MaxLength: 100,
		Example:  "London",
		Of:       func(c *Client) *string { return &c.Meta.City },
		OfUpdate: func(u *ClientUpdate) **string { return &u.Meta.City }},
	{Name: "clientMeta.jobTitle", Label: "Job title", Kind: TextField, MaxLength: 100,
		Example:  "Founder",
		Of:       func(c *Client) *string { return &c.Meta.JobTitle },
		OfUpdate: func(u *ClientUpdate) **string { return &u.Meta.JobTitle }},
	{Name: "clientMeta.notes", Label: "Notes", Kind: MultilineField, MaxLength: 2000, AdminOnly: true,
		Example:  "Prefers calls after 10am.\nAsk for the billing desk.",
		Of:       func(c *Client) *string { return &c.Meta.Notes },
		OfUpdate: func(u *ClientUpdate) **string { return &u.Meta.Notes }},
}

// CallingFields are the fields an administrator sets up for calling, in the
// API's order.
var CallingFields = []ClientField{
	{Name: "agentId", Label: "ElevenLabs agent ID", Kind: AgentIDField, Required: true,
		Missing: "Missing required eleven labs outbound agent ID", Example: "agent_123",
		Of:       func(c *Client) *string { return &c.AgentID },
		OfUpdate: func(u *ClientUpdate) **string { return &u.AgentID }},
	{Name: "twilioPhoneNumber", Label: "Twilio phone number", Kind: PhoneField, Required: true,
		Missing: "Missing required Twilio phone number",
		Hint:    "The number calls go out from, like +14155550100", Example: "+14155550100",
		Of:       func(c *Client) *string { return &c.TwilioPhoneNumber },
		OfUpdate: func(u *ClientUpdate) **string { return &u.TwilioPhoneNumber }},
}

// ClientFields are ContactFields then CallingFields: the API's order, which
// the audit trail lists changed fields in.
var ClientFields = append(append([]ClientField(nil), ContactFields...), CallingFields...)

// OwnFields are the contact fields a client reads and changes itself:
// ContactFields without the AdminOnly ones.
var OwnFields = ownFields(ContactFields)

func ownFields(fields []ClientField) []ClientField {
	var own []ClientField
	for _, f := range fields {
		if !f.AdminOnly {
			own = append(own, f)
		}
	}
	return own
}

// MetaRequiredFields are the contact fields a new client must have, in the
// order the API reports them.
var MetaRequiredFields = requiredNames(ContactFields)

func requiredNames(fields []ClientField) []string {
	var names []string
	for _, f := range fields {
		if f.Required {
			names = append(names, f.Name)
		}
	}
	return names
}

// Apply copies every field upd sets onto c.
func (c *Client) Apply(upd ClientUpdate) {
	for _, f := range ClientFields {
		if v := *f.OfUpdate(&upd); v != nil {
			*f.Of(c) = *v
		}
	}
	if upd.Status != nil {
		c.Status = *upd.Status
	}
	if upd.Calling != nil {
		c.Calling = *upd.Calling
	}
}

// ChangedFields lists the JSON names of the fields, other than the status,
// whose value differs between before and after, in the API's order.
func ChangedFields(before, after *Client) []string {
	var names []string
	for _, f := range ClientFields {
		if *f.Of(before) != *f.Of(after) {
			names = append(names, f.Name)
		}
	}
	if !before.Calling.Equal(after.Calling) {
		names = append(names, "calling")
	}
	return names
}
