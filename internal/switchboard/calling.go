package switchboard

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// CallingSettings are the limits an administrator sets on a client's calls.
// A client sees them but cannot change them.
type CallingSettings struct {
	// MaxCallsPerHour bounds the calls placed in any hour; 0 means
	// MaxCallsPerHourDefault.
	MaxCallsPerHour int
	// Hours is when calls may be placed; nil means at any time.
	Hours *CallingHours
}

// CallingHours is a daily window, in a time zone, on some days of the week.
type CallingHours struct {
	Timezone string   // an IANA zone, "America/New_York"
	Start    string   // "09:00", inclusive
	End      string   // "20:00", exclusive; after Start
	Days     []string // "Mon" … "Sun", in week order, no repeats
}

// Bounds of the calling settings.
const (
	MaxCallsPerHourLimit = 1000
)

// Weekdays are the day names of CallingHours.Days, in week order.
var Weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// HourLimit is the settings' hourly limit, the default when none was set.
func (s CallingSettings) HourLimit() int {
	if s.MaxCallsPerHour == 0 {
		return MaxCallsPerHourDefault
	}
	return s.MaxCallsPerHour
}

var clockPattern = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

// Equal reports whether s and o allow the same calls: the same limit in
// force (an unset limit equals the default written out) and the same hours.
func (s CallingSettings) Equal(o CallingSettings) bool {
	if s.HourLimit() != o.HourLimit() || (s.Hours == nil) != (o.Hours == nil) {
		return false
	}
	if s.Hours == nil {
		return true
	}
	a, b := s.Hours, o.Hours
	return a.Timezone == b.Timezone && a.Start == b.Start && a.End == b.End && slices.Equal(a.Days, b.Days)
}

// Validate checks the settings; the error is EINVALID and names the field
// with its JSON name under "calling".
func (s CallingSettings) Validate() error {
	var fe fieldErrors
	s.check(&fe)
	return fe.err()
}

func (s CallingSettings) check(fe *fieldErrors) {
	if s.MaxCallsPerHour < 0 || s.MaxCallsPerHour > MaxCallsPerHourLimit {
		fe.addPhrase("calling.maxCallsPerHour", fmt.Sprintf("must be from 1 to %d", MaxCallsPerHourLimit))
	}
	if h := s.Hours; h != nil {
		if _, err := time.LoadLocation(h.Timezone); h.Timezone == "" || err != nil || h.Timezone == "Local" {
			fe.addPhrase("calling.hours.timezone", "must be an IANA time zone such as America/New_York")
		}
		if !clockPattern.MatchString(h.Start) {
			fe.addPhrase("calling.hours.start", "must be a time of day such as 09:00")
		}
		if !clockPattern.MatchString(h.End) {
			fe.addPhrase("calling.hours.end", "must be a time of day such as 20:00")
		} else if clockPattern.MatchString(h.Start) && h.End <= h.Start {
			fe.addPhrase("calling.hours.end", "must be after calling.hours.start")
		}
		if len(h.Days) == 0 || !weekdaysInOrder(h.Days) {
			fe.addPhrase("calling.hours.days", "must list days from Mon to Sun, each once, in week order")
		}
	}
}

func weekdaysInOrder(days []string) bool {
	next := 0
	for _, d := range days {
		i := indexOf(Weekdays, d)
		if i < next {
			return false
		}
		next = i + 1
	}
	return true
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Allows reports whether a call may be placed at t.
func (h *CallingHours) Allows(t time.Time) bool {
	if h == nil {
		return true
	}
	loc, err := time.LoadLocation(h.Timezone)
	if err != nil {
		return false
	}
	local := t.In(loc)
	day := Weekdays[(int(local.Weekday())+6)%7] // time.Sunday is 0
	clock := local.Format("15:04")
	return indexOf(h.Days, day) >= 0 && clock >= h.Start && clock < h.End
}

// String says the window in words: "Mon–Fri 09:00–20:00 (America/New_York)".
func (h *CallingHours) String() string {
	if h == nil {
		return "any time"
	}
	return fmt.Sprintf("%s %s–%s (%s)", dayRanges(h.Days), h.Start, h.End, h.Timezone)
}

// dayRanges writes runs of consecutive days as ranges: Mon–Fri, Sat.
func dayRanges(days []string) string {
	var parts []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && indexOf(Weekdays, days[j+1]) == indexOf(Weekdays, days[j])+1 {
			j++
		}
		switch {
		case j == i:
			parts = append(parts, days[i])
		case j == i+1:
			parts = append(parts, days[i], days[j])
		default:
			parts = append(parts, days[i]+"–"+days[j])
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}
