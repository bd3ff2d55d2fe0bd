// Package warehouse reads a query source: it runs a source's SQL query on
// PostgreSQL (pgx) or SQL Server (go-mssqldb) through database/sql, and
// streams the result set, with bounded memory, into a typed Parquet file
// that extract then reads like any Parquet extract. The staged file is the
// evidence a run keeps; the connection string comes from an environment
// variable only and is redacted from every error.
package warehouse

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"  // database/sql driver "pgx"
	_ "github.com/microsoft/go-mssqldb" // database/sql driver "sqlserver"
	"github.com/parquet-go/parquet-go"

	"hiis/pipeline/manifest"
)

// Drivers maps hiis's driver names to database/sql's.
var Drivers = map[string]string{"postgres": "pgx", "sqlserver": "sqlserver"}

// Query is one query source: the driver, the environment variable holding
// its connection string, and the SQL.
type Query struct {
	Source string // source name, for messages
	Driver string // postgres or sqlserver
	DSNEnv string // environment variable with the connection string
	SQL    string
}

// Hash is the sha256 of the query's text.
func (q Query) Hash() string {
	sum := sha256.Sum256([]byte(q.SQL))
	return hex.EncodeToString(sum[:])
}

// Result says what a query returned: the facts the manifest records. It
// never holds the connection string.
type Result struct {
	Driver        string `json:"driver"`
	ServerVersion string `json:"server_version"`
	QuerySHA256   string `json:"query_sha256"`
	Rows          int64  `json:"rows"`
	Staged        string `json:"-"`             // path of the staged Parquet file
	StagedSHA256  string `json:"staged_sha256"` // the rows as staged: the input hash of the snapshot
}

// batchRows is how many rows are buffered before they are written, and
// rowGroupRows how many rows a Parquet row group holds: together they bound
// memory whatever the size of the result set.
const (
	batchRows    = 1024
	rowGroupRows = 1 << 16
)

// Stage runs q and writes its rows to the Parquet file dst (replaced
// atomically; its folder is created). Column types come from the database:
// integers as INT64, dates as DATE, timestamps as TIMESTAMP (microseconds,
// UTC), decimals of up to 18 digits as DECIMAL, floating point as DOUBLE,
// booleans as BOOLEAN, everything else as text; NULL stays NULL. The same
// rows in the same order give a byte-identical file. Errors name the source
// and never contain the connection string or its password: driver errors
// are redacted. A missing environment variable, an unknown driver or
// duplicated column names are errors before or instead of writing.
func Stage(ctx context.Context, q Query, dst string) (Result, error) {
	res := Result{Driver: q.Driver, QuerySHA256: q.Hash(), Staged: dst}
	name, ok := Drivers[q.Driver]
	if !ok {
		return res, fmt.Errorf("query %s: driver %q is not postgres or sqlserver", q.Source, q.Driver)
	}
	dsn := os.Getenv(q.DSNEnv)
	if q.DSNEnv == "" || dsn == "" {
		return res, fmt.Errorf("query %s: environment variable %s is not set: it holds the %s connection string (hiis reads it from the environment only)", q.Source, q.DSNEnv, q.Driver)
	}
	sec := newSecret(dsn, q.DSNEnv)
	db, err := sql.Open(name, dsn)
	if err != nil {
		return res, sec.wrap(ctx, q.Source, "opening the connection", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if res.ServerVersion, err = serverVersion(ctx, db, q.Driver); err != nil {
		return res, sec.wrap(ctx, q.Source, "connecting", err)
	}
	rows, err := db.QueryContext(ctx, q.SQL)
	if err != nil {
		return res, sec.wrap(ctx, q.Source, "running the query", err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return res, sec.wrap(ctx, q.Source, "reading the result's columns", err)
	}
	cols, err := columns(types)
	if err != nil {
		return res, fmt.Errorf("query %s: %w", q.Source, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return res, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+"-*")
	if err != nil {
		return res, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := parquet.NewWriter(tmp, schema(cols), parquet.CreatedBy("hiis", "", ""),
		parquet.Compression(&parquet.Zstd), parquet.MaxRowsPerRowGroup(rowGroupRows))
	dest := make([]any, len(cols))
	for i, c := range cols {
		dest[i] = c.scanner()
	}
	batch := make([]parquet.Row, 0, batchRows)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.WriteRows(batch)
		batch = batch[:0]
		return err
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return res, sec.wrap(ctx, q.Source, fmt.Sprintf("reading row %d", res.Rows+1), err)
		}
		res.Rows++
		row := make(parquet.Row, len(cols))
		for i, c := range cols {
			v, err := c.value(dest[i])
			if err != nil {
				return res, fmt.Errorf("query %s: row %d: column %q: %w", q.Source, res.Rows, c.name, err)
			}
			row[c.index] = v
		}
		batch = append(batch, row)
		if len(batch) == batchRows {
			if err := flush(); err != nil {
				return res, fmt.Errorf("query %s: writing %s: %w", q.Source, dst, err)
			}
			if err := ctx.Err(); err != nil {
				return res, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return res, sec.wrap(ctx, q.Source, fmt.Sprintf("reading row %d", res.Rows+1), err)
	}
	if err := flush(); err != nil {
		return res, fmt.Errorf("query %s: writing %s: %w", q.Source, dst, err)
	}
	if err := w.Close(); err != nil {
		return res, fmt.Errorf("query %s: writing %s: %w", q.Source, dst, err)
	}
	if err := tmp.Close(); err != nil {
		return res, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return res, err
	}
	f, err := manifest.HashFile(dst)
	if err != nil {
		return res, err
	}
	res.StagedSHA256 = f.SHA256
	return res, nil
}

// serverVersion asks the server for its version.
func serverVersion(ctx context.Context, db *sql.DB, driver string) (string, error) {
	q := "SHOW server_version"
	if driver == "sqlserver" {
		q = "SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128))"
	}
	var v string
	err := db.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// kind is how a result column is staged.
type kind int

const (
	kText kind = iota
	kInt
	kFloat
	kBool
	kDate
	kTimestamp
	kDecimal
)

// column is one result column: its name, how it is staged, and its position
// in the Parquet schema (whose columns are sorted by name).
type column struct {
	name           string
	kind           kind
	precision, scl int
	index          int
}

// columns maps the database's column types to staged columns, refusing
// duplicated names (after case folding), which would make a column
// ambiguous.
func columns(types []*sql.ColumnType) ([]column, error) {
	seen := map[string]int{}
	cols := make([]column, len(types))
	for i, t := range types {
		key := strings.ToLower(strings.TrimSpace(t.Name()))
		if j, dup := seen[key]; dup {
			return nil, fmt.Errorf("the result has two columns named %q (columns %d and %d); give them distinct names with AS", t.Name(), j+1, i+1)
		}
		seen[key] = i
		c := column{name: t.Name(), kind: kindOf(t.DatabaseTypeName())}
		if c.kind == kDecimal {
			p, s, ok := t.DecimalSize()
			if !ok || p < 1 || p > 18 || s < 0 || s > p {
				c.kind = kText // unconstrained or wider than int64: kept exact as text
			} else {
				c.precision, c.scl = int(p), int(s)
			}
		}
		cols[i] = c
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	sort.Strings(names)
	pos := map[string]int{}
	for i, n := range names {
		pos[n] = i
	}
	for i := range cols {
		cols[i].index = pos[cols[i].name]
	}
	return cols, nil
}

// kindOf maps a PostgreSQL or SQL Server type name (as database/sql reports
// it) to a staged kind; unknown types are text.
func kindOf(dbType string) kind {
	switch strings.ToUpper(dbType) {
	case "INT2", "INT4", "INT8", "SMALLINT", "INTEGER", "BIGINT", "INT", "TINYINT":
		return kInt
	case "FLOAT4", "FLOAT8", "FLOAT", "REAL":
		return kFloat
	case "BOOL", "BIT":
		return kBool
	case "DATE":
		return kDate
	case "TIMESTAMP", "TIMESTAMPTZ", "DATETIME", "DATETIME2", "SMALLDATETIME", "DATETIMEOFFSET":
		return kTimestamp
	case "NUMERIC", "DECIMAL", "MONEY", "SMALLMONEY":
		return kDecimal
	}
	return kText
}

func schema(cols []column) *parquet.Schema {
	g := parquet.Group{}
	for _, c := range cols {
		var n parquet.Node
		switch c.kind {
		case kInt:
			n = parquet.Int(64)
		case kFloat:
			n = parquet.Leaf(parquet.DoubleType)
		case kBool:
			n = parquet.Leaf(parquet.BooleanType)
		case kDate:
			n = parquet.Date()
		case kTimestamp:
			n = parquet.Timestamp(parquet.Microsecond)
		case kDecimal:
			n = parquet.Decimal(c.scl, c.precision, parquet.Int64Type)
		default:
			n = parquet.String()
		}
		g[c.name] = parquet.Optional(n)
	}
	return parquet.NewSchema("query", g)
}

// scanner returns the typed destination rows.Scan fills for c: the
// driver's own value, not its text, except for decimals.
func (c column) scanner() any {
	switch c.kind {
	case kInt:
		return new(sql.NullInt64)
	case kFloat:
		return new(sql.NullFloat64)
	case kBool:
		return new(sql.NullBool)
	case kDate, kTimestamp:
		return new(sql.NullTime)
	}
	return new(sql.NullString)
}

// value turns a scanned value into a Parquet value at c's position.
func (c column) value(dest any) (parquet.Value, error) {
	null := parquet.Value{}.Level(0, 0, c.index)
	var v parquet.Value
	switch d := dest.(type) {
	case *sql.NullInt64:
		if !d.Valid {
			return null, nil
		}
		v = parquet.Int64Value(d.Int64)
	case *sql.NullFloat64:
		if !d.Valid {
			return null, nil
		}
		v = parquet.DoubleValue(d.Float64)
	case *sql.NullBool:
		if !d.Valid {
			return null, nil
		}
		v = parquet.BooleanValue(d.Bool)
	case *sql.NullTime:
		if !d.Valid {
			return null, nil
		}
		if c.kind == kDate {
			y, m, day := d.Time.Date()
			v = parquet.Int32Value(int32(time.Date(y, m, day, 0, 0, 0, 0, time.UTC).Unix() / 86400))
		} else {
			v = parquet.Int64Value(d.Time.UTC().UnixMicro())
		}
	case *sql.NullString:
		if !d.Valid {
			return null, nil
		}
		if c.kind == kDecimal {
			u, err := unscaled(d.String, c.scl)
			if err != nil {
				return null, err
			}
			v = parquet.Int64Value(u)
		} else {
			v = parquet.ByteArrayValue([]byte(d.String))
		}
	default:
		return null, fmt.Errorf("internal: no staging for %T", dest)
	}
	return v.Level(0, 1, c.index), nil
}

// unscaled returns the decimal text s as an integer count of 10^-scale,
// exactly, or an error when it has more decimal places or digits than fit.
func unscaled(s string, scale int) (int64, error) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() || !r.Num().IsInt64() || r.Num().Int64() == math.MinInt64 {
		return 0, fmt.Errorf("%q does not fit a decimal with %d places", s, scale)
	}
	return r.Num().Int64(), nil
}

// secret is a connection string and the parts of it that must never be
// printed: the whole string and any password in it.
type secret struct {
	env   string
	parts []string
}

func newSecret(dsn, env string) secret {
	parts := []string{dsn}
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			parts = append(parts, p, url.QueryEscape(p), url.PathEscape(p))
		}
		for k, vs := range u.Query() {
			if isPasswordKey(k) {
				parts = append(parts, vs...)
			}
		}
	}
	// key=value forms: PostgreSQL's "password=x user=y", SQL Server's
	// "Password=x;User ID=y" and ODBC's "PWD={x}".
	for _, field := range strings.FieldsFunc(dsn, func(r rune) bool { return r == ';' || r == ' ' || r == '\t' || r == '&' || r == '?' }) {
		k, v, ok := strings.Cut(field, "=")
		if ok && isPasswordKey(k) {
			v = strings.Trim(v, `'"{}`)
			parts = append(parts, v)
		}
	}
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	// Longest first, so that the whole string goes before a part of it.
	sort.Slice(keep, func(i, j int) bool { return len(keep[i]) > len(keep[j]) })
	return secret{env: env, parts: keep}
}

func isPasswordKey(k string) bool {
	switch strings.ToLower(strings.TrimSpace(k)) {
	case "password", "pwd", "passwd", "pass":
		return true
	}
	return false
}

// quotedDSN matches what drivers quote of a connection string in their
// messages (pgx: "cannot parse `postgres://user:xxxxx@host/db`", "failed to
// connect to `user=u database=d`"): a back-quoted run holding "=" or "://".
var quotedDSN = regexp.MustCompile("`[^`]*(=|://)[^`]*`")

// redact replaces every secret part in msg, and any connection string a
// driver quotes, even with its password masked.
func (s secret) redact(msg string) string {
	for _, p := range s.parts {
		msg = strings.ReplaceAll(msg, p, "[redacted]")
	}
	return quotedDSN.ReplaceAllString(msg, "[connection string]")
}

// Error is a database error with the connection string redacted. It does
// not unwrap to the driver's error, whose text may hold the secret; it
// unwraps to the context's error when the run was interrupted.
type Error struct {
	Source, Op, Msg string
	ctxErr          error
}

func (e *Error) Error() string {
	return fmt.Sprintf("query %s: %s: %s", e.Source, e.Op, e.Msg)
}

// Unwrap returns context.Canceled or context.DeadlineExceeded when the
// query was interrupted, else nil.
func (e *Error) Unwrap() error { return e.ctxErr }

func (s secret) wrap(ctx context.Context, src, op string, err error) error {
	e := &Error{Source: src, Op: op + " (connection string from $" + s.env + ")", Msg: s.redact(err.Error())}
	if ctx.Err() != nil {
		e.ctxErr = ctx.Err()
	} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e.ctxErr = context.Canceled
	}
	return e
}
