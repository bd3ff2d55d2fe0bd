package transform_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"hiis/pipeline/transform"
)

// TestPartitionKeepsValues: each organisation's file holds exactly its
// records, value for value, whether a text column is held as an ENUM while
// splitting (few values, one with a quote, one all NULL) or not (more
// values than enumMax).
func TestPartitionKeepsValues(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "s.parquet")
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf(`COPY (SELECT i AS source_line, 'E0100000' || (i %% 4) AS lsoa,
	CASE i %% 3 WHEN 0 THEN 'A' WHEN 1 THEN 'O''Brien' END AS few, 'id-' || i AS many, CAST(NULL AS VARCHAR) AS none
	FROM range(1, 3001) t(i)) TO '%s' (FORMAT parquet)`, snap)); err != nil {
		t.Fatal(err)
	}
	byLSOA := map[string]string{"E01000000": "QAA", "E01000001": "QAA", "E01000002": "QBB"} // ...3 is unassigned
	parts, err := transform.Partition(context.Background(), []transform.PartitionSource{{Name: "s", Path: snap}}, byLSOA, []string{"QAA", "QBB"}, filepath.Join(dir, "parts"))
	if err != nil {
		t.Fatal(err)
	}
	if got := parts.Unassigned["s"]; got != 750 {
		t.Errorf("unassigned: %d, want 750", got)
	}
	want := map[string]string{"QAA": "'E01000000', 'E01000001'", "QBB": "'E01000002'"}
	for _, p := range parts.Parts {
		var missing, extra, rows int64
		q := fmt.Sprintf(`SELECT
	(SELECT count(*) FROM (SELECT * FROM read_parquet('%[1]s') WHERE lsoa IN (%[2]s) EXCEPT ALL SELECT * FROM read_parquet('%[3]s'))),
	(SELECT count(*) FROM (SELECT * FROM read_parquet('%[3]s') EXCEPT ALL SELECT * FROM read_parquet('%[1]s') WHERE lsoa IN (%[2]s))),
	(SELECT count(*) FROM read_parquet('%[3]s'))`, snap, want[p.Org], p.Path)
		if err := db.QueryRow(q).Scan(&missing, &extra, &rows); err != nil {
			t.Fatal(err)
		}
		if missing != 0 || extra != 0 || rows != p.Rows {
			t.Errorf("%s: %d records missing, %d extra, %d rows (reported %d)", p.Org, missing, extra, rows, p.Rows)
		}
		var typ string
		if err := db.QueryRow(fmt.Sprintf("SELECT typeof(few) FROM read_parquet('%s') LIMIT 1", p.Path)).Scan(&typ); err != nil || typ != "VARCHAR" {
			t.Errorf("%s: few reads back as %q (%v), want VARCHAR", p.Org, typ, err)
		}
	}
}
