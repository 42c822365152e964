// Package store opens opsroom's database (embedded SQLite by default,
// PostgreSQL for larger rooms and several instances), applies the embedded
// migrations and runs every change in one transaction whose after-commit
// hooks publish it. Engine errors are turned into the sentinel errors of
// this package at the driver boundary so callers never look at driver codes.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors every store user matches with errors.Is.
var (
	// ErrNotFound: no such row, or one the caller may not see.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness or foreign-key rule refused the change.
	ErrConflict = errors.New("conflict")
	// ErrSchemaTooNew: the database was migrated by a newer opsroom.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// Engine names the database engine.
type Engine string

// The engines opsroom runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an opened, migrated database. On SQLite it keeps one write
// connection and a pool of readers; on PostgreSQL both are the same pool.
type DB struct {
	engine Engine
	write  *sql.DB
	read   *sql.DB
	// commitMu makes commits and their after-commit hooks one step, so
	// that hooks run in commit order (the live stream relies on changes
	// being published in audit sequence order).
	commitMu sync.Mutex

	attached attachments
}

// Options configure Open.
type Options struct {
	// URL is "postgres://..." for PostgreSQL; anything else is ignored and
	// SQLite is used in Dir.
	URL string
	// Dir is the data directory holding opsroom.db for SQLite.
	Dir string
	// ReadConns caps the SQLite reader pool (default 4).
	ReadConns int
	// SQLiteSync is SQLite's synchronous mode: SyncFull (the default: an
	// acknowledged write is on disk and survives a power cut or an OS
	// crash) or SyncNormal (faster; a write survives the process being
	// killed, but the last ones before a power cut or an OS crash may be
	// lost). PostgreSQL ignores it: its durability is the server's
	// synchronous_commit, on by default.
	SQLiteSync string
}

// SQLite synchronous modes (Options.SQLiteSync).
const (
	SyncFull   = "full"
	SyncNormal = "normal"
)

// Open opens the database, applies pending migrations and refuses a schema
// newer than this binary.
func Open(ctx context.Context, o Options) (*DB, error) {
	var db *DB
	var err error
	if strings.HasPrefix(o.URL, "postgres://") || strings.HasPrefix(o.URL, "postgresql://") {
		db, err = openPostgres(ctx, o.URL)
	} else {
		db, err = openSQLite(ctx, o)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	// JIT compilation pays off for long analytical queries; opsroom's
	// are short, and a plan whose estimated cost crosses jit_above_cost
	// (a search over a large room can) spends tens of milliseconds
	// compiling before it reads a row. A jit parameter in the URL wins.
	if _, ok := cfg.RuntimeParams["jit"]; !ok {
		cfg.RuntimeParams["jit"] = "off"
	}
	// A server that does not answer (a host down, a firewall dropping
	// packets) fails a request within seconds as unavailable instead of
	// holding it for the operating system's connect timeout. A
	// connect_timeout in the URL wins.
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	return &DB{engine: Postgres, write: pool, read: pool}, nil
}

func openSQLite(ctx context.Context, o Options) (*DB, error) {
	dir := o.Dir
	if dir == "" {
		dir = "opsroom-data"
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// In WAL mode, synchronous=FULL syncs the log at every commit, so a
	// commit that was acknowledged is on disk; NORMAL syncs only at
	// checkpoints, which survives a killed process but not a power cut.
	sync := "FULL"
	switch strings.ToLower(o.SQLiteSync) {
	case "", SyncFull:
	case SyncNormal:
		sync = "NORMAL"
	default:
		return nil, fmt.Errorf("sqlite sync mode %q: want %q (the default) or %q", o.SQLiteSync, SyncFull, SyncNormal)
	}
	// busy_timeout comes before journal_mode so that switching to WAL waits
	// for another process instead of failing.
	pragmas := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(" + sync + ")&_pragma=foreign_keys(ON)&_pragma=cache_size(-65536)&_pragma=mmap_size(68719476736)&_txlock=immediate"
	w, err := sql.Open("sqlite", "file:"+path+pragmas)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1) // SQLite has one writer; queueing here beats SQLITE_BUSY
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", "file:"+path+pragmas+"&_pragma=query_only(ON)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite readers: %w", err)
	}
	n := o.ReadConns
	if n <= 0 {
		n = 4
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	return &DB{engine: SQLite, write: w, read: r}, nil
}

// Vacuum brings PostgreSQL's planner statistics and index housekeeping
// (GIN pending lists) up to date after a bulk load, as autovacuum would in
// time (VACUUM ANALYZE); on SQLite it does nothing.
func (db *DB) Vacuum(ctx context.Context) error {
	if db.engine != Postgres {
		return nil
	}
	_, err := db.write.ExecContext(ctx, `VACUUM ANALYZE`)
	return err
}

// Engine reports which engine the database runs on.
func (db *DB) Engine() Engine { return db.engine }

// Close closes what is attached to db (see Attach), then every
// connection.
func (db *DB) Close() error {
	err := db.attached.close()
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers (used by /readyz).
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// Reader runs reads: a DB (its reader pool, or the transaction the
// context carries) or a Tx.
type Reader interface {
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Strings returns the values of a query's one text column, nil when it
// has no rows.
func Strings(ctx context.Context, r Reader, query string, args ...any) ([]string, error) {
	return Column[string](ctx, r, query, args...)
}

// Column returns the values of a query's one column, nil when it has no
// rows.
func Column[T any](ctx context.Context, r Reader, query string, args ...any) ([]T, error) {
	rows, err := r.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Query runs a read on the reader pool (or inside the transaction ctx
// carries, see Batch). SQL uses ? placeholders.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if tx := txFrom(ctx, db); tx != nil {
		return tx.Query(ctx, query, args...)
	}
	rows, err := db.read.QueryContext(ctx, db.Rebind(query), args...)
	return rows, db.mapErr(err)
}

// QueryRow runs a single-row read on the reader pool (or inside the
// transaction ctx carries); Scan errors are raw (use Scan to map
// sql.ErrNoRows to ErrNotFound).
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if tx := txFrom(ctx, db); tx != nil {
		return tx.QueryRow(ctx, query, args...)
	}
	return db.read.QueryRowContext(ctx, db.Rebind(query), args...)
}

// Scan scans one row and maps sql.ErrNoRows to ErrNotFound.
func Scan(row *sql.Row, dest ...any) error {
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return Classify(err)
}

// Tx is one write transaction. Hooks registered with AfterCommit run once
// the transaction has committed (to publish changes on the room's bus).
type Tx struct {
	db     *DB
	tx     *sql.Tx
	hooks  []func()
	before []func() error
	stmts  map[string]*sql.Stmt // see ExecPrepared
	values map[any]any          // see Value
}

// Write runs fn in one transaction: everything fn writes, and its audit
// records, commit together or not at all. Inside Batch, fn joins the
// batch's transaction instead.
func (db *DB) Write(ctx context.Context, fn func(*Tx) error) error {
	if tx := txFrom(ctx, db); tx != nil {
		return db.mapErr(fn(tx))
	}
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.mapErr(fmt.Errorf("begin: %w", err))
	}
	tx := &Tx{db: db, tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return db.mapErr(err)
	}
	for i := 0; i < len(tx.before); i++ { // a hook may register another
		if err := tx.before[i](); err != nil {
			_ = sqlTx.Rollback()
			return db.mapErr(err)
		}
	}
	// Audited transactions already commit one at a time (the audit head
	// row is locked until commit), so holding commitMu across the commit
	// costs no concurrency; it only keeps the hooks of a later commit from
	// overtaking those of an earlier one.
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	if err := sqlTx.Commit(); err != nil {
		return db.mapErr(fmt.Errorf("commit: %w", err))
	}
	for _, h := range tx.hooks {
		h()
	}
	return nil
}

type txKey struct{}

func txFrom(ctx context.Context, db *DB) *Tx {
	tx, _ := ctx.Value(txKey{}).(*Tx)
	if tx != nil && tx.db == db {
		return tx
	}
	return nil
}

// Batch runs fn with a context that carries one transaction: every Write
// made with that context joins it, and every read made with it sees what
// the transaction has written so far. A bulk import uses it to run the
// same validating service code for thousands of records and commit them
// all, or nothing. The context must not be shared between goroutines.
func (db *DB) Batch(ctx context.Context, fn func(ctx context.Context) error) error {
	if txFrom(ctx, db) != nil {
		return fn(ctx)
	}
	return db.Write(ctx, func(tx *Tx) error {
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
}

// BeforeCommit registers fn to run inside the transaction once all its
// writes are done, just before it commits; an error rolls everything
// back. Bulk writers use it to do once per transaction what would be slow
// per record (such as adding thousands of rows to a full-text index).
func (tx *Tx) BeforeCommit(fn func() error) { tx.before = append(tx.before, fn) }

// AfterCommit registers fn to run after a successful commit. Hooks run in
// commit order, one transaction's at a time: they must be quick and must
// not write to the database (that would wait for itself).
func (tx *Tx) AfterCommit(fn func()) { tx.hooks = append(tx.hooks, fn) }

// Engine reports the transaction's engine.
func (tx *Tx) Engine() Engine { return tx.db.engine }

// Exec runs a statement; SQL uses ? placeholders.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := tx.tx.ExecContext(ctx, tx.db.Rebind(query), args...)
	return res, tx.db.mapErr(err)
}

// Query runs a read inside the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := tx.tx.QueryContext(ctx, tx.db.Rebind(query), args...)
	return rows, tx.db.mapErr(err)
}

// QueryRow runs a single-row read inside the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.tx.QueryRowContext(ctx, tx.db.Rebind(query), args...)
}

// Prepare prepares a statement for repeated use inside the transaction
// (bulk imports).
func (tx *Tx) Prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := tx.tx.PrepareContext(ctx, tx.db.Rebind(query))
	return st, tx.db.mapErr(err)
}

// Rebind turns ? placeholders into $1, $2, ... for PostgreSQL. It skips
// quoted strings so a literal '?' stays as it is.
func (db *DB) Rebind(query string) string {
	if db.engine != Postgres || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	inQuote := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inQuote = !inQuote
			b.WriteByte(c)
		case c == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(fmt.Sprint(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mapErr turns engine-specific constraint errors into ErrConflict,
// no-rows into ErrNotFound and faults of the database into ErrUnavailable
// or ErrDiskFull (see Classify), keeping the original for logs.
func (db *DB) mapErr(err error) error {
	if err == nil {
		return nil
	}
	if err = Classify(err); errors.Is(err, ErrUnavailable) || errors.Is(err, ErrDiskFull) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return errors.Join(ErrNotFound, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY,
			sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY, sqlite3.SQLITE_CONSTRAINT:
			if !errors.Is(err, ErrConflict) {
				return fmt.Errorf("%w: %w", ErrConflict, err)
			}
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 23505 unique_violation, 23503 foreign_key_violation
		if (pe.Code == "23505" || pe.Code == "23503") && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("%w: %w", ErrConflict, err)
		}
	}
	return err
}

// Micros converts a time to the integer microseconds opsroom stores times
// as on both engines (UTC, fast range scans, no driver time quirks).
func Micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// Time converts stored microseconds back to a UTC time; 0 is the zero time.
func Time(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// NullMicros stores a zero time as NULL.
func NullMicros(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

// NullTime converts a nullable stored time.
func NullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return Time(n.Int64)
}
