package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Sentinel errors for faults of the database itself rather than of the
// request: the HTTP layer answers them with 503 and 507 so that a client
// knows to retry later and an operator knows what to fix.
var (
	// ErrUnavailable: the database cannot be reached or is shutting down
	// or starting up (PostgreSQL stopped, restarted, out of connections).
	ErrUnavailable = errors.New("database unavailable")
	// ErrDiskFull: the database could not write because its disk (or
	// quota) is full. Nothing was written; writes resume once space is
	// freed.
	ErrDiskFull = errors.New("database disk full")
)

// Classify returns err wrapped with ErrUnavailable or ErrDiskFull when it
// is an engine or network error meaning so, and err unchanged otherwise.
// The store applies it at its boundary; the HTTP layer applies it again
// to errors that reached it another way (a row scanned by a caller).
func Classify(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrDiskFull) {
		return err
	}
	if diskFull(err) {
		return fmt.Errorf("%w: %w", ErrDiskFull, err)
	}
	if unavailable(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

func diskFull(err error) bool {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_FULL {
		return true
	}
	var pe *pgconn.PgError
	// 53100 disk_full
	return errors.As(err, &pe) && pe.Code == "53100"
}

func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// Class 08 connection_exception; 57P01 admin_shutdown, 57P02
		// crash_shutdown, 57P03 cannot_connect_now; 53300
		// too_many_connections.
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08",
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", pe.Code == "53300":
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.Is(err, driver.ErrBadConn), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &ne) && !errors.Is(err, context.Canceled):
		return true
	}
	return false
}
