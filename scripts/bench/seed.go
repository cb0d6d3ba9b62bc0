package main

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3"
)

// The seeded data. Client 1 (benchClient) signs in and has heavyCalls calls;
// the other calls are spread evenly over the other clients. Half the
// clients are "Acme …", one is "Zebracorn Ltd" (the rare search term), 80%
// are Active. Calls are 90% completed, 10% failed: none is left queued or in
// progress, so the reconciler finds nothing to do while the bench runs.
const (
	benchClient = "bench_000001"
	benchSecret = "bench-client-secret-0123456789"
	rareTerm    = "zebracorn"
	heavyCalls  = 10_000
)

// seedEpoch is when the first seeded client was created; the rest follow a
// second apart, and calls are spread over the same span.
var seedEpoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// seed fills a migrated SQLite database with n clients and calls calls in
// one transaction of multi-row INSERTs through database/sql, with
// synchronous off: the store's own writes would take an fsync per row.
func seed(path, secretHash string, n, calls int) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF&_foreign_keys=off")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()

	clientCols := []string{"client_id", "status", "agent_id", "twilio_phone_number", "full_name", "email", "email_key",
		"phone", "business_name", "city", "job_title", "notes", "search_key", "secret_hash", "token_version",
		"created_at", "updated_at"}
	err = insertRows(tx, "clients", clientCols, n, func(i int, row []any) {
		k := i + 1
		name, business := fmt.Sprintf("Person %d", k), fmt.Sprintf("Business %d", k)
		if k%2 == 0 {
			business = fmt.Sprintf("Acme %d", k)
		}
		if k == n/2+1 {
			business = "Zebracorn Ltd"
		}
		status := "Active"
		if k%10 == 3 {
			status = "Inactive"
		} else if k%10 == 7 {
			status = "Suspended"
		}
		email := fmt.Sprintf("client%d@example.com", k)
		t := seedEpoch.Add(time.Duration(k) * time.Second)
		copy(row, []any{fmt.Sprintf("bench_%06d", k), status, "agent_bench", "+18005550100", name, email, email,
			"+12125550100", business, "Springfield", "", "", strings.ToLower(name + "\n" + email + "\n" + business),
			secretHash, int64(k), t, t})
	})
	if err != nil {
		return fmt.Errorf("seed clients: %w", err)
	}

	callCols := []string{"call_id", "client_pk", "client_id", "client_name", "status", "to_number", "from_number",
		"agent_id", "conversation_id", "call_sid", "requested_by", "start_time", "end_time", "duration_secs",
		"outcome", "summary", "error", "transcript", "created_at", "updated_at"}
	span := time.Duration(n) * time.Second
	heavy := min(heavyCalls, calls)
	err = insertRows(tx, "calls", callCols, calls, func(i int, row []any) {
		pk := 1
		if i >= heavy && n > 1 {
			pk = 2 + (i-heavy)%(n-1)
		}
		// Calls in creation order, all after their client.
		t := seedEpoch.Add(span + time.Duration(int64(i)*int64(span)/int64(max(calls, 1))))
		status, outcome, errText, transcript := "completed", "success", "", `[{"role":"agent","message":"Hello, this is the bench."},{"role":"user","message":"Hi."}]`
		if i%10 == 9 {
			status, outcome, errText, transcript = "failed", "", "no answer", "[]"
		}
		end := t.Add(42 * time.Second)
		copy(row, []any{fmt.Sprintf("call_%016x", i+1), pk, fmt.Sprintf("bench_%06d", pk), fmt.Sprintf("Person %d", pk),
			status, "+12125550123", "+18005550100", "agent_bench", fmt.Sprintf("conv_%d", i+1), fmt.Sprintf("CA%d", i+1),
			"client", t, end, 42, outcome, "", errText, transcript, t, end})
	})
	if err != nil {
		return fmt.Errorf("seed calls: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// insertRows inserts n rows into table, fill writing row i's values, in
// statements of up to 200 rows.
func insertRows(tx *sql.Tx, table string, cols []string, n int, fill func(i int, row []any)) error {
	const batch = 200
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", len(cols)), ",") + ")"
	var stmt *sql.Stmt
	stmtRows := 0
	args := make([]any, 0, batch*len(cols))
	row := make([]any, len(cols))
	for i := 0; i < n; i += batch {
		rows := min(batch, n-i)
		if rows != stmtRows {
			q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " +
				strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
			var err error
			if stmt, err = tx.Prepare(q); err != nil {
				return err
			}
			stmtRows = rows
		}
		args = args[:0]
		for j := range rows {
			fill(i+j, row)
			args = append(args, row...)
		}
		if _, err := stmt.Exec(args...); err != nil {
			return err
		}
	}
	return nil
}
