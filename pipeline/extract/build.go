package extract

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"hiis/pipeline/config"
	"hiis/pipeline/source"
)

// extractMemoryLimit caps the DuckDB of one extract. Without it the
// snapshot's COPY buffers more the larger the source (peak 400 → 550 MiB
// from 10M to 25M rows); at 1 GiB the peak stays within 6% and the time is
// unchanged, and a larger job (the duplicate-key check of an unsorted
// national extract) spills to the work folder instead of growing.
const extractMemoryLimit = "1GiB"

// openDB opens an in-memory DuckDB for one extract: insertion order kept
// (so the snapshot's rows are in file order at any thread count), memory
// capped, spill files under dir, UTC for timestamps, and the closed
// columns' ENUM types made.
func openDB(ctx context.Context, tmp string, threads int) (*sql.DB, *sql.Conn, error) {
	settings := []string{
		"SET preserve_insertion_order = true",
		"SET temp_directory = " + lit(tmp),
		"SET TimeZone = 'UTC'",
		"SET memory_limit = " + lit(extractMemoryLimit),
	}
	if threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", threads))
	}
	connector, err := duckdb.NewConnector("", func(execer driver.ExecerContext) error {
		for _, q := range settings {
			if _, err := execer.ExecContext(ctx, q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	db := sql.OpenDB(connector)
	conn, err := db.Conn(ctx)
	if err == nil {
		err = createEnums(ctx, conn)
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, conn, nil
}

// createEnums makes the ENUM type of each closed column.
func createEnums(ctx context.Context, conn *sql.Conn) error {
	enums := closedColumns()
	for _, col := range slices.Sorted(maps.Keys(enums)) {
		vals := make([]string, len(enums[col]))
		for i, v := range enums[col] {
			vals[i] = lit(v)
		}
		if _, err := conn.ExecContext(ctx, "CREATE TYPE "+enumType(col)+" AS ENUM ("+strings.Join(vals, ", ")+")"); err != nil {
			return err
		}
	}
	return nil
}

// loadIMD fills the imd table (lsoa, decile) from the lookup.
func loadIMD(ctx context.Context, conn *sql.Conn, opt Options) error {
	if _, err := conn.ExecContext(ctx, "CREATE TABLE imd (lsoa VARCHAR, decile BIGINT)"); err != nil {
		return err
	}
	if opt.IMD == nil {
		return nil
	}
	codes := slices.Sorted(maps.Keys(opt.IMD.Areas))
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "imd")
		if err != nil {
			return err
		}
		for _, c := range codes {
			if err := app.AppendRow(strings.ToUpper(c), int64(opt.IMD.Areas[c].Decile)); err != nil {
				app.Close()
				return err
			}
		}
		return app.Close()
	})
}

// build reads the whole input and writes the snapshot and rejects files.
func build(ctx context.Context, kind source.Kind, src *config.Source, input string, p snapshotPaths, res *Result, opt Options) error {
	// HIIS_EXTRACT_TRACE=1 prints the time of each phase to stderr, for
	// profiling ingest.
	t0 := time.Now()
	lap := func(what string) {
		if os.Getenv("HIIS_EXTRACT_TRACE") != "" {
			fmt.Fprintf(os.Stderr, "extract %s: %s %.2fs\n", src.Name, what, time.Since(t0).Seconds())
			t0 = time.Now()
		}
	}
	inputErr := func(err error) error { return &InputError{src.Name, input, err} }
	var total int64 // 0 when unknown: a gzipped CSV is read decompressed
	if st, err := os.Stat(input); err == nil && !strings.HasSuffix(input, ".gz") {
		total = st.Size()
	}
	var progressMu sync.Mutex // Progress is called from one goroutine at a time
	report := func(rows, n int64) {
		if opt.Progress != nil {
			progressMu.Lock()
			defer progressMu.Unlock()
			opt.Progress(Progress{Rows: rows, Bytes: n, TotalBytes: total})
		}
	}
	tmp, err := os.MkdirTemp(opt.Dir, ".duckdb-tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	db, conn, err := openDB(ctx, tmp, opt.Threads)
	if err != nil {
		return fmt.Errorf("extract %s: starting DuckDB: %w", src.Name, err)
	}
	defer db.Close()
	defer conn.Close()

	sp := spec{kind: kind, src: src, text: map[string]string{}}
	var rel string
	var scanned []reject
	var rows int64
	suspect := int64(-1)  // records the scan left to the SQL checks (-1: all)
	keysIncrease := false // the scan saw strictly increasing keys in canonical form
	switch src.Format {
	case "parquet":
		header, types, err := parquetColumns(ctx, conn, input)
		if err != nil {
			return inputErr(err)
		}
		idx, err := mapHeader(kind, src, header)
		if err != nil {
			return inputErr(err)
		}
		for name, i := range idx {
			sp.text[name] = parquetText(ident(header[i]), types[i])
		}
		rel = fmt.Sprintf("(SELECT file_row_number + 2 AS __line, * FROM read_parquet(%s, file_row_number = true))", lit(input))
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+lit(input)+")").Scan(&rows); err != nil {
			return inputErr(fmt.Errorf("not a readable Parquet file: %w", err))
		}
	default:
		var idx map[string]int
		prep := func(header []string) (stagePlan, error) {
			var err error
			if idx, err = mapHeader(kind, src, header); err != nil {
				return stagePlan{}, err
			}
			return planStage(kind, src, idx, opt), nil
		}
		var header []string
		var parts []stagePart
		var sw *stageWriter
		if src.Format == "xlsx" {
			header, sw, err = scanXLSX(input, src.Sheet, dateHeaders(kind, src), opt.Dir, prep)
			if err == nil {
				parts = []stagePart{{path: sw.path}}
			}
		} else {
			header, parts, sw, err = scanCSV(input, csvOptions{delim: delimiter(src.Delimiter), encoding: strings.ToLower(src.Encoding)}, opt.Dir, prep, report)
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("extract %s: %w", src.Name, ctx.Err())
			}
			return inputErr(err)
		}
		var files, offsets []string
		for _, p := range parts {
			defer os.Remove(p.path)
			files = append(files, lit(p.path))
			offsets = append(offsets, fmt.Sprintf("WHEN %s THEN %d", lit(p.path), p.offset))
		}
		cols := []string{"'__line': 'BIGINT'"}
		for i := range header {
			cols = append(cols, fmt.Sprintf("'c%d': 'VARCHAR'", i))
		}
		cols = append(cols, "'__decile': 'BIGINT'", "'__ok': 'BOOLEAN'")
		sp.staged = true
		for name, i := range idx {
			sp.text[name] = fmt.Sprintf("c%d", i)
		}
		maxLine := max(2<<20, 2*sw.maxLen+1024)
		rel = fmt.Sprintf("read_csv([%s], header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', new_line = '\\n', strict_mode = true, columns = {%s}, max_line_size = %d, buffer_size = %d)",
			strings.Join(files, ", "), strings.Join(cols, ", "), maxLine, max(16<<20, 4*maxLine))
		if len(parts) > 1 {
			rel = fmt.Sprintf("(SELECT * EXCLUDE (filename) REPLACE (__line + CASE filename %s END AS __line) FROM %s)", strings.Join(offsets, " "), strings.Replace(rel, "header = true", "header = true, filename = true", 1))
		}
		scanned, rows, suspect = sw.rejects, sw.rows, sw.suspect
		keysIncrease = len(kind.Key) > 0 && sw.suspect == 0 && sw.sorted
	}
	lap("scan")
	// DuckDB's part follows the reading of the input: keep reporting, so
	// that a progress display knows the extract is still working.
	if opt.Progress != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func(rows int64) {
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					report(rows, total)
				}
			}
		}(rows)
	}
	if rows == 0 {
		return inputErr(errNoRows)
	}
	if !sp.staged {
		// Only a Parquet extract joins the lookup in DuckDB; the scan of
		// CSV and XLSX looked deciles up itself.
		if err := loadIMD(ctx, conn, opt); err != nil {
			return fmt.Errorf("extract %s: loading the IMD lookup: %w", src.Name, err)
		}
	}
	if _, err := conn.ExecContext(ctx, "CREATE TEMP VIEW norm AS "+sp.selectSQL(rel)); err != nil {
		return fmt.Errorf("extract %s: %w", src.Name, err)
	}
	projection := snapshotSelect(snapshotNames(kind), kind.Level != source.Aggregate)
	// Temporary files are dot-named in the snapshot folder, as the staging
	// files are, and renamed into place only when complete.
	pre := tempName(opt.Dir, ".snapshot-", ".parquet")
	defer os.Remove(pre)
	copyTo := func(query, path string) error {
		_, err := conn.ExecContext(ctx, fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2)", query, lit(path)))
		return err
	}
	// A staged extract keeps file order (preserve_insertion_order, no
	// join). The lookup join of a Parquet extract does not: sort by line,
	// so that the snapshot is the same at any thread count.
	order := ""
	if !sp.staged {
		order = " ORDER BY source_line"
	}
	if err := copyTo(fmt.Sprintf("SELECT %s FROM norm WHERE __err IS NULL%s", projection, order), pre); err != nil {
		if src.Format == "parquet" && ctx.Err() == nil {
			// DuckDB reads the Parquet input itself: a failure here is the
			// file's (invalid UTF-8, damaged pages), not hiis's.
			return inputErr(fmt.Errorf("reading the Parquet file: %s", truncateMsg(err.Error())))
		}
		return dbErr(ctx, src.Name, err)
	}
	lap("copy")
	var checked []reject
	if suspect != 0 {
		if checked, err = sqlRejects(ctx, conn, kind); err != nil {
			return dbErr(ctx, src.Name, err)
		}
	}
	report(rows, total)
	res.Rows = rows
	res.Rejected = int64(len(scanned) + len(checked))
	res.Quality = Quality{InPeriod: -1}
	for _, r := range checked {
		res.PeopleRejected += r.people
	}
	if src.DateFormat == "" {
		res.MonthFirst = monthFirst(kind, checked)
	}

	lap("rejects")
	// Duplicated record keys: the first in file order is kept.
	final := pre
	var dups [][2]int64
	if !keysIncrease {
		if dups, err = duplicates(ctx, conn, kind, pre); err != nil {
			return dbErr(ctx, src.Name, err)
		}
	}
	res.Duplicates = int64(len(dups))
	var dupRejects []reject
	if len(dups) > 0 && src.Duplicates != "keep" {
		final = tempName(opt.Dir, ".snapshot-", ".parquet")
		defer os.Remove(final)
		if err := copyTo(fmt.Sprintf("SELECT %s FROM read_parquet(%s) WHERE source_line NOT IN (SELECT line FROM dups) ORDER BY source_line", projection, lit(pre)), final); err != nil {
			return dbErr(ctx, src.Name, err)
		}
		for _, d := range dups {
			dupRejects = append(dupRejects, reject{line: d[0], field: strings.Join(kind.Key, "+"), reason: fmt.Sprintf("duplicate of line %d", d[1])})
		}
	}
	lap("dups")
	if err := quality(ctx, conn, kind, src, final, opt.Limits, &res.Quality); err != nil {
		return dbErr(ctx, src.Name, err)
	}
	lap("quality")
	if err := writeRejects(p.rejects, scanned, checked, dupRejects); err != nil {
		return err
	}
	return os.Rename(final, p.parquet)
}

// tempName creates an empty file of a new name in dir for DuckDB to
// write over.
func tempName(dir, prefix, suffix string) string {
	f, err := os.CreateTemp(dir, prefix+"*"+suffix)
	if err != nil {
		return filepath.Join(dir, prefix+strconv.FormatInt(time.Now().UnixNano(), 36)+suffix)
	}
	f.Close()
	return f.Name()
}

// truncateMsg shortens a DuckDB message to its first line, at most 300
// characters.
func truncateMsg(m string) string {
	if i := strings.IndexByte(m, '\n'); i >= 0 {
		m = m[:i]
	}
	if r := []rune(m); len(r) > 300 {
		m = string(r[:300]) + "…"
	}
	return m
}

func dbErr(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("extract %s: %w", name, ctx.Err())
	}
	return fmt.Errorf("extract %s: %w", name, err)
}

func delimiter(d string) byte {
	switch d {
	case "", ",":
		return ','
	case "tab", "\t", `\t`:
		return '\t'
	}
	return d[0]
}

// planStage says what the scan checks itself: the conservative fast
// checks of required, whole-number and date fields, and the IMD lookup.
func planStage(kind source.Kind, src *config.Source, idx map[string]int, opt Options) stagePlan {
	plan := stagePlan{lsoa: -1, all: kind.Level == source.Aggregate}
	if i, ok := idx["lsoa"]; ok && kind.Level != source.Aggregate {
		plan.lsoa, plan.deciles = i, upperDeciles(opt)
	}
	for _, k := range kind.Key {
		i, ok := idx[k]
		if !ok {
			plan.key = nil
			break
		}
		plan.key = append(plan.key, i)
	}
	cols := append([]source.Column{}, kind.Columns...)
	if kind.Level == source.Record {
		cols = append(cols, source.CountColumn)
	}
	for _, c := range cols {
		i, ok := idx[c.Name]
		if !ok {
			continue
		}
		fc := fieldCheck{idx: i, typ: c.Type, required: !c.Blank && !c.Optional, minInt: 0, maxInt: 999_999_999_999_999_999}
		switch c.Name {
		case "age":
			fc.maxInt = ageTop
		case source.CountColumn.Name:
			fc.minInt = 1
		}
		switch c.Type {
		case source.Number:
			plan.all = true // numbers are left to SQL
		case source.Date:
			if src.DateFormat == "excel_serial" {
				plan.all = true
			}
		}
		plan.checks = append(plan.checks, fc)
	}
	return plan
}

// upperDeciles is the IMD lookup by upper-case code.
func upperDeciles(opt Options) map[string]int {
	m := map[string]int{}
	if opt.IMD != nil {
		for c, a := range opt.IMD.Areas {
			m[strings.ToUpper(strings.TrimSpace(c))] = a.Decile
		}
	}
	return m
}

// dateHeaders are the (lower-case) headers of the extract's date columns.
func dateHeaders(kind source.Kind, src *config.Source) map[string]bool {
	m := map[string]bool{}
	for _, c := range kind.Columns {
		if c.Type == source.Date {
			h := c.Name
			if v, ok := src.Columns[c.Name]; ok {
				h = v
			}
			m[strings.ToLower(strings.TrimSpace(h))] = true
		}
	}
	return m
}

// parquetColumns returns a Parquet file's column names and DuckDB types.
func parquetColumns(ctx context.Context, conn *sql.Conn, path string) ([]string, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	f.Close()
	if err != nil || string(magic) != "PAR1" {
		return nil, nil, errors.New("not a Parquet file (no PAR1 signature)")
	}
	rs, err := conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("+lit(path)+"))")
	if err != nil {
		return nil, nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	defer rs.Close()
	var names, types []string
	for rs.Next() {
		var n, t string
		if err := rs.Scan(&n, &t); err != nil {
			return nil, nil, err
		}
		if strings.HasPrefix(t, "STRUCT") || strings.HasSuffix(t, "[]") || strings.HasPrefix(t, "MAP") {
			return nil, nil, fmt.Errorf("column %q is nested (%s); hiis reads flat Parquet files", n, t)
		}
		names, types = append(names, n), append(types, t)
	}
	if err := rs.Err(); err != nil {
		return nil, nil, err
	}
	return names, types, checkHeader(names)
}

// parquetText renders a Parquet column as the text a CSV would carry, by
// its logical type: dates as YYYY-MM-DD, timestamps (INT96 included) as
// YYYY-MM-DDTHH:MM:SS in UTC, decimals exactly; plain integers stay numbers
// (an INT32 without a DATE annotation is not a date).
func parquetText(col, typ string) string {
	switch {
	case typ == "DATE":
		return fmt.Sprintf("strftime(%s, '%%Y-%%m-%%d')", col)
	case strings.HasPrefix(typ, "TIMESTAMP"):
		return fmt.Sprintf("strftime(CAST(%s AS TIMESTAMP), '%%Y-%%m-%%dT%%H:%%M:%%S')", col)
	}
	return fmt.Sprintf("CAST(%s AS VARCHAR)", col)
}

// sqlRejects lists the rows the query rejected, in line order.
func sqlRejects(ctx context.Context, conn *sql.Conn, kind source.Kind) ([]reject, error) {
	// The people of a rejected population row, where its count could be
	// read, for the check of people lost.
	people := "0"
	if kind.Level == source.Population {
		people = "greatest(COALESCE(people, 0), 0)"
	}
	rs, err := conn.QueryContext(ctx, "SELECT source_line, __err, "+people+" FROM norm WHERE __err IS NOT NULL ORDER BY source_line")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []reject
	for rs.Next() {
		var r reject
		var e string
		if err := rs.Scan(&r.line, &e, &r.people); err != nil {
			return nil, err
		}
		parts := strings.SplitN(e, errSep, 3)
		for len(parts) < 3 {
			parts = append(parts, "")
		}
		r.field, r.reason, r.value = parts[0], parts[1], truncate(parts[2])
		out = append(out, r)
	}
	return out, rs.Err()
}

// monthFirst finds rejected dates that are valid only month-first.
func monthFirst(kind source.Kind, rejects []reject) *MonthFirst {
	dates := map[string]bool{}
	for _, c := range kind.Columns {
		if c.Type == source.Date {
			dates[c.Name] = true
		}
	}
	var mf *MonthFirst
	for _, r := range rejects {
		if !dates[r.field] {
			continue
		}
		if _, err := time.Parse("1/2/2006", r.value); err != nil {
			continue
		}
		if _, err := time.Parse("2/1/2006", r.value); err == nil {
			continue
		}
		if mf == nil {
			mf = &MonthFirst{Line: r.line, Field: r.field, Value: r.value}
		}
		mf.Count++
	}
	return mf
}

// duplicates finds the rows of the snapshot at pre whose record key repeats
// an earlier row's: pairs of (line, line of the first occurrence), in line
// order. It leaves them in the table dups (line) for the rewrite.
func duplicates(ctx context.Context, conn *sql.Conn, kind source.Kind, pre string) ([][2]int64, error) {
	if len(kind.Key) == 0 {
		return nil, nil
	}
	var keys []string
	for _, k := range kind.Key {
		keys = append(keys, ident(k))
	}
	key := strings.Join(keys, ", ")
	// Candidates by hash first (a cheap fixed-width GROUP BY), then exact.
	q := fmt.Sprintf(`CREATE TEMP TABLE dups AS
		WITH snap AS (SELECT source_line, %[1]s, hash(%[1]s) AS h FROM read_parquet(%[2]s)),
		cand AS (SELECT h FROM snap GROUP BY h HAVING count(*) > 1),
		rows AS (SELECT source_line, min(source_line) OVER (PARTITION BY %[1]s) AS first FROM snap WHERE h IN (SELECT h FROM cand))
		SELECT source_line AS line, first FROM rows WHERE source_line <> first ORDER BY line`, key, lit(pre))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return nil, err
	}
	rs, err := conn.QueryContext(ctx, "SELECT line, first FROM dups ORDER BY line")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][2]int64
	for rs.Next() {
		var d [2]int64
		if err := rs.Scan(&d[0], &d[1]); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rs.Err()
}

// quality counts what the gates and the data-quality table need over the
// final snapshot.
func quality(ctx context.Context, conn *sql.Conn, kind source.Kind, src *config.Source, snap string, lim Limits, q *Quality) error {
	if kind.Level == source.Aggregate {
		return nil
	}
	from := "read_parquet(" + lit(snap) + ")"
	var sexCodesSQL []string
	for _, k := range slices.Sorted(maps.Keys(sexCodes)) {
		sexCodesSQL = append(sexCodesSQL, lit(k))
	}
	outside := "(upper(lsoa) LIKE 'W%' OR upper(lsoa) LIKE 'S%' OR upper(lsoa) LIKE '95%')"
	inPeriod := "-1"
	if d := kind.EventDate(); d != "" && lim.PeriodStart != "" && lim.PeriodEnd != "" && kind.Level == source.Record {
		inPeriod = fmt.Sprintf("count(*) FILTER (WHERE %s BETWEEN DATE %s AND DATE %s)", ident(d), lit(lim.PeriodStart), lit(lim.PeriodEnd))
	}
	people := "0"
	if kind.Level == source.Population {
		people = "COALESCE(sum(people), 0)"
	}
	row := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT
		count(*) FILTER (WHERE lsoa IS NULL),
		count(*) FILTER (WHERE lsoa IS NOT NULL AND imd_decile IS NULL),
		count(*) FILTER (WHERE lsoa IS NOT NULL AND imd_decile IS NULL AND %s),
		count(*) FILTER (WHERE ethnic_category IS NULL),
		count(*) FILTER (WHERE ethnic_code = '99'),
		count(*) FILTER (WHERE ethnic_code = 'Z'),
		count(*) FILTER (WHERE ethnic_category IS NOT NULL AND ethnic_code = ''),
		count(*) FILTER (WHERE sex IS NOT NULL AND %s NOT IN (%s)),
		%s, CAST(%s AS BIGINT)
		FROM %s`, outside, labelled("sex", src.Labels["sex"]), strings.Join(sexCodesSQL, ", "), inPeriod, people, from))
	if err := row.Scan(&q.LSOABlank, &q.LSOAUnmatched, &q.LSOAOutside, &q.EthnicBlank, &q.EthnicNotKnown, &q.EthnicNotStated, &q.EthnicInvalid, &q.SexInvalid, &q.InPeriod, &q.People); err != nil {
		return err
	}
	// The population kind may lack the ethnic column; the others must have it.
	q.EthnicColumn = true
	if c, _ := kind.Column("ethnic_category"); c.Optional {
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+from+" WHERE ethnic_category IS NOT NULL").Scan(&n); err != nil {
			return err
		}
		q.EthnicColumn = n > 0
	}
	rs, err := conn.QueryContext(ctx, fmt.Sprintf(`SELECT upper(lsoa), min(source_line) AS first FROM %s
		WHERE lsoa IS NOT NULL AND imd_decile IS NULL AND NOT %s GROUP BY 1 ORDER BY first LIMIT 5`, from, outside))
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var code string
		var line int64
		if err := rs.Scan(&code, &line); err != nil {
			return err
		}
		q.UnmatchedExamples = append(q.UnmatchedExamples, fmt.Sprintf("%s (line %d)", truncate(code), line))
	}
	return rs.Err()
}

// writeRejects writes every rejected record, in line order, with its line,
// field, reason and at most one truncated field value.
func writeRejects(path string, lists ...[]reject) error {
	var all []reject
	for _, l := range lists {
		all = append(all, l...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].line < all[j].line })
	return writeFileAtomic(path, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write([]string{"line", "field", "reason", "value"}); err != nil {
			return err
		}
		for _, r := range all {
			if err := cw.Write([]string{strconv.FormatInt(r.line, 10), r.field, r.reason, r.value}); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
}
