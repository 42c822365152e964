package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestClassify(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ErrUnavailable},
		{"bad connection", fmt.Errorf("query: %w", driver.ErrBadConn), ErrUnavailable},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, ErrUnavailable},
		{"starting up", &pgconn.PgError{Code: "57P03"}, ErrUnavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, ErrUnavailable},
		{"too many connections", &pgconn.PgError{Code: "53300"}, ErrUnavailable},
		{"postgres disk full", &pgconn.PgError{Code: "53100"}, ErrDiskFull},
		{"no space", fmt.Errorf("write: %w", syscall.ENOSPC), ErrDiskFull},
		{"unique violation", &pgconn.PgError{Code: "23505"}, nil},
		{"canceled", context.Canceled, nil},
		{"other", errors.New("boom"), nil},
	} {
		got := Classify(c.err)
		if !errors.Is(got, c.err) {
			t.Errorf("%s: the original error is lost: %v", c.name, got)
		}
		for _, s := range []error{ErrUnavailable, ErrDiskFull} {
			if errors.Is(got, s) != (s == c.want) {
				t.Errorf("%s: Classify = %v, want %v", c.name, got, c.want)
			}
		}
	}
}
