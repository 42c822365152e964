package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FileName is the SQLite database's file in a data directory.
const FileName = "opsroom.db"

// ErrNotSQLite refuses a file-level backup or restore on PostgreSQL,
// whose own tools (pg_dump, pg_restore) do it.
var ErrNotSQLite = errors.New("a PostgreSQL database is backed up with pg_dump and restored with pg_restore (see the user's guide)")

// BackupTo writes a consistent copy of a SQLite database into dir (made if
// missing, refused unless empty) as dir/opsroom.db, while the server goes
// on writing: VACUUM INTO reads one snapshot in a read transaction, which
// in WAL mode blocks no writer. The copy is synced before it takes its
// name, so a backup cut short leaves no file that looks whole.
func (db *DB) BackupTo(ctx context.Context, dir string) error {
	if db.engine != SQLite {
		return ErrNotSQLite
	}
	if err := emptyDir(dir); err != nil {
		return err
	}
	final := filepath.Join(dir, FileName)
	partial := final + ".partial"
	if err := db.vacuumInto(ctx, partial); err != nil {
		os.Remove(partial)
		return fmt.Errorf("copy the database: %w", err)
	}
	if err := syncFile(partial); err != nil {
		return err
	}
	if err := os.Rename(partial, final); err != nil {
		return err
	}
	return syncFile(dir)
}

// RestoreFile puts a copy made by BackupTo (its opsroom.db, or the
// directory holding it) into the data directory dir, which must hold no
// database yet. The caller opens dir afterwards, which checks the schema.
func RestoreFile(from, dir string) error {
	if fi, err := os.Stat(from); err != nil {
		return fmt.Errorf("backup %s: %w", from, err)
	} else if fi.IsDir() {
		from = filepath.Join(from, FileName)
	}
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	final := filepath.Join(dir, FileName)
	for _, f := range []string{final, final + "-wal"} {
		if _, err := os.Stat(f); err == nil {
			return fmt.Errorf("%s already holds a database; restore into an empty data directory", dir)
		}
	}
	partial := final + ".partial"
	dst, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(partial)
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if err := os.Rename(partial, final); err != nil {
		return err
	}
	return syncFile(dir)
}

// vacuumInto runs VACUUM INTO on a reader connection, so that writers
// are not queued behind the copy. Readers are query_only, which refuses
// VACUUM INTO although it writes only the new file; the connection lifts
// it for the copy and puts it back (or is dropped from the pool).
func (db *DB) vacuumInto(ctx context.Context, path string) error {
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA query_only = OFF`); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, path)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA query_only = ON`); rerr != nil {
		// Never hand a writable connection back to the readers.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

func emptyDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	es, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(es) > 0 {
		return fmt.Errorf("%s is not empty; back up into a new directory", dir)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
