package views

import (
	"strconv"

	"switchboard/internal/switchboard"
)

// The dashboard's charts are SVG drawn here, on the server: no script, no
// chart library, nothing the CSP would have to allow. Geometry goes in SVG
// attributes and colours in classes (fill-…), never in style attributes.
// Each chart has a title and a description for screen readers and its
// numbers in a table behind a <details> (charts.templ).

// chartSeries is one kind of thing a chart counts: its key in the data, its
// words, the SVG fill class of its bars and the background class of its
// legend swatch (written whole, for Tailwind to find).
type chartSeries struct {
	Key, Label, Fill, Swatch string
}

// outcomeSeries stack the calls of a day, bottom to top.
var outcomeSeries = []chartSeries{
	{switchboard.OutcomeSuccess, "Success", "fill-emerald-600", "bg-emerald-600"},
	{switchboard.OutcomeFailure, "Failure", "fill-red-600", "bg-red-600"},
	{switchboard.OutcomeUnknown, "Unknown", "fill-amber-600", "bg-amber-600"},
	{"", "No outcome", "fill-slate-500", "bg-slate-500"},
}

// statusSeries split every call by status, in the order calls move.
var statusSeries = []chartSeries{
	{string(switchboard.CallQueued), "Queued", "fill-slate-500", "bg-slate-500"},
	{string(switchboard.CallInitiated), "Initiated", "fill-sky-600", "bg-sky-600"},
	{string(switchboard.CallInProgress), "In progress", "fill-indigo-600", "bg-indigo-600"},
	{string(switchboard.CallCompleted), "Completed", "fill-emerald-600", "bg-emerald-600"},
	{string(switchboard.CallFailed), "Failed", "fill-red-600", "bg-red-600"},
}

// The daily chart's canvas, in SVG user units. Small enough that its
// 11-unit text stays readable when a phone shrinks the chart to its width.
const (
	chartWidth   = 360
	chartHeight  = 200
	chartLeft    = 30 // room for the counts
	chartRight   = 4
	chartTop     = 8
	chartBottom  = 22 // room for the dates
	chartFont    = "11"
	chartBarFill = 0.7 // the part of a day's slot its bar fills
)

type chartRect struct {
	X, Y, W, H  string
	Fill, Title string
}

type chartText struct {
	X, Y, Text string
	Anchor     string // its text-anchor
}

// dailyChart is the geometry of the stacked bars of calls per day.
type dailyChart struct {
	Bars   []chartRect
	YTicks []chartText // the counts on the left, with a grid line each
	XTicks []chartText // some dates under the bars
}

// num writes a coordinate with at most one decimal.
func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// chartScale returns the top of the count axis and its step: a round step
// (1, 2 or 5 times a power of ten) that gives at most 5 ticks above 0.
func chartScale(max int) (top, step int) {
	for step = 1; ; {
		for _, m := range []int{1, 2, 5} {
			if s := step * m; s*5 >= max {
				top = s * ((max + s - 1) / s)
				if top == 0 {
					top = s
				}
				return top, s
			}
		}
		step *= 10
	}
}

// newDailyChart lays out days, oldest on the left, each bar stacked by
// outcome.
func newDailyChart(days []CallDay) dailyChart {
	var ch dailyChart
	most := 0
	for _, d := range days {
		most = max(most, d.Total())
	}
	top, step := chartScale(most)
	plotW := float64(chartWidth - chartLeft - chartRight)
	plotH := float64(chartHeight - chartTop - chartBottom)
	y := func(n int) float64 { return chartTop + plotH - float64(n)/float64(top)*plotH }
	for n := 0; n <= top; n += step {
		ch.YTicks = append(ch.YTicks, chartText{X: num(chartLeft - 4), Y: num(y(n)), Text: itoa(n)})
	}
	if len(days) == 0 {
		return ch
	}
	slot := plotW / float64(len(days))
	for i, d := range days {
		x := chartLeft + float64(i)*slot
		below := 0
		for _, s := range outcomeSeries {
			n := d.ByOutcome[s.Key]
			if n == 0 {
				continue
			}
			ch.Bars = append(ch.Bars, chartRect{
				X: num(x + slot*(1-chartBarFill)/2), W: num(slot * chartBarFill),
				Y: num(y(below + n)), H: num(y(below) - y(below+n)), Fill: s.Fill,
				Title: dayLabel(d) + ": " + itoa(n) + " " + lower(s.Label),
			})
			below += n
		}
		// A date under every seventh bar, counted from today's, which ends
		// at the chart's edge.
		switch {
		case i == len(days)-1:
			ch.XTicks = append(ch.XTicks, chartText{X: num(x + slot), Y: num(chartHeight - 6), Text: d.Day.Format("Jan 2"), Anchor: "end"})
		case (len(days)-1-i)%7 == 0:
			ch.XTicks = append(ch.XTicks, chartText{X: num(x + slot/2), Y: num(chartHeight - 6), Text: d.Day.Format("Jan 2"), Anchor: "middle"})
		}
	}
	return ch
}

func dayLabel(d CallDay) string { return d.Day.Format("Mon Jan 2") }

func lower(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}

// statusBar is the geometry of the one bar that splits every call by
// status, 100 units wide (the SVG stretches it to the card's width).
func statusBar(byStatus map[switchboard.CallStatus]int) []chartRect {
	total := 0
	for _, n := range byStatus {
		total += n
	}
	if total == 0 {
		return nil
	}
	var rects []chartRect
	x := 0.0
	for _, s := range statusSeries {
		n := byStatus[switchboard.CallStatus(s.Key)]
		if n == 0 {
			continue
		}
		w := float64(n) / float64(total) * 100
		rects = append(rects, chartRect{X: num(x), Y: "0", W: num(w), H: "10", Fill: s.Fill, Title: s.Label + ": " + itoa(n)})
		x += w
	}
	return rects
}

// dailyChartSummary says what the daily chart shows, for its <desc>.
func dailyChartSummary(days []CallDay) string {
	total, busiest := 0, -1
	for i, d := range days {
		total += d.Total()
		if d.Total() > 0 && (busiest < 0 || d.Total() > days[busiest].Total()) {
			busiest = i
		}
	}
	if busiest < 0 {
		return "No calls in the last 30 days."
	}
	return itoa(total) + " calls in the last 30 days; the busiest day, " + dayLabel(days[busiest]) + ", had " +
		itoa(days[busiest].Total()) + ". The table below the chart has every day's numbers."
}
