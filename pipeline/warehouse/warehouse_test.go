package warehouse

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"hiis/pipeline/warehouse/pgtest"
)

// TestStageTypes stages a result with every type hiis maps from a real
// PostgreSQL and reads the Parquet file back: typed columns, NULLs kept,
// decimals exact, and the same rows give the same bytes.
func TestStageTypes(t *testing.T) {
	pg := pgtest.Start(t)
	pg.Exec(t,
		`CREATE TABLE t (id bigint, age smallint, admitted date, seen timestamptz, cost numeric(10,2), free numeric,
			weight double precision, flag boolean, code text, sex char(1))`,
		`INSERT INTO t VALUES
			(1, 45, '2025-04-01', '2025-04-01 10:30:00+01', 1234.50, 1.000000000000000000001, 72.5, true, 'A', '1'),
			(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			(3, 0, '1999-12-31', '2026-03-31 23:59:59+00', -0.01, 7, -1, false, '', '2')`)
	t.Setenv("HIIS_TEST_PG", pg.DSN)
	q := Query{Source: "t", Driver: "postgres", DSNEnv: "HIIS_TEST_PG", SQL: "SELECT * FROM t ORDER BY id"}
	dst := filepath.Join(t.TempDir(), "t.parquet")
	res, err := Stage(context.Background(), q, dst)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 3 || !strings.HasPrefix(res.ServerVersion, "1") || res.QuerySHA256 != q.Hash() || len(res.StagedSHA256) != 64 {
		t.Fatalf("result %+v", res)
	}
	got := readBack(t, dst)
	want := map[string][]string{
		"id":       {"INT64 1", "INT64 2", "INT64 3"},
		"age":      {"INT64 45", "NULL", "INT64 0"},
		"admitted": {"DATE 2025-04-01", "NULL", "DATE 1999-12-31"},
		"seen":     {"TIMESTAMP 2025-04-01T09:30:00Z", "NULL", "TIMESTAMP 2026-03-31T23:59:59Z"},
		"cost":     {"DECIMAL(10,2) 123450", "NULL", "DECIMAL(10,2) -1"},
		"free":     {"STRING 1.000000000000000000001", "NULL", "STRING 7"},
		"weight":   {"DOUBLE 72.5", "NULL", "DOUBLE -1"},
		"flag":     {"BOOLEAN true", "NULL", "BOOLEAN false"},
		"code":     {"STRING A", "NULL", "STRING "},
		"sex":      {"STRING 1", "NULL", "STRING 2"},
	}
	for col, w := range want {
		if strings.Join(got[col], "|") != strings.Join(w, "|") {
			t.Errorf("column %s = %q, want %q", col, got[col], w)
		}
	}
	again, err := Stage(context.Background(), q, dst)
	if err != nil {
		t.Fatal(err)
	}
	if again.StagedSHA256 != res.StagedSHA256 {
		t.Errorf("the same rows staged twice hash %s and %s", res.StagedSHA256, again.StagedSHA256)
	}

	t.Run("duplicate column names", func(t *testing.T) {
		_, err := Stage(context.Background(), Query{Source: "t", Driver: "postgres", DSNEnv: "HIIS_TEST_PG", SQL: "SELECT id, code AS ID FROM t"}, dst)
		if err == nil || !strings.Contains(err.Error(), `two columns named "id" (columns 1 and 2)`) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("bad SQL names the source", func(t *testing.T) {
		_, err := Stage(context.Background(), Query{Source: "apc", Driver: "postgres", DSNEnv: "HIIS_TEST_PG", SQL: "SELECT * FROM no_such_table"}, dst)
		if err == nil || !strings.Contains(err.Error(), "query apc: running the query") || !strings.Contains(err.Error(), "no_such_table") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Stage(ctx, q, filepath.Join(t.TempDir(), "c.parquet"))
		if err == nil || !strings.Contains(err.Error(), "context canceled") {
			t.Fatalf("error %v", err)
		}
	})
}

// readBack returns each column's values as "TYPE value" strings.
func readBack(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	fields := pf.Schema().Fields()
	out := map[string][]string{}
	r := parquet.NewReader(pf)
	buf := make([]parquet.Row, 1)
	for {
		n, _ := r.ReadRows(buf)
		if n == 0 {
			break
		}
		for _, v := range buf[0] {
			fld := fields[v.Column()]
			out[fld.Name()] = append(out[fld.Name()], describe(fld.Type(), v))
		}
	}
	return out
}

func describe(typ parquet.Type, v parquet.Value) string {
	if v.IsNull() {
		return "NULL"
	}
	if lt := typ.LogicalType(); lt != nil {
		switch l := lt.Value.(type) {
		case *format.DateType:
			return "DATE " + dateOf(v.Int32())
		case *format.TimestampType:
			return "TIMESTAMP " + timeOf(v.Int64())
		case *format.DecimalType:
			return "DECIMAL(" + itoa(int(l.Precision)) + "," + itoa(int(l.Scale)) + ") " + v.String()
		case *format.StringType:
			return "STRING " + string(v.ByteArray())
		}
	}
	return typ.Kind().String() + " " + v.String()
}

// TestSecretsRedacted: a connection string, and the password in it, never
// appear in an error, whatever form the string takes and wherever it fails.
func TestSecretsRedacted(t *testing.T) {
	const pw = "s3cr3t-Pa55word"
	missing := filepath.Join(t.TempDir(), "no-server-here")
	for _, tc := range []struct{ name, driver, dsn string }{
		{"key=value, no server", "postgres", "host=" + missing + " user=hiis password=" + pw + " dbname=warehouse connect_timeout=2"},
		{"URL, no server", "postgres", "postgres://hiis:" + pw + "@/warehouse?host=" + missing + "&connect_timeout=2"},
		{"malformed URL", "postgres", "postgres://hiis:" + pw + "@[::1/warehouse"},
		{"malformed key=value", "postgres", "host=" + missing + " password='" + pw},
		{"SQL Server, unreachable", "sqlserver", "sqlserver://sa:" + pw + "@127.0.0.1:1?database=warehouse&dial+timeout=1&connection+timeout=1"},
		{"SQL Server ADO form", "sqlserver", "server=127.0.0.1;port=1;user id=sa;password=" + pw + ";database=warehouse;dial timeout=1;connection timeout=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("HIIS_TEST_DSN", tc.dsn)
			_, err := Stage(context.Background(), Query{Source: "apc", Driver: tc.driver, DSNEnv: "HIIS_TEST_DSN", SQL: "SELECT 1"}, filepath.Join(t.TempDir(), "x.parquet"))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), tc.dsn) {
				t.Fatalf("the error prints the secret: %v", err)
			}
			// Nor the rest of the connection string, even with the password
			// masked (pgx quotes "postgres://hiis:xxxxx@...").
			for _, part := range []string{"hiis:", "user=hiis", "sa:", "database=warehouse", "dbname=warehouse"} {
				if strings.Contains(err.Error(), part) {
					t.Fatalf("the error prints the connection string's %q: %v", part, err)
				}
			}
			if !strings.Contains(err.Error(), "query apc:") || !strings.Contains(err.Error(), "$HIIS_TEST_DSN") {
				t.Errorf("the error does not say which source and variable: %v", err)
			}
		})
	}
	t.Run("unset variable", func(t *testing.T) {
		t.Setenv("HIIS_TEST_DSN", "")
		_, err := Stage(context.Background(), Query{Source: "apc", Driver: "postgres", DSNEnv: "HIIS_TEST_DSN", SQL: "SELECT 1"}, filepath.Join(t.TempDir(), "x.parquet"))
		if err == nil || !strings.Contains(err.Error(), "environment variable HIIS_TEST_DSN is not set") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("redact", func(t *testing.T) {
		s := newSecret("Server=db;User Id=me;PWD={"+pw+"};", "X")
		if got := s.redact("login failed with " + pw); strings.Contains(got, pw) {
			t.Fatalf("redacted to %q", got)
		}
	})
}

func TestUnscaled(t *testing.T) {
	for _, tc := range []struct {
		in    string
		scale int
		want  int64
		bad   bool
	}{
		{"1234.50", 2, 123450, false}, {"-0.01", 2, -1, false}, {"7", 2, 700, false},
		{"0.001", 2, 0, true}, {"99999999999999999999", 2, 0, true}, {"x", 2, 0, true},
	} {
		got, err := unscaled(tc.in, tc.scale)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("unscaled(%q, %d) = %d, %v", tc.in, tc.scale, got, err)
		}
	}
}

func dateOf(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format(time.DateOnly)
}

func timeOf(micros int64) string {
	return time.UnixMicro(micros).UTC().Format(time.RFC3339)
}

func itoa(i int) string { return strconv.Itoa(i) }

// BenchmarkStage stages a million rows of typical extract columns from a
// throwaway PostgreSQL: go test -run '^$' -bench Stage -benchtime 1x ./pipeline/warehouse
func BenchmarkStage(b *testing.B) {
	pg := pgtest.Start(b)
	pg.Exec(b, `CREATE TABLE big AS SELECT g AS spell_id, (g % 91)::smallint AS age, DATE '2025-04-01' + (g % 365) AS admission_date,
		'E0199' || lpad((g % 300)::text, 4, '0') AS lsoa, chr(65 + g % 18) AS ethnic_category, (1 + g % 2)::text AS sex,
		((g % 100000) / 100.0)::numeric(8,2) AS cost FROM generate_series(1, 1000000) g`)
	b.Setenv("HIIS_TEST_PG", pg.DSN)
	dst := filepath.Join(b.TempDir(), "big.parquet")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Stage(context.Background(), Query{Source: "big", Driver: "postgres", DSNEnv: "HIIS_TEST_PG", SQL: "SELECT * FROM big ORDER BY spell_id"}, dst)
		if err != nil || res.Rows != 1000000 {
			b.Fatalf("%d rows, %v", res.Rows, err)
		}
	}
}
