// Package migrations embeds the versioned SQL that builds the database, one
// folder per dialect because the column types differ. Files are applied in
// version order by goose, each in its own transaction, and never edited once
// released: a change is a new file.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
