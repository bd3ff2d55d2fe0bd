// Package pgtest starts a throwaway PostgreSQL cluster for tests: initdb and
// pg_ctl from Debian's postgresql package, into a temporary folder, on a
// Unix socket only (listen_addresses=”), as the postgres user when the
// test runs as root. Tests skip with a message when the server binaries are
// absent, and fail instead under CI=true, where .ci/run installs them.
package pgtest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5/stdlib"
)

// BinGlob is where Debian's postgresql package puts the server binaries
// (not on PATH); they are looked for there after PATH.
const BinGlob = "/usr/lib/postgresql/*/bin"

// Cluster is a running throwaway server.
type Cluster struct {
	Dir string // the cluster's folder; its socket is here too
	DSN string // key=value connection string over the socket, database "postgres"
	bin string
}

// Start starts a cluster in a new temporary folder and stops it (pg_ctl -m
// immediate stop) and removes the folder when the test ends.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bin := binDir()
	if bin == "" {
		msg := "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in " + BinGlob + "; install Debian's postgresql package"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (.ci/run installs it)")
		}
		t.Skip(msg)
	}
	// Not t.TempDir(): its parent is private to this user, and the server
	// may run as postgres.
	dir, err := os.MkdirTemp("", "hiis-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{Dir: dir, bin: bin}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	c.run(t, "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync")
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c fsync=off -c full_page_writes=off", dir)
	c.run(t, "pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "server.log"), "-w", "-t", "60", "start")
	t.Cleanup(func() {
		if out, err := c.command("pg_ctl", "-D", data, "-m", "immediate", "stop").CombinedOutput(); err != nil {
			t.Logf("stopping the test cluster: %v\n%s", err, out)
		}
	})
	c.DSN = fmt.Sprintf("host=%s user=postgres dbname=postgres sslmode=disable", dir)
	return c
}

// binDir finds the folder holding initdb and pg_ctl.
func binDir() string {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "pg_ctl")); err == nil {
			return filepath.Dir(p)
		}
	}
	dirs, _ := filepath.Glob(BinGlob)
	sort.Sort(sort.Reverse(sort.StringSlice(dirs))) // newest first (good until version 100)
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d
		}
	}
	return ""
}

// command builds a server command, run as postgres when we are root.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if os.Geteuid() == 0 {
		cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
		cmd.Dir = c.Dir
		return cmd
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = c.Dir
	return cmd
}

func (c *Cluster) run(t testing.TB, name string, args ...string) {
	t.Helper()
	var out bytes.Buffer
	cmd := c.command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
		t.Fatalf("%s: %v\n%s\n%s", name, err, out.String(), log)
	}
}

// Exec runs SQL statements on the cluster.
func (c *Cluster) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	db := c.open(t)
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// CopyCSV loads a CSV file with a header line into table with COPY FROM
// STDIN: empty unquoted fields are NULL.
func (c *Cluster) CopyCSV(t testing.TB, table, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	db := c.open(t)
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int64
	err = conn.Raw(func(dc any) error {
		tag, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(context.Background(), f, "COPY "+table+" FROM STDIN (FORMAT csv, HEADER true)")
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		t.Fatalf("COPY %s from %s: %v", table, path, err)
	}
	return n
}

func (c *Cluster) open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", c.DSN)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
