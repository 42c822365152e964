package store

import (
	"context"
	"errors"
	"sync"
	"time"
)

// attachments are the long-lived helpers kept with one database (see
// Attach), in the order they were made.
type attachments struct {
	mu    sync.Mutex
	byKey map[any]any
	order []any
}

// Closer is an attached value that must finish its work before the
// database closes (a background writer draining its queue).
type Closer interface {
	Close(ctx context.Context) error
}

// Attach returns the value kept with db under key, made by mk on first
// use: one background helper per database (the refused-read auditor),
// however many services read it. A value that is a Closer is closed by
// db.Close before any connection closes, last attached first.
func (db *DB) Attach(key any, mk func() any) any {
	a := &db.attached
	a.mu.Lock()
	defer a.mu.Unlock()
	if v, ok := a.byKey[key]; ok {
		return v
	}
	v := mk()
	if a.byKey == nil {
		a.byKey = map[any]any{}
	}
	a.byKey[key] = v
	a.order = append(a.order, v)
	return v
}

// closeTimeout bounds how long db.Close waits for attached helpers.
const closeTimeout = 30 * time.Second

func (a *attachments) close() error {
	a.mu.Lock()
	order := a.order
	a.order = nil
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var err error
	for i := len(order) - 1; i >= 0; i-- {
		if c, ok := order[i].(Closer); ok {
			err = errors.Join(err, c.Close(ctx))
		}
	}
	return err
}
