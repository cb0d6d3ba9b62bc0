package web

import (
	"bufio"
	"context"
	"encoding/csv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"switchboard/internal/switchboard"
)

// exportPage is how many clients the export reads at a time.
const exportPage = 100

// exportTimeout bounds a whole export: it outlives the handler (the body
// is written after it returns), so it has its own deadline instead of the
// request's.
const exportTimeout = 10 * time.Minute

// handleClientsCSV handles GET /console/clients.csv?search=&status=&sort=:
// every client the list's filter matches, in its order, as CSV, streamed a
// page at a time (keyset pages, as the list reads them), so the export of
// 100,000 clients holds one page in memory, not the file.
func (con *console) handleClientsCSV(c *fiber.Ctx) error {
	l, f := clientListFilter(c)
	if l.Error != "" {
		return &pageError{Status: fiber.StatusBadRequest, Title: "Request refused", Message: l.Error}
	}
	f.Limit, f.After, f.Before = exportPage, nil, nil
	name := "clients-" + time.Now().UTC().Format("20060102-150405") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	// The writer runs once the handler has returned: it may use nothing of
	// c, whose request context ends then too.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), exportTimeout)
	clients, logger := con.Clients, con.Log
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer cancel()
		out := csv.NewWriter(w)
		out.Write(csvHeader())
		for {
			page, err := clients.FindClientPage(ctx, f)
			if err != nil {
				// The status is sent already: the file ends short, and the
				// log says why.
				logger.Error("client export failed", "err", err)
				return
			}
			for _, cl := range page.Clients {
				out.Write(csvRecord(cl))
			}
			out.Flush()
			if out.Error() != nil || w.Flush() != nil || page.Older == nil {
				return // done, or the browser went away
			}
			f.After = page.Older
		}
	})
	return nil
}

// csvHeader names the export's columns as the JSON API names the fields.
func csvHeader() []string {
	h := []string{"clientId", "status"}
	for _, f := range switchboard.ClientFields {
		h = append(h, f.Name)
	}
	return append(h, "createdAt", "updatedAt")
}

// csvRecord is one client's row of the export.
func csvRecord(c *switchboard.Client) []string {
	r := []string{c.ID, string(c.Status)}
	for _, f := range switchboard.ClientFields {
		r = append(r, *f.Of(c))
	}
	r = append(r, c.CreatedAt.UTC().Format(time.RFC3339), c.UpdatedAt.UTC().Format(time.RFC3339))
	for i, cell := range r {
		r[i] = csvSafe(cell)
	}
	return r
}

// csvSafe keeps a spreadsheet from reading a cell as a formula (OWASP's
// "CSV injection"): a cell that starts with =, +, -, @, a tab or a carriage
// return gets a ' before it. Phone numbers ("+1415…") get one too, which
// spreadsheets show as the text it is.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
