package switchboard_test

import (
	"errors"
	"testing"
	"time"

	"switchboard/internal/switchboard"
)

// TestCallStatusPrecedes: a status moves only forward, and a final one
// never moves again.
func TestCallStatusPrecedes(t *testing.T) {
	rank := map[switchboard.CallStatus]int{
		switchboard.CallQueued: 0, switchboard.CallInitiated: 1, switchboard.CallInProgress: 2,
		switchboard.CallCompleted: 3, switchboard.CallFailed: 3,
	}
	for _, from := range switchboard.CallStatuses {
		for _, to := range switchboard.CallStatuses {
			want := !from.Final() && rank[to] > rank[from]
			if got := from.Precedes(to); got != want {
				t.Errorf("%s.Precedes(%s) = %v, want %v", from, to, got, want)
			}
		}
	}
	if switchboard.CallStatus("done").Valid() || !switchboard.CallInProgress.Valid() {
		t.Error("Valid is wrong")
	}
}

// TestCallCursor: a cursor reads back as itself; anything it did not write
// is refused.
func TestCallCursor(t *testing.T) {
	c := switchboard.CallCursor{CreatedAt: time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC), ID: "call_0123456789abcdef01234567"}
	got, err := switchboard.ParseCallCursor(c.String())
	if err != nil || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
		t.Fatalf("ParseCallCursor(String()) = %+v, %v; want %+v", got, err, c)
	}
	for _, bad := range []string{"", "x", c.String() + "A", "MTIzLmNhbGxfeA", "MDEyMy5jYWxsXzAxMjM0NTY3ODlhYmNkZWYwMTIzNDU2Nw"} {
		if _, err := switchboard.ParseCallCursor(bad); err != switchboard.ErrBadCursor {
			t.Errorf("ParseCallCursor(%q) error = %v, want ErrBadCursor", bad, err)
		}
	}
}

// TestCallingHours: the window is read in the client's zone, start
// inclusive and end exclusive, on the listed days only, across DST.
func TestCallingHours(t *testing.T) {
	h := &switchboard.CallingHours{Timezone: "America/New_York", Start: "09:00", End: "20:00",
		Days: []string{"Mon", "Tue", "Wed", "Thu", "Fri"}}
	ny, _ := time.LoadLocation("America/New_York")
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 3, 2, 9, 0, 0, 0, ny), true},          // Monday 09:00
		{time.Date(2026, 3, 2, 8, 59, 59, 0, ny), false},       // before
		{time.Date(2026, 3, 2, 19, 59, 59, 0, ny), true},       // last second
		{time.Date(2026, 3, 2, 20, 0, 0, 0, ny), false},        // end is exclusive
		{time.Date(2026, 3, 7, 12, 0, 0, 0, ny), false},        // Saturday
		{time.Date(2026, 3, 9, 13, 30, 0, 0, time.UTC), true},  // Monday 09:30 EDT (UTC-4), after the DST change
		{time.Date(2026, 3, 6, 13, 30, 0, 0, time.UTC), false}, // Friday 08:30 EST (UTC-5), before it
	} {
		if got := h.Allows(tt.at); got != tt.want {
			t.Errorf("Allows(%v) = %v, want %v", tt.at, got, tt.want)
		}
	}
	if got, want := h.String(), "Mon–Fri 09:00–20:00 (America/New_York)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	h.Days = []string{"Mon", "Wed", "Thu", "Sat", "Sun"}
	if got, want := h.String(), "Mon, Wed, Thu, Sat, Sun 09:00–20:00 (America/New_York)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	var none *switchboard.CallingHours
	if !none.Allows(time.Now()) {
		t.Error("no hours must allow any time")
	}
}

// TestCallingSettingsValidate: each bad value is refused naming its field.
func TestCallingSettingsValidate(t *testing.T) {
	good := func() switchboard.CallingSettings {
		return switchboard.CallingSettings{MaxCallsPerHour: 60, Hours: &switchboard.CallingHours{
			Timezone: "Europe/Paris", Start: "09:00", End: "18:30", Days: []string{"Mon", "Tue"}}}
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("good settings refused: %v", err)
	}
	for _, tt := range []struct {
		name  string
		edit  func(*switchboard.CallingSettings)
		field string
	}{
		{"NegativeLimit", func(s *switchboard.CallingSettings) { s.MaxCallsPerHour = -1 }, "calling.maxCallsPerHour"},
		{"HugeLimit", func(s *switchboard.CallingSettings) { s.MaxCallsPerHour = 1001 }, "calling.maxCallsPerHour"},
		{"NoZone", func(s *switchboard.CallingSettings) { s.Hours.Timezone = "" }, "calling.hours.timezone"},
		{"BadZone", func(s *switchboard.CallingSettings) { s.Hours.Timezone = "Mars/Olympus" }, "calling.hours.timezone"},
		{"LocalZone", func(s *switchboard.CallingSettings) { s.Hours.Timezone = "Local" }, "calling.hours.timezone"},
		{"BadStart", func(s *switchboard.CallingSettings) { s.Hours.Start = "9:00" }, "calling.hours.start"},
		{"BadEnd", func(s *switchboard.CallingSettings) { s.Hours.End = "24:00" }, "calling.hours.end"},
		{"EndBeforeStart", func(s *switchboard.CallingSettings) { s.Hours.End = "08:00" }, "calling.hours.end"},
		{"NoDays", func(s *switchboard.CallingSettings) { s.Hours.Days = nil }, "calling.hours.days"},
		{"BadDay", func(s *switchboard.CallingSettings) { s.Hours.Days = []string{"Monday"} }, "calling.hours.days"},
		{"RepeatedDay", func(s *switchboard.CallingSettings) { s.Hours.Days = []string{"Mon", "Mon"} }, "calling.hours.days"},
		{"OutOfOrder", func(s *switchboard.CallingSettings) { s.Hours.Days = []string{"Tue", "Mon"} }, "calling.hours.days"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := good()
			tt.edit(&s)
			err := s.Validate()
			var e *switchboard.Error
			if !errors.As(err, &e) || e.Code != switchboard.EINVALID || e.Fields[tt.field] == "" {
				t.Errorf("Validate() = %v, want EINVALID naming %s", err, tt.field)
			}
		})
	}
	if got := (switchboard.CallingSettings{}).HourLimit(); got != switchboard.MaxCallsPerHourDefault {
		t.Errorf("default HourLimit = %d", got)
	}
}
