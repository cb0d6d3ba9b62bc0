// Package httpservertest reads what httpserver logs, for the tests of every
// transport.
package httpservertest

import (
	"strconv"
	"strings"
)

// SecurityEvents returns the attributes of each security line (msg=security,
// see httpserver.Audit) in log, text written by slog's TextHandler.
func SecurityEvents(log string) []map[string]string {
	var events []map[string]string
	for _, line := range strings.Split(log, "\n") {
		if attrs := parseLine(line); attrs["msg"] == "security" {
			events = append(events, attrs)
		}
	}
	return events
}

// Count is the number of events that hold every attribute of want.
func Count(events []map[string]string, want map[string]string) int {
	n := 0
	for _, e := range events {
		if holds(e, want) {
			n++
		}
	}
	return n
}

func holds(event, want map[string]string) bool {
	for k, v := range want {
		if got, ok := event[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// parseLine reads key=value pairs; a quoted value is unquoted.
func parseLine(line string) map[string]string {
	attrs := map[string]string{}
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimLeft(line, " ") {
		key, rest, ok := strings.Cut(line, "=")
		if !ok {
			break
		}
		value := rest
		if strings.HasPrefix(rest, `"`) {
			quoted, err := strconv.QuotedPrefix(rest)
			if err != nil {
				break
			}
			value, _ = strconv.Unquote(quoted)
			rest = rest[len(quoted):]
		} else {
			value, rest, _ = strings.Cut(rest, " ")
		}
		attrs[key] = value
		line = rest
	}
	return attrs
}
